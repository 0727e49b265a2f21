// Package parquetenc writes Parquet files of flat string and boolean columns from the
// integer codes a caller already holds (identity index, role index, ...), without
// hashing strings. Its files are byte for byte those parquet-go (the version in go.mod)
// writes for the same rows with rolemine's writer options, an optional column's nulls
// given to parquet-go as nil pointers (its writer of a plain string column writes some
// nulls as "", a defect reproduced here until the eighteenth session and no longer):
// Snappy (or, per column,
// another codec: Column.Codec, which parquet-go writes with ParquetCodec's codec), data
// pages v2 cut where parquet-go cuts them, a dictionary per column chunk in
// first-appearance order, no page header statistics, column and offset indexes, and the
// footer of an empty file written by parquet-go with the same options (schema,
// created_by, column orders). The tests keep parquet-go as the reference and compare
// bytes.
package parquetenc

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"
	"sort"
	"strings"
	"unsafe"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Column describes one leaf column of a flat schema, in schema order.
type Column struct {
	// Name is the column's name (its path in the schema).
	Name string
	// Bool makes a required BOOLEAN column (PLAIN); otherwise the column is a UTF-8
	// BYTE_ARRAY with a dictionary.
	Bool bool
	// Optional makes a string column nullable: a negative code is null, always written
	// as null.
	Optional bool
	// NoBounds leaves min/max out of the page index and statistics (parquet-go's
	// SkipPageBounds).
	NoBounds bool
	// Codec compresses the column's pages: SnappyBetter (the zero value, parquet-go's
	// Snappy) unless set.
	Codec Codec
	// CodeOrderDict makes a required string column's dictionary the values its chunk
	// uses in code order, instead of parquet-go's first-appearance order (encodeCodeOrder):
	// a row's index is found from a bitmap of the codes used, not a lookup table grown
	// row by row, and a chunk that uses every value has the codes as indexes and the
	// dictionary page kept from the last chunk. The rows read back the same, but the
	// bytes are not parquet-go's. Data.Values must not change in place from group to
	// group (appending is fine). It applies to a chunk of at least codeOrderRows rows a
	// value, of a column with a key order (Data.Ascending, Data.Rank, or few values) or
	// NoBounds; an optional column ignores it.
	CodeOrderDict bool
}

// Codec is how a column's pages are compressed.
type Codec uint8

const (
	// SnappyBetter is parquet-go's Snappy codec (klauspost's "better" Snappy encoder):
	// the bytes parquet-go writes.
	SnappyBetter Codec = iota
	// SnappyFast is klauspost's standard Snappy encoder (s2.EncodeSnappy): valid Snappy
	// blocks that any Snappy decoder reads, in about half the time of SnappyBetter and
	// some percent larger.
	SnappyFast
	// Uncompressed stores the pages as they are (codec UNCOMPRESSED).
	Uncompressed
)

// ParquetCodec returns the parquet-go codec that compresses as c does, so that
// parquet-go writes the bytes the encoder writes for columns of codec c.
func ParquetCodec(c Codec) compress.Codec {
	switch c {
	case SnappyFast:
		return &fastSnappy{}
	case Uncompressed:
		return &parquet.Uncompressed
	}
	return &parquet.Snappy
}

// fastSnappy is SnappyFast as a parquet-go codec.
type fastSnappy struct{ snappy.Codec }

// Encode compresses src with the standard Snappy encoder.
func (*fastSnappy) Encode(dst, src []byte) ([]byte, error) {
	return s2.EncodeSnappy(dst[:0], src), nil
}

// format returns the codec's Parquet compression codec.
func (c Codec) format() format.CompressionCodec {
	if c == Uncompressed {
		return format.Uncompressed
	}
	return format.Snappy
}

// compress returns src compressed by the codec of column s, in e.comp's storage, or src
// itself when the column is Uncompressed (e.comp is then left as it is).
func (e *Encoder) compress(s *chunkState, src []byte) []byte {
	switch s.col.Codec {
	case Uncompressed:
		return src
	case SnappyFast:
		e.comp = s2.EncodeSnappy(e.compRoom(s2.MaxEncodedLen(len(src))), src)
	default:
		e.comp = snappyEncode(e.compRoom(s2.MaxEncodedLen(len(src))), src)
	}
	return e.comp
}

// compRoom returns e.comp emptied, with room for n bytes: storage doubled when it has
// less, where the encoders made storage of exactly n bytes for each source larger than
// any before (a chunk's page, a dictionary page), fresh memory each time.
func (e *Encoder) compRoom(n int) []byte {
	if n > cap(e.comp) {
		e.comp = make([]byte, 0, max(n, 2*cap(e.comp)))
	}
	return e.comp[:0]
}

