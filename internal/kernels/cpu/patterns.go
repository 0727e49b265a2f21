package cpu

import (
	"context"
	"fmt"
	"math/bits"
	"slices"

	"github.com/rolemine/rolemine/internal/parallel"
)

// Identities with the same value on every single-valued dimension of a query share a
// pattern: their rows of the layout's table are equal, and so is everything the two-term
// path counts of them. Patterns are numbered once per query (numberRows); a role is then
// counted over its holders' distinct patterns, each weighted by how many holders have it
// (pairCounter.dedup). At tier L the 1M identities have about 400,000 patterns over the
// attributes of people and 3,600 over those of service accounts, and a role's holders have
// about half as many distinct patterns as holders (a forty-fifth for service accounts).
// A multi-valued dimension is left out of the pattern: its values are read per holder
// (multi.go, dedupEntries). Patterns are numbered only where the roles counted have
// several holders per identity (patternsPay, pairs.go).

// patterns numbers the distinct rows of a layout's table: their single-valued
// dimensions' columns, where a query also has a multi-valued dimension.
type patterns struct {
	of    []int32 // by identity: its pattern
	count int
	// rows of each pattern, in the layout table's form: tab16 when it is narrow, else tab;
	// lay.w values each, stride apart.
	tab16  []uint16
	tab    []int32
	stride int
	// ents, with a multi-valued dimension, holds each identity's pattern and values of that
	// dimension (multi.go, entryTable), entBits a value.
	ents    []uint64
	entBits int
	// ordered: numbered by orderByWide, so that a large role is counted in pattern order.
	ordered bool
	// sub numbers the patterns' projections onto the narrowest wide dimensions (nil: none
	// pays; subPatterns).
	sub *subPatterns
}

// newPatterns numbers the rows of lay's table (n identities) that in names (nil: all) on
// workers goroutines; an identity out of scope gets no pattern (of -1): no role's count
// reads it. It returns nil, unless always is set, where the patterns are more than half
// the identities (in scope or not): roles then share too few for counting by pattern to
// pay; and, with a multi-valued dimension, where its values do not pack (entryTable).
func newPatterns(ctx context.Context, lay *layout, n int, in []uint64, workers int, always, order bool) (*patterns, error) {
	// A pattern is a row's first lay.w values, its single-valued dimensions' codes; the
	// values of one multi-valued dimension at most go beside it (entryTable). A second one
	// would be in neither, and its holders' values would be lost.
	if multi := len(lay.single) - lay.w; multi > 1 {
		return nil, fmt.Errorf("cpu: patterns of a query with %d multi-valued dimensions, at most 1 expected", multi)
	}
	pt, most, err := &patterns{}, n/2, error(nil)
	if always {
		most = n
	}
	if lay.tab16 != nil {
		pt.stride = rowStride(lay.w)
		pt.of, pt.tab16, err = numberRows(ctx, lay.tab16, lay.stride, lay.w, pt.stride, n, in, most, workers)
		pt.count = len(pt.tab16) / pt.stride
	} else {
		pt.stride = lay.w
		pt.of, pt.tab, err = numberRows(ctx, lay.tab, lay.stride, lay.w, pt.stride, n, in, most, workers)
		pt.count = len(pt.tab) / pt.stride
	}
	if err != nil || pt.of == nil {
		return nil, err
	}
	if order {
		if err := pt.orderByWide(ctx, lay, workers); err != nil {
			return nil, err
		}
		pt.sub = newSubPatterns(lay, pt)
	}
	if lay.lastMulti >= 0 {
		if ok, err := pt.entryTable(ctx, lay, n, workers); !ok || err != nil {
			return nil, err
		}
		pt.of = nil // read through ents
	}
	return pt, nil
}

// rowStride returns the stride of rows of w 16-bit values in the patterns' table: a power
// of two up to 32, so that a row of at most 64 bytes never straddles a cache line.
func rowStride(w int) int {
	if w > 32 {
		return w
	}
	return 1 << bits.Len(uint(w-1))
}

// rowChunk is how many rows one item of numberRows' parallel passes takes.
const rowChunk = 1 << 16

// rowShares is how many shares numberRows splits the rows into by hash: several per
// worker, so that the workers' loads even out (a share's cost follows its distinct rows and
// cache misses, not its row count alone), and the same whatever the worker count.
const rowShares = 8

