package mining

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/hugepage"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/parallel"
)

// supportCache maps criteria to their support within one batch of roles. Criteria of one
// or two terms with small codes (nearly all of them) are packed into a uint64 key, which
// hashes and compares far faster than the 36-byte struct; the rest use the struct.
type supportCache struct {
	small map[uint64]int32
	large map[kernels.Criterion]int32
}

func newSupportCache() *supportCache {
	return &supportCache{small: map[uint64]int32{}, large: map[kernels.Criterion]int32{}}
}

// pack returns c's packed key: bits 56-63 the first dimension, 32-55 its value, 24-31 the
// second dimension plus one (0 for a single term), 0-23 its value.
func pack(c *kernels.Criterion) (uint64, bool) {
	if c.N > 2 || c.T[0].Dim > 255 || c.T[0].Val >= 1<<24 {
		return 0, false
	}
	k := uint64(c.T[0].Dim)<<56 | uint64(c.T[0].Val)<<32
	if c.N == 2 {
		if c.T[1].Dim >= 255 || c.T[1].Val >= 1<<24 {
			return 0, false
		}
		k |= uint64(c.T[1].Dim+1)<<24 | uint64(c.T[1].Val)
	}
	return k, true
}

func (s *supportCache) get(c *kernels.Criterion) (int32, bool) {
	if k, ok := pack(c); ok {
		v, found := s.small[k]
		return v, found
	}
	v, found := s.large[*c]
	return v, found
}

func (s *supportCache) set(c *kernels.Criterion, v int32) {
	if k, ok := pack(c); ok {
		s.small[k] = v
		return
	}
	s.large[*c] = v
}

func (s *supportCache) clear() {
	clear(s.small)
	clear(s.large)
}

// supportTable holds the support of every criterion of one or two terms on a mining
// rule's dimensions, computed once per mining rule: single terms as dense arrays (the
// lengths of the scope index's posting lists) and pairs of terms as sorted lists, so that
// looking a support up costs an array index or a short binary search, never a hash.
type supportTable struct {
	pos   []int     // dimension -> position among the mining rule's dimensions, or -1
	one   [][]int32 // [position][value]: in-scope identities with the value
	pairs []pairSupports
	nd    int
	// packed holds, by position, a multi-valued dimension's values by identity
	// (packValues), nil for a single-valued one; selection's neutral tallies read them too.
	packed [][]uint64
}

// pairSupports are the supports of the two-term criteria on dimensions a < b, in one of
// three forms:
//   - sparse: for each value v of a, ent[off[v]:off[v+1]] are the values of b held
//     together with v (ascending), each with the number of in-scope identities holding
//     both;
//   - dense (dense != nil): the support of (v, w) is dense[v*cb+w], for pairs of small
//     dictionaries or many co-occurring values, where a lookup is one read instead of a
//     search;
//   - by partner (partner != nil): every in-scope identity holding value w of b holds
//     value partner[w] of a (a team within its department), so that the support of
//     (v, w) is that of w alone when v is its partner, and 0 otherwise.
type pairSupports struct {
	off     []int64
	ent     []pairEnt
	dense   []int32
	cb      int
	partner []int32
}

// pairEnt is a value and a count side by side: a lookup touches one cache line.
type pairEnt struct{ val, cnt int32 }

