package columnar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"
	"slices"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/format"
)

// The dictionary indexes of a version 2 data page are runs that parquet-go writes out
// whole before it compares their count with the page's (runcheck.go), and in a compressed
// page they can only be read decompressed: checking them before parquet-go reads the page
// decompressed every page twice (1.05x tier M load CPU). So the chunks rolemine writes
// itself, and any like them (a flat column; a dictionary page, then only data pages of
// dictionary indexes, of version 2 or, as DuckDB writes them, 1), are not handed to parquet-go's page reader at all: the
// load reads each page, decompresses it once, checks the level and
// index runs against the header's counts, and only then has parquet-go's RLE decoder
// expand them (decodeOwn). A dictionary page of byte arrays is decoded the same way, into
// buffers kept from chunk to chunk (ownDictionary); parquet-go still decodes the other
// dictionary pages. The page checks
// record such chunks in an ownPlan (ownChunkOf); a chunk that turns out otherwise has its
// pages' indexes checked the old way, decompressed twice (third-party files only).

// ownPlan holds the column chunks the load decodes itself, by leaf column index and row
// group, and the reader their pages are read from.
type ownPlan struct {
	r      io.ReaderAt
	chunks map[int]map[int]*ownChunk
}

// ownChunk is one column chunk decodeOwn reads: its bytes [start, end) in a codec, its
// dictionary page at start (header length dictHead, body dictSize bytes, CRC dictCRC,
// dictRaw bytes decompressed, header dict) and its data pages, each read on its own.
type ownChunk struct {
	start, end int64
	codec      format.CompressionCodec
	dictHead   int64
	dictSize   int32
	dictCRC    int32
	dictRaw    int32
	dict       format.DictionaryPageHeader
	pages      []ownPage
}

// ownPage is a data page of an ownChunk: its body at off (in the file) and its header.
type ownPage struct {
	off int64
	h   format.PageHeader
}

// column returns the plan's chunks of leaf column idx (nil without a plan or any).
func (p *ownPlan) column(idx int) map[int]*ownChunk {
	if p == nil {
		return nil
	}
	return p.chunks[idx]
}

// ownCandidate says whether the chunks of leaf may be decoded by decodeOwn: a flat leaf,
// required or optional, in a load that has a plan.
func (p *ownPlan) ownCandidate(leaf *parquet.Column) bool {
	return p != nil && leaf.MaxRepetitionLevel() == 0 && leaf.MaxDefinitionLevel() <= 1
}

// ownChunkOf returns the ownChunk of the chunk [start, end) of leaf in a codec whose
// pages are at offs with headers hs (body at offs[i]), or nil when they are not a
// dictionary page at start followed by version 2 data pages of dictionary indexes with
// no repetition levels and, exactly where the column is optional, definition levels.
func ownChunkOf(leaf *parquet.Column, md *format.ColumnMetaData, start, end int64, offs, heads []int64, hs []format.PageHeader) *ownChunk {
	if len(hs) < 2 || !hs[0].DictionaryPageHeader.Valid || md.DictionaryPageOffset != start {
		return nil
	}
	ch := &ownChunk{start: start, end: end, codec: md.Codec, dictHead: heads[0], dictSize: hs[0].CompressedPageSize, dictCRC: hs[0].CRC,
		dictRaw: hs[0].UncompressedPageSize, dict: hs[0].DictionaryPageHeader.V}
	for i := 1; i < len(hs); i++ {
		if !ownable(&hs[i], leaf) {
			return nil
		}
		ch.pages = append(ch.pages, ownPage{off: offs[i], h: hs[i]})
	}
	return ch
}

// ownable says whether decodeOwn reads the data page with header h of leaf's column: one
// of dictionary indexes, version 2 with no repetition levels and definition levels
// exactly where the column is optional, or version 1 with RLE definition levels there.
func ownable(h *format.PageHeader, leaf *parquet.Column) bool {
	optional := leaf.MaxDefinitionLevel() > 0
	if v := &h.DataPageHeaderV2.V; h.DataPageHeaderV2.Valid {
		return isDictIndexes(v.Encoding) && v.RepetitionLevelsByteLength == 0 && (v.DefinitionLevelsByteLength > 0) == optional
	}
	v := &h.DataPageHeader.V
	return h.DataPageHeader.Valid && isDictIndexes(v.Encoding) && (!optional || v.DefinitionLevelEncoding == format.RLE)
}

// ownScratch holds decodeOwn's buffers from page to page, and from column to column
// through ownScratchPool: a file's columns are decoded one after another on a few
// goroutines, and buffers of each column's own would be fresh memory each time.
type ownScratch struct {
	raw, page []byte
	levels    []byte
	idx       []int32
	// dictVals and dictOffs hold the chunk's dictionary of byte arrays (ownDictionary).
	dictVals []byte
	dictOffs []uint32
}

