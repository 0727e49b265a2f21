package columnar

import (
	"bytes"
	"fmt"
	"io"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
	"github.com/pierrec/lz4/v4"
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
// bounds above). It reads only the headers, a few hundred bytes per page, except in
// LZ4_RAW chunks, whose pages it also decompresses once (checkLZ4Page).
func checkPageHeaders(r io.ReaderAt, size int64, pf *parquet.File, leaves []*parquet.Column) error {
	var proto thrift.CompactProtocol
	var buf, body, out []byte
	for g, rg := range pf.Metadata().RowGroups {
		for _, leaf := range leaves {
			idx := leaf.Index()
			if idx < 0 || idx >= len(rg.Columns) {
				return fmt.Errorf("row group %d has no chunk for column %s", g, leaf.Name())
			}
			md := &rg.Columns[idx].MetaData
			start := md.DataPageOffset
			if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
				start = md.DictionaryPageOffset
			}
			end := start + md.TotalCompressedSize
			if start < 4 || md.TotalCompressedSize < 0 || end > size-8 || end < start {
				return fmt.Errorf("row group %d column %s: chunk [%d,%d) lies outside the file (%d bytes)", g, leaf.Name(), start, end, size)
			}
			for off := start; off < end; {
				var h format.PageHeader
				var hlen int64
				for window := int64(1 << 10); ; window *= 16 {
					n := min(window, end-off, maxHeaderBytes)
					buf = slices.Grow(buf[:0], int(n))[:n]
					if _, err := r.ReadAt(buf, off); err != nil {
						return fmt.Errorf("row group %d column %s: reading page header at %d: %w", g, leaf.Name(), off, err)
					}
					// A bytes reader checks every length against the bytes it has, where a
					// stream reader would allocate whatever a corrupt length says.
					pr := proto.NewReaderFromBytes(buf)
					h = format.PageHeader{}
					err := thrift.NewDecoder(pr).Decode(&h)
					if err == nil {
						hlen = n - int64(pr.Reader().(*bytes.Reader).Len())
						break
					}
					if n == end-off || n == maxHeaderBytes {
						return fmt.Errorf("row group %d column %s: corrupt page header at %d: %v", g, leaf.Name(), off, err)
					}
				}
				if err := checkPageHeader(&h, end-off-hlen, rg.NumRows); err != nil {
					return fmt.Errorf("row group %d column %s: page at %d: %w", g, leaf.Name(), off, err)
				}
				if md.Codec == format.Lz4Raw {
					if err := checkLZ4Page(r, off+hlen, &h, &body, &out); err != nil {
						return fmt.Errorf("row group %d column %s: page at %d: %w", g, leaf.Name(), off, err)
					}
				}
				off += hlen + int64(h.CompressedPageSize)
			}
		}
	}
	return nil
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

// checkLZ4Page decompresses the LZ4_RAW page whose body starts at off into a buffer of
// the size its header declares, and refuses the page when it does not fit. parquet-go's
// LZ4 codec takes every decompression error for a short buffer and doubles the buffer
// without end, so a corrupt page would otherwise end the process out of memory, where no
// error naming the file can be given. body and out are scratch reused across pages.
func checkLZ4Page(r io.ReaderAt, off int64, h *format.PageHeader, body, out *[]byte) error {
	src, size := int64(h.CompressedPageSize), int64(h.UncompressedPageSize)
	if v := &h.DataPageHeaderV2; v.Valid {
		if v.V.IsCompressed.Valid && !v.V.IsCompressed.V {
			return nil
		}
		// A version 2 page keeps its levels uncompressed in front of the data.
		levels := int64(v.V.RepetitionLevelsByteLength) + int64(v.V.DefinitionLevelsByteLength)
		off, src, size = off+levels, src-levels, size-levels
	}
	if src == 0 {
		return nil
	}
	if size < 0 {
		return fmt.Errorf("uncompressed size %d is smaller than the page's levels", h.UncompressedPageSize)
	}
	*body = slices.Grow((*body)[:0], int(src))[:src]
	if _, err := r.ReadAt(*body, off); err != nil {
		return fmt.Errorf("reading LZ4_RAW page: %w", err)
	}
	*out = slices.Grow((*out)[:0], int(size))[:size]
	if _, err := lz4.UncompressBlock(*body, *out); err != nil {
		return fmt.Errorf("corrupt LZ4_RAW data: it does not decompress into the %d bytes its header declares", size)
	}
	return nil
}