// appendDoubling appends parts to dst, doubling its capacity at least when they do not
// fit. append grows a large slice by a quarter at a time, so a group's bytes or a
// chunk's pages (megabytes, appended part by part) allocated about five times their
// final size, all of it fresh memory in a run's last phase; doubling allocates about
// twice.
func appendDoubling(dst []byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if len(dst)+n > cap(dst) {
		dst = slices.Grow(dst, max(n, cap(dst)))
	}
	for _, p := range parts {
		dst = append(dst, p...)
	}
	return dst
}

// Data is one row group's values of one column: Codes index Values for a string column
// (each distinct string at most once in Values: equal strings must have equal codes),
// Bools hold a boolean column's values.
type Data struct {
	Values []string
	Codes  []int32
	Bools  []bool
	// Ascending says that Values are in strictly ascending order (Ascending reports it),
	// so that a page's min and max values are found by comparing codes, not strings.
	Ascending bool
	// Rank, when set, gives each value's position among Values in ascending order
	// (Ranks), for the same purpose when Values are not in order.
	Rank []int32
}

// maxRankRuns is the most ascending runs Ranks merges.
const maxRankRuns = 256

// Ranks returns each value's position among values in ascending order (equal values in
// index order), found by merging values' ascending runs; nil when values have more than
// maxRankRuns of them (sorting would cost more than the comparisons it saves).
func Ranks(values []string) []int32 {
	var runs [][2]int32
	for k := range values {
		if k == 0 || values[k-1] > values[k] {
			if len(runs) == maxRankRuns {
				return nil
			}
			runs = append(runs, [2]int32{int32(k), int32(k)})
		}
		runs[len(runs)-1][1] = int32(k) + 1
	}
	rank := make([]int32, len(values))
	MergeRuns(values, runs, func(k, r int32) { rank[k] = r })
	return rank
}

// MergeRuns calls visit(k, r) for every index k of the runs ([start, end) ranges of
// values, each in ascending order), in the ascending order of values[k] (equal values in
// index order), r counting from 0. The runs' heads are kept in a heap; the run at its top
// gives every value below the smallest other head at once (found by a galloping search),
// so that runs of distinct ranges (the systems of a universe whose account ids differ in
// form) cost a few comparisons a run, not two a value.
func MergeRuns(values []string, runs [][2]int32, visit func(k, r int32)) {
	heap := make([][2]int32, 0, len(runs))
	for _, r := range runs {
		if r[0] < r[1] {
			heap = append(heap, r)
		}
	}
	less := func(x, y [2]int32) bool { return before(values, x[0], y[0]) }
	down := func(i int) {
		for {
			c := 2*i + 1
			if c >= len(heap) {
				return
			}
			if c+1 < len(heap) && less(heap[c+1], heap[c]) {
				c++
			}
			if !less(heap[c], heap[i]) {
				return
			}
			heap[i], heap[c] = heap[c], heap[i]
			i = c
		}
	}
	for i := len(heap)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for r := int32(0); len(heap) > 0; {
		top := heap[0]
		c := 1 // the root's child of the smaller head, the smallest of the other runs
		if len(heap) > 2 && less(heap[2], heap[1]) {
			c = 2
		}
		end := top[1]
		if len(heap) > 1 {
			end = stretchBefore(values, top[0]+1, top[1], heap[c][0])
		}
		for k := top[0]; k < end; k++ {
			visit(k, r)
			r++
		}
		if end == top[1] {
			heap[0] = heap[len(heap)-1]
			heap = heap[:len(heap)-1]
			down(0)
			continue
		}
		// The run's next value is not before child c's head, the smallest: c goes up.
		heap[0][0] = end
		heap[0], heap[c] = heap[c], heap[0]
		down(c)
	}
}

// before reports whether index x of values comes before index y in MergeRuns' order:
// the smaller value first, equal values in index order.
func before(values []string, x, y int32) bool {
	if values[x] != values[y] {
		return values[x] < values[y]
	}
	return x < y
}

// stretchBefore returns the first index k in [lo, hi), a stretch of one ascending run,
// whose value does not come before index s (before), or hi: galloping from lo (1, 2, 4,
// ... values ahead), then a binary search in the last step.
func stretchBefore(values []string, lo, hi, s int32) int32 {
	from, step := lo, int32(1)
	for {
		k := from + step - 1
		if k >= hi {
			k = hi
		} else if before(values, k, s) {
			from, step = k+1, 2*step
			continue
		}
		// [from, k) is unknown, k does not come before s (or is hi).
		return from + int32(sort.Search(int(k-from), func(j int) bool { return !before(values, from+int32(j), s) }))
	}
}

