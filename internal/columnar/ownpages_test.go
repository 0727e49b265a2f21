package columnar

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/rolemine/rolemine/internal/uerr"
)

// indexRunPage replaces the values of a version 2 page of a flat dictionary column (h,
// body) in a chunk of codec with indexes of bit width 1 holding run, compressed.
func indexRunPage(tb testing.TB, codec format.CompressionCodec, h *format.PageHeader, body, run []byte) []byte {
	c := parquet.LookupCompressionCodec(codec)
	values := append([]byte{1}, run...)
	if h.DataPageHeader.Valid { // version 1: the levels (a length, then runs) are compressed too
		page, err := c.Decode(nil, body)
		if err != nil {
			tb.Fatal(err)
		}
		n := 4 + int(binary.LittleEndian.Uint32(page))
		values = append(page[:n:n], values...)
		out, err := c.Encode(nil, values)
		if err != nil {
			tb.Fatal(err)
		}
		h.CompressedPageSize, h.UncompressedPageSize = int32(len(out)), int32(len(values))
		return out
	}
	levels := int(h.DataPageHeaderV2.V.RepetitionLevelsByteLength + h.DataPageHeaderV2.V.DefinitionLevelsByteLength)
	enc, err := c.Encode(nil, values)
	if err != nil {
		tb.Fatal(err)
	}
	out := append(append([]byte(nil), body[:levels]...), enc...)
	h.CompressedPageSize, h.UncompressedPageSize = int32(len(out)), int32(levels+len(values))
	return out
}

// TestLoadParquetRefusesCompressedIndexRuns: a dictionary index run claiming 2^30 values
// in a compressed version 2 page (rolemine's own format) or version 1 page is refused without allocating
// what it claims: the chunk is decoded by decodeOwn, which checks the runs of the page it
// decompressed once. Unguarded, parquet-go allocated 4 bytes per claimed index and the
// load succeeded (4,196 MB for an uncompressed page in the eighteenth session).
func TestLoadParquetRefusesCompressedIndexRuns(t *testing.T) {
	for _, v := range []int{1, 2} {
		for codec, opt := range map[format.CompressionCodec]parquet.WriterOption{
			format.Snappy: parquet.Compression(&parquet.Snappy), format.Zstd: parquet.Compression(&parquet.Zstd),
		} {
			testIndexRun(t, v, codec, opt)
		}
	}
}

// testIndexRun loads runsFixture in version v pages of codec with a 2^30-index run in
// kind's pages and checks the refusal.
func testIndexRun(t *testing.T, v int, codec format.CompressionCodec, opt parquet.WriterOption) {
	data := editPages(t, runsFixture(t, v, opt), "kind", func(h *format.PageHeader, body []byte) []byte {
		return indexRunPage(t, codec, h, body, append(bigRun(1<<30), 0))
	})
	_, err, alloc := loadIdentities(t, data)
	if err == nil || !uerr.Is(err) {
		t.Fatalf("v%d %s: got %v, want a user error", v, codec, err)
	}
	for _, want := range []string{"identities.parquet", "column kind:", "dictionary indexes: runs hold more than the"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("v%d %s: error %q does not say %q", v, codec, err, want)
		}
	}
	if alloc > 32<<20 {
		t.Errorf("v%d %s: refusing the page allocated %d MB", v, codec, alloc>>20)
	}
}

// TestOwnPlanTakesRolemineChunks: the page checks give decodeOwn the chunks of flat
// dictionary columns, in version 2 pages (rolemine's own files) or 1, and no others: not
// a list or repeated column, not a column without a dictionary.
func TestOwnPlanTakesRolemineChunks(t *testing.T) {
	for _, c := range []struct {
		v    int
		want []string
	}{{2, []string{"kind"}}, {1, []string{"kind"}}} {
		data := runsFixture(t, c.v, parquet.Compression(&parquet.Snappy))
		pf, err := openParquet(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		own := &ownPlan{}
		var leaves []*parquet.Column
		for _, f := range pf.Root().Columns() {
			if l := listLeaf(f); l != nil {
				leaves = append(leaves, l)
			} else {
				leaves = append(leaves, f)
			}
		}
		if err := checkPageHeaders(bytes.NewReader(data), int64(len(data)), pf, leaves, own); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range leaves {
			if own.column(l.Index())[0] != nil {
				got = append(got, strings.Join(l.Path(), "."))
			}
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("v%d: decodeOwn takes %v, want %v", c.v, got, c.want)
		}
	}
}

// TestLoadParquetChecksIndexesOfOtherChunks: a chunk that looked like decodeOwn's until
// a later page (here one claiming RLE values) is not decodeOwn's, and the dictionary indexes
// of its compressed version 2 pages are checked as the page checks read them: a run
// claiming 2^30 indexes in its first page is refused.
func TestLoadParquetChecksIndexesOfOtherChunks(t *testing.T) {
	type row struct {
		ID   string `parquet:"identity_id"`
		Kind string `parquet:"kind,optional,dict"`
	}
	rows := make([]row, 4000)
	for i := range rows {
		rows[i] = row{fmt.Sprintf("u%04d", i), []string{"", "bot", "svc"}[i*7%3]}
	}
	var b bytes.Buffer
	w := parquet.NewGenericWriter[row](&b, parquet.DataPageVersion(2), parquet.Compression(&parquet.Snappy), parquet.PageBufferSize(512))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := withoutPageCRC(t, b.Bytes())
	if _, err, _ := loadIdentities(t, data); err != nil {
		t.Fatal(err)
	}
	page := 0
	data = editPages(t, data, "kind", func(h *format.PageHeader, body []byte) []byte {
		page++
		switch {
		case page == 1:
			return indexRunPage(t, format.Snappy, h, body, append(bigRun(1<<30), 0))
		case page == 2:
			h.DataPageHeaderV2.V.Encoding = format.RLE
		}
		return body
	})
	if page < 2 {
		t.Fatalf("kind has %d data pages; the test needs 2", page)
	}
	_, err, alloc := loadIdentities(t, data)
	if err == nil || !strings.Contains(err.Error(), "column kind: page at") || !strings.Contains(err.Error(), "dictionary indexes: runs hold more than") {
		t.Errorf("got %v, want the first page's index run refused", err)
	}
	if alloc > 32<<20 {
		t.Errorf("refusing the page allocated %d MB", alloc>>20)
	}
}
