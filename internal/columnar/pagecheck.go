package columnar

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Bounds on what one page header may claim. parquet-go allocates what a page header says
// before it reads the page, so a corrupt header could ask for gigabytes; real writers cut
// pages at about a megabyte and tens of thousands of rows.
const (
	maxPageBytes  = 512 << 20
	maxPageValues = 1 << 26
	// maxHeaderBytes bounds a page header (its statistics hold min and max values).
	maxHeaderBytes = 16 << 20
)

// checkPageHeaders walks the page headers of the column chunks about to be decoded and
// rejects sizes and counts that cannot be right (beyond the chunk, the row group, or the
// bounds above). It reads only the headers, a few hundred bytes per page, and the pages
// the run, DELTA and codec checks need. (LZ4 chunks never reach it: openRewritten has
// decompressed them, refusing a page that does not decompress into the size its header
// declares.) Chunks the load will decode itself are recorded in own (ownpages.go; nil:
// none, as for a reader outside the load).
func checkPageHeaders(r io.ReaderAt, size int64, pf *parquet.File, leaves []*parquet.Column, own *ownPlan) error {
	var pc pageChecker
	for g, rg := range pf.Metadata().RowGroups {
		for _, leaf := range leaves {
			name := strings.Join(leaf.Path(), ".")
			idx := leaf.Index()
			if idx < 0 || idx >= len(rg.Columns) {
				return fmt.Errorf("row group %d has no chunk for column %s", g, name)
			}
			md := &rg.Columns[idx].MetaData
			// A repeated leaf (a list's elements) holds any number of values per row.
			limit := rg.NumRows
			if leaf.MaxRepetitionLevel() > 0 {
				limit = maxPageValues
			}
			start := md.DataPageOffset
			if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
				start = md.DictionaryPageOffset
			}
			end := start + md.TotalCompressedSize
			if start < 4 || md.TotalCompressedSize < 0 || end > size-8 || end < start {
				return fmt.Errorf("row group %d column %s: chunk [%d,%d) lies outside the file (%d bytes)", g, name, start, end, size)
			}
			if err := pc.checkChunk(r, start, end, md, leaf, limit, own, g); err != nil {
				return fmt.Errorf("row group %d column %s: %w", g, name, err)
			}
		}
	}
	return nil
}

// checkChunk checks the pages of the chunk [start, end) of leaf (metadata md, row group
// g, at most limit values a page) and records it in own when decodeOwn can read it.
func (pc *pageChecker) checkChunk(r io.ReaderAt, start, end int64, md *format.ColumnMetaData, leaf *parquet.Column, limit int64, own *ownPlan, g int) error {
	// The indexes of a candidate's compressed version 2 pages are left to decodeOwn, or
	// checked at the end should the chunk turn out not to be one.
	pc.deferV2 = own.ownCandidate(leaf)
	var offs, heads []int64
	var hs []format.PageHeader
	for off := start; off < end; {
		h, hlen, err := pc.readHeader(r, off, end)
		if err != nil {
			return err
		}
		if err := pc.checkPage(r, off, hlen, &h, md.Codec, leaf, end, limit); err != nil {
			return fmt.Errorf("page at %d: %w", off, err)
		}
		if pc.deferV2 {
			offs, heads, hs = append(offs, off+hlen), append(heads, hlen), append(hs, h)
		}
		off += hlen + int64(h.CompressedPageSize)
	}
	if !pc.deferV2 {
		return nil
	}
	pc.deferV2 = false
	if ch := ownChunkOf(leaf, md, start, end, offs, heads, hs); ch != nil {
		if own.chunks == nil {
			own.chunks = map[int]map[int]*ownChunk{}
		}
		if own.chunks[leaf.Index()] == nil {
			own.chunks[leaf.Index()] = map[int]*ownChunk{}
		}
		own.chunks[leaf.Index()][g] = ch
		return nil
	}
	for i := range hs {
		if h := &hs[i]; ownable(h, leaf) {
			if err := pc.check(r, offs[i], h, md.Codec, leaf); err != nil {
				return fmt.Errorf("page at %d: %w", offs[i]-heads[i], err)
			}
		}
	}
	return nil
}

