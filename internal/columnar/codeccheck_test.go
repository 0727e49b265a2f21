package columnar

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/rolemine/rolemine/internal/uerr"
)

var hostileDir = filepath.Join("testdata", "hostile")

// zeroStream is n zero bytes compressed by codec (ZSTD or BROTLI) as a stream: a ZSTD
// frame that states no content size, a BROTLI stream.
func zeroStream(tb testing.TB, codec format.CompressionCodec, n int) []byte {
	tb.Helper()
	var b bytes.Buffer
	var w interface {
		Write([]byte) (int, error)
		Close() error
	}
	if codec == format.Zstd {
		zw, err := zstd.NewWriter(&b, zstd.WithEncoderConcurrency(1))
		if err != nil {
			tb.Fatal(err)
		}
		w = zw
	} else {
		w = brotli.NewWriterLevel(&b, 5)
	}
	chunk := make([]byte, 1<<20)
	for left := n; left > 0; left -= len(chunk) {
		if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// zstdFCSFrame is a ZSTD frame (not single-segment, a 1 KiB window) stating a content
// size of fcs bytes and holding one RLE block of one byte.
func zstdFCSFrame(fcs uint64) []byte {
	b := binary.LittleEndian.AppendUint64([]byte{0x28, 0xb5, 0x2f, 0xfd, 0xc0, 0x00}, fcs)
	blk := uint32(1) | 1<<1 | 1<<3 // last, RLE, size 1
	return append(b, byte(blk), byte(blk>>8), byte(blk>>16), 0)
}

// hostileCodecCase is a crafted file of testdata/hostile: a real file with the compressed
// values of one column's data page replaced, its header's sizes unchanged. Before the
// codec checks, loading each allocated what the note says.
type hostileCodecCase struct {
	name, col, want string
	build           func(tb testing.TB) []byte
}

// withValues returns data (parquet-go's runsFixture in version 2 pages of codec, or a
// third-party fixture when codec is 0) with the compressed values of col's data pages
// replaced by values, the header's sizes left as they were.
func withValues(tb testing.TB, base string, codec parquet.WriterOption, col string, values []byte) []byte {
	var data []byte
	if base == "" {
		data = runsFixture(tb, 2, codec)
	} else {
		var err error
		if data, err = os.ReadFile(filepath.Join(thirdPartyDir, base+".parquet")); err != nil {
			tb.Fatal(err)
		}
	}
	return editPages(tb, data, col, func(h *format.PageHeader, body []byte) []byte {
		at := 0
		if v := &h.DataPageHeaderV2.V; h.DataPageHeaderV2.Valid {
			at = int(v.RepetitionLevelsByteLength + v.DefinitionLevelsByteLength)
		}
		out := append(body[:at:at], values...)
		h.CompressedPageSize = int32(len(out)) // sizes set here: editPages keeps them
		return out
	})
}

var hostileCodecCases = []hostileCodecCase{
	// 1,025 MB: parquet-go's Snappy decoder allocates the length a block states.
	{"snappy-stated", "kind", "corrupt SNAPPY data: its block states 1073741824 uncompressed bytes, the page header declares", func(tb testing.TB) []byte {
		return withValues(tb, "", parquet.Compression(&parquet.Snappy), "kind", append(binary.AppendUvarint(nil, 1<<30), 0, 0, 0, 0))
	}},
	// 349 MB (1,331 MB for a 256 MiB stream): a frame that states no size decodes for as
	// long as its blocks go; the load then succeeded.
	{"zstd-stream", "kind", "corrupt ZSTD data: it does not decompress into the", func(tb testing.TB) []byte {
		return withValues(tb, "", parquet.Compression(&parquet.Zstd), "kind", zeroStream(tb, format.Zstd, 64<<20))
	}},
	// 1,025 MB: the decoder makes room for the content size a frame states.
	{"zstd-fcs", "kind", "corrupt ZSTD data: its frames state 1073741824 uncompressed bytes, the page header declares", func(tb testing.TB) []byte {
		return withValues(tb, "", parquet.Compression(&parquet.Zstd), "kind", zstdFCSFrame(1<<30))
	}},
	// 261 MB (1,029 MB for 256 MiB): parquet-go reads a BROTLI stream to its end; the
	// load then succeeded.
	{"brotli-stream", "kind", "corrupt BROTLI data: it does not decompress into the", func(tb testing.TB) []byte {
		return withValues(tb, "", parquet.Compression(&parquet.Brotli), "kind", zeroStream(tb, format.Brotli, 64<<20))
	}},
	// DuckDB's version 1 pages with levels, which the run checks decompress themselves:
	// the check's own decoding allocated what parquet-go's would (348 and 261 MB).
	{"zstd-v1-stream", "identity_id", "corrupt ZSTD data: it does not decompress into the", func(tb testing.TB) []byte {
		return withValues(tb, "duckdb-zstd", nil, "identity_id", zeroStream(tb, format.Zstd, 64<<20))
	}},
	{"brotli-v1-stream", "identity_id", "corrupt BROTLI data: it does not decompress into the", func(tb testing.TB) []byte {
		return withValues(tb, "duckdb-brotli", nil, "identity_id", zeroStream(tb, format.Brotli, 64<<20))
	}},
}

// TestWriteHostileCodecFiles writes the files of testdata/hostile again when
// ROLEMINE_WRITE_HOSTILE is set (they are built from the fixtures above).
func TestWriteHostileCodecFiles(t *testing.T) {
	if os.Getenv("ROLEMINE_WRITE_HOSTILE") == "" {
		t.Skip("set ROLEMINE_WRITE_HOSTILE=1 to rewrite testdata/hostile")
	}
	for _, c := range hostileCodecCases {
		if err := os.WriteFile(filepath.Join(hostileDir, c.name+".parquet"), c.build(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLoadParquetRefusesCodecBombs: a compressed page whose codec's data decompresses
// into more than the page header declares, or states more, is refused naming the file,
// the column and what was expected, without allocating what the data asks for.
// Unguarded, each file of testdata/hostile (1.5 to 12 KB) made the load allocate 261 MB
// to 1,025 MB, and two of them loaded.
func TestLoadParquetRefusesCodecBombs(t *testing.T) {
	for _, c := range hostileCodecCases {
		data, err := os.ReadFile(filepath.Join(hostileDir, c.name+".parquet"))
		if err != nil {
			t.Fatal(err)
		}
		_, err, alloc := loadIdentities(t, data)
		if err == nil || !uerr.Is(err) {
			t.Errorf("%s: got %v, want a user error", c.name, err)
			continue
		}
		for _, want := range []string{"identities.parquet", "column " + c.col + ":", c.want} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not say %q", c.name, err, want)
			}
		}
		if alloc > 32<<20 {
			t.Errorf("%s: refusing the page allocated %d MB", c.name, alloc>>20)
		}
	}
}

// TestRealZstdPagesNeedNoDecoding: the ZSTD pages of DuckDB and the Rust Arrow writer
// state their content size in every frame, and parquet-go's, which do not, have blocks
// that cannot write more than 128 KiB past the declared size: checkCodec walks their
// headers and decompresses none of them.
func TestRealZstdPagesNeedNoDecoding(t *testing.T) {
	files := map[string][]byte{"parquet-go": runsFixture(t, 2, parquet.Compression(&parquet.Zstd))}
	for _, name := range []string{"duckdb-zstd", "arrow-v2-zstd-dlba"} {
		data, err := os.ReadFile(filepath.Join(thirdPartyDir, name+".parquet"))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = data
	}
	for name, data := range files {
		pages := 0
		pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, col := range pf.Metadata().RowGroups[0].Columns {
			editPages(t, data, strings.Join(col.MetaData.PathInSchema, "."), func(h *format.PageHeader, body []byte) []byte {
				levels := 0
				if v := &h.DataPageHeaderV2.V; h.DataPageHeaderV2.Valid {
					if v.IsCompressed.Valid && !v.IsCompressed.V {
						return body
					}
					levels = int(v.RepetitionLevelsByteLength + v.DefinitionLevelsByteLength)
				}
				if len(body) == levels {
					return body
				}
				pages++
				out := int64(h.UncompressedPageSize) - int64(levels)
				n, upper, err := zstdSizes(body[levels:])
				if err != nil || n != out && (n >= 0 || upper > out+128<<10) {
					t.Errorf("%s: a page of %d bytes: content size %d, at most %d, %v", name, out, n, upper, err)
				}
				return body
			})
		}
		if pages == 0 {
			t.Errorf("%s: no ZSTD data page", name)
		}
	}
}

// TestZstdFrames: frame headers of each content-size width, a skippable frame, a
// checksum, a frame without a size, and frames cut short.
func TestZstdFrames(t *testing.T) {
	frame := func(fhd byte, extra []byte, blocks ...[]byte) []byte {
		b := append([]byte{0x28, 0xb5, 0x2f, 0xfd, fhd}, extra...)
		for _, blk := range blocks {
			b = append(b, blk...)
		}
		if fhd&4 != 0 {
			b = append(b, 1, 2, 3, 4)
		}
		return b
	}
	block := func(last bool, typ, size uint32, body int) []byte {
		h := typ<<1 | size<<3
		if last {
			h |= 1
		}
		return append([]byte{byte(h), byte(h >> 8), byte(h >> 16)}, make([]byte, body)...)
	}
	rle := block(true, 1, 1000, 1)
	for _, c := range []struct {
		name           string
		src            []byte
		content, upper int64
		err            string
	}{
		{"single segment, 1-byte size", frame(0x20, []byte{200}, rle), 200, 1000, ""},
		{"2-byte size", frame(0x40, []byte{0, 0, 1}, rle), 256 + 256, 1000, ""},
		{"4-byte size, checksum", frame(0x84, []byte{0, 0, 0x10, 0, 0}, block(false, 0, 5, 5), block(true, 2, 7, 7)), 0x1000, 5 + 128<<10, ""},
		{"no size", frame(0x00, []byte{0}, rle), -1, 1000, ""},
		{"skippable, then a frame", append([]byte{0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9}, frame(0x20, []byte{7}, rle)...), 7, 1000, ""},
		{"a block cut short", frame(0x20, []byte{7}, block(true, 0, 50, 10)), 0, 0, "a block longer than the page"},
		{"a reserved block", frame(0x20, []byte{7}, block(true, 3, 1, 1)), 0, 0, "a reserved block type"},
		{"not a frame", []byte("PAR1PAR1PAR1"), 0, 0, "bad frame magic"},
	} {
		content, upper, err := zstdSizes(c.src)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want %q", c.name, err, c.err)
			}
		case err != nil || content != c.content || upper != c.upper:
			t.Errorf("%s: content %d upper %d (%v), want %d and %d", c.name, content, upper, err, c.content, c.upper)
		}
	}
}

// TestDecompressBounded: ZSTD and BROTLI data decompress into exactly the size given,
// and neither one byte more nor one byte less is accepted.
func TestDecompressBounded(t *testing.T) {
	src := bytes.Repeat([]byte("rolemine "), 5000)
	for _, codec := range []format.CompressionCodec{format.Zstd, format.Brotli} {
		enc, err := parquet.LookupCompressionCodec(codec).Encode(nil, src)
		if err != nil {
			t.Fatal(err)
		}
		for _, stream := range [][]byte{enc, zeroStream(t, codec, len(src))} {
			want := src
			if len(stream) != len(enc) || !bytes.Equal(stream, enc) {
				want = make([]byte, len(src))
			}
			got, err := decompressBounded([]byte("keep"), codec, stream, len(src))
			if err != nil || !bytes.Equal(got, append([]byte("keep"), want...)) {
				t.Errorf("%s: %d bytes back, %v", codec, len(got), err)
			}
			for _, n := range []int{len(src) - 1, len(src) + 1} {
				if _, err := decompressBounded(nil, codec, stream, n); err == nil {
					t.Errorf("%s: %d bytes accepted as %d", codec, len(src), n)
				}
			}
		}
	}
}