// numberRows numbers the distinct rows of tab that in names (nil: all; tab holds n rows
// of w > 0 values, row i at tab[i*stride:], stride >= w): of[i] is row i's number (-1 out
// of scope), rows the distinct rows by number (w values each, ow >= w apart). Rows are
// hashed on every worker and listed by share (rowShares, by hash), in row order; each
// share is numbered in a table of its own, its numbers following those of the shares
// before it. It gives up (of nil) once the distinct rows are more than most, each share
// held to its part of most by its rows.
func numberRows[E uint16 | int32](ctx context.Context, tab []E, stride, w, ow, n int, in []uint64, most, workers int) (of []int32, rows []E, err error) {
	hs, of := make([]uint64, n), make([]int32, n)
	chunks := (n + rowChunk - 1) / rowChunk
	at := make([][rowShares]int32, chunks) // by chunk: its rows in each share, then where they go in idx
	if err := parallel.Each(ctx, chunks, workers, func(_, k int) error {
		for i := k * rowChunk; i < min(n, (k+1)*rowChunk); i++ {
			if !inScope(in, int32(i)) {
				of[i] = -1
				continue
			}
			h := hashRow(tab[i*stride : i*stride+w])
			hs[i] = h
			at[k][share(h)]++
		}
		return nil
	}); err != nil {
		return nil, nil, err
	}
	var bounds [rowShares + 1]int32 // share g's rows are idx[bounds[g]:bounds[g+1]]
	for g := range rowShares {
		bounds[g+1] = bounds[g]
		for k := range at {
			size := at[k][g]
			at[k][g] = bounds[g+1]
			bounds[g+1] += size
		}
	}
	idx := make([]int32, bounds[rowShares])
	if err := parallel.Each(ctx, chunks, workers, func(_, k int) error {
		next := &at[k]
		for i := k * rowChunk; i < min(n, (k+1)*rowChunk); i++ {
			if of[i] == 0 { // in scope (-1 otherwise)
				g := share(hs[i])
				idx[next[g]] = int32(i)
				next[g]++
			}
		}
		return nil
	}); err != nil {
		return nil, nil, err
	}
	return numberShares(ctx, tab, stride, w, ow, n, hs, idx, bounds, most, workers, of)
}

// numberShares is numberRows once its rows are listed by share: it numbers each share,
// then offsets each share's numbers and copies its distinct rows out.
func numberShares[E uint16 | int32](ctx context.Context, tab []E, stride, w, ow, n int, hs []uint64, idx []int32,
	bounds [rowShares + 1]int32, most, workers int, of []int32) ([]int32, []E, error) {
	total := max(int64(bounds[rowShares]), 1)
	var firsts [rowShares][]int32 // by share: the first row of each of its numbers
	if err := parallel.Each(ctx, rowShares, workers, func(_, g int) error {
		rows := idx[bounds[g]:bounds[g+1]]
		firsts[g] = numberShare(tab, stride, w, hs, rows, of, int(int64(len(rows))*int64(most)/total))
		return nil
	}); err != nil || slices.ContainsFunc(firsts[:], func(f []int32) bool { return f == nil }) {
		return nil, nil, err
	}
	var start [rowShares + 1]int32
	for g, f := range firsts {
		start[g+1] = start[g] + int32(len(f))
	}
	rows := make([]E, int(start[rowShares])*ow)
	err := parallel.Each(ctx, 2*rowShares, workers, func(_, k int) error {
		g := k % rowShares
		if k >= rowShares { // share g's rows
			for l, i := range firsts[g] {
				copy(rows[(int(start[g])+l)*ow:], tab[int(i)*stride:int(i)*stride+w])
			}
			return nil
		}
		for _, i := range idx[bounds[g]:bounds[g+1]] {
			of[i] += start[g]
		}
		return nil
	})
	return of, rows, err
}

// hashRow hashes one row of a layout's table.
func hashRow[E uint16 | int32](row []E) uint64 {
	h := uint64(0x9E3779B97F4A7C15)
	for _, v := range row {
		h = (h ^ uint64(v)) * 0xff51afd7ed558ccd
	}
	return h ^ h>>32
}