// readHeader reads the page header at off (in a chunk ending at end) and returns it with
// its length; pc.head keeps the bytes read, the page's first bytes after the header.
func (pc *pageChecker) readHeader(r io.ReaderAt, off, end int64) (format.PageHeader, int64, error) {
	var h format.PageHeader
	for window := int64(1 << 10); ; window *= 16 {
		n := min(window, end-off, maxHeaderBytes)
		pc.head = slices.Grow(pc.head[:0], int(n))[:n]
		if _, err := r.ReadAt(pc.head, off); err != nil {
			return h, 0, fmt.Errorf("reading page header at %d: %w", off, err)
		}
		// A bytes reader checks every length against the bytes it has, where a stream
		// reader would allocate whatever a corrupt length says.
		pr := pc.proto.NewReaderFromBytes(pc.head)
		h = format.PageHeader{}
		err := thrift.NewDecoder(pr).Decode(&h)
		if err == nil {
			return h, n - int64(pr.Reader().(*bytes.Reader).Len()), nil
		}
		if n == end-off || n == maxHeaderBytes {
			return h, 0, fmt.Errorf("corrupt page header at %d: %v", off, err)
		}
	}
}

// checkPage checks the page at off with header h (hlen bytes) in a chunk of codec ending
// at end, of leaf's column, at most limit values.
func (pc *pageChecker) checkPage(r io.ReaderAt, off, hlen int64, h *format.PageHeader, codec format.CompressionCodec, leaf *parquet.Column, end, limit int64) error {
	if err := checkPageHeader(h, end-off-hlen, limit); err != nil {
		return err
	}
	if err := checkRatio(h, codec); err != nil {
		return err
	}
	if err := checkPlainCount(h, leaf); err != nil {
		return err
	}
	pc.inflated = false
	if err := pc.check(r, off+hlen, h, codec, leaf); err != nil {
		return err
	}
	return pc.checkCodec(r, off+hlen, h, codec, pc.head[hlen:])
}

func checkPageHeader(h *format.PageHeader, room, rows int64) error {
	if h.CompressedPageSize < 0 || int64(h.CompressedPageSize) > room {
		return fmt.Errorf("compressed size %d, but %d bytes remain in the chunk", h.CompressedPageSize, room)
	}
	if h.UncompressedPageSize < 0 || h.UncompressedPageSize > maxPageBytes {
		return fmt.Errorf("uncompressed size %d out of range [0, %d]", h.UncompressedPageSize, maxPageBytes)
	}
	values := func(what string, n int32, limit int64) error {
		if n < 0 || int64(n) > limit || n > maxPageValues {
			return fmt.Errorf("%s %d out of range [0, %d]", what, n, min(limit, maxPageValues))
		}
		return nil
	}
	switch {
	case h.DataPageHeader.Valid:
		return values("value count", h.DataPageHeader.V.NumValues, rows)
	case h.DataPageHeaderV2.Valid:
		v := &h.DataPageHeaderV2.V
		if err := values("value count", v.NumValues, rows); err != nil {
			return err
		}
		if err := values("row count", v.NumRows, rows); err != nil {
			return err
		}
		if err := values("null count", v.NumNulls, int64(v.NumValues)); err != nil {
			return err
		}
		if v.RepetitionLevelsByteLength < 0 || v.DefinitionLevelsByteLength < 0 ||
			int64(v.RepetitionLevelsByteLength)+int64(v.DefinitionLevelsByteLength) > int64(h.CompressedPageSize) {
			return fmt.Errorf("level lengths %d+%d exceed the page's %d bytes",
				v.RepetitionLevelsByteLength, v.DefinitionLevelsByteLength, h.CompressedPageSize)
		}
	case h.DictionaryPageHeader.Valid:
		// Every plain-encoded dictionary entry takes at least 4 bytes.
		return values("dictionary size", h.DictionaryPageHeader.V.NumValues, int64(h.UncompressedPageSize)/4)
	}
	return nil
}

// maxRatio bounds how much a page of each codec can inflate, by the format: a Snappy
// copy element of 3 bytes writes at most 64, DEFLATE (GZIP) at most 1032 bytes per byte,
// a ZSTD RLE block of 4 bytes 128 KiB, a BROTLI meta-block of 8 bytes 16 MiB
// (codeccheck.go). parquet-go allocates a page's declared uncompressed size before it
// decompresses, so a page of a few bytes declaring 512 MiB was 512 MiB allocated (and
// read as the smaller page it decompressed to). That the page then decompresses into no
// more than it declares is checkCodec's part.
var maxRatio = map[format.CompressionCodec]int64{format.Snappy: 22, format.Gzip: 1040, format.Zstd: zstdMaxRatio, format.Brotli: brotliMaxRatio}

