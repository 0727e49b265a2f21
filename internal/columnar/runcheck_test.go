package columnar

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	pqbrotli "github.com/parquet-go/parquet-go/compress/brotli"
	"github.com/parquet-go/parquet-go/compress/gzip"
	pqzstd "github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/format"

	"github.com/rolemine/rolemine/internal/uerr"
)

// runsIdentity is an identities row with a LIST column, a repeated one, a dictionary
// column, a nullable one and a nullable DELTA_BYTE_ARRAY one: every kind of page whose
// levels or indexes the run checks read.
type runsIdentity struct {
	ID      string   `parquet:"identity_id"`
	Kind    string   `parquet:"kind,optional,dict"`
	Dept    *string  `parquet:"department,optional"`
	Team    string   `parquet:"team,optional,delta"` // "" is null
	Project []string `parquet:"project,list"`
	Certs   []string `parquet:"cert"`
}

// runsFixture writes 40 runsIdentity rows with parquet-go in data pages of version v,
// uncompressed unless a codec is given, and returns the file with its page CRCs dropped
// (so that tests and the fuzzer may change page bytes).
func runsFixture(tb testing.TB, v int, opts ...parquet.WriterOption) []byte {
	tb.Helper()
	rows := make([]runsIdentity, 40)
	for i := range rows {
		dept, team := []string{"Sales", "Eng"}[i%2], fmt.Sprintf("team-%d", i%5)
		rows[i] = runsIdentity{ID: fmt.Sprintf("u%02d", i), Kind: []string{"", "bot"}[i%2], Dept: &dept,
			Project: []string{"apollo", "gemini", "vega"}[:i%4], Certs: []string{"cissp", "aws"}[:i%3]}
		if i%3 != 0 {
			rows[i].Team = team
		}
	}
	p := filepath.Join(tb.TempDir(), "identities.parquet")
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	w := parquet.NewGenericWriter[runsIdentity](f, append([]parquet.WriterOption{parquet.DataPageVersion(v)}, opts...)...)
	if _, err := w.Write(rows); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	return withoutPageCRC(tb, data)
}

// loadIdentities loads data as identities.parquet beside a one-row assignments.csv and
// returns the error and the bytes allocated meanwhile.
func loadIdentities(t *testing.T, data []byte) (*Snapshot, error, uint64) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "identities.parquet"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "assignments.csv"), []byte("identity_id,role_id\nu01,R1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := Load(context.Background(), dir, LoadOptions{})
	runtime.ReadMemStats(&after)
	return s, err, after.TotalAlloc - before.TotalAlloc
}

// firstLevels replaces the first level section of an uncompressed data page (h, body)
// with run: the repetition levels of a repeated column, the definition levels of a flat
// nullable one. A version 2 header gets the section's new length; a version 1 section
// keeps its 4-byte length in front.
func firstLevels(h *format.PageHeader, body, run []byte) []byte {
	if v := &h.DataPageHeaderV2.V; h.DataPageHeaderV2.Valid {
		n := &v.RepetitionLevelsByteLength
		if *n == 0 {
			n = &v.DefinitionLevelsByteLength
		}
		out := append(append([]byte(nil), run...), body[*n:]...)
		*n = int32(len(run))
		return out
	}
	n := binary.LittleEndian.Uint32(body)
	out := binary.LittleEndian.AppendUint32(nil, uint32(len(run)))
	return append(append(out, run...), body[4+n:]...)
}

// bigRun is an RLE run header of n values (the value byte, where the width needs one,
// follows).
func bigRun(n uint64) []byte { return binary.AppendUvarint(nil, n<<1) }

// withIndexRun replaces the dictionary indexes of an uncompressed data page of a flat
// nullable column (h, body) with a bit width of 1 and run.
func withIndexRun(h *format.PageHeader, body, run []byte) []byte {
	at := 4 + int(binary.LittleEndian.Uint32(body)) // version 1: the definition levels
	if v := &h.DataPageHeaderV2.V; h.DataPageHeaderV2.Valid {
		at = int(v.RepetitionLevelsByteLength + v.DefinitionLevelsByteLength)
	}
	return append(append(append([]byte(nil), body[:at]...), 1), run...)
}

