package parquetenc

import (
	"fmt"
	"math/bits"
	"slices"
	"unsafe"
)

// requiredPageRows is how many rows a page of a required string column holds: parquet-go
// checks the page's size (4 bytes an index) after every write of chunkRows rows, so the
// first multiple of chunkRows whose indexes reach pageBytes.
const requiredPageRows = (pageBytes + 4*chunkRows - 1) / (4 * chunkRows) * chunkRows

// smallDict is the most values the encoder ranks itself (by sorting them) for a column
// that gives no order (Data.Ascending, Data.Rank).
const smallDict = 1 << 12

// keyOrder gives each code of a column an integer key that orders the codes as their
// values: the code itself (rank nil) or rank[code].
type keyOrder struct {
	rank []int32
}

// orderOf returns d's key order; ok is false when none is at hand (a large dictionary
// without Data.Ascending or Data.Rank: the page bounds are then found by comparing
// strings). A small dictionary is ranked once and the ranks kept for the next groups of
// the same values.
func (e *Encoder) orderOf(c int, d *Data) (keyOrder, bool) {
	switch {
	case d.Ascending:
		return keyOrder{}, true
	case d.Rank != nil:
		return keyOrder{rank: d.Rank}, true
	case len(d.Values) > smallDict:
		return keyOrder{}, false
	}
	r := &e.ranks[c]
	if len(r.values) != len(d.Values) || (len(d.Values) > 0 && unsafe.SliceData(r.values) != unsafe.SliceData(d.Values)) {
		order := make([]int32, len(d.Values))
		for k := range order {
			order[k] = int32(k)
		}
		slices.SortFunc(order, func(a, b int32) int {
			if d.Values[a] < d.Values[b] {
				return -1
			}
			if d.Values[a] > d.Values[b] {
				return 1
			}
			return int(a - b)
		})
		r.values, r.rank = d.Values, make([]int32, len(d.Values))
		for k, code := range order {
			r.rank[code] = int32(k)
		}
	}
	return keyOrder{rank: r.rank}, true
}

// rankCache is the ranks orderOf found for one column's values.
type rankCache struct {
	values []string
	rank   []int32
}

// keyBounds are the smallest and largest keys of the values on the page being built, with
// their dictionary indexes; n counts the values seen (0: none yet).
type keyBounds struct {
	lo, hi   int32
	lol, hil int32
	n        int
}

// see adds the value of dictionary index l and key k.
func (b *keyBounds) see(l, k int32) {
	if b.n == 0 || k < b.lo {
		b.lo, b.lol = k, l
	}
	if b.n == 0 || k > b.hi {
		b.hi, b.hil = k, l
	}
	b.n++
}

// encodeKeyed writes the data pages of a string column chunk whose page bounds come from
// keys (or that has none): required columns a page at a time, optional ones in
// parquet-go's writes of chunkRows rows, since their page ends depend on the nulls.
func (e *Encoder) encodeKeyed(s *chunkState, d *Data, dict *chunkDict, keys keyOrder) error {
	col, codes := s.col, d.Codes
	pg := strPage{number: 1}
	if !col.Optional {
		for r := 0; r < len(codes); r += requiredPageRows {
			end := min(r+requiredPageRows, len(codes))
			if err := e.addRequiredKeyed(col, d, codes[r:end], dict, keys); err != nil {
				return err
			}
			pg.rows = end - r
			if err := e.flushKeyed(s, d, dict, &pg); err != nil {
				return err
			}
		}
		return nil
	}
	for r := 0; r < len(codes); r += chunkRows {
		end := min(r+chunkRows, len(codes))
		bounds := boundsKeyed
		if col.NoBounds {
			bounds = boundsNone
		}
		if err := e.addOptional(col, d, codes[r:end], dict, keys, bounds, 0); err != nil {
			return err
		}
		pg.rows += end - r
		if int64(4*len(e.idx))+int64(5*pg.rows) >= pageBytes {
			if err := e.flushKeyed(s, d, dict, &pg); err != nil {
				return err
			}
		}
	}
	return e.flushKeyed(s, d, dict, &pg)
}

// addLocal adds code to the chunk's dictionary (newLocal) and records its key in e.lkey:
// the code itself (keys.rank nil) or keys.rank[code].
func (e *Encoder) addLocal(dict *chunkDict, keys keyOrder, code int32) int32 {
	l := e.newLocal(dict, code)
	k := code
	if keys.rank != nil {
		k = keys.rank[code]
	}
	e.lkey = pushDoubling(e.lkey, k)
	return l
}

// addRequiredKeyed adds the rows of a required column's page. A row with the code of the
// row before it takes the same dictionary index, and changes no bound. The indexes are
// grown once for the page's rows, as in addRequired.
func (e *Encoder) addRequiredKeyed(col *Column, d *Data, codes []int32, dict *chunkDict, keys keyOrder) error {
	local, n, top := dict.local, uint32(len(d.Values)), e.pageMax
	track := !col.NoBounds
	b := &e.bounds
	prev, pl := int32(-1), int32(-1)
	at := len(e.idx)
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
			l = e.addLocal(dict, keys, code)
		}
		out[j] = l
		top = max(top, l)
		if track {
			b.see(l, e.lkey[l])
		}
		prev, pl = code, l
	}
	e.idx, e.pageMax = idx, top
	return nil
}

// How an optional column's adds track the page bounds.
const (
	boundsNone     = iota // NoBounds
	boundsKeyed           // keyBounds, from keys
	boundsDistinct        // the page's distinct values, compared as strings at flush
)

// addOptional adds one write of up to chunkRows rows of an optional column to the page
// being built, tracking the page bounds as bounds says; page is the page's number
// (boundsDistinct). A row with a code >= 0 is a value and every other row a null: the
// rows' definition levels go into e.defs as bits (appendMask), and only the values are
// visited. (Until the eighteenth session some nulls were written as "", reproducing
// parquet-go v0.32.0's writer: docs/outputs.md, "assignments.parquet".)
func (e *Encoder) addOptional(col *Column, d *Data, codes []int32, dict *chunkDict, keys keyOrder, bounds int, page int32) error {
	present := presentCodes(codes)
	e.defs = appendMask(e.defs, present, len(codes))
	b := &e.bounds
	n := uint32(len(d.Values))
	idx, top := e.idx, e.pageMax
	for m := present; m != 0; m &= m - 1 {
		code := codes[bits.TrailingZeros64(m)]
		if uint32(code) >= n {
			e.idx, e.pageMax = idx, top
			return fmt.Errorf("parquetenc: column %s: code %d, want 0..%d", col.Name, code, len(d.Values)-1)
		}
		l := dict.local[code]
		if l < 0 {
			l = e.addLocal(dict, keys, code)
		}
		idx = append(idx, l)
		top = max(top, l)
		switch bounds {
		case boundsKeyed:
			b.see(l, e.lkey[l])
		case boundsDistinct:
			if e.seen[l] != page {
				e.seen[l] = page
				e.distinct = append(e.distinct, l)
			}
		}
	}
	e.idx, e.pageMax = idx, top
	return nil
}

// flushKeyed writes the page built by the keyed adds, if any.
func (e *Encoder) flushKeyed(s *chunkState, d *Data, dict *chunkDict, pg *strPage) error {
	if pg.rows == 0 {
		return nil
	}
	var lo, hi string
	b := &e.bounds
	if b.n > 0 {
		lo, hi = valueOf(d, dict.order[b.lol]), valueOf(d, dict.order[b.hil])
	}
	return e.writeStringPage(s, pg, lo, hi, b.n > 0)
}