// InsertSorted returns the codes of sorted (codes of values in the order of their values)
// and of added (any order; sorted in place), all in the order of their values. Each added
// code is placed by a binary search, so that adding a few codes to many costs few string
// comparisons. The values of the codes must be distinct.
func InsertSorted(values []string, sorted, added []int32) []int32 {
	byValue := func(a, b int32) int { return strings.Compare(values[a], values[b]) }
	slices.SortFunc(added, byValue)
	merged := make([]int32, 0, len(sorted)+len(added))
	at := 0
	for _, c := range added {
		k, _ := slices.BinarySearchFunc(sorted[at:], c, byValue)
		merged = append(merged, sorted[at:at+k]...)
		merged = append(merged, c)
		at += k
	}
	return append(merged, sorted[at:]...)
}

// RanksOf returns each code's position in order (a permutation of the codes 0..n-1):
// the Data.Rank of values whose codes order lists in ascending order of value.
func RanksOf(order []int32) []int32 {
	rank := make([]int32, len(order))
	for r, c := range order {
		rank[c] = int32(r)
	}
	return rank
}

// RanksAfter returns the ranks (Data.Rank) of values whose first n are in ascending order
// and the rest, distinct from them, in any order.
func RanksAfter(values []string, n int) []int32 {
	sorted := make([]int32, n)
	for k := range sorted {
		sorted[k] = int32(k)
	}
	added := make([]int32, 0, len(values)-n)
	for k := n; k < len(values); k++ {
		added = append(added, int32(k))
	}
	return RanksOf(InsertSorted(values, sorted, added))
}

// Ascending reports whether values are in strictly ascending order (Data.Ascending).
func Ascending(values []string) bool {
	for k := 1; k < len(values); k++ {
		if values[k-1] >= values[k] {
			return false
		}
	}
	return true
}

// Group is one encoded row group: its column chunks' bytes and metadata, with offsets
// relative to the start of Data.
type Group struct {
	Data    []byte
	NumRows int64
	chunks  []format.ColumnChunk
	colIdx  []format.ColumnIndex
	offIdx  []format.OffsetIndex
}

const (
	// pageBytes is parquet-go's page buffer size limit (98% of its 256 KiB default).
	pageBytes = 256901 // int32(256 KiB * 0.98)
	// chunkRows is how many rows parquet-go writes before it checks the page sizes.
	chunkRows = 64
	// indexSizeLimit is parquet-go's default length of min/max in the column index.
	indexSizeLimit = 16
	// maxDictBytes is the dictionary size past which parquet-go falls back to PLAIN
	// pages, which this package does not write.
	maxDictBytes = 1 << 30
)

// Encoder encodes row groups; it keeps buffers from group to group. An Encoder is not
// safe for concurrent use: give each goroutine its own.
type Encoder struct {
	cols     []Column
	lastSize int       // bytes of the last group encoded
	spare    []byte    // storage for the next group's Data (Reuse), nil for none
	local    [][]int32 // per string column: global code -> index in the chunk's dictionary, -1 none
	seen     []int32   // dictionary index -> page number + 1 that last saw it
	// per page
	idx, distinct []int32
	pageMax       int32       // the largest of idx
	defs, levels  []byte      // defs: the page's rows present (optional columns), a bit a row
	order         []int32     // the chunk's dictionary (chunkDict.order), kept for its storage
	lkey          []int32     // dictionary index -> key (encodeKeyed)
	bounds        keyBounds   // of the page being built (encodeKeyed)
	ranks         []rankCache // per column: ranks orderOf found
	whole         []wholeDict // per column: the dictionary page encodeCodeOrder keeps
	used          []uint64    // encodeCodeOrder: a bit for each code the chunk uses
	usedBase      []int32     // encodeCodeOrder: bits set in used before each word
	enc, comp     []byte
	chunk, dict   []byte
	header        thrift.Encoder
	headerBuf     bytesWriter
	proto         thrift.CompactProtocol
}

// NewEncoder returns an encoder for a flat schema of cols.
func NewEncoder(cols []Column) *Encoder {
	e := &Encoder{cols: cols, local: make([][]int32, len(cols)), ranks: make([]rankCache, len(cols)), whole: make([]wholeDict, len(cols))}
	e.header.Reset(e.proto.NewWriter(&e.headerBuf))
	return e
}

// Reuse hands the encoder the storage of a group's Data that its owner no longer
// needs (the group written out), for the next group it encodes: a group's bytes are
// some megabytes, and fresh ones are cleared and faulted in page by page.
func (e *Encoder) Reuse(data []byte) { e.spare = data }