// TestLoadParquetRefusesLyingRuns: a page whose header claims more values than its levels
// hold, or whose level or dictionary index runs claim more values than its header, is
// refused before parquet-go decodes it, naming the file, the column and what is wrong,
// without allocating what the runs ask for. Each file is a real one (runsFixture) with
// one header field or one run changed. Unguarded, parquet-go allocated about 75 MB for
// the value count, and a byte (levels) or four (indexes) per value a run claims: 256 MB
// to 2.3 GB here.
func TestLoadParquetRefusesLyingRuns(t *testing.T) {
	claim := func(h *format.PageHeader, body []byte) []byte {
		if h.DataPageHeaderV2.Valid {
			h.DataPageHeaderV2.V.NumValues = 1 << 26
		} else {
			h.DataPageHeader.V.NumValues = 1 << 26
		}
		return body
	}
	levelRun := func(h *format.PageHeader, body []byte) []byte {
		return firstLevels(h, body, append(bigRun(1<<26), 1))
	}
	indexRun := func(h *format.PageHeader, body []byte) []byte {
		return withIndexRun(h, body, append(bigRun(1<<26), 0))
	}
	snappy := []parquet.WriterOption{parquet.Compression(&parquet.Snappy)}
	both := []int{1, 2}
	for _, c := range []struct {
		col      string
		edit     pageEdit
		want     string
		versions []int
		opts     []parquet.WriterOption
	}{
		{"project.list.element", claim, "the header declares 67108864 values, but its repetition levels hold 70", both, nil},
		{"cert", claim, "the header declares 67108864 values, but its repetition levels hold 53", both, nil},
		{"project.list.element", levelRun, "repetition levels: runs hold more than the 70 values the header declares", both, nil},
		{"department", levelRun, "definition levels: runs hold more than the 40 values the header declares", both, nil},
		{"kind", indexRun, "dictionary indexes: runs hold more than", both, nil},
		// Compressed: a version 1 page is decompressed for its levels; of a version 2
		// page only the levels, stored uncompressed in front, are read.
		{"project.list.element", claim, "repetition levels hold 70", []int{1}, snappy},
		{"kind", levelRun, "definition levels: runs hold more than the 40 values", []int{2}, snappy},
	} {
		for _, v := range c.versions {
			name := fmt.Sprintf("v%d/%s/%s", v, c.col, c.want)
			data := editPages(t, runsFixture(t, v, c.opts...), c.col, c.edit)
			_, err, alloc := loadIdentities(t, data)
			if err == nil || !uerr.Is(err) {
				t.Errorf("%s: got %v, want a user error", name, err)
				continue
			}
			for _, want := range []string{"identities.parquet", "corrupt Parquet file", "column " + c.col + ":", c.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%s: error %q does not say %q", name, err, want)
				}
			}
			if alloc > 32<<20 {
				t.Errorf("%s: refusing the page allocated %d MB", name, alloc>>20)
			}
		}
	}
}

// TestLoadParquetRunsFixtures: the fixtures of the run checks load as written, in both
// page versions and with Snappy, their nullable DELTA_BYTE_ARRAY column (the version 1
// pages hold definition levels in front of the DELTA values) included.
func TestLoadParquetRunsFixtures(t *testing.T) {
	var want []string
	for i := range 40 {
		want = append(want, []string{"", fmt.Sprintf("team-%d", i%5)}[min(i%3, 1)])
	}
	for _, v := range []int{1, 2} {
		for _, opts := range [][]parquet.WriterOption{nil, {parquet.Compression(&parquet.Snappy)}} {
			s, err, _ := loadIdentities(t, runsFixture(t, v, opts...))
			if err != nil {
				t.Fatalf("v%d %d options: %v", v, len(opts), err)
			}
			checkInvariants(t, s)
			if got := strings.Join(dimValues(t, s, "team"), ","); got != strings.Join(want, ",") {
				t.Errorf("v%d: team values %s, want %s", v, got, strings.Join(want, ","))
			}
		}
	}
}