// checkRatio refuses a compressed page that declares more bytes than its codec can
// inflate its compressed bytes into (a version 2 page's levels are not compressed).
func checkRatio(h *format.PageHeader, codec format.CompressionCodec) error {
	ratio, ok := maxRatio[codec]
	if !ok {
		return nil
	}
	_, in, out, compressed := compressedSpan(h)
	if !compressed {
		return nil
	}
	if out > ratio*max(in, 0)+64 {
		return fmt.Errorf("%s page of %d compressed bytes declares %d uncompressed, more than %s can inflate to", codec, in, out, codec)
	}
	return nil
}

// checkPlainCount refuses a PLAIN or BYTE_STREAM_SPLIT data page whose values, each of a
// fixed least size (a BYTE_ARRAY's 4-byte length, 8 bytes of an INT64, a bit of a
// BOOLEAN), cannot fit its uncompressed bytes: parquet-go sizes a byte array page's
// offsets (4 bytes a value) from the count before it decodes. The values counted are
// those known present: a version 2 page's values less its nulls, a version 1 page's
// values when the column has no nulls (other pages are bounded by their level runs).
func checkPlainCount(h *format.PageHeader, leaf *parquet.Column) error {
	enc := pageEncoding(h)
	if enc != format.Plain && enc != format.ByteStreamSplit {
		return nil
	}
	var present, room int64
	switch {
	case h.DataPageHeaderV2.Valid:
		v := &h.DataPageHeaderV2.V
		present = int64(v.NumValues) - int64(v.NumNulls)
		room = int64(h.UncompressedPageSize) - int64(v.RepetitionLevelsByteLength) - int64(v.DefinitionLevelsByteLength)
	case h.DataPageHeader.Valid && leaf.MaxDefinitionLevel() == 0:
		present, room = int64(h.DataPageHeader.V.NumValues), int64(h.UncompressedPageSize)
	default:
		return nil
	}
	bits := int64(8 * 4) // BYTE_ARRAY, INT32, FLOAT
	switch leaf.Type().Kind() {
	case parquet.Boolean:
		bits = 1
	case parquet.Int64, parquet.Double:
		bits = 64
	case parquet.Int96:
		bits = 96
	case parquet.FixedLenByteArray:
		bits = 8 * int64(max(leaf.Type().Length(), 1))
	}
	if present*bits > 8*room {
		return fmt.Errorf("%d %s values declared, but the page's %d bytes hold at most %d", present, enc, room, 8*room/bits)
	}
	return nil
}

// pageEncoding is the encoding of a data page's values (0, PLAIN, for other pages).
func pageEncoding(h *format.PageHeader) format.Encoding {
	switch {
	case h.DataPageHeader.Valid:
		return h.DataPageHeader.V.Encoding
	case h.DataPageHeaderV2.Valid:
		return h.DataPageHeaderV2.V.Encoding
	}
	return format.Plain
}

// OpenParquet opens the Parquet file r (size bytes) for a reader outside this package
// (drift reads a model's assignments.parquet with parquet-go's row reader): the footer's
// framing and encoding are checked before parquet-go decodes it, a panic of its decoder
// is an error, and the pages of every column are checked as Load checks them
// (checkPageHeaders). The caller still recovers panics while it reads rows.
func OpenParquet(r io.ReaderAt, size int64) (*parquet.File, error) {
	pf, err := openParquet(r, size)
	if err != nil {
		return nil, err
	}
	var leaves []*parquet.Column
	var walk func(c *parquet.Column)
	walk = func(c *parquet.Column) {
		if c.Leaf() {
			leaves = append(leaves, c)
		}
		for _, k := range c.Columns() {
			walk(k)
		}
	}
	walk(pf.Root())
	if err := checkPageHeaders(r, size, pf, leaves, nil); err != nil {
		return nil, err
	}
	return pf, nil
}

// compressedSpan returns the bytes of page h a codec inflates (in, after the first levels
// bytes) and what they must inflate to: the page's sizes less a version 2 page's levels,
// which are never compressed. compressed is false for a version 2 page stored uncompressed.
func compressedSpan(h *format.PageHeader) (levels, in, out int64, compressed bool) {
	if v := &h.DataPageHeaderV2.V; h.DataPageHeaderV2.Valid {
		if v.IsCompressed.Valid && !v.IsCompressed.V {
			return 0, 0, 0, false
		}
		levels = int64(v.RepetitionLevelsByteLength) + int64(v.DefinitionLevelsByteLength)
	}
	return levels, int64(h.CompressedPageSize) - levels, int64(h.UncompressedPageSize) - levels, true
}