// share is the share of numberRows that numbers rows of hash h.
func share(h uint64) int { return int((h >> 32) * rowShares >> 32) }

// numberShare numbers, in order of first appearance, the distinct rows of tab (numberRows'
// rows) listed in rows (ascending; hs holds their hashes): of[i] is set to row i's number
// within the share, and the first row of each number is returned (non-nil), or nil once
// they are more than limit. The table holds, per slot, the high half of a row's hash and
// its number+1 (0: empty), probed linearly.
func numberShare[E uint16 | int32](tab []E, stride, w int, hs []uint64, rows []int32, of []int32, limit int) []int32 {
	slots := make([]uint64, 1<<bits.Len(uint(2*limit))) // at most half full
	mask := uint64(len(slots) - 1)
	firsts := []int32{}
	for _, i := range rows {
		h := hs[i]
		row, lo := tab[int(i)*stride:int(i)*stride+w], h>>32
		for s := h & mask; ; s = (s + 1) & mask {
			x := slots[s]
			if x == 0 {
				if len(firsts) == limit {
					return nil
				}
				slots[s] = lo<<32 | uint64(len(firsts)+1)
				of[i] = int32(len(firsts))
				firsts = append(firsts, i)
				break
			}
			if id := int32(x) - 1; x>>32 == lo && slices.Equal(tab[int(firsts[id])*stride:int(firsts[id])*stride+w], row) {
				of[i] = id
				break
			}
		}
	}
	return firsts
}

// orderByWide renumbers the patterns in order of their values on the query's wide
// single-valued dimensions (orderCard values or more), from the one with the fewest values
// to the one with the most (lexicographically; no value first; ties in pattern order), and
// permutes of and the rows to match. An identity's position follows no attribute, so in
// numbers of first appearance the patterns of one cost centre or manager lie anywhere in
// the table; in this order those of one value of the first wide dimension are neighbours,
// and so, within it, are those of a value of a finer dimension nested in it (a cost
// centre's teams and managers). A large role counted in pattern order (inPatternOrder,
// pairs.go) then reads the table forward and finds the holders of one such value in a few
// cache lines, where its buckets (bucketPairs) would otherwise read one line per holder.
// Counts do not depend on the order of rows.
func (pt *patterns) orderByWide(ctx context.Context, lay *layout, workers int) error {
	keys := wideDims(lay)
	if len(keys) == 0 {
		return nil
	}
	pt.ordered = true
	var next []int32
	if pt.tab16 != nil {
		next, pt.tab16 = orderRows(pt.tab16, pt.stride, pt.count, keys, make([]int32, lay.w))
	} else {
		next, pt.tab = orderRows(pt.tab, pt.stride, pt.count, keys, lay.off)
	}
	of := pt.of
	const chunk = 1 << 16
	return parallel.Each(ctx, (len(of)+chunk-1)/chunk, workers, func(_, k int) error {
		for i := k * chunk; i < min(len(of), (k+1)*chunk); i++ {
			if x := of[i]; x >= 0 {
				of[i] = next[x]
			}
		}
		return nil
	})
}

// orderCard is the fewest values of a dimension that orderByWide orders patterns by: a
// narrower one's values have many holders each, whose reads are dense enough in any order.
const orderCard = 1 << 10

// wideDim is one key of orderByWide: a single-valued index and its number of values.
type wideDim struct{ s, card int }

// wideDims returns lay's single-valued dimensions of at least orderCard values, by number
// of values, ascending (ties by position).
func wideDims(lay *layout) []wideDim {
	var keys []wideDim
	for s := range lay.w {
		end := lay.terms
		if s+1 < lay.w {
			end = lay.off[s+1]
		}
		if c := int(end - lay.off[s] - 1); c >= orderCard {
			keys = append(keys, wideDim{s, c})
		}
	}
	slices.SortStableFunc(keys, func(x, y wideDim) int { return x.card - y.card })
	return keys
}