// Encode encodes one row group; data holds one Data per column, all of the same length.
func (e *Encoder) Encode(data []Data) (*Group, error) {
	if len(data) != len(e.cols) {
		return nil, fmt.Errorf("parquetenc: %d columns of data for %d columns", len(data), len(e.cols))
	}
	// The previous group's size, and a little more: groups are alike, and growing the
	// buffer by doubling would copy it about twice over. A buffer handed back (Reuse) is
	// taken when it is that large.
	data0 := e.spare
	if e.spare = nil; cap(data0) < e.lastSize+e.lastSize/8 {
		data0 = make([]byte, 0, e.lastSize+e.lastSize/8)
	}
	g := &Group{
		Data:   data0[:0],
		chunks: make([]format.ColumnChunk, len(e.cols)),
		colIdx: make([]format.ColumnIndex, len(e.cols)),
		offIdx: make([]format.OffsetIndex, len(e.cols)),
	}
	for c := range e.cols {
		n := len(data[c].Codes)
		if e.cols[c].Bool {
			n = len(data[c].Bools)
		}
		if c == 0 {
			g.NumRows = int64(n)
		} else if int64(n) != g.NumRows {
			return nil, fmt.Errorf("parquetenc: column %s has %d rows, want %d", e.cols[c].Name, n, g.NumRows)
		}
	}
	for c := range e.cols {
		var err error
		if e.cols[c].Bool {
			err = e.encodeBools(g, c, data[c].Bools)
		} else {
			err = e.encodeStrings(g, c, &data[c])
		}
		if err != nil {
			return nil, err
		}
	}
	e.lastSize = len(g.Data)
	return g, nil
}

// chunkState accumulates one column chunk's metadata while its pages are written.
type chunkState struct {
	col       *Column
	meta      *format.ColumnMetaData
	indexer   parquet.ColumnIndexer
	typ       parquet.Type
	locs      []format.PageLocation
	defHist   []int64 // chunk definition level histogram (optional columns)
	pageHists []int64
	rows      int64
	stats     map[format.Encoding]int32
}

func (e *Encoder) newChunk(c int, typ parquet.Type, physical format.Type, encodings []format.Encoding) *chunkState {
	col := &e.cols[c]
	return &chunkState{
		col:     col,
		typ:     typ,
		indexer: typ.NewColumnIndexer(indexSizeLimit),
		meta: &format.ColumnMetaData{
			Type:         physical,
			Encoding:     encodings,
			PathInSchema: []string{col.Name},
			Codec:        col.Codec.format(),
		},
		stats: map[format.Encoding]int32{},
	}
}

// page describes one data page to write.
type page struct {
	rows, nulls int64
	defs        []byte // encoded definition levels (v2: uncompressed)
	body        []byte // encoded values before compression
	encoding    format.Encoding
	min, max    parquet.Value
	bounded     bool
}

// writePage compresses p, appends its header and bytes to e.chunk and records it.
func (e *Encoder) writePage(s *chunkState, p *page) error {
	comp := e.compress(s, p.body)
	crc := crc32.Update(0, crc32.IEEETable, p.defs)
	crc = crc32.Update(crc, crc32.IEEETable, comp)
	h := format.PageHeader{
		Type:                 format.DataPageV2,
		UncompressedPageSize: int32(len(p.defs) + len(p.body)),
		CompressedPageSize:   int32(len(p.defs) + len(comp)),
		CRC:                  int32(crc),
	}
	h.DataPageHeaderV2 = thrift.New(format.DataPageHeaderV2{
		NumValues:                  int32(p.rows),
		NumNulls:                   int32(p.nulls),
		NumRows:                    int32(p.rows),
		Encoding:                   p.encoding,
		DefinitionLevelsByteLength: int32(len(p.defs)),
		IsCompressed:               thrift.New(s.col.Codec != Uncompressed),
	})
	hdr, err := e.encodeHeader(&h)
	if err != nil {
		return err
	}
	offset := int64(len(e.chunk))
	e.chunk = appendDoubling(e.chunk, hdr, p.defs, comp)

	s.indexer.IndexPage(p.rows, p.nulls, p.min, p.max)
	m := s.meta
	m.NumValues += p.rows
	m.Statistics.NullCount += p.nulls
	if p.bounded {
		if m.Statistics.MaxValue == nil || s.typ.Compare(p.max, s.typ.Kind().Value(m.Statistics.MaxValue)) > 0 {
			m.Statistics.MaxValue = p.max.AppendBytes(make([]byte, 0))
		}
		if m.Statistics.MinValue == nil || s.typ.Compare(p.min, s.typ.Kind().Value(m.Statistics.MinValue)) < 0 {
			m.Statistics.MinValue = p.min.AppendBytes(make([]byte, 0))
		}
	}
	s.locs = append(s.locs, format.PageLocation{Offset: offset, CompressedPageSize: int32(len(e.chunk)) - int32(offset), FirstRowIndex: s.rows})
	s.rows += p.rows
	m.TotalUncompressedSize += int64(len(hdr)) + int64(h.UncompressedPageSize)
	m.TotalCompressedSize += int64(len(hdr)) + int64(h.CompressedPageSize)
	s.stats[p.encoding]++
	if s.col.Optional {
		s.pageHists = append(s.pageHists, p.nulls, p.rows-p.nulls)
		s.defHist[0] += p.nulls
		s.defHist[1] += p.rows - p.nulls
	}
	return nil
}

