package columnar

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// withoutPageCRC returns a copy of the Parquet file data with the CRC dropped from every
// page header (the field is optional; parquet-go writes one on every page and checks it
// on read when it is there). A fuzz seed so written lets a mutation of a page's bytes
// reach the value decoders instead of failing the checksum. Offsets and chunk sizes in
// the footer follow the shorter headers; page index and bloom filter references are
// dropped (rolemine reads neither).
func withoutPageCRC(tb testing.TB, data []byte) []byte {
	tb.Helper()
	return editPages(tb, data, "", nil)
}

// pageEdit changes a data page: its header h (CRC already dropped) and its body, returned
// (the header's sizes are set from it afterwards unless the edit changed them).
type pageEdit func(h *format.PageHeader, body []byte) []byte

// editPages returns a copy of the Parquet file data with every page header written again
// without its CRC, and each data page of the column at the dotted path col changed by
// edit (none when edit is nil), the footer's offsets and sizes following.
func editPages(tb testing.TB, data []byte, col string, edit pageEdit) []byte {
	tb.Helper()
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		tb.Fatal(err)
	}
	md := *pf.Metadata()
	md.RowGroups = slices.Clone(md.RowGroups)
	out := append([]byte(nil), "PAR1"...)
	for g := range md.RowGroups {
		rg := &md.RowGroups[g]
		rg.Columns = slices.Clone(rg.Columns)
		rg.FileOffset = int64(len(out))
		for i := range rg.Columns {
			cc := &rg.Columns[i]
			m := &cc.MetaData
			start := chunkStart(m)
			cc.FileOffset = int64(len(out))
			var e pageEdit
			if strings.Join(m.PathInSchema, ".") == col {
				e = edit
			}
			out = appendPagesWithoutCRC(tb, out, data[start:start+m.TotalCompressedSize], m, e)
			dropIndexes(cc)
		}
		rg.TotalCompressedSize = int64(len(out)) - rg.FileOffset
	}
	out, err = appendFooter(out, &md)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// appendPagesWithoutCRC appends the pages of chunk (a column chunk of m) to out, each
// header written again without its CRC and each data page changed by edit (when not
// nil), and sets m's page offsets and sizes to the appended chunk's.
func appendPagesWithoutCRC(tb testing.TB, out, chunk []byte, m *format.ColumnMetaData, edit pageEdit) []byte {
	tb.Helper()
	at, grew := int64(len(out)), 0
	m.DictionaryPageOffset, m.IndexPageOffset = 0, 0
	data := false
	for off := 0; off < len(chunk); {
		pr := new(thrift.CompactProtocol).NewReaderFromBytes(chunk[off:])
		var h format.PageHeader
		if err := thrift.NewDecoder(pr).Decode(&h); err != nil {
			tb.Fatalf("page header at chunk offset %d: %v", off, err)
		}
		hlen := len(chunk) - off - pr.Reader().(*bytes.Reader).Len()
		switch {
		case h.DictionaryPageHeader.Valid:
			m.DictionaryPageOffset = int64(len(out))
		case !data:
			m.DataPageOffset, data = int64(len(out)), true
		}
		h.CRC = 0
		body := chunk[off+hlen : off+hlen+int(h.CompressedPageSize)]
		off += hlen + int(h.CompressedPageSize)
		if edit != nil && !h.DictionaryPageHeader.Valid {
			size := h.CompressedPageSize
			body = edit(&h, slices.Clone(body))
			if h.CompressedPageSize == size {
				grew += len(body) - int(size)
				h.UncompressedPageSize += int32(len(body)) - size
				h.CompressedPageSize = int32(len(body))
			}
		}
		head, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
		if err != nil {
			tb.Fatal(err)
		}
		grew += len(head) - hlen
		out = append(append(out, head...), body...)
	}
	m.TotalCompressedSize = int64(len(out)) - at
	m.TotalUncompressedSize += int64(grew)
	return out
}

// pageCRCs counts the page headers of the Parquet file data that carry a CRC.
func pageCRCs(tb testing.TB, data []byte) int {
	tb.Helper()
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, rg := range pf.Metadata().RowGroups {
		for _, cc := range rg.Columns {
			m := cc.MetaData
			start := chunkStart(&m)
			chunk := data[start : start+m.TotalCompressedSize]
			for off := 0; off < len(chunk); {
				pr := new(thrift.CompactProtocol).NewReaderFromBytes(chunk[off:])
				var h format.PageHeader
				if err := thrift.NewDecoder(pr).Decode(&h); err != nil {
					tb.Fatal(err)
				}
				if h.CRC != 0 {
					n++
				}
				off += len(chunk) - off - pr.Reader().(*bytes.Reader).Len() + int(h.CompressedPageSize)
			}
		}
	}
	return n
}

// TestWithoutPageCRC: the seed without CRCs has none left and loads as the file it came
// from; a page byte changed in it reaches the decoder (the value read changes), where in
// the file with CRCs it fails the checksum.
func TestWithoutPageCRC(t *testing.T) {
	ids := tbl{header: []string{"identity_id:req", "kind:dict", "department:str", "cost:int64"}}
	for i := range 12 {
		ids.rows = append(ids.rows, []string{"u" + string(rune('a'+i)), []string{"", "bot"}[i%2], []string{"Sales", nullValue, "Eng"}[i%3], "7"})
	}
	data, err := os.ReadFile(writeParquet(t, t.TempDir(), "identities", ids))
	if err != nil {
		t.Fatal(err)
	}
	stripped := withoutPageCRC(t, data)
	if n := pageCRCs(t, data); n == 0 {
		t.Fatal("parquet-go wrote no page CRC: the seeds without them add nothing")
	}
	if n := pageCRCs(t, stripped); n != 0 {
		t.Fatalf("%d page CRCs left", n)
	}
	loadBytes := func(b []byte) (*Snapshot, error) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "identities.parquet"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "assignments.csv"), []byte("identity_id,role_id\nua,R1\nub,R2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return load(t, dir, LoadOptions{})
	}
	want, err := loadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := loadBytes(stripped)
	if err != nil {
		t.Fatal(err)
	}
	for _, dim := range []string{"department", "cost"} {
		if w, g := dimValues(t, want, dim), dimValues(t, got, dim); !slices.Equal(w, g) {
			t.Errorf("%s without CRCs: %q, want %q", dim, g, w)
		}
	}
	if !slices.Equal(holdings(want), holdings(got)) || !slices.Equal(want.IdentityIDs, got.IdentityIDs) {
		t.Errorf("without CRCs: %q %q, want %q %q", got.IdentityIDs, holdings(got), want.IdentityIDs, holdings(want))
	}
	// Every copy: the footer's and page headers' statistics hold one too.
	mutate := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("Sales"), []byte("Sxles")) }
	if _, err := loadBytes(mutate(data)); err == nil || !strings.Contains(err.Error(), "crc32") {
		t.Errorf("a changed page with its CRC: error %v, want a checksum mismatch", err)
	}
	got, err = loadBytes(mutate(stripped))
	if err != nil {
		t.Fatalf("a changed page without CRC: %v", err)
	}
	if d := dimValues(t, got, "department"); d[0] != "Sxles" {
		t.Errorf("a changed page without CRC: department %q, want Sxles first", d)
	}
}
