package columnar

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
	"github.com/pierrec/lz4/v4"
)

// LZ4 pages are decompressed here, not by parquet-go. Its v0.32.0 reads the LZ4_RAW
// codec (DuckDB's `COMPRESSION lz4`) wrongly whenever a page compresses less than three
// times: the codec decodes into a fresh buffer of three times the compressed size, and
// the page reader keeps its own (unwritten) buffer when the length that comes back is the
// page's declared size, so the page decodes as garbage or fails. It does not read the
// deprecated LZ4 codec at all (what the Rust and C++ Arrow writers write as `LZ4`: Hadoop
// framed blocks). A file with either codec in any column chunk is therefore rewritten in
// memory with those chunks' pages stored uncompressed (inflateLZ4) and then read like any
// other file; the checksum and size of the input are still those of the file on disk.

// maxLZ4Ratio bounds how much one LZ4 page may claim to inflate: an LZ4 block cannot
// expand its input more than about 255 times, so a header claiming more is corrupt, and
// a corrupt file cannot make the rewrite allocate much more than 255 times its size.
const maxLZ4Ratio = 255

// isLZ4 says whether chunks of codec c are decompressed by inflateLZ4.
func isLZ4(c format.CompressionCodec) bool {
	return c == format.Lz4Raw || c == format.Lz4
}

// hasLZ4 says whether any column chunk of md is compressed with LZ4_RAW or LZ4.
func hasLZ4(md *format.FileMetaData) bool {
	for _, rg := range md.RowGroups {
		for _, cc := range rg.Columns {
			if isLZ4(cc.MetaData.Codec) {
				return true
			}
		}
	}
	return false
}

// openInflated returns pf unchanged, with r and size as the reader its pages come from,
// when no chunk of pf is LZ4-compressed; otherwise the file rewritten by inflateLZ4,
// opened, with the rewritten bytes as its reader.
func openInflated(r io.ReaderAt, size int64, pf *parquet.File) (*parquet.File, io.ReaderAt, int64, error) {
	if !hasLZ4(pf.Metadata()) {
		return pf, r, size, nil
	}
	b, err := inflateLZ4(r, size, pf.Metadata())
	if err != nil {
		return nil, nil, 0, err
	}
	br := bytes.NewReader(b)
	pf, err = openParquet(br, int64(len(b)))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("reading the file with its LZ4 pages decompressed: %v", err)
	}
	return pf, br, int64(len(b)), nil
}

// inflateLZ4 returns a copy of the Parquet file r (size bytes, footer md) in which every
// LZ4_RAW and LZ4 column chunk is stored UNCOMPRESSED: its pages decompressed, their
// headers rewritten with the new sizes and no checksum. Other chunks are copied as they
// are. The footer is md with each chunk's codec, sizes and offsets updated and its page
// index and bloom filter references dropped (rolemine reads neither).
func inflateLZ4(r io.ReaderAt, size int64, md *format.FileMetaData) ([]byte, error) {
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
			start := m.DataPageOffset
			if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
				start = m.DictionaryPageOffset
			}
			end := start + m.TotalCompressedSize
			if start < 4 || m.TotalCompressedSize < 0 || end > size-8 || end < start {
				return nil, fmt.Errorf("row group %d column %d: chunk [%d,%d) lies outside the file (%d bytes)", g, i, start, end, size)
			}
			chunk = slices.Grow(chunk[:0], int(end-start))[:end-start]
			if _, err := r.ReadAt(chunk, start); err != nil {
				return nil, fmt.Errorf("row group %d column %d: reading chunk: %w", g, i, err)
			}
			at := int64(len(out))
			if isLZ4(m.Codec) {
				var err error
				if out, err = inflateChunk(out, chunk, m, rg.NumRows); err != nil {
					return nil, fmt.Errorf("row group %d column %s: %w", g, strings.Join(m.PathInSchema, "."), err)
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
			cc.OffsetIndexOffset, cc.OffsetIndexLength = 0, 0
			cc.ColumnIndexOffset, cc.ColumnIndexLength = 0, 0
			m.BloomFilterOffset = 0
		}
		rg.TotalCompressedSize = int64(len(out)) - rg.FileOffset
	}
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), &nm)
	if err != nil {
		return nil, fmt.Errorf("writing the footer: %v", err)
	}
	out = append(out, footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	return append(out, "PAR1"...), nil
}