// TestLoadParquetRefusesCorruptDeltaV1: a version 1 DELTA_BYTE_ARRAY page of a nullable
// column (its definition levels in front of the values, which no third-party fixture
// has) with its block header's miniblock count changed is refused: the check found the
// values behind the levels.
func TestLoadParquetRefusesCorruptDeltaV1(t *testing.T) {
	data := editPages(t, runsFixture(t, 1), "team", func(h *format.PageHeader, body []byte) []byte {
		at := 4 + int(binary.LittleEndian.Uint32(body))
		// The prefix lengths' DELTA_BINARY_PACKED header: block size 128 (2 bytes),
		// then the miniblock count.
		if body[at] != 0x80 || body[at+1] != 0x01 {
			t.Fatalf("no DELTA header behind the levels: % x", body[at:at+4])
		}
		body[at+2] = 3
		return body
	})
	_, err, _ := loadIdentities(t, data)
	if err == nil {
		t.Fatal("the corrupt DELTA page was accepted")
	}
	for _, want := range []string{"identities.parquet", "column team:", "DELTA_BYTE_ARRAY prefix lengths", "block size 128 with 3 miniblocks"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestHybridRuns: the runs' values are counted (a bit-packed run holds groups of 8, and
// the last may pass the declared count by up to 7, as Arrow's and hyparquet's writers
// end a page); more, a run cut short, a run without its value and a corrupt header are
// refused.
func TestHybridRuns(t *testing.T) {
	for _, c := range []struct {
		src      []byte
		w        uint
		declared int64
		want     int64
		err      string
	}{
		{[]byte{0x07, 0xfe, 0xf7, 0xbf, 0x12, 0x01, 0x07, 0xfe, 0xf7, 0x1f}, 1, 57, 57, ""},
		{[]byte{0x07, 0xfe, 0xf7, 0xbf, 0x12, 0x01, 0x07, 0xfe, 0xf7, 0x1f}, 1, 50, 57, ""},
		{[]byte{0x07, 0xfe, 0xf7, 0xbf, 0x12, 0x01, 0x07, 0xfe, 0xf7, 0x1f}, 1, 49, 0, "more than the 49 values"},
		{[]byte{0x05, 0xaa, 0xbb, 0xcc}, 2, 16, 0, "a bit-packed run of 16 values exceeds the 3 bytes left"},
		{[]byte{0x05, 0xaa, 0xbb, 0xcc, 0xdd}, 2, 16, 16, ""},
		{[]byte{0x10}, 3, 8, 0, "a run without its value"},
		{[]byte{0x10}, 0, 8, 8, ""},
		{append(bigRun(1<<40), 0x01), 8, 1 << 20, 0, "more than the 1048576 values"},
		{[]byte{0x80}, 1, 8, 0, "corrupt run header"},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, 1, 8, 0, "exceeds"},
	} {
		n, err := hybridRuns(c.src, c.w, c.declared)
		switch {
		case c.err == "" && (err != nil || n != c.want):
			t.Errorf("% x at width %d: %d, %v; want %d", c.src, c.w, n, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("% x at width %d: %v, want an error saying %q", c.src, c.w, err, c.err)
		}
	}
}

// TestLoadParquetRefusesInflatedPage: a compressed page declaring more uncompressed bytes
// than its codec can inflate its bytes into is refused (unguarded, parquet-go allocated
// the 64 MiB declared for each such page and read the file as if nothing were wrong).
func TestLoadParquetRefusesInflatedPage(t *testing.T) {
	for _, codec := range []parquet.WriterOption{parquet.Compression(&parquet.Snappy), parquet.Compression(&parquet.Gzip)} {
		data := editPages(t, runsFixture(t, 2, codec), "kind", func(h *format.PageHeader, body []byte) []byte {
			h.UncompressedPageSize = 1 << 26
			return body
		})
		_, err, alloc := loadIdentities(t, data)
		if err == nil || !uerr.Is(err) {
			t.Fatalf("got %v, want a user error", err)
		}
		for _, want := range []string{"identities.parquet", "column kind:", "declares 67108", "can inflate to"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		if alloc > 32<<20 {
			t.Errorf("refusing the page allocated %d MB", alloc>>20)
		}
	}
}

// TestMaxRatioHolds: the codecs' own encoders, on the data they compress best (a run of
// one byte, 4 MiB), at their strongest settings, stay within maxRatio, so no real page is
// refused.
func TestMaxRatioHolds(t *testing.T) {
	src := make([]byte, 4<<20)
	for codec, c := range map[format.CompressionCodec]compress.Codec{
		format.Snappy: &parquet.Snappy, format.Gzip: &gzip.Codec{Level: gzip.BestCompression},
		format.Zstd:   &pqzstd.Codec{Level: pqzstd.SpeedBestCompression},
		format.Brotli: &pqbrotli.Codec{Quality: 11, LGWin: 24},
	} {
		dst, err := c.Encode(nil, src)
		if err != nil {
			t.Fatal(err)
		}
		h := &format.PageHeader{CompressedPageSize: int32(len(dst)), UncompressedPageSize: int32(len(src))}
		if err := checkRatio(h, codec); err != nil {
			t.Errorf("%s: %d bytes into %d: %v", codec, len(src), len(dst), err)
		}
		h.UncompressedPageSize = int32(min(maxRatio[codec]*int64(len(dst))+65, maxPageBytes))
		if checkRatio(h, codec) == nil {
			t.Errorf("%s: one byte past the bound accepted", codec)
		}
	}
}

// TestLoadParquetInflatedZstdPage: a ZSTD or BROTLI page that declares 64 MiB but
// decompresses into less is refused without making room for the 64 MiB first (before:
// 65 MB allocated by the page check's own decompression): the ZSTD page by its ratio
// (its 1,937 bytes cannot inflate past 63 MB), the BROTLI one by decompressing it.
func TestLoadParquetInflatedZstdPage(t *testing.T) {
	for name, want := range map[string]string{
		"duckdb-zstd":   "declares 67108864 uncompressed, more than ZSTD can inflate to",
		"duckdb-brotli": "does not decompress into the 67108864 bytes its header declares",
	} {
		data, err := os.ReadFile(filepath.Join(thirdPartyDir, name+".parquet"))
		if err != nil {
			t.Fatal(err)
		}
		data = editPages(t, data, "identity_id", func(h *format.PageHeader, body []byte) []byte {
			h.UncompressedPageSize = 1 << 26
			return body
		})
		_, err, alloc := loadIdentities(t, data)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want the page refused", name, err)
		}
		if alloc > 32<<20 {
			t.Errorf("%s: refusing the page allocated %d MB", name, alloc>>20)
		}
	}
}

// TestLoadParquetRefusesCountClaims: a required column's page declaring 2^26 values in a
// file whose footer claims as many rows (so the row bound passes) is refused by what its
// bytes hold: PLAIN values by their least size, DELTA values by their own header's count
// (unguarded: 371 MB allocated for the DELTA_LENGTH_BYTE_ARRAY ids before the refusal).
func TestLoadParquetRefusesCountClaims(t *testing.T) {
	ids := tbl{header: []string{"identity_id:req", "kind:dict", "cost:reqint64", "must:reqbool"}}
	for i := range 12 {
		ids.rows = append(ids.rows, []string{"u" + string(rune('a'+i)), []string{"", "bot"}[i%2], "7", "true"})
	}
	for _, v := range []int{1, 2} {
		p := writeParquet(t, t.TempDir(), "identities", ids, parquet.DataPageVersion(v))
		written, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ col, want string }{
			{"identity_id", "the header declares 67108864 values, but the DELTA_LENGTH_BYTE_ARRAY values hold 12"},
			{"cost", "67108864 PLAIN values declared, but the page's 96 bytes hold at most 12"},
			{"must", "67108864 PLAIN values declared, but the page's 2 bytes hold at most 16"},
		} {
			data := editPages(t, withoutPageCRC(t, written), c.col, func(h *format.PageHeader, body []byte) []byte {
				h.DataPageHeader.V.NumValues = 1 << 26
				h.DataPageHeaderV2.V.NumValues, h.DataPageHeaderV2.V.NumRows = 1<<26, 1<<26
				return body
			})
			pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			md := *pf.Metadata()
			md.RowGroups = slices.Clone(md.RowGroups)
			md.NumRows, md.RowGroups[0].NumRows = 1<<26, 1<<26
			n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
			if data, err = appendFooter(slices.Clone(data[:len(data)-8-n]), &md); err != nil {
				t.Fatal(err)
			}
			_, err, alloc := loadIdentities(t, data)
			if err == nil || !strings.Contains(err.Error(), "column "+c.col+":") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("v%d %s: got %v, want %q", v, c.col, err, c.want)
			}
			if alloc > 32<<20 {
				t.Errorf("v%d %s: refusing the page allocated %d MB", v, c.col, alloc>>20)
			}
		}
	}
}
