package parquetenc

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/bits"
	"slices"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// codeOrderRows is how many rows a value a chunk needs for a CodeOrderDict column's
// dictionary to be in code order: in a smaller chunk, the bitmap of the codes used (a
// bit a value, cleared and counted per chunk) would cost more than the rows' lookups.
const codeOrderRows = 8

// wholeDict is what a CodeOrderDict column keeps from chunk to chunk: the PLAIN
// encoding of every value of values (the Data.Values it was made for, compared by address
// and length) in code order, value k's at plain[off[k]:off[k+1]], read in runs of the
// codes a chunk uses; and page, every value's dictionary page compressed with codec (nil
// until a chunk uses every value).
type wholeDict struct {
	values []string
	plain  []byte
	off    []int
	codec  Codec
	page   *dictPage
}

// encodeCodeOrder writes a CodeOrderDict column chunk: its dictionary holds the values
// the chunk uses in code order (marked in e.used), and a row's dictionary index is its
// code's rank among them (codeOrderIndexes), or the code itself when the chunk uses every
// value, whose dictionary page is then kept from chunk to chunk (wholePage). The data
// pages hold requiredPageRows rows, as parquet-go pages a required column. A page's bounds
// are its smallest and largest values by keys: what parquet-go's page index holds for the
// same rows.
func (e *Encoder) encodeCodeOrder(g *Group, c int, s *chunkState, d *Data, keys keyOrder) error {
	col, codes := s.col, d.Codes
	if err := e.markUsed(col, codes, int32(len(d.Values))); err != nil {
		return err
	}
	all := e.usedBase[len(e.usedBase)-1] == int32(len(d.Values))
	for r := 0; r < len(codes); r += requiredPageRows {
		rows := codes[r:min(r+requiredPageRows, len(codes))]
		lo, hi := rows[0], rows[0]
		for _, code := range rows[1:] {
			lo, hi = min(lo, code), max(hi, code)
		}
		idx, top := rows, hi
		if !all {
			idx, top = e.codeOrderIndexes(rows)
		}
		var err error
		if e.enc, err = appendIndexes(e.enc[:0], idx, top); err != nil {
			return fmt.Errorf("parquetenc: column %s: indexes: %w", col.Name, err)
		}
		p := page{rows: int64(len(rows)), encoding: format.RLEDictionary, body: e.enc}
		if !col.NoBounds {
			if keys.rank != nil {
				lo, hi = rankBounds(rows, keys.rank)
			}
			p.min, p.max = parquet.ByteArrayValue([]byte(d.Values[lo])), parquet.ByteArrayValue([]byte(d.Values[hi]))
			p.bounded = true
		}
		if err := e.writePage(s, &p); err != nil {
			return err
		}
	}
	if all {
		dp, err := e.wholePage(c, s, d)
		if err != nil {
			return err
		}
		return e.finishWith(g, c, s, dp)
	}
	w, err := e.plainOf(c, d)
	if err != nil {
		return err
	}
	e.dict = slices.Grow(e.dict[:0], usedBytes(w, e.used))
	eachUsedRun(e.used, func(lo, run int) {
		e.dict = append(e.dict, w.plain[w.off[lo]:w.off[lo+run]]...)
	})
	return e.finish(g, c, s, e.dict, int(e.usedBase[len(e.usedBase)-1]))
}

// usedBytes returns the bytes of w's plain values of the codes marked in used: the size
// of their dictionary page, which is then grown once, not a quarter at a time.
func usedBytes(w *wholeDict, used []uint64) int {
	n := 0
	eachUsedRun(used, func(lo, run int) { n += w.off[lo+run] - w.off[lo] })
	return n
}

// eachUsedRun calls fn for each run of consecutive codes marked in used, ascending: its
// first code and its length.
func eachUsedRun(used []uint64, fn func(lo, run int)) {
	for k, x := range used {
		for x != 0 {
			a := bits.TrailingZeros64(x)
			run := bits.TrailingZeros64(^(x >> a)) // the set bits from a on
			fn(k<<6|a, run)
			x &^= (1<<run - 1) << a // (1<<64 is 0: 1<<64-1 is every bit)
		}
	}
}