// inflateChunk appends to out the pages of chunk (an LZ4_RAW or LZ4 column chunk of m,
// in a row group of rows rows) decompressed, each after its rewritten header, and sets
// m's codec, sizes and page offsets to those of the appended chunk. Index pages, which
// no reader uses, are left out.
func inflateChunk(out, chunk []byte, m *format.ColumnMetaData, rows int64) ([]byte, error) {
	var proto thrift.CompactProtocol
	at := int64(len(out))
	m.DataPageOffset, m.DictionaryPageOffset, m.IndexPageOffset = at, 0, 0
	data := false
	for off := 0; off < len(chunk); {
		pr := proto.NewReaderFromBytes(chunk[off:])
		var h format.PageHeader
		if err := thrift.NewDecoder(pr).Decode(&h); err != nil {
			return out, fmt.Errorf("corrupt page header at chunk offset %d: %v", off, err)
		}
		hlen := len(chunk) - off - pr.Reader().(*bytes.Reader).Len()
		if err := checkPageHeader(&h, int64(len(chunk)-off-hlen), rows); err != nil {
			return out, fmt.Errorf("page at chunk offset %d: %w", off, err)
		}
		body := chunk[off+hlen : off+hlen+int(h.CompressedPageSize)]
		off += hlen + int(h.CompressedPageSize)
		page := int64(len(out))
		var err error
		switch {
		case h.DictionaryPageHeader.Valid:
			m.DictionaryPageOffset = page
		case h.DataPageHeader.Valid || h.DataPageHeaderV2.Valid:
			if !data {
				m.DataPageOffset, data = page, true
			}
		default:
			continue
		}
		if out, err = inflatePage(out, &h, body, m.Codec); err != nil {
			return out, fmt.Errorf("page at chunk offset %d: %w", off-hlen-len(body), err)
		}
	}
	m.Codec = format.Uncompressed
	m.TotalCompressedSize = int64(len(out)) - at
	m.TotalUncompressedSize = m.TotalCompressedSize
	return out, nil
}

// inflatePage appends to out the header h, rewritten for an uncompressed page, and the
// page's body decompressed from the LZ4_RAW or LZ4 (codec) bytes body into exactly the
// size h declares. A version 2 data page keeps its levels, stored uncompressed, in front.
func inflatePage(out []byte, h *format.PageHeader, body []byte, codec format.CompressionCodec) ([]byte, error) {
	levels := 0
	v2 := &h.DataPageHeaderV2
	if v2.Valid {
		levels = int(v2.V.RepetitionLevelsByteLength) + int(v2.V.DefinitionLevelsByteLength)
	}
	src := body[levels:]
	plain := v2.Valid && v2.V.IsCompressed.Valid && !v2.V.IsCompressed.V
	n := int(h.UncompressedPageSize) - levels
	switch {
	case plain:
		n = len(src)
	case n < 0:
		return out, fmt.Errorf("uncompressed size %d is smaller than the page's %d bytes of levels", h.UncompressedPageSize, levels)
	case n > maxLZ4Ratio*len(src)+64:
		return out, fmt.Errorf("uncompressed size %d cannot come from %d bytes of LZ4", n, len(src))
	}
	h.UncompressedPageSize = int32(levels + n)
	h.CompressedPageSize = h.UncompressedPageSize
	h.CRC = 0
	if v2.Valid {
		v2.V.IsCompressed = thrift.New(false)
	}
	head, err := thrift.Marshal(new(thrift.CompactProtocol), h)
	if err != nil {
		return out, err
	}
	out = append(out, head...)
	out = append(out, body[:levels]...)
	if plain {
		return append(out, src...), nil
	}
	base := len(out)
	out = slices.Grow(out, n)[:base+n]
	if !decompressLZ4(codec, src, out[base:]) {
		return out, fmt.Errorf("corrupt %s data: it does not decompress into the %d bytes its header declares", codec, n)
	}
	return out, nil
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
