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

// screenRows is how many in-scope identities, spread evenly over the scope, every
// candidate pair is first checked over: most pairs of dimensions break within a few, and
// only the pairs left are checked over the whole scope. A pair no identity of the sample
// has values on both of is not checked further: it has few pairs to count, or none.
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
// has one value throughout the scope (such a dimension is whole in every role that has
// any pair: wholePairs), in both directions: first over a sample of screenRows in-scope
// identities, where it must hold and both dimensions have values together, then over the
// whole scope.
func findDependencies(m *kernels.Matrix, q *kernels.Query, lay *layout) *dependencies {
	w := len(q.Dims)
	sc := scopeSet{n: m.N, in: q.InScope}
	sample := sc.sample(screenRows)
	if len(sample) == 0 {
		return nil
	}
	live := make([]bool, w)
	most := int32(0)
	for a, d := range q.Dims {
		if live[a] = lay.single[a] >= 0 && !sc.uniform(m.Codes[d]); live[a] {
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
			ok, both := screen(cf, ct, sample, f)
			for _, i := range sample {
				if x := cf[i]; x >= 0 {
					f[x] = unseen
				}
			}
			if !ok || !both {
				continue
			}
			if g := sc.determines(cf, ct, m.Cards[q.Dims[from]]); g != nil {
				ds.by[lo*w+hi] = &dependency{second: from > to, f: g, ordered: from > to && nonDecreasing(g)}
				found = true
			}
		}
	}
	if !found {
		return nil
	}
	return ds
}

// scopeSet is a call's scope: identities 0..n-1, those of the bitset in where it is set.
type scopeSet struct {
	n  int
	in []uint64
}

// sample returns at most limit in-scope identities, ascending, spread evenly over the
// scope.
func (sc scopeSet) sample(limit int) []int32 {
	size := sc.n
	if sc.in != nil {
		size = 0
		for _, x := range sc.in {
			size += bits.OnesCount64(x)
		}
	}
	step := max(1, (size+limit-1)/limit)
	out := make([]int32, 0, min(size, limit))
	k := 0 // the in-scope identities' count so far
	sc.each(func(i int32) bool {
		if k%step == 0 {
			out = append(out, i)
		}
		k++
		return true
	})
	return out
}

// each calls f with every in-scope identity, ascending, until it returns false, and
// reports whether it never did.
func (sc scopeSet) each(f func(i int32) bool) bool {
	if sc.in == nil {
		for i := range int32(sc.n) {
			if !f(i) {
				return false
			}
		}
		return true
	}
	for k, x := range sc.in {
		for ; x != 0; x &= x - 1 {
			if i := int32(k<<6 | bits.TrailingZeros64(x)); int(i) >= sc.n || !f(i) {
				return int(i) >= sc.n
			}
		}
	}
	return true
}

// uniform reports whether every in-scope identity has one and the same value in codes.
func (sc scopeSet) uniform(codes []int32) bool {
	first := int32(-2)
	return sc.each(func(i int32) bool {
		if first == -2 {
			first = codes[i]
		}
		return codes[i] >= 0 && codes[i] == first
	})
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

// screen reports whether, among the identities of sample, those with one value in cf
// (codes of the determining dimension) all have one value in ct (or all none), and
// whether one of them has a value in both; it records each value's in f, which must hold
// only unseen.
func screen(cf, ct, sample []int32, f []int32) (ok, both bool) {
	for _, i := range sample {
		x := cf[i]
		if x < 0 {
			continue
		}
		y := ct[i]
		both = both || y >= 0
		if z := f[x]; z != y {
			if z != unseen {
				return false, both
			}
			f[x] = y
		}
	}
	return true, both
}

// determines returns, where the codes cf (a dimension of card values) determine the codes
// ct over the whole scope, the map of cf's values to ct's (-1: none, or a value no
// in-scope identity has), or nil.
func (sc scopeSet) determines(cf, ct []int32, card int32) []int32 {
	f := newValueMap(card)
	ok := sc.each(func(i int32) bool {
		x := cf[i]
		if x < 0 {
			return true
		}
		if y := f[x]; y != ct[i] {
			if y != unseen {
				return false
			}
			f[x] = ct[i]
		}
		return true
	})
	if !ok {
		return nil
	}
	for x, y := range f {
		if y == unseen {
			f[x] = -1
		}
	}
	return f
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
