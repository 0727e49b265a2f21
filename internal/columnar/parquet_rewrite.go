package columnar

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/klauspost/compress/snappy"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
	"github.com/pierrec/lz4/v4"
)

// Two kinds of column chunk that third-party writers produce are read wrongly by
// parquet-go v0.32.0, so rolemine rewrites them before parquet-go sees them:
//
//   - LZ4 pages. The LZ4_RAW codec (DuckDB's `COMPRESSION lz4`) is lost whenever a page
//     compresses less than three times: the codec decodes into a fresh buffer of three
//     times the compressed size, and the page reader keeps its own, unwritten buffer when
//     the length that comes back is the page's declared size. The deprecated LZ4 codec
//     (what the Arrow writers write as `LZ4`: Hadoop framed blocks) is not read at all.
//   - BOOLEAN pages in the RLE encoding (what Arrow writers use for booleans in version 2
//     data pages): a run of one repeated value is expanded a byte per eight values with
//     the value in the lowest bit only, so most values read wrong.
//
// A file with such a chunk is copied into memory with those chunks' pages decompressed
// and stored uncompressed, RLE booleans re-encoded as PLAIN (rewriteFile), and the copy is
// read like any other file; the checksum and size of the input are still those of the file
// on disk. Other files are read from disk as before: the footer is only looked at.

// maxLZ4Ratio bounds how much one LZ4 page may claim to inflate: an LZ4 block cannot
// expand its input more than about 255 times, so a header claiming more is corrupt, and
// a corrupt file cannot make the rewrite allocate much more than 255 times its size.
const maxLZ4Ratio = 255

// isLZ4 says whether chunks of codec c are decompressed by rolemine.
func isLZ4(c format.CompressionCodec) bool {
	return c == format.Lz4Raw || c == format.Lz4
}

// mayHoldRLEBooleans says whether a chunk of m may hold RLE-encoded BOOLEAN values: its
// encoding statistics name an RLE data page or, without them, its encodings include RLE
// (which then may be that of the levels only).
func mayHoldRLEBooleans(m *format.ColumnMetaData) bool {
	if m.Type != format.Boolean {
		return false
	}
	if len(m.EncodingStats) > 0 {
		return slices.ContainsFunc(m.EncodingStats, func(s format.PageEncodingStats) bool {
			return s.Encoding == format.RLE && s.PageType != format.DictionaryPage
		})
	}
	return slices.Contains(m.Encoding, format.RLE)
}

// needsRewrite says whether column chunk m is rewritten by rewriteChunk.
func needsRewrite(m *format.ColumnMetaData) bool {
	return isLZ4(m.Codec) || mayHoldRLEBooleans(m)
}

// openRewritten returns pf unchanged, with r and size as the reader its pages come from,
// when no chunk of pf needs rewriting; otherwise the file rewritten by rewriteFile,
// opened, with the rewritten bytes as its reader.
func openRewritten(r io.ReaderAt, size int64, pf *parquet.File) (*parquet.File, io.ReaderAt, int64, error) {
	md := pf.Metadata()
	if !slices.ContainsFunc(md.RowGroups, func(rg format.RowGroup) bool {
		return slices.ContainsFunc(rg.Columns, func(cc format.ColumnChunk) bool { return needsRewrite(&cc.MetaData) })
	}) {
		return pf, r, size, nil
	}
	b, err := rewriteFile(r, size, md, leafLevels(pf))
	if err != nil {
		return nil, nil, 0, err
	}
	br := bytes.NewReader(b)
	pf, err = openParquet(br, int64(len(b)))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("reading the file with its LZ4 and RLE boolean pages rewritten: %v", err)
	}
	return pf, br, int64(len(b)), nil
}

// levels are a leaf column's maximum repetition and definition levels.
type levels struct{ rep, def int }

// leafLevels returns the levels of each leaf column of pf by its dotted path.
func leafLevels(pf *parquet.File) map[string]levels {
	out := map[string]levels{}
	var walk func(c *parquet.Column)
	walk = func(c *parquet.Column) {
		if c.Leaf() {
			out[strings.Join(c.Path(), ".")] = levels{c.MaxRepetitionLevel(), c.MaxDefinitionLevel()}
		}
		for _, k := range c.Columns() {
			walk(k)
		}
	}
	walk(pf.Root())
	return out
}

