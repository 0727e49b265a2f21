package cpu

import (
	"math/bits"
	"slices"
	"sync"

	"github.com/rolemine/rolemine/internal/kernels"
)

// Functional dependencies between single-valued dimensions of a two-term call's scope.
// Dimension X determines dimension Y in the scope when the in-scope identities with X = x
// all have one value y = f(x) on Y, or all have none (f(x) = none). A holder's count of
// the pair (X = x, Y = y) is then its count of X = x where y = f(x), and zero otherwise:
// every in-scope holder with X = x has Y = f(x), since the holders are in the scope. The
// two-term path takes such a pair of dimensions from the one-term counts of X instead of
// counting it over the role's rows (pairCounter.derivePairs). At tier L a team names
// its department and its cost centre, and a cost centre its department, in the scope of
// people; an application names its owner team among service accounts.
//
// The check is exact and made once per call (per layout: a plan's calls share it), over
// the call's scope: a dependency over every identity may fail in no scope, but one that
// holds in a scope need not hold over everyone. Where one identity breaks it, the pair is
// counted. A multi-valued dimension never qualifies.

// dependency is one dimension pair's dependency: f maps each value of the determining
// dimension to the determined one's value (-1: none).
type dependency struct {
	// second: the pair's second dimension (position b) determines the first (a); else the
	// first determines the second.
	second bool
	f      []int32
	// ordered (second only): f, over the values it maps to a value, never decreases, so
	// that the second dimension's values in ascending order give the pairs in their order.
	ordered bool
}

// dependencies are those of one call's pairs of dimension positions.
type dependencies struct {
	w  int           // len(q.Dims)
	by []*dependency // by pair of positions a < b: a*w+b; nil where neither determines the other
}

// of returns the dependency of positions a < b, or nil.
func (ds *dependencies) of(a, b int) *dependency {
	if ds == nil {
		return nil
	}
	return ds.by[a*ds.w+b]
}

// screenRows is how many in-scope identities every candidate pair is first checked over:
// most pairs of dimensions break within a few, and only the pairs left are checked over
// the whole scope.
const screenRows = 4096

// dependOnce finds a layout's dependencies once (a plan's calls share them).
type dependOnce struct {
	once sync.Once
	deps *dependencies
}

// dependenciesOf returns the dependencies of query q's scope over m (nil: none), found
// on the first call for the layout.
func (l *layout) dependenciesOf(m *kernels.Matrix, q *kernels.Query) *dependencies {
	l.dep.once.Do(func() { l.dep.deps = findDependencies(m, q, l) })
	return l.dep.deps
}

// findDependencies checks every pair of q's single-valued dimensions, neither of which
// is constant over the scope (a constant dimension is whole in every role that has any
// pair: wholePairs), in both directions: first over the first screenRows in-scope
// identities, then, for the pairs left, over the whole scope.
func findDependencies(m *kernels.Matrix, q *kernels.Query, lay *layout) *dependencies {
	w := len(q.Dims)
	sc := scopeOf(m.N, q.InScope)
	if sc.size() == 0 {
		return nil
	}
	live := make([]bool, w)
	most := int32(0)
	for a, d := range q.Dims {
		if live[a] = lay.single[a] >= 0 && !constantDim(m.Codes[d], sc); live[a] {
			most = max(most, m.Cards[d])
		}
	}
	ds := &dependencies{w: w, by: make([]*dependency, w*w)}
	found := false
	f := newValueMap(most)
	for from := range w {
		for to := range w {
			lo, hi := min(from, to), max(from, to)
			if from == to || !live[from] || !live[to] || ds.by[lo*w+hi] != nil {
				continue
			}
			cf, ct := m.Codes[q.Dims[from]], m.Codes[q.Dims[to]]
			ok := determines(cf, ct, sc, screenRows, f)
			clearMap(f, cf, sc, screenRows)
			if !ok {
				continue
			}
			g := newValueMap(m.Cards[q.Dims[from]])
			if !determines(cf, ct, sc, -1, g) {
				continue
			}
			for x, y := range g {
				if y == unseen {
					g[x] = -1
				}
			}
			ds.by[lo*w+hi] = &dependency{second: from > to, f: g, ordered: from > to && nonDecreasing(g)}
			found = true
		}
	}
	if !found {
		return nil
	}
	return ds
}

// scopeSet lists a call's in-scope identities: 0..all-1 where ids is nil, else ids.
type scopeSet struct {
	all int
	ids []int32
}

// scopeOf returns the identities of in (nil: all n).
func scopeOf(n int, in []uint64) scopeSet {
	if in == nil {
		return scopeSet{all: n}
	}
	ids := []int32{}
	for k, x := range in {
		for ; x != 0; x &= x - 1 {
			if i := k<<6 | bits.TrailingZeros64(x); i < n {
				ids = append(ids, int32(i))
			}
		}
	}
	return scopeSet{ids: ids}
}

func (sc scopeSet) size() int {
	if sc.ids == nil {
		return sc.all
	}
	return len(sc.ids)
}

// first returns the first limit identities of the scope (limit < 0: all) as a range
// 0..n-1 (ids nil) or a list.
func (sc scopeSet) first(limit int) (n int, ids []int32) {
	if sc.ids == nil {
		n = sc.all
		if limit >= 0 {
			n = min(n, limit)
		}
		return n, nil
	}
	ids = sc.ids
	if limit >= 0 {
		ids = ids[:min(len(ids), limit)]
	}
	return len(ids), ids
}