var ownScratchPool = sync.Pool{New: func() any { return new(ownScratch) }}

// decodeOwn decodes row group g's chunk of the column into d when the plan holds it and
// says so; otherwise it returns false and the caller reads the chunk through parquet-go.
func (d *pageDecoder) decodeOwn(ctx context.Context, g int, cc parquet.ColumnChunk) (bool, error) {
	ch := d.c.own[g]
	if ch == nil {
		return false, nil
	}
	s := ownScratchPool.Get().(*ownScratch)
	defer ownScratchPool.Put(s)
	var dict parquet.Dictionary
	var err error
	if ownsDictionary(cc.Type(), ch) {
		dict, err = d.ownDictionary(s, ch, cc)
	} else {
		var read bool
		if read, dict, err = d.readDictionary(s, ch, cc); !read {
			return false, nil
		}
	}
	if err != nil {
		return true, err
	}
	for _, p := range ch.pages {
		if err := ctx.Err(); err != nil {
			return true, err
		}
		if err := d.ownPage(s, ch, &p, dict); err != nil {
			return true, fmt.Errorf("corrupt Parquet file: page at %d: %w", p.off, err)
		}
	}
	return true, nil
}

// readDictionary reads the dictionary of ch (chunk cc) through parquet-go, after checking
// its CRC itself; read is false when parquet-go's pages cannot read one apart, and the
// caller then reads the whole chunk through parquet-go.
func (d *pageDecoder) readDictionary(s *ownScratch, ch *ownChunk, cc parquet.ColumnChunk) (read bool, dict parquet.Dictionary, err error) {
	pages := cc.Pages()
	defer pages.Close()
	dp, ok := pages.(interface {
		ReadDictionary() (parquet.Dictionary, error)
	})
	if !ok {
		return false, nil, nil
	}
	if ch.dictCRC != 0 {
		if err := d.readDictionaryPage(s, ch); err != nil {
			return true, nil, err
		}
	}
	if dict, err = dp.ReadDictionary(); err != nil {
		return true, nil, fmt.Errorf("dictionary page: %w", err)
	}
	if dict == nil {
		return true, nil, errors.New("dictionary page: none where the footer says")
	}
	return true, dict, nil
}

// readDictionaryPage reads ch's dictionary page, as stored, into s.raw and checks its
// CRC when it has one.
func (d *pageDecoder) readDictionaryPage(s *ownScratch, ch *ownChunk) error {
	s.raw = slices.Grow(s.raw[:0], int(ch.dictSize))[:ch.dictSize]
	if _, err := d.c.ownR.ReadAt(s.raw, ch.start+ch.dictHead); err != nil {
		return fmt.Errorf("reading dictionary page: %w", err)
	}
	if ch.dictCRC != 0 && crc32.ChecksumIEEE(s.raw) != uint32(ch.dictCRC) {
		return errors.New("dictionary page: CRC32 checksum mismatch")
	}
	return nil
}

// ownsDictionary says whether ownDictionary decodes the dictionary of ch, of type typ:
// one of byte arrays (every text column), whose header parquet-go would not refuse.
// Its entries are then decoded into buffers the next chunk reuses, where parquet-go
// decodes each chunk's dictionary into fresh ones (at tier L, 60 MB for the role and
// identity ids of the assignments' 22 row groups, and the read and decompressed pages
// besides: about a fifth of the lean load's page faults).
func ownsDictionary(typ parquet.Type, ch *ownChunk) bool {
	return typ.Kind() == parquet.ByteArray && ch.dictSize >= 0 && ch.dictRaw >= 0 && ch.dict.NumValues >= 0
}

// ownDictionary decodes the dictionary page of ch (chunk cc) as parquet-go's
// ReadDictionary does (the column's type decodes the page decompressed with the chunk's
// codec, with the same messages on failure) into s.dictVals and s.dictOffs. The
// dictionary is only valid while s is held.
func (d *pageDecoder) ownDictionary(s *ownScratch, ch *ownChunk, cc parquet.ColumnChunk) (parquet.Dictionary, error) {
	if err := d.readDictionaryPage(s, ch); err != nil {
		return nil, err
	}
	data := s.raw
	if ch.codec != format.Uncompressed {
		s.page = slices.Grow(s.page[:0], int(ch.dictRaw))[:ch.dictRaw]
		dec, err := parquet.LookupCompressionCodec(ch.codec).Decode(s.page, data)
		if err != nil {
			return nil, fmt.Errorf("dictionary page: decompressing dictionary page: %w", err)
		}
		if cap(dec) > cap(s.page) {
			s.page = dec[:0]
		}
		data = dec
	}
	enc := ch.dict.Encoding
	if enc == format.PlainDictionary {
		enc = format.Plain
	}
	// Room up front: the entries take at most the page's bytes, and one offset each and
	// one more (the decoder would grow them an append at a time).
	s.dictVals = slices.Grow(s.dictVals[:0], len(data))
	s.dictOffs = slices.Grow(s.dictOffs[:0], int(ch.dict.NumValues)+1)
	typ := cc.Type()
	vals, err := typ.Decode(typ.NewValues(s.dictVals, s.dictOffs), data, parquet.LookupEncoding(enc))
	if err != nil {
		return nil, fmt.Errorf("dictionary page: %w", err)
	}
	s.dictVals, s.dictOffs = vals.ByteArray()
	return typ.NewDictionary(cc.Column(), int(ch.dict.NumValues), vals), nil
}

