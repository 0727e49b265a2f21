package mining

import (
	"cmp"
	"context"
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
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
}

// pairSupports are the supports of the two-term criteria on dimensions a < b: for each
// value v of a, ent[off[v]:off[v+1]] are the values of b held together with v
// (ascending), each with the number of in-scope identities holding both.
type pairSupports struct {
	off []int64
	ent []pairEnt
}

// pairEnt is a value and a count side by side: a lookup touches one cache line.
type pairEnt struct{ val, cnt int32 }

// newSupportTable counts the supports over the scope index ix of the dimensions dims
// (ascending), the pairs of dimensions in parallel on up to workers goroutines.
func newSupportTable(snap *columnar.Snapshot, ix *index, dims []int32, workers int) *supportTable {
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
	type pair struct{ a, b int }
	var todo []pair
	for a := range dims {
		for b := a + 1; b < len(dims); b++ {
			todo = append(todo, pair{a, b})
		}
	}
	forEach(len(todo), workers, func(k int) {
		p := todo[k]
		t.pairs[p.a*t.nd+p.b] = countPairs(snap, ix, dims[p.a], dims[p.b])
	})
	return t
}

// countPairs histograms dimension db over the posting list of each value of da.
func countPairs(snap *columnar.Snapshot, ix *index, da, db int32) pairSupports {
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
			if c := dim.Codes[i]; c >= 0 {
				count(c)
			}
			if dim.MultiOff != nil {
				for _, c := range dim.MultiCodes[dim.MultiOff[i]:dim.MultiOff[i+1]] {
					count(c)
				}
			}
		}
		slices.Sort(touched)
		for _, c := range touched {
			ps.ent = append(ps.ent, pairEnt{c, cnt[c]})
			cnt[c] = 0
		}
		ps.off[v+1] = int64(len(ps.ent))
	}
	ps.ent = slices.Clip(ps.ent)
	return ps
}

// get returns the support of c (one or two terms on the table's dimensions); 0 for a
// criterion no in-scope identity matches.
func (t *supportTable) get(c *kernels.Criterion) int32 {
	a := t.pos[c.T[0].Dim]
	if c.N == 1 {
		return t.one[a][c.T[0].Val]
	}
	p := &t.pairs[a*t.nd+t.pos[c.T[1].Dim]]
	lo, hi := p.off[c.T[0].Val], p.off[c.T[0].Val+1]
	if k, ok := slices.BinarySearchFunc(p.ent[lo:hi], c.T[1].Val, cmpEnt); ok {
		return p.ent[lo+int64(k)].cnt
	}
	return 0
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
// the work is not cancelled).
func forEach(n, workers int, f func(int)) {
	_ = parallel.Each(context.Background(), n, workers, func(_, k int) error {
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
		p := &t.pairs[t.pos[c.T[0].Dim]*t.nd+t.pos[c.T[1].Dim]]
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