// encodeHeader returns the Thrift compact encoding of h (valid until the next call).
func (e *Encoder) encodeHeader(h *format.PageHeader) ([]byte, error) {
	e.headerBuf.b = e.headerBuf.b[:0]
	if err := e.header.Encode(h); err != nil {
		return nil, fmt.Errorf("parquetenc: page header: %w", err)
	}
	return e.headerBuf.b, nil
}

// dictPage is a column chunk's dictionary page, compressed: comp holds the compressed
// bytes of a PLAIN body of rawLen bytes and values values, crc their checksum.
type dictPage struct {
	comp   []byte
	rawLen int
	values int
	crc    uint32
}

// finish completes column c's chunk: dict (nil for none) is the encoded dictionary page
// body of dictLen values, written before the data pages in e.chunk.
func (e *Encoder) finish(g *Group, c int, s *chunkState, dict []byte, dictLen int) error {
	if dict == nil {
		return e.finishWith(g, c, s, nil)
	}
	comp := e.compress(s, dict)
	return e.finishWith(g, c, s, &dictPage{comp: comp, rawLen: len(dict), values: dictLen, crc: crc32.ChecksumIEEE(comp)})
}

// finishWith is finish with the dictionary page dp (nil for none) compressed already.
func (e *Encoder) finishWith(g *Group, c int, s *chunkState, dp *dictPage) error {
	base := int64(len(g.Data))
	m := s.meta
	pageStats := []format.PageEncodingStats{}
	if dp != nil {
		h := format.PageHeader{
			Type:                 format.DictionaryPage,
			UncompressedPageSize: int32(dp.rawLen),
			CompressedPageSize:   int32(len(dp.comp)),
			CRC:                  int32(dp.crc),
		}
		h.DictionaryPageHeader = thrift.New(format.DictionaryPageHeader{NumValues: int32(dp.values), Encoding: format.Plain})
		hdr, err := e.encodeHeader(&h)
		if err != nil {
			return err
		}
		m.DictionaryPageOffset = base
		g.Data = appendDoubling(g.Data, hdr, dp.comp)
		m.TotalUncompressedSize += int64(len(hdr)) + int64(dp.rawLen)
		m.TotalCompressedSize += int64(len(hdr)) + int64(len(dp.comp))
		pageStats = append(pageStats, format.PageEncodingStats{PageType: format.DictionaryPage, Encoding: format.Plain, Count: 1})
	}
	data := int64(len(g.Data))
	m.DataPageOffset = data
	for j := range s.locs {
		s.locs[j].Offset += data
	}
	g.Data = appendDoubling(g.Data, e.chunk)
	e.chunk = e.chunk[:0]
	for _, enc := range []format.Encoding{format.Plain, format.RLEDictionary} {
		if n := s.stats[enc]; n > 0 {
			pageStats = append(pageStats, format.PageEncodingStats{PageType: format.DataPageV2, Encoding: enc, Count: n})
		}
	}
	m.EncodingStats = pageStats
	ci := s.indexer.ColumnIndex()
	ci.MinValues = cloneBytes(ci.MinValues)
	ci.MaxValues = cloneBytes(ci.MaxValues)
	ci.NullPages = append([]bool(nil), ci.NullPages...)
	ci.NullCounts = append([]int64(nil), ci.NullCounts...)
	ci.RepetitionLevelHistogram = nil
	ci.DefinitionLevelHistogram = nil
	if s.col.Optional {
		ci.DefinitionLevelHistogram = s.pageHists
		m.SizeStatistics.DefinitionLevelHistogram = s.defHist
	}
	g.colIdx[c] = ci
	g.offIdx[c] = format.OffsetIndex{PageLocations: s.locs}
	g.chunks[c] = format.ColumnChunk{MetaData: *m}
	return nil
}

func cloneBytes(v [][]byte) [][]byte {
	out := make([][]byte, len(v))
	for i, b := range v {
		if b != nil {
			out[i] = append(make([]byte, 0, len(b)), b...)
		}
	}
	return out
}

// encodeBools writes a required BOOLEAN column chunk (PLAIN, bit-packed values).
func (e *Encoder) encodeBools(g *Group, c int, vals []bool) error {
	s := e.newChunk(c, parquet.BooleanType, format.Boolean, []format.Encoding{format.Plain})
	start := 0
	flush := func(end int) error {
		if end == start {
			return nil
		}
		p := page{rows: int64(end - start), encoding: format.Plain}
		e.enc = packBools(e.enc[:0], vals[start:end])
		p.body = e.enc
		if !s.col.NoBounds {
			lo, hi := boolBounds(e.enc, end-start)
			p.min, p.max, p.bounded = parquet.BooleanValue(lo), parquet.BooleanValue(hi), true
		}
		start = end
		return e.writePage(s, &p)
	}
	for r := 0; r < len(vals); r += chunkRows {
		end := min(r+chunkRows, len(vals))
		if int64(end-start+7)/8 >= pageBytes {
			if err := flush(end); err != nil {
				return err
			}
		}
	}
	if err := flush(len(vals)); err != nil {
		return err
	}
	return e.finish(g, c, s, nil, 0)
}