// rewriteFile returns a copy of the Parquet file r (size bytes, footer md, leaf levels
// lv) in which every chunk needsRewrite names is rewritten by rewriteChunk; other chunks
// are copied as they are. The footer is md with each chunk's codec, sizes and offsets
// updated and its page index and bloom filter references dropped (rolemine reads
// neither).
func rewriteFile(r io.ReaderAt, size int64, md *format.FileMetaData, lv map[string]levels) ([]byte, error) {
	nm := *md
	nm.RowGroups = slices.Clone(md.RowGroups)
	out := append(make([]byte, 0, 2*size), "PAR1"...)
	var chunk []byte
	for g := range nm.RowGroups {
		rg := &nm.RowGroups[g]
		rg.Columns = slices.Clone(rg.Columns)
		rg.FileOffset = int64(len(out))
		for i := range rg.Columns {
			cc := &rg.Columns[i]
			m := &cc.MetaData
			path := strings.Join(m.PathInSchema, ".")
			start := chunkStart(m)
			end := start + m.TotalCompressedSize
			if start < 4 || m.TotalCompressedSize < 0 || end > size-8 || end < start {
				return nil, fmt.Errorf("row group %d column %s: chunk [%d,%d) lies outside the file (%d bytes)", g, path, start, end, size)
			}
			chunk = slices.Grow(chunk[:0], int(end-start))[:end-start]
			if _, err := r.ReadAt(chunk, start); err != nil {
				return nil, fmt.Errorf("row group %d column %s: reading chunk: %w", g, path, err)
			}
			at := int64(len(out))
			if needsRewrite(m) {
				var err error
				if out, err = rewriteChunk(out, chunk, m, max(rg.NumRows, m.NumValues), lv[path]); err != nil {
					return nil, fmt.Errorf("row group %d column %s: %w", g, path, err)
				}
			} else {
				out = append(out, chunk...)
				m.DataPageOffset += at - start
				if m.DictionaryPageOffset > 0 {
					m.DictionaryPageOffset += at - start
				}
				if m.IndexPageOffset > 0 {
					m.IndexPageOffset += at - start
				}
			}
			cc.FileOffset = at
			dropIndexes(cc)
		}
		rg.TotalCompressedSize = int64(len(out)) - rg.FileOffset
	}
	return appendFooter(out, &nm)
}

// chunkStart is the file offset of a column chunk's first page: its dictionary page when
// it has one before the data pages.
func chunkStart(m *format.ColumnMetaData) int64 {
	if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < m.DataPageOffset {
		return m.DictionaryPageOffset
	}
	return m.DataPageOffset
}

// dropIndexes clears a rewritten column chunk's references to its page index and bloom
// filter, which point into the original file.
func dropIndexes(cc *format.ColumnChunk) {
	cc.OffsetIndexOffset, cc.OffsetIndexLength = 0, 0
	cc.ColumnIndexOffset, cc.ColumnIndexLength = 0, 0
	cc.MetaData.BloomFilterOffset = 0
}

// appendFooter appends md, its length and the closing magic to out, ending a Parquet file.
func appendFooter(out []byte, md *format.FileMetaData) ([]byte, error) {
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), md)
	if err != nil {
		return nil, fmt.Errorf("writing the footer: %v", err)
	}
	out = append(out, footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	return append(out, "PAR1"...), nil
}

// rewriteChunk appends to out the pages of chunk (a column chunk of m whose values per
// page are at most limit, with levels lv) decompressed, each after its rewritten header,
// and sets m's codec, sizes and page offsets to those of the appended chunk. Index pages,
// which no reader uses, are left out.
func rewriteChunk(out, chunk []byte, m *format.ColumnMetaData, limit int64, lv levels) ([]byte, error) {
	var proto thrift.CompactProtocol
	at := int64(len(out))
	m.DataPageOffset, m.DictionaryPageOffset, m.IndexPageOffset = at, 0, 0
	data := false
	var scratch []byte
	for off := 0; off < len(chunk); {
		pr := proto.NewReaderFromBytes(chunk[off:])
		var h format.PageHeader
		if err := thrift.NewDecoder(pr).Decode(&h); err != nil {
			return out, fmt.Errorf("corrupt page header at chunk offset %d: %v", off, err)
		}
		hlen := len(chunk) - off - pr.Reader().(*bytes.Reader).Len()
		if err := checkPageHeader(&h, int64(len(chunk)-off-hlen), limit); err != nil {
			return out, fmt.Errorf("page at chunk offset %d: %w", off, err)
		}
		body := chunk[off+hlen : off+hlen+int(h.CompressedPageSize)]
		page := int64(len(out))
		switch {
		case h.DictionaryPageHeader.Valid:
			m.DictionaryPageOffset = page
		case h.DataPageHeader.Valid || h.DataPageHeaderV2.Valid:
			if !data {
				m.DataPageOffset, data = page, true
			}
		default:
			off += hlen + len(body)
			continue
		}
		var err error
		if out, scratch, err = rewritePage(out, scratch, &h, body, m, lv); err != nil {
			return out, fmt.Errorf("page at chunk offset %d: %w", off, err)
		}
		off += hlen + len(body)
	}
	m.Codec = format.Uncompressed
	m.TotalCompressedSize = int64(len(out)) - at
	m.TotalUncompressedSize = m.TotalCompressedSize
	return out, nil
}