// newSupportTable counts the supports over the scope index ix of the dimensions dims
// (ascending), the pairs of dimensions in parallel on up to workers goroutines. Its error
// is a worker's panic.
func newSupportTable(snap *columnar.Snapshot, ix *index, dims []int32, workers int) (*supportTable, error) {
	t := &supportTable{pos: make([]int, len(snap.Dims)), one: make([][]int32, len(dims)), nd: len(dims)}
	for d := range t.pos {
		t.pos[d] = -1
	}
	for a, d := range dims {
		t.pos[d] = a
		off := ix.off[d]
		sup := make([]int32, len(off)-1)
		for v := range sup {
			sup[v] = off[v+1] - off[v]
		}
		t.one[a] = sup
	}
	t.pairs = make([]pairSupports, len(dims)*len(dims))
	packed := make([][]uint64, len(dims)) // by position: a multi-valued dimension's values
	for b, d := range dims {
		if snap.Dims[d].MultiOff != nil {
			var err error
			if packed[b], err = packValues(&snap.Dims[d], workers); err != nil {
				return nil, fmt.Errorf("pack the values of dimension %s: %w", snap.Dims[d].Name, err)
			}
		}
	}
	t.packed = packed
	var todo []struct{ a, b int }
	for a := range dims {
		for b := a + 1; b < len(dims); b++ {
			todo = append(todo, struct{ a, b int }{a, b})
		}
	}
	if err := forEach(len(todo), workers, func(k int) {
		p := todo[k]
		t.pairs[p.a*t.nd+p.b] = countPairs(snap, ix, dims[p.a], dims[p.b], packed[p.b])
	}); err != nil {
		return nil, fmt.Errorf("count the supports of pairs: %w", err)
	}
	dense := t.denseBudget(todo, denseCells)
	tables := t.denseTables(todo, dense)
	if err := forEach(len(todo), workers, func(k int) {
		p := todo[k]
		t.pairs[p.a*t.nd+p.b].compact(t.one[p.b], tables[k])
	}); err != nil {
		return nil, fmt.Errorf("compact the supports of pairs: %w", err)
	}
	return t, nil
}

// denseTables cuts the dense pair tables (dense[k] for todo[k]) out of one zeroed arena
// advised for huge pages: the selection reads them at random, tens of megabytes in all at
// tier L, where small pages would cost a TLB miss on most reads. Pairs that stay sparse
// get nil.
func (t *supportTable) denseTables(todo []struct{ a, b int }, dense []bool) [][]int32 {
	cells := func(k int) int { return len(t.one[todo[k].a]) * len(t.one[todo[k].b]) }
	total := 0
	for k := range todo {
		if dense[k] {
			total += cells(k)
		}
	}
	arena := hugepage.Make[int32](total)
	tables := make([][]int32, len(todo))
	for k := range todo {
		if dense[k] {
			n := cells(k)
			tables[k], arena = arena[:n:n], arena[n:]
		}
	}
	return tables
}

// denseCells bounds the cells (int32) of one mining rule's dense pair tables: 64 MiB.
const denseCells = 1 << 24

// denseBudget returns which pairs of todo turn dense: those whose values co-occur in at
// least one cell in denseFill of their dense table, smallest tables first, while their
// cells fit within budget (in todo's order among equal sizes, so that the choice does
// not depend on the workers).
func (t *supportTable) denseBudget(todo []struct{ a, b int }, budget int64) []bool {
	cells := func(k int) int64 { return int64(len(t.one[todo[k].a])) * int64(len(t.one[todo[k].b])) }
	var order []int
	for k := range todo {
		p := &t.pairs[todo[k].a*t.nd+todo[k].b]
		if c := cells(k); c > 0 && int64(len(p.ent))*denseFill >= c {
			order = append(order, k)
		}
	}
	slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(cells(x), cells(y)) })
	dense := make([]bool, len(todo))
	for _, k := range order {
		if c := cells(k); c <= budget {
			dense[k] = true
			budget -= c
		}
	}
	return dense
}

// denseFill is the inverse of the least share of a dense table's cells that must hold a
// co-occurring pair.
const denseFill = 16

// compact turns the sparse pair table into its dense form in table (when given: zeroed,
// a row of len(one) cells for each value of a) or its partner form (when every value w of
// b co-occurs with one value of a only, on all of w's identities: one is b's single-term
// supports), dropping the sparse lists.
func (p *pairSupports) compact(one []int32, table []int32) {
	ca := len(p.off) - 1
	if table != nil {
		p.cb = len(one)
		p.dense = table
		for v := range ca {
			row := p.dense[v*p.cb : (v+1)*p.cb]
			for _, e := range p.ent[p.off[v]:p.off[v+1]] {
				row[e.val] = e.cnt
			}
		}
		p.off, p.ent = nil, nil
		return
	}
	partner := make([]int32, len(one))
	for w := range partner {
		partner[w] = -1
	}
	for v := range ca {
		for _, e := range p.ent[p.off[v]:p.off[v+1]] {
			if partner[e.val] >= 0 || e.cnt != one[e.val] {
				return // w co-occurs with several values, or not on all its identities
			}
			partner[e.val] = int32(v)
		}
	}
	p.partner, p.off, p.ent = partner, nil, nil
}