// ownPage decodes one data page of an ownChunk.
func (d *pageDecoder) ownPage(s *ownScratch, ch *ownChunk, p *ownPage, dict parquet.Dictionary) error {
	s.raw = slices.Grow(s.raw[:0], int(p.h.CompressedPageSize))[:p.h.CompressedPageSize]
	if _, err := d.c.ownR.ReadAt(s.raw, p.off); err != nil {
		return fmt.Errorf("reading page: %w", err)
	}
	if p.h.CRC != 0 && crc32.ChecksumIEEE(s.raw) != uint32(p.h.CRC) {
		return errors.New("CRC32 checksum mismatch")
	}
	levels, values, n, err := ownSections(s, ch.codec, &p.h, int(d.maxDef))
	if err != nil {
		return err
	}
	var def []byte
	present, rows := n, n
	if v := &p.h.DataPageHeaderV2.V; p.h.DataPageHeaderV2.Valid {
		present, rows = n-int64(v.NumNulls), n-int64(v.NumNulls)
	}
	if d.maxDef > 0 {
		w := uint(bits.Len(uint(d.maxDef)))
		if got, err := hybridRuns(levels, w, n); err != nil {
			return fmt.Errorf("definition levels: %w", err)
		} else if got < n {
			return fmt.Errorf("the header declares %d values, but its definition levels hold %d", n, got)
		}
		s.levels = slices.Grow(s.levels[:0], int(n)+8)
		if s.levels, err = (&rle.Encoding{BitWidth: int(w)}).DecodeLevels(s.levels, levels); err != nil {
			return fmt.Errorf("definition levels: %w", err)
		}
		def, rows = s.levels[:n], n
		if p.h.DataPageHeader.Valid { // a version 1 page's values present, by its levels
			present = int64(bytes.Count(def, []byte{d.maxDef}))
		}
	}
	if err := checkIndexRuns(values, n); err != nil {
		return err
	}
	// Room for every index (and a last bit-packed group) up front: the decoder would
	// otherwise grow its buffer run by run.
	s.idx = slices.Grow(s.idx[:0], int(n)+8)
	idx, err := new(rle.DictionaryEncoding).DecodeInt32(s.idx, values)
	if err != nil {
		return fmt.Errorf("dictionary indexes: %w", err)
	}
	// As parquet-go: indexes past the values present are dropped, missing ones are 0 (a
	// writer may cut a run of zeros short).
	if int64(len(idx)) < present {
		idx = append(idx, make([]int32, present-int64(len(idx)))...)
	}
	s.idx = idx
	idx = idx[:present]
	if d.c.raw {
		return d.rawIndexed(dict, idx, def, rows)
	}
	if dict != d.dict {
		if err := d.mapDictionary(dict); err != nil {
			return err
		}
	}
	return d.indexed(idx, def, rows)
}

// ownSections returns the definition level runs and the dictionary indexes of a page
// (read into s.raw, header h, in a chunk of codec, column's maximum definition level
// maxDef), decompressing what is compressed into s.page, and its value count.
func ownSections(s *ownScratch, codec format.CompressionCodec, h *format.PageHeader, maxDef int) (levels, values []byte, n int64, err error) {
	if v := &h.DataPageHeaderV2.V; h.DataPageHeaderV2.Valid {
		k := int64(v.DefinitionLevelsByteLength)
		levels, values = s.raw[:k], s.raw[k:]
		if codec != format.Uncompressed && (!v.IsCompressed.Valid || v.IsCompressed.V) {
			if s.page, err = decompressPage(s.page[:0], codec, values, int(int64(h.UncompressedPageSize)-k)); err != nil {
				return nil, nil, 0, err
			}
			values = s.page
		}
		return levels, values, int64(v.NumValues), nil
	}
	v := &h.DataPageHeader.V
	page := s.raw
	if codec != format.Uncompressed {
		if s.page, err = decompressPage(s.page[:0], codec, page, int(h.UncompressedPageSize)); err != nil {
			return nil, nil, 0, err
		}
		page = s.page
	}
	n = int64(v.NumValues)
	levels, values, err = v1Levels(page, maxDef, v.DefinitionLevelEncoding, n)
	return levels, values, n, err
}