// rewritePage appends to out the header h, rewritten for an uncompressed page, and the
// page's body decompressed (with m's codec) into exactly the size h declares, its
// values re-encoded as PLAIN when they are RLE booleans. A version 2 data page keeps its
// levels, stored uncompressed, in front. scratch is reused from page to page.
func rewritePage(out, scratch []byte, h *format.PageHeader, body []byte, m *format.ColumnMetaData, lv levels) ([]byte, []byte, error) {
	nlev := 0
	v2 := &h.DataPageHeaderV2
	if v2.Valid {
		nlev = int(v2.V.RepetitionLevelsByteLength) + int(v2.V.DefinitionLevelsByteLength)
	}
	src := body[nlev:]
	n := int(h.UncompressedPageSize) - nlev
	codec := m.Codec
	if v2.Valid && v2.V.IsCompressed.Valid && !v2.V.IsCompressed.V {
		codec = format.Uncompressed
	}
	switch {
	case codec == format.Uncompressed:
		n = len(src)
	case n < 0:
		return out, scratch, fmt.Errorf("uncompressed size %d is smaller than the page's %d bytes of levels", h.UncompressedPageSize, nlev)
	case isLZ4(codec) && n > maxLZ4Ratio*len(src)+64:
		return out, scratch, fmt.Errorf("uncompressed size %d cannot come from %d bytes of LZ4", n, len(src))
	}
	page := append(scratch[:0], body[:nlev]...)
	var err error
	if page, err = decompressPage(page, codec, src, n); err != nil {
		return out, page, err
	}
	if page, err = plainPageBooleans(page, h, m, lv); err != nil {
		return out, page, err
	}
	h.UncompressedPageSize = int32(len(page))
	h.CompressedPageSize = h.UncompressedPageSize
	h.CRC = 0
	if v2.Valid {
		v2.V.IsCompressed = thrift.New(false)
	}
	head, err := thrift.Marshal(new(thrift.CompactProtocol), h)
	if err != nil {
		return out, page, err
	}
	return append(append(out, head...), page...), page, nil
}

// decompressPage appends src, decompressed with codec into exactly n bytes, to page.
func decompressPage(page []byte, codec format.CompressionCodec, src []byte, n int) ([]byte, error) {
	base := len(page)
	switch {
	case codec == format.Uncompressed || len(src) == n && n == 0:
		return append(page, src...), nil
	case isLZ4(codec):
		page = slices.Grow(page, n)[:base+n]
		if !decompressLZ4(codec, src, page[base:]) {
			return page, fmt.Errorf("corrupt %s data: it does not decompress into the %d bytes its header declares", codec, n)
		}
		return page, nil
	case codec == format.Zstd || codec == format.Brotli:
		return decompressBounded(page, codec, src, n)
	}
	bad := fmt.Errorf("corrupt %s data: it does not decompress into the %d bytes its header declares", codec, n)
	if codec == format.Snappy {
		// A Snappy block states its decompressed size first; the decoder would allocate it
		// whatever it is.
		if size, err := snappy.DecodedLen(src); err != nil || size != n {
			return page, bad
		}
	}
	// The codecs decode into the room after page's bytes when there is enough of it. A
	// codec without a bound on its ratio (checkRatio) gets room for a likely size, not for
	// what the header declares, and grows it as it decodes.
	room := n
	if _, bounded := maxRatio[codec]; !bounded {
		room = min(n, 64*len(src)+64<<10)
	}
	page = slices.Grow(page, room)
	dec, err := parquet.LookupCompressionCodec(codec).Decode(page[base:base], src)
	if err != nil || len(dec) != n {
		return page, bad
	}
	return append(page, dec...), nil
}

// decompressLZ4 decompresses src into exactly dst. LZ4_RAW is one LZ4 block. The
// deprecated LZ4 is read as Hadoop framed blocks (each a big-endian 4-byte decompressed
// and compressed size, then the block), as the Arrow writers write it, or failing that as
// one block, as the Arrow readers do.
func decompressLZ4(codec format.CompressionCodec, src, dst []byte) bool {
	if len(dst) == 0 {
		return true
	}
	if codec == format.Lz4 && decompressHadoopLZ4(src, dst) {
		return true
	}
	n, err := lz4.UncompressBlock(src, dst)
	return err == nil && n == len(dst)
}