// countPairs histograms dimension db over the posting list of each value of da; packed,
// when db is multi-valued, is its values by identity (packValues).
func countPairs(snap *columnar.Snapshot, ix *index, da, db int32, packed []uint64) pairSupports {
	dim := &snap.Dims[db]
	cnt := make([]int32, len(dim.Values))
	off := ix.off[da]
	ps := pairSupports{off: make([]int64, len(off))}
	var touched []int32
	count := func(c int32) {
		if cnt[c] == 0 {
			touched = append(touched, c)
		}
		cnt[c]++
	}
	for v := 0; v+1 < len(off); v++ {
		touched = touched[:0]
		for _, i := range ix.idx[da][off[v]:off[v+1]] {
			if packed != nil {
				if e := packed[i]; e&packedSlot != packedSlot {
					for ; e != 0; e >>= packedBits {
						count(int32(e&packedSlot) - 1)
					}
					continue
				}
			}
			if c := dim.Codes[i]; c >= 0 {
				count(c)
			}
			if dim.MultiOff != nil {
				for _, c := range dim.MultiCodes[dim.MultiOff[i]:dim.MultiOff[i+1]] {
					count(c)
				}
			}
		}
		ps.ent = appendTouched(ps.ent, cnt, touched)
		ps.off[v+1] = int64(len(ps.ent))
	}
	ps.ent = slices.Clip(ps.ent)
	return ps
}

// packedBits is the width of a value in packValues' words, and packedSlot its mask.
const (
	packedBits = 16
	packedSlot = 1<<packedBits - 1
)

// packValues returns, by identity, its values of the multi-valued dimension dim in one
// word, for countPairs to read with one load instead of the code, the offsets and the
// extra codes at scattered places (three misses an identity in a posting list): code+1 in
// packedBits bits each, its single code first, 0 after the last. An identity with more
// values than fit, or a code of packedSlot-1 or more, gets packedSlot in the low bits:
// its values are then read from dim.
func packValues(dim *columnar.Dimension, workers int) ([]uint64, error) {
	n := len(dim.Codes)
	// countPairs reads it at random: huge pages spare most of those reads a TLB miss.
	out := hugepage.Make[uint64](n)
	const chunk = 1 << 16
	err := forEach((n+chunk-1)/chunk, workers, func(c int) {
		for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
			e, shift := uint64(0), 0
			add := func(c int32) {
				if shift == 64 || c >= packedSlot-1 {
					e, shift = packedSlot, 65 // read from dim
				} else if shift < 64 {
					e |= uint64(c+1) << shift
					shift += packedBits
				}
			}
			if c := dim.Codes[i]; c >= 0 {
				add(c)
			}
			for _, c := range dim.MultiCodes[dim.MultiOff[i]:dim.MultiOff[i+1]] {
				add(c)
			}
			out[i] = e
		}
	})
	return out, err
}

// appendTouched appends the values touched counts (cnt[c] > 0 exactly for the values in
// touched) with their counts, ascending, and clears their counts. Where they are many
// for the dictionary (a value of a dimension against the 500 values of project), reading
// every count in order costs less than sorting them.
func appendTouched(ent []pairEnt, cnt, touched []int32) []pairEnt {
	if len(cnt) <= 8*len(touched) {
		for c, n := range cnt {
			if n > 0 {
				ent = append(ent, pairEnt{int32(c), n})
				cnt[c] = 0
			}
		}
		return ent
	}
	slices.Sort(touched)
	for _, c := range touched {
		ent = append(ent, pairEnt{c, cnt[c]})
		cnt[c] = 0
	}
	return ent
}