// packBools appends vals bit-packed, 8 to a byte, the first in the lowest bit.
func packBools(dst []byte, vals []bool) []byte {
	n := len(vals) / 8
	if n > 0 {
		// A bool is one byte of 0 or 1: multiplying 8 of them, read as one word, by
		// this constant gathers them into its top byte, the first lowest.
		raw := unsafe.Slice((*byte)(unsafe.Pointer(&vals[0])), 8*n)
		for k := 0; k < len(raw); k += 8 {
			dst = append(dst, byte(binary.LittleEndian.Uint64(raw[k:])*0x0102040810204080>>56))
		}
	}
	if rest := vals[8*n:]; len(rest) > 0 {
		var b byte
		for k, v := range rest {
			if v {
				b |= 1 << k
			}
		}
		dst = append(dst, b)
	}
	return dst
}

// boolBounds returns the smallest and largest of n booleans packed into packed
// (packBools): whether all are true, and whether any is.
func boolBounds(packed []byte, n int) (lo, hi bool) {
	lo = true
	for k, b := range packed {
		full := byte(0xFF)
		if k == len(packed)-1 && n%8 != 0 {
			full = byte(1)<<(n%8) - 1
		}
		lo, hi = lo && b == full, hi || b != 0
	}
	return lo, hi
}

// strPage is the state of the string page being built.
type strPage struct {
	rows   int
	number int32 // 1 for the chunk's first page
}

// chunkDict is the dictionary of the string column chunk being built.
type chunkDict struct {
	local []int32 // global code -> index in order, -1 none (the encoder's, reset after)
	order []int32 // global codes in first-appearance order
}

// encodeStrings writes a string column chunk: a PLAIN dictionary page of the chunk's
// values in first-appearance order, then RLE_DICTIONARY data pages.
func (e *Encoder) encodeStrings(g *Group, c int, d *Data) error {
	col := &e.cols[c]
	encs := []format.Encoding{format.Plain, format.RLEDictionary}
	if col.Optional {
		encs = []format.Encoding{format.Plain, format.RLE, format.RLEDictionary}
	}
	s := e.newChunk(c, parquet.String().Type(), format.ByteArray, encs)
	if col.Optional {
		s.defHist = make([]int64, 2)
	} else if col.CodeOrderDict && len(d.Values) <= len(d.Codes)/codeOrderRows {
		if keys, ok := e.orderOf(c, d); ok || col.NoBounds {
			return e.encodeCodeOrder(g, c, s, d, keys)
		}
	}
	if old := len(e.local[c]); old < len(d.Values) {
		e.local[c] = append(e.local[c], make([]int32, len(d.Values)-old)...)
		for k := old; k < len(e.local[c]); k++ {
			e.local[c][k] = -1
		}
	}
	dict := chunkDict{local: e.local[c], order: e.order[:0]}
	e.idx, e.defs, e.distinct, e.pageMax = e.idx[:0], e.defs[:0], e.distinct[:0], 0
	e.lkey, e.bounds = e.lkey[:0], keyBounds{}
	var err error
	if keys, ok := e.orderOf(c, d); ok || col.NoBounds {
		err = e.encodeKeyed(s, d, &dict, keys)
	} else {
		err = e.encodeCompared(s, d, &dict)
	}
	for _, code := range dict.order {
		dict.local[code] = -1
	}
	e.seen, e.order = e.seen[:0], dict.order[:0]
	if err != nil {
		return err
	}
	total := 0 // bytes of the values
	for _, code := range dict.order {
		if total += len(valueOf(d, code)); total > maxDictBytes {
			return fmt.Errorf("parquetenc: column %s: dictionary over %d bytes", col.Name, maxDictBytes)
		}
	}
	// Grown once to its size: appended value by value, a page of megabytes (a universe's
	// last row group, with the orphans: 13 MB) grew by a quarter at a time, allocating
	// about five times its size.
	e.dict = slices.Grow(e.dict[:0], 4*len(dict.order)+total)
	for _, code := range dict.order {
		v := valueOf(d, code)
		e.dict = binary.LittleEndian.AppendUint32(e.dict, uint32(len(v)))
		e.dict = append(e.dict, v...)
	}
	return e.finish(g, c, s, e.dict, len(dict.order))
}