// constantDim reports whether every in-scope identity has one and the same value in
// codes.
func constantDim(codes []int32, sc scopeSet) bool {
	n, ids := sc.first(-1)
	if n == 0 {
		return false
	}
	c := codes[0]
	if ids != nil {
		c = codes[ids[0]]
		for _, i := range ids {
			if codes[i] != c {
				return false
			}
		}
		return c >= 0
	}
	for _, x := range codes[:n] {
		if x != c {
			return false
		}
	}
	return c >= 0
}

// unseen marks a value of a valueMap no identity has shown yet.
const unseen = -2

// newValueMap returns a map of card values, all unseen.
func newValueMap(card int32) []int32 {
	f := make([]int32, card)
	for x := range f {
		f[x] = unseen
	}
	return f
}

// determines reports whether, over the first limit in-scope identities (limit < 0: all),
// those with one value in cf (codes of the determining dimension) all have one value in
// ct (or all none), and records each value's in f, which must hold only unseen.
func determines(cf, ct []int32, sc scopeSet, limit int, f []int32) bool {
	n, ids := sc.first(limit)
	if ids == nil {
		cf, ct = cf[:n], ct[:n]
		for i, x := range cf {
			if x < 0 {
				continue
			}
			if y := f[x]; y != ct[i] {
				if y != unseen {
					return false
				}
				f[x] = ct[i]
			}
		}
		return true
	}
	for _, i := range ids {
		x := cf[i]
		if x < 0 {
			continue
		}
		if y := f[x]; y != ct[i] {
			if y != unseen {
				return false
			}
			f[x] = ct[i]
		}
	}
	return true
}

// clearMap sets back to unseen the values of f that determines may have recorded from
// the first limit in-scope identities of cf.
func clearMap(f, cf []int32, sc scopeSet, limit int) {
	n, ids := sc.first(limit)
	if ids == nil {
		for _, x := range cf[:n] {
			if x >= 0 {
				f[x] = unseen
			}
		}
		return
	}
	for _, i := range ids {
		if x := cf[i]; x >= 0 {
			f[x] = unseen
		}
	}
}

// nonDecreasing reports whether f's values other than -1 never decrease.
func nonDecreasing(f []int32) bool {
	last := int32(-1)
	for _, y := range f {
		if y >= 0 {
			if y < last {
				return false
			}
			last = y
		}
	}
	return true
}

// derivePairs appends to pairsOf(b) the pairs of dimension positions a and b, in their
// order (by value of a, then of b), from the one-term counts where one of them
// determines the other in the call's scope, and reports whether it did. A selected value x
// of the determining dimension, counted c >= q.MinTP times, gives the one pair (x, f(x))
// counted c times where f(x) is a value; f(x) is then selected too (counted at least c
// times). A multi-valued dimension has no dependency.
func (p *pairCounter[T]) derivePairs(a, b int) bool {
	d := p.dep.of(a, b)
	if d == nil || a == p.mj || b == p.mj {
		return false
	}
	out := p.pairsOf(b)
	ta, tb := kernels.Term{Dim: p.dims[a]}, kernels.Term{Dim: p.dims[b]}
	switch {
	case !d.second:
		for _, s := range p.sels[a] {
			if y := d.f[s.val]; y >= 0 {
				ta.Val, tb.Val = s.val, y
				out = append(out, Pair{A: ta, B: tb, TP: s.count})
			}
		}
	case d.ordered:
		for _, s := range p.sels[b] {
			if x := d.f[s.val]; x >= 0 {
				ta.Val, tb.Val = x, s.val
				out = append(out, Pair{A: ta, B: tb, TP: s.count})
			}
		}
	default:
		out = p.bySecond(a, b, d.f, out)
	}
	p.setPairs(b, out)
	return true
}

// bySecond appends the pairs of dimension positions a and b where b determines a (f) and
// its values' order is not a's: the selected values of b are put in order of f by a
// counting sort whose counters, by value of a (code+1), are a's histogram (all zero
// between uses, and unused while a's pairs are counted), left all zero.
func (p *pairCounter[T]) bySecond(a, b int, f []int32, out []Pair) []Pair {
	h, sb := p.hist[a], p.sels[b]
	for _, s := range sb {
		if x := f[s.val]; x >= 0 {
			h[x+1]++
		}
	}
	n := int32(0)
	for _, s := range p.sels[a] { // f's values are among them: each counted at least as often
		c := h[s.val+1]
		h[s.val+1] = n
		n += c
	}
	at := slices.Grow(p.keys[:0], int(n))[:n]
	for k, s := range sb {
		if x := f[s.val]; x >= 0 {
			at[h[x+1]] = uint64(k)
			h[x+1]++
		}
	}
	for _, s := range p.sels[a] {
		h[s.val+1] = 0
	}
	ta, tb := kernels.Term{Dim: p.dims[a]}, kernels.Term{Dim: p.dims[b]}
	for _, k := range at {
		s := sb[k]
		ta.Val, tb.Val = f[s.val], s.val
		out = append(out, Pair{A: ta, B: tb, TP: s.count})
	}
	p.keys = at
	return out
}