// orderRows sorts count rows of tab (stride apart) by the keys' columns, the first key
// first, each value less off[s] (0..card: code+1), stably: a counting sort by each key in
// turn from the last. It returns each row's new number and the rows in their new order.
func orderRows[E uint16 | int32](tab []E, stride, count int, keys []wideDim, off []int32) ([]int32, []E) {
	idx, tmp, val := make([]int32, count), make([]int32, count), make([]int32, count)
	for r := range idx {
		idx[r] = int32(r)
	}
	for k := len(keys) - 1; k >= 0; k-- {
		s, sub := keys[k].s, off[keys[k].s]
		at := make([]int32, keys[k].card+2)
		for r := range count {
			v := int32(tab[r*stride+s]) - sub
			val[r] = v
			at[v+1]++
		}
		for v := 1; v < len(at); v++ {
			at[v] += at[v-1]
		}
		for _, r := range idx {
			v := val[r]
			tmp[at[v]] = r
			at[v]++
		}
		idx, tmp = tmp, idx
	}
	next, out := tmp, make([]E, len(tab))
	for x, r := range idx {
		next[r] = int32(x)
		copy(out[x*stride:x*stride+stride], tab[int(r)*stride:int(r)*stride+stride])
	}
	return next, out
}

// subPatterns names the dimensions of the patterns' projection a large role counts some
// of its pairs over: a prefix of orderByWide's keys (the narrowest wide dimensions), with
// every other dimension whose value those keys determine over all patterns. Patterns are
// in the keys' order, so the patterns of one projection are neighbours: a large role's
// distinct patterns, read in ascending order, fall in runs of one projection each, and
// the pairs of two dimensions of the projection are counted over the runs, weighted,
// instead of over its patterns (pairCounter.subRuns, pairs.go). Which dimensions are in
// it changes the cost alone: a run is cut wherever a row's ranks differ from the row
// before on any of them, so the counts are the same whatever it holds.
type subPatterns struct {
	in    []bool // by position in q.Dims: whether the dimension is in the projection
	count int    // distinct projections of the patterns
}

// subKeys bounds how many of orderByWide's keys a projection may take: each one more
// splits the projections further, and the first few carry the wide pairs.
const subKeys = 4

// subShare: the projection is kept where the patterns are at least subShare times as
// many as its distinct values: counting its pairs over fewer rows must pay for finding
// them.
const subShare = 2

// newSubPatterns returns the projection of pt's patterns (ordered by orderByWide), or nil
// where no prefix of the keys has subShare times fewer distinct values than there are
// patterns while spanning at least two dimensions.
func newSubPatterns(lay *layout, pt *patterns) *subPatterns {
	keys := wideDims(lay)
	if !pt.ordered || pt.count == 0 || len(keys) == 0 {
		return nil
	}
	keys = keys[:min(len(keys), subKeys)]
	// first[x]: the first key on which pattern x differs from pattern x-1 (len(keys): none).
	first := make([]uint8, pt.count)
	diff := make([]int, len(keys)+1) // how many patterns have each first
	for x := 1; x < pt.count; x++ {
		f := 0
		for f < len(keys) && pt.value(x, keys[f].s) == pt.value(x-1, keys[f].s) {
			f++
		}
		first[x] = uint8(f)
		diff[f]++
	}
	k, distinct := 0, 1
	for f := range keys { // the longest prefix with few enough projections
		if distinct += diff[f]; distinct*subShare > pt.count {
			break
		}
		k = f + 1
	}
	if k == 0 {
		return nil
	}
	sp := &subPatterns{in: make([]bool, len(lay.single)), count: 1}
	for x := 1; x < pt.count; x++ {
		if int(first[x]) < k {
			sp.count++
		}
	}
	spanned := 0
	for s := range lay.w {
		if sp.determined(pt, first, k, s) {
			sp.in[lay.pos[s]] = true
			spanned++
		}
	}
	if spanned < 2 {
		return nil
	}
	return sp
}

// determined reports whether single-valued dimension s has one value within each
// projection onto the first k keys (first as newSubPatterns sets it): a key's own, or one
// the keys determine.
func (sp *subPatterns) determined(pt *patterns, first []uint8, k, s int) bool {
	for x := 1; x < pt.count; x++ {
		if int(first[x]) >= k && pt.value(x, s) != pt.value(x-1, s) {
			return false
		}
	}
	return true
}

// value returns pattern x's value on single-valued dimension s, as its table holds it.
func (pt *patterns) value(x, s int) int32 {
	if pt.tab16 != nil {
		return int32(pt.tab16[x*pt.stride+s])
	}
	return pt.tab[x*pt.stride+s]
}