// markUsed checks that codes are codes of n values and marks those they use in e.used, a
// bit a code, with e.usedBase[w] the number of bits set in the words before w, and the
// total after the last.
func (e *Encoder) markUsed(col *Column, codes []int32, n int32) error {
	if len(codes) > 0 {
		lo, hi := codes[0], codes[0]
		for _, code := range codes[1:] {
			lo, hi = min(lo, code), max(hi, code)
		}
		if lo < 0 || hi >= n {
			for _, code := range codes {
				if code < 0 || code >= n {
					return requiredCodeError(col, code, uint32(n))
				}
			}
		}
	}
	words := (int(n) + 63) / 64
	used := slices.Grow(e.used[:0], words)[:words]
	clear(used)
	for _, code := range codes {
		used[code>>6] |= 1 << (code & 63)
	}
	base := slices.Grow(e.usedBase[:0], words+1)[:words+1]
	total := int32(0)
	for w, x := range used {
		base[w] = total
		total += int32(bits.OnesCount64(x))
	}
	base[words] = total
	e.used, e.usedBase = used, base
	return nil
}

// codeOrderIndexes returns the dictionary indexes of codes (marked in e.used: their ranks
// among the codes the chunk uses) in e.idx's storage, and the largest.
func (e *Encoder) codeOrderIndexes(codes []int32) ([]int32, int32) {
	used, base := e.used, e.usedBase
	idx := slices.Grow(e.idx[:0], len(codes))[:len(codes)]
	top := int32(0)
	for j, code := range codes {
		w := code >> 6
		k := base[w] + int32(bits.OnesCount64(used[w]&(1<<(code&63)-1)))
		idx[j], top = k, max(top, k)
	}
	e.idx = idx
	return idx, top
}

// rankBounds returns the codes of the smallest and largest rank among codes (valid
// indexes of rank), without a branch a row: each code is packed below its rank.
func rankBounds(codes, rank []int32) (lo, hi int32) {
	pack := func(code int32) uint64 { return uint64(uint32(rank[code]))<<32 | uint64(uint32(code)) }
	l := pack(codes[0])
	h := l
	for _, code := range codes[1:] {
		k := pack(code)
		l, h = min(l, k), max(h, k)
	}
	return int32(uint32(l)), int32(uint32(h))
}

// plainOf returns column c's wholeDict with the PLAIN encoding of d.Values, made again
// when d.Values is not the slice it was made for.
func (e *Encoder) plainOf(c int, d *Data) (*wholeDict, error) {
	w := &e.whole[c]
	if w.off != nil && len(w.values) == len(d.Values) && unsafe.SliceData(w.values) == unsafe.SliceData(d.Values) {
		return w, nil
	}
	total := 0 // bytes of the values
	for _, v := range d.Values {
		if total += len(v); total > maxDictBytes {
			*w = wholeDict{}
			return nil, fmt.Errorf("parquetenc: column %s: dictionary over %d bytes", e.cols[c].Name, maxDictBytes)
		}
	}
	// The plain values are grown once to their size, not a quarter at a time.
	*w = wholeDict{values: d.Values, plain: slices.Grow(w.plain[:0], 4*len(d.Values)+total),
		off: slices.Grow(w.off[:0], len(d.Values)+1)}
	for _, v := range d.Values {
		w.off = append(w.off, len(w.plain))
		w.plain = binary.LittleEndian.AppendUint32(w.plain, uint32(len(v)))
		w.plain = append(w.plain, v...)
	}
	w.off = append(w.off, len(w.plain))
	return w, nil
}

// wholePage returns column c's dictionary page of every value of d.Values in code
// order, compressed by the column's codec: the page kept from the last chunk when it was
// made for the same values and codec.
func (e *Encoder) wholePage(c int, s *chunkState, d *Data) (*dictPage, error) {
	w, err := e.plainOf(c, d)
	if err != nil {
		return nil, err
	}
	if w.page == nil || w.codec != s.col.Codec {
		comp := append([]byte(nil), e.compress(s, w.plain)...) // kept: e.comp is reused
		w.codec = s.col.Codec
		w.page = &dictPage{comp: comp, rawLen: len(w.plain), values: len(d.Values), crc: crc32.ChecksumIEEE(comp)}
	}
	return w.page, nil
}