// decompressHadoopLZ4 decompresses Hadoop framed LZ4 blocks src into exactly dst.
func decompressHadoopLZ4(src, dst []byte) bool {
	for len(src) >= 8 {
		u, c := binary.BigEndian.Uint32(src), binary.BigEndian.Uint32(src[4:])
		src = src[8:]
		if uint64(c) > uint64(len(src)) || uint64(u) > uint64(len(dst)) {
			return false
		}
		n, err := lz4.UncompressBlock(src[:c], dst[:u])
		if err != nil || n != int(u) {
			return false
		}
		src, dst = src[c:], dst[u:]
	}
	return len(src) == 0 && len(dst) == 0
}

// plainPageBooleans re-encodes the values of page (an uncompressed data page of h, in a
// chunk of m with levels lv) as PLAIN when they are RLE-encoded BOOLEANs, setting h's
// encoding to PLAIN; other pages come back as they are. A version 1 page's levels are
// skipped by their RLE length prefixes; its values are decoded up to its value count,
// nulls included, since the levels are not decoded here.
func plainPageBooleans(page []byte, h *format.PageHeader, m *format.ColumnMetaData, lv levels) ([]byte, error) {
	if m.Type != format.Boolean {
		return page, nil
	}
	var start, count int
	exact := false
	switch {
	case h.DataPageHeaderV2.Valid && h.DataPageHeaderV2.V.Encoding == format.RLE:
		v := &h.DataPageHeaderV2.V
		start = int(v.RepetitionLevelsByteLength) + int(v.DefinitionLevelsByteLength)
		count, exact = int(v.NumValues)-int(v.NumNulls), true
		v.Encoding = format.Plain
	case h.DataPageHeader.Valid && h.DataPageHeader.V.Encoding == format.RLE:
		v := &h.DataPageHeader.V
		for _, l := range []struct {
			max int
			enc format.Encoding
		}{{lv.rep, v.RepetitionLevelEncoding}, {lv.def, v.DefinitionLevelEncoding}} {
			if l.max == 0 {
				continue
			}
			if l.enc != format.RLE || len(page)-start < 4 {
				return page, fmt.Errorf("RLE BOOLEAN page with %s levels of %d bytes", l.enc, len(page)-start)
			}
			start += 4 + int(binary.LittleEndian.Uint32(page[start:]))
			if start > len(page) {
				return page, errors.New("RLE BOOLEAN page: levels longer than the page")
			}
		}
		count = int(v.NumValues)
		v.Encoding = format.Plain
	default:
		return page, nil
	}
	bits, err := rleBooleans(page[start:], count, exact)
	if err != nil {
		return page, fmt.Errorf("RLE BOOLEAN values: %w", err)
	}
	return append(page[:start], bits...), nil
}

// rleBooleans decodes src, BOOLEAN values in the RLE encoding (a 4-byte little-endian
// length, then runs of the RLE/bit-packed hybrid at bit width 1), into the PLAIN
// encoding's bits (least significant first), at most count values; exactly count when
// exact.
func rleBooleans(src []byte, count int, exact bool) ([]byte, error) {
	if len(src) < 4 {
		return nil, errors.New("no length prefix")
	}
	if n := binary.LittleEndian.Uint32(src); uint64(n) > uint64(len(src)-4) {
		return nil, fmt.Errorf("length %d exceeds the page's %d bytes", n, len(src)-4)
	} else {
		src = src[4 : 4+n]
	}
	bits := make([]byte, 0, (count+7)/8)
	got := 0
	put := func(v bool) {
		if got%8 == 0 {
			bits = append(bits, 0)
		}
		if v {
			bits[len(bits)-1] |= 1 << (got % 8)
		}
		got++
	}
	for len(src) > 0 && got < count {
		run, k := binary.Uvarint(src)
		if k <= 0 {
			return nil, errors.New("corrupt run header")
		}
		src = src[k:]
		if run&1 == 1 { // bit-packed: run>>1 groups of 8 values, a byte each
			groups := src[:min(run>>1, uint64(len(src)))]
			for _, b := range groups {
				for j := 0; j < 8 && got < count; j++ {
					put(b>>j&1 != 0)
				}
			}
			src = src[len(groups):]
			continue
		}
		if len(src) == 0 {
			return nil, errors.New("run without its value")
		}
		v := src[0]&1 != 0
		src = src[1:]
		for range min(run>>1, uint64(count-got)) {
			put(v)
		}
	}
	if exact && got != count {
		return nil, fmt.Errorf("%d values, expected %d", got, count)
	}
	return bits, nil
}