// encodeCompared writes the data pages of a string column chunk whose page bounds are
// found by comparing the strings of each page's distinct values.
func (e *Encoder) encodeCompared(s *chunkState, d *Data, dict *chunkDict) error {
	col, codes := s.col, d.Codes
	pg := strPage{number: 1}
	for r := 0; r < len(codes); r += chunkRows {
		end := min(r+chunkRows, len(codes))
		if err := e.addStrings(col, d, codes[r:end], dict, pg.number); err != nil {
			return err
		}
		pg.rows += end - r
		size := int64(4 * len(e.idx))
		if col.Optional {
			size += int64(5 * pg.rows)
		}
		if size >= pageBytes {
			if err := e.flushStrings(s, d, dict, &pg); err != nil {
				return err
			}
		}
	}
	return e.flushStrings(s, d, dict, &pg)
}

// addStrings adds one write of up to 64 rows (codes) to the page being built.
func (e *Encoder) addStrings(col *Column, d *Data, codes []int32, dict *chunkDict, page int32) error {
	if !col.Optional {
		return e.addRequired(col, d, codes, dict, page)
	}
	return e.addOptional(col, d, codes, dict, keyOrder{}, boundsDistinct, page)
}

// addRequired is addStrings for a required column. A row with the code of the row
// before it takes the same dictionary index, already seen on this page. The page's
// indexes are grown once for all of codes and stored by position, not appended row by row.
func (e *Encoder) addRequired(col *Column, d *Data, codes []int32, dict *chunkDict, page int32) error {
	local, n, top := dict.local, uint32(len(d.Values)), e.pageMax
	prev, pl := int32(-1), int32(-1)
	at := len(e.idx)
	if at > 0 {
		// The page's last row: its index is seen on this page.
		pl = e.idx[at-1]
		prev = dict.order[pl]
	}
	idx := slices.Grow(e.idx, len(codes))[:at+len(codes)]
	out := idx[at:]
	for j, code := range codes {
		if code == prev && prev >= 0 {
			out[j] = pl
			continue
		}
		if uint32(code) >= n {
			e.idx, e.pageMax = idx[:at+j], top
			return requiredCodeError(col, code, n)
		}
		l := local[code]
		if l < 0 {
			l = e.newLocal(dict, code)
		}
		out[j] = l
		top = max(top, l)
		if e.seen[l] != page {
			e.seen[l] = page
			e.distinct = append(e.distinct, l)
		}
		prev, pl = code, l
	}
	e.idx, e.pageMax = idx, top
	return nil
}

// newLocal adds code to the chunk's dictionary and returns its index. Its tables (and
// addLocal's keys) grow by doubling, kept from chunk to chunk: a chunk of a universe's
// account ids has hundreds of thousands of values.
func (e *Encoder) newLocal(dict *chunkDict, code int32) int32 {
	l := int32(len(dict.order))
	dict.local[code] = l
	dict.order = pushDoubling(dict.order, code)
	e.seen = pushDoubling(e.seen, 0)
	return l
}

// pushDoubling appends v to s, doubling its capacity when it is full: append grows a
// large slice by a quarter at a time, allocating about five times its final size.
func pushDoubling[T any](s []T, v T) []T {
	if len(s) == cap(s) {
		s = slices.Grow(s, max(len(s), 256))
	}
	return append(s, v)
}

// flushStrings writes the string page in e.idx/e.defs/e.distinct, if any.
func (e *Encoder) flushStrings(s *chunkState, d *Data, dict *chunkDict, pg *strPage) error {
	if pg.rows == 0 {
		return nil
	}
	var lo, hi string
	bounded := !s.col.NoBounds && len(e.distinct) > 0
	if bounded {
		lo, hi = pageBounds(d, dict, e.distinct)
	}
	return e.writeStringPage(s, pg, lo, hi, bounded)
}

// writeStringPage writes the page of pg's rows in e.idx and e.defs, with lo and hi as its
// bounds when bounded, and empties the page's state for the next one.
func (e *Encoder) writeStringPage(s *chunkState, pg *strPage, lo, hi string, bounded bool) error {
	p, err := e.stringPage(s, pg)
	if err != nil {
		return err
	}
	if bounded {
		p.min, p.max, p.bounded = parquet.ByteArrayValue([]byte(lo)), parquet.ByteArrayValue([]byte(hi)), true
	}
	if err := e.writePage(s, &p); err != nil {
		return err
	}
	e.idx, e.defs, e.distinct, e.bounds, e.pageMax = e.idx[:0], e.defs[:0], e.distinct[:0], keyBounds{}, 0
	pg.rows = 0
	pg.number++
	return nil
}

// stringPage returns the string page of pg's rows in e.idx and e.defs, without bounds.
func (e *Encoder) stringPage(s *chunkState, pg *strPage) (page, error) {
	p := page{rows: int64(pg.rows), nulls: int64(pg.rows - len(e.idx)), encoding: format.RLEDictionary}
	if s.col.Optional {
		e.levels = appendLevels(e.levels[:0], e.defs, pg.rows)
		p.defs = e.levels
	}
	var err error
	e.enc, err = appendIndexes(e.enc[:0], e.idx, e.pageMax)
	if err != nil {
		return p, fmt.Errorf("parquetenc: column %s: indexes: %w", s.col.Name, err)
	}
	p.body = e.enc
	return p, nil
}

