package columnar

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// A data page's repetition and definition levels, and the dictionary indexes of its
// values, are runs of the RLE/bit-packed hybrid encoding: a run header of a few bytes may
// say it repeats one value two billion times, and parquet-go writes out every run it
// decodes, a byte per level and four per index, before it compares the count with the
// page's. So a page of a hundred bytes could make it write gigabytes. The checks here read
// the runs (the page decompressed where it has to be) and refuse a page whose runs hold
// more values than its header declares, or levels fewer.

// pageBody is what the run checks need of one data page: its level runs (nil where the
// column has no such level or they are not RLE-encoded) and its values.
type pageBody struct {
	rep, def []byte
	values   []byte
	enc      format.Encoding
	// levels is the page's value count, nulls included; values, at most the values
	// present (V2 pages say how many are null; V1 pages do not, so all of them).
	levels, present int64
}

// isDictIndexes says whether a data page of encoding enc holds dictionary indexes.
func isDictIndexes(enc format.Encoding) bool {
	return enc == format.RLEDictionary || enc == format.PlainDictionary
}

// pageChecker reads the data pages the run and DELTA checks need, reusing its buffers
// from page to page.
type pageChecker struct {
	raw, page []byte
	// head holds the bytes read with the last page header; proto decodes headers.
	head  []byte
	proto thrift.CompactProtocol
	// deferV2 leaves version 2 pages of dictionary indexes unchecked: the chunk is a
	// candidate for decodeOwn, which checks them (checkChunk).
	deferV2 bool
	// inflated says that the last page checked was decompressed (into exactly its
	// declared size) by the run checks, so checkCodec need not look at it again.
	inflated bool
}

// check checks the data page with header h at off (in a chunk of codec, of leaf's
// column): its level runs, its DELTA lengths, and its dictionary index runs, which in a
// compressed page means decompressing it (parquet-go then decompresses it again) unless
// deferV2 leaves a version 2 page to decodeOwn, which decompresses it once. Pages with
// none of these (flat required columns of PLAIN values) are not read.
func (pc *pageChecker) check(r io.ReaderAt, off int64, h *format.PageHeader, codec format.CompressionCodec, leaf *parquet.Column) error {
	if !h.DataPageHeader.Valid && !h.DataPageHeaderV2.Valid {
		return nil
	}
	enc := pageEncoding(h)
	if pc.deferV2 && ownable(h, leaf) {
		return nil // decodeOwn checks its levels and indexes, or checkChunk calls again
	}
	withLevels := leaf.MaxRepetitionLevel() > 0 || leaf.MaxDefinitionLevel() > 0
	withValues := isDelta(enc) || isDictIndexes(enc)
	if !withLevels && !withValues {
		return nil
	}
	b, err := pc.read(r, off, h, codec, leaf, withValues)
	if err != nil {
		return err
	}
	for _, l := range []struct {
		what string
		runs []byte
		max  int
	}{{"repetition", b.rep, leaf.MaxRepetitionLevel()}, {"definition", b.def, leaf.MaxDefinitionLevel()}} {
		if l.runs == nil {
			continue
		}
		n, err := hybridRuns(l.runs, uint(bits.Len(uint(l.max))), b.levels)
		if err != nil {
			return fmt.Errorf("%s levels: %w", l.what, err)
		}
		if n < b.levels {
			return fmt.Errorf("the header declares %d values, but its %s levels hold %d", b.levels, l.what, n)
		}
	}
	switch {
	case !withValues:
		return nil
	case isDelta(enc):
		if err := checkDeltaValues(enc, b.values, b.present); err != nil {
			return err
		}
		// Where the page says exactly how many values it holds (a version 2 page, or a
		// column without nulls), the DELTA header must hold as many: parquet-go sizes
		// the values' offsets by the page's count.
		if exact := h.DataPageHeaderV2.Valid || leaf.MaxDefinitionLevel() == 0; exact {
			if d, _, err := readDeltaHeader(b.values, b.present); err == nil && d.total != uint64(b.present) {
				return fmt.Errorf("the header declares %d values, but the %s values hold %d", b.present, enc, d.total)
			}
		}
		return nil
	}
	return checkIndexRuns(b.values, b.present)
}

// checkIndexRuns checks a dictionary-encoded page's values, a bit width and runs at that
// width of at most n indexes.
func checkIndexRuns(values []byte, n int64) error {
	if len(values) == 0 {
		return nil
	}
	if w := values[0]; w > 32 {
		return fmt.Errorf("dictionary indexes of bit width %d", w)
	}
	if _, err := hybridRuns(values[1:], uint(values[0]), n); err != nil {
		return fmt.Errorf("dictionary indexes: %w", err)
	}
	return nil
}