// get returns the support of c (one or two terms on the table's dimensions); 0 for a
// criterion no in-scope identity matches.
func (t *supportTable) get(c *kernels.Criterion) int32 {
	a := t.pos[c.T[0].Dim]
	if c.N == 1 {
		return t.one[a][c.T[0].Val]
	}
	p := &t.pairs[a*t.nd+t.pos[c.T[1].Dim]]
	if v, ok := p.direct(c, t.one[t.pos[c.T[1].Dim]]); ok {
		return v
	}
	lo, hi := p.off[c.T[0].Val], p.off[c.T[0].Val+1]
	if k, ok := slices.BinarySearchFunc(p.ent[lo:hi], c.T[1].Val, cmpEnt); ok {
		return p.ent[lo+int64(k)].cnt
	}
	return 0
}

// direct returns the support of the two-term criterion c from a dense or partner table
// (one is b's single-term supports), or false for a sparse one.
func (p *pairSupports) direct(c *kernels.Criterion, one []int32) (int32, bool) {
	v, w := c.T[0].Val, c.T[1].Val
	switch {
	case p.dense != nil:
		return p.dense[int(v)*p.cb+int(w)], true
	case p.partner != nil:
		if p.partner[w] == v {
			return one[w], true
		}
		return 0, true
	}
	return 0, false
}

// supports looks supports up: criteria of one or two terms in the table, longer ones in
// the batch's cache (counted by the backend).
type supports struct {
	table *supportTable
	cache *supportCache
}

func (s *supports) get(c *kernels.Criterion) int32 {
	if c.N <= 2 {
		return s.table.get(c)
	}
	v, _ := s.cache.get(c)
	return v
}

// forEach runs f(0..n-1) on up to workers goroutines (parallel.Each; f cannot fail and
// the work is not cancelled): the error is a worker's panic, a *parallel.PanicError.
func forEach(n, workers int, f func(int)) error {
	return parallel.Each(context.Background(), n, workers, func(_, k int) error {
		f(k)
		return nil
	})
}

// supportCursor looks supports up for a role's criteria in ascending order: a two-term
// criterion's support is searched for from where the previous one's was found when both
// share their first term and second dimension (runs of them are the bulk of the counts),
// instead of by a binary search over the first term's whole list.
type supportCursor struct {
	s     *supports
	t0    kernels.Term
	d1    int32
	last  int32
	inRun bool
	ent   []pairEnt // the rest of the current run, from the last value looked up
}

func (sc *supportCursor) get(c *kernels.Criterion) int32 {
	if c.N != 2 {
		return sc.s.get(c)
	}
	v := c.T[1].Val
	if !sc.inRun || c.T[0] != sc.t0 || c.T[1].Dim != sc.d1 || v < sc.last {
		t := sc.s.table
		b := t.pos[c.T[1].Dim]
		p := &t.pairs[t.pos[c.T[0].Dim]*t.nd+b]
		if sup, ok := p.direct(c, t.one[b]); ok {
			return sup // the run, if any, stays valid for its own pair of dimensions
		}
		lo, hi := p.off[c.T[0].Val], p.off[c.T[0].Val+1]
		sc.ent = p.ent[lo:hi]
		sc.t0, sc.d1, sc.inRun = c.T[0], c.T[1].Dim, true
	}
	sc.last = v
	sc.ent = sc.ent[lowerBound(sc.ent, v):]
	if len(sc.ent) > 0 && sc.ent[0].val == v {
		return sc.ent[0].cnt
	}
	return 0
}

// lowerBound returns the first index of a (ascending by value) holding v or more,
// searching exponentially from the front: cheap when it is near.
func lowerBound(a []pairEnt, v int32) int {
	if len(a) == 0 || a[0].val >= v {
		return 0
	}
	lo, step := 0, 1 // a[lo].val < v
	for lo+step < len(a) && a[lo+step].val < v {
		lo += step
		step *= 2
	}
	k, _ := slices.BinarySearchFunc(a[lo+1:min(lo+step+1, len(a))], v, cmpEnt)
	return lo + 1 + k
}

func cmpEnt(e pairEnt, v int32) int { return cmp.Compare(e.val, v) }