// pageBounds returns the smallest and largest of the page's distinct values (indexes
// into dict.order).
func pageBounds(d *Data, dict *chunkDict, distinct []int32) (lo, hi string) {
	if d.Ascending {
		// Codes are in the order of their values.
		lc := dict.order[distinct[0]]
		hc := lc
		for _, l := range distinct[1:] {
			c := dict.order[l]
			lc, hc = min(lc, c), max(hc, c)
		}
		return valueOf(d, lc), valueOf(d, hc)
	}
	if d.Rank != nil {
		lc := dict.order[distinct[0]]
		hc, lr, hr := lc, d.Rank[lc], d.Rank[lc]
		for _, l := range distinct[1:] {
			c := dict.order[l]
			if r := d.Rank[c]; r < lr {
				lc, lr = c, r
			} else if r > hr {
				hc, hr = c, r
			}
		}
		return valueOf(d, lc), valueOf(d, hc)
	}
	lo = valueOf(d, dict.order[distinct[0]])
	hi = lo
	for _, l := range distinct[1:] {
		v := valueOf(d, dict.order[l])
		if v < lo {
			lo = v
		} else if v > hi {
			hi = v
		}
	}
	return lo, hi
}

// presentCodes returns which of up to 64 codes are values (bit k: codes[k] >= 0). The
// sign bits of a pair of codes read as one little-endian word are its bits 31 and 63. A
// full write of 64 codes is read eight codes a step: four words' sign bits are gathered
// into one word, the even codes' in its low half and the odd codes' in its high half,
// which are interleaved once at the end (evenOdd). Shorter writes take four codes a step.
func presentCodes(codes []int32) uint64 {
	var w uint64
	k := 0
	if len(codes) == 64 {
		raw := unsafe.Slice((*byte)(unsafe.Pointer(&codes[0])), 4*64)
		var signs uint64 // bit m: code 2m's sign; bit 32+m: code 2m+1's
		for ; k < 64; k += 8 {
			b := raw[4*k : 4*k+32]
			s := binary.LittleEndian.Uint64(b)>>31&0x100000001 | binary.LittleEndian.Uint64(b[8:])>>30&0x200000002 |
				binary.LittleEndian.Uint64(b[16:])>>29&0x400000004 | binary.LittleEndian.Uint64(b[24:])>>28&0x800000008
			signs |= s << (k >> 1)
		}
		return ^(evenOdd(uint32(signs)) | evenOdd(uint32(signs>>32))<<1)
	}
	if len(codes) >= 4 {
		raw := unsafe.Slice((*byte)(unsafe.Pointer(&codes[0])), 4*len(codes))
		for ; k+3 < len(codes); k += 4 {
			x := ^binary.LittleEndian.Uint64(raw[4*k:])
			y := ^binary.LittleEndian.Uint64(raw[4*k+8:])
			w |= (x>>31&1 | x>>62&2 | y>>29&4 | y>>60&8) << k
		}
	}
	for ; k < len(codes); k++ {
		w |= uint64(uint32(^codes[k])>>31) << k // 1 when codes[k] >= 0
	}
	return w
}

// evenOdd spreads the 32 bits of x to the even bits of the result (bit m to bit 2m).
func evenOdd(x uint32) uint64 {
	v := uint64(x)
	v = (v | v<<16) & 0x0000ffff0000ffff
	v = (v | v<<8) & 0x00ff00ff00ff00ff
	v = (v | v<<4) & 0x0f0f0f0f0f0f0f0f
	v = (v | v<<2) & 0x3333333333333333
	return (v | v<<1) & 0x5555555555555555
}

func valueOf(d *Data, code int32) string {
	return d.Values[code]
}

// snappyEncode compresses src into dst's storage.
func snappyEncode(dst, src []byte) []byte {
	out, _ := parquet.Snappy.Encode(dst[:0], src) // never fails
	return out
}

// bytesWriter is the Thrift writer's sink: a plain growing buffer.
type bytesWriter struct{ b []byte }

func (w *bytesWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *bytesWriter) WriteString(s string) (int, error) {
	w.b = append(w.b, s...)
	return len(s), nil
}

func (w *bytesWriter) WriteByte(c byte) error {
	w.b = append(w.b, c)
	return nil
}

// requiredCodeError says why a code cannot go into a required column: a null (a negative
// code) or a code past the end of the column's values.
func requiredCodeError(col *Column, code int32, n uint32) error {
	if code < 0 {
		return fmt.Errorf("parquetenc: null in required column %s", col.Name)
	}
	return fmt.Errorf("parquetenc: column %s: code %d, want 0..%d", col.Name, code, n-1)
}