// read reads the page at off: the levels, and the values (decompressed) when values is
// set. A version 2 page's levels are stored uncompressed in front, so without the values
// only they are read; a version 1 page is decompressed whole.
func (pc *pageChecker) read(r io.ReaderAt, off int64, h *format.PageHeader, codec format.CompressionCodec, leaf *parquet.Column, values bool) (pageBody, error) {
	var b pageBody
	size := int64(h.CompressedPageSize)
	if v := &h.DataPageHeaderV2.V; h.DataPageHeaderV2.Valid {
		levels := int64(v.RepetitionLevelsByteLength) + int64(v.DefinitionLevelsByteLength)
		if levels > int64(h.UncompressedPageSize) {
			return b, fmt.Errorf("level lengths %d exceed the page's uncompressed %d bytes", levels, h.UncompressedPageSize)
		}
		if !values {
			size = levels
		}
		pc.raw = slices.Grow(pc.raw[:0], int(size))[:size]
		if _, err := r.ReadAt(pc.raw, off); err != nil {
			return b, fmt.Errorf("reading page: %w", err)
		}
		b.enc, b.levels, b.present = v.Encoding, int64(v.NumValues), int64(v.NumValues)-int64(v.NumNulls)
		// parquet-go decodes a section only when it is not empty.
		if leaf.MaxRepetitionLevel() > 0 && v.RepetitionLevelsByteLength > 0 {
			b.rep = pc.raw[:v.RepetitionLevelsByteLength]
		}
		if leaf.MaxDefinitionLevel() > 0 && v.DefinitionLevelsByteLength > 0 {
			b.def = pc.raw[v.RepetitionLevelsByteLength:levels]
		}
		if !values {
			return b, nil
		}
		b.values = pc.raw[levels:]
		if !v.IsCompressed.Valid || v.IsCompressed.V {
			var err error
			pc.page, err = decompressPage(pc.page[:0], codec, b.values, int(int64(h.UncompressedPageSize)-levels))
			if err != nil {
				return b, err
			}
			pc.inflated = true
			b.values = pc.page
		}
		return b, nil
	}
	v := &h.DataPageHeader.V
	b.enc, b.levels, b.present = v.Encoding, int64(v.NumValues), int64(v.NumValues)
	pc.raw = slices.Grow(pc.raw[:0], int(size))[:size]
	if _, err := r.ReadAt(pc.raw, off); err != nil {
		return b, fmt.Errorf("reading page: %w", err)
	}
	page, err := decompressPage(pc.page[:0], codec, pc.raw, int(h.UncompressedPageSize))
	if err != nil {
		return b, err
	}
	pc.page, pc.inflated = page, true
	if b.rep, page, err = v1Levels(page, leaf.MaxRepetitionLevel(), v.RepetitionLevelEncoding, b.levels); err != nil {
		return b, err
	}
	if b.def, page, err = v1Levels(page, leaf.MaxDefinitionLevel(), v.DefinitionLevelEncoding, b.levels); err != nil {
		return b, err
	}
	b.values = page
	return b, nil
}

// v1Levels splits a version 1 page's levels of one kind (max the column's maximum level,
// in encoding enc, n of them) from what follows. RLE levels have a 4-byte length in
// front and come back as runs; the deprecated BIT_PACKED levels have a fixed size and
// come back nil (they cannot claim more than their bytes).
func v1Levels(page []byte, max int, enc format.Encoding, n int64) ([]byte, []byte, error) {
	if max == 0 {
		return nil, page, nil
	}
	if enc == format.BitPacked {
		size := (n*int64(bits.Len(uint(max))) + 7) / 8
		if size > int64(len(page)) {
			return nil, nil, fmt.Errorf("BIT_PACKED levels of %d bytes exceed the page's %d bytes", size, len(page))
		}
		return nil, page[size:], nil
	}
	if len(page) < 4 {
		return nil, nil, errors.New("page too short for its levels")
	}
	size := binary.LittleEndian.Uint32(page)
	if uint64(size) > uint64(len(page)-4) {
		return nil, nil, fmt.Errorf("levels length %d exceeds the page's %d bytes", size, len(page)-4)
	}
	return page[4 : 4+size], page[4+size:], nil
}

// hybridRuns counts the values held by src, runs of the RLE/bit-packed hybrid encoding at
// bit width w, refusing a run cut short and more than the declared values (and up to 7
// more: the last run, bit-packed, holds whole groups of 8).
func hybridRuns(src []byte, w uint, declared int64) (int64, error) {
	limit := uint64(declared) + 7
	var n uint64
	valueBytes := int((w + 7) / 8)
	for len(src) > 0 {
		head, k := binary.Uvarint(src)
		if k <= 0 {
			return 0, errors.New("corrupt run header")
		}
		src = src[k:]
		count := head >> 1
		if head&1 == 1 { // bit-packed: count groups of 8 values, w bytes a group
			if w > 0 && count > uint64(len(src))/uint64(w) {
				return 0, fmt.Errorf("a bit-packed run of %d values exceeds the %d bytes left", min(count, 1<<61)*8, len(src))
			}
			src = src[count*uint64(w):]
			count = min(count, 1<<61) * 8
		} else {
			if len(src) < valueBytes {
				return 0, errors.New("a run without its value")
			}
			src = src[valueBytes:]
		}
		if count > limit-n {
			return 0, fmt.Errorf("runs hold more than the %d values the header declares", declared)
		}
		n += count
	}
	return int64(n), nil
}
