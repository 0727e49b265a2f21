package cpu

import (
	"cmp"
	"context"
	"math/bits"
	"slices"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/parallel"
)

// A role held by most of a query's scope is counted through its complement: the in-scope
// identities that do not hold it. Counts are sums over identities, so a criterion's count
// over the role's in-scope holders is its count over the whole scope less its count over
// the complement. The two-term path counts the scope once per call (every one- and
// two-term criterion some in-scope identity matches, MinTP 1), then each such role's
// complement (MinTP 1 as well), and takes the role's counts as the differences that reach
// q.MinTP. The criteria and counts are exactly those of counting the holders; only the
// identities read differ (at tier L, six roles held by 83-99% of the people: 433,649
// identities in their complements against 4.37M holders).
//
// The scope is counted as the call's first item (with q.MinTP: a count below it cannot
// give one that reaches it), and the roles counted this way are taken once the roles
// before them hold as many identities as the scope (complementOrder), so that a worker
// seldom waits for it and none is left finishing one alone at the call's end. Only queries
// without a multi-valued dimension go this way.

// complementShare is the share of its scope's identities, in quarters, a role must hold
// at least to be counted through its complement: the complement is then at most a third
// of the holders.
const complementShare = 3

// complementPays is how many times the scope's size the holders saved (holders less
// complements, over the roles counted through their complement) must be at least: the
// scope's own count reads every in-scope identity once, and each such role's counts are
// merged with the scope's.
const complementPays = 2

// complements are the roles of one two-term call counted through their complements, and
// the scope's counts once ready.
type complements struct {
	via   []bool  // by role index: counted through its complement
	order []int32 // the call's roles, those counted through their complements last
	// scope lists the in-scope identities; ready is closed once sels and pairs hold its
	// counts (MinTP 1): the values of each dimension position, ascending, and the pairs in
	// CooccurPairs' order.
	scope []int32
	ready chan struct{}
	sels  [][]valCount
	pairs []Pair
}

// planComplements returns the roles of a two-term call that are counted through their
// complements, or nil where none is (force > 0: every role; force < 0: none). The
// candidates' in-scope holders are counted on workers goroutines.
func planComplements(ctx context.Context, m *kernels.Matrix, q *kernels.Query, lay *layout, roles []int32, force, workers int) (*complements, error) {
	if force < 0 || lay.w != len(q.Dims) || len(roles) == 0 {
		return nil, nil
	}
	size := m.N
	if q.InScope != nil {
		size = 0
		for _, w := range q.InScope {
			size += bits.OnesCount64(w)
		}
	}
	if size == 0 && force == 0 {
		return nil, nil
	}
	least := int64((complementShare*size + 3) / 4)
	if force > 0 {
		least = 0
	}
	var cand []int32
	sp := scopeSpan(q.InScope, m.N)
	for _, r := range roles {
		if int64(len(sp.roleIn(m, r))) >= least {
			cand = append(cand, r)
		}
	}
	in, err := inScopeCounts(ctx, m, q.InScope, sp, cand, workers)
	if err != nil {
		return nil, err
	}
	var via []int32
	var held []int64
	saved := int64(0)
	for k, r := range cand {
		if h := in[k]; h >= least {
			via, held = append(via, r), append(held, h)
			saved += h - (int64(size) - h)
		}
	}
	if len(via) == 0 || force == 0 && saved < complementPays*int64(size) {
		return nil, nil
	}
	c := &complements{via: make([]bool, len(m.RoleOff)-1), ready: make(chan struct{})}
	for _, r := range via {
		c.via[r] = true
	}
	c.order = complementOrder(m, roles, c.via, via, held, int64(size))
	c.scope = make([]int32, 0, size)
	if q.InScope == nil {
		for i := range int32(m.N) {
			c.scope = append(c.scope, i)
		}
		return c, nil
	}
	for w, word := range q.InScope {
		for ; word != 0; word &= word - 1 {
			c.scope = append(c.scope, int32(w<<6|bits.TrailingZeros64(word)))
		}
	}
	return c, nil
}

// complementOrder returns the order of a two-term call's roles, those counted through
// their complements (via, with held their in-scope holders) among them: the others in their
// given order, and the via roles, the one of the largest complement first, placed where
// the others before them hold at least the scope's size in all (the scope's own count,
// the call's first item, is then likely done when a worker takes one), or last. Placed
// last, they would be the call's last items, some of the dearest, and leave a worker idle
// at its end while the other finishes one.
func complementOrder(m *kernels.Matrix, roles []int32, isVia []bool, via []int32, held []int64, size int64) []int32 {
	byComp := make([]int, len(via))
	for k := range byComp {
		byComp[k] = k
	}
	slices.SortStableFunc(byComp, func(x, y int) int { return cmp.Compare(held[x], held[y]) })
	order := make([]int32, 0, len(roles))
	before, placed := int64(0), false
	for _, r := range roles {
		if isVia[r] {
			continue
		}
		if !placed && before >= size {
			for _, k := range byComp {
				order = append(order, via[k])
			}
			placed = true
		}
		order = append(order, r)
		before += m.RoleOff[r+1] - m.RoleOff[r]
	}
	if !placed {
		for _, k := range byComp {
			order = append(order, via[k])
		}
	}
	return order
}

// inScopeCounts returns how many of each role's holders are in scope (nil: all; sp its
// span), the holders split in blocks counted on workers goroutines.
func inScopeCounts(ctx context.Context, m *kernels.Matrix, in []uint64, sp span, roles []int32, workers int) ([]int64, error) {
	counts := make([]int64, len(roles))
	if in == nil {
		for k, r := range roles {
			counts[k] = m.RoleOff[r+1] - m.RoleOff[r]
		}
		return counts, nil
	}
	const block = 1 << 16
	type item struct {
		k       int
		holders []int32
	}
	var items []item
	for k, r := range roles {
		hs := sp.roleIn(m, r)
		for lo := 0; lo < len(hs); lo += block {
			items = append(items, item{k, hs[lo:min(lo+block, len(hs))]})
		}
	}
	part := make([]int64, len(items))
	if err := parallel.Each(ctx, len(items), workers, func(_, x int) error {
		part[x] = inScopeCount(in, items[x].holders)
		return nil
	}); err != nil {
		return nil, err
	}
	for x, it := range items {
		counts[it.k] += part[x]
	}
	return counts, nil
}

// inScopeCount returns how many of holders are in scope (nil: all).
func inScopeCount(in []uint64, holders []int32) int64 {
	if in == nil {
		return int64(len(holders))
	}
	var n int64
	for _, i := range holders {
		n += int64(in[uint32(i)>>6] >> (uint32(i) & 63) & 1)
	}
	return n
}

// complementOf appends to buf, ascending, the identities of scope (ascending) that are
// not among holders (ascending).
func complementOf(buf, scope, holders []int32) []int32 {
	h := 0
	for _, i := range scope {
		for h < len(holders) && holders[h] < i {
			h++
		}
		if h < len(holders) && holders[h] == i {
			continue
		}
		buf = append(buf, i)
	}
	return buf
}

// countScope counts the scope with p (pairs alone), keeps the counts, which reach
// q.MinTP (no role holds more of the scope than the scope), and marks them ready.
func countScope[T uint16 | uint32](cs *complements, p *pairCounter[T]) {
	defer close(cs.ready)
	cs.sels, cs.pairs = countBase(p, cs.scope)
}

// countBase counts the identities ids (ascending, in scope) with p, pairs alone, and
// returns copies of their counts reaching q.MinTP: the values of each dimension position,
// ascending, and the pairs in CooccurPairs' order.
func countBase[T uint16 | uint32](p *pairCounter[T], ids []int32) ([][]valCount, []Pair) {
	sels := make([][]valCount, len(p.sels))
	if len(ids) == 0 {
		return sels, nil
	}
	for j := range p.sels {
		p.sels[j] = p.sels[j][:0] // role leaves them as they were under q.MinTP holders
	}
	only := p.only
	p.only = true
	p.role(ids)
	p.only = only
	for j := range p.sels {
		sels[j] = slices.Clone(p.sels[j])
	}
	pairs := slices.Clone(p.pairs)
	if !only {
		p.pairs = nil // counting roles, p holds no pairs otherwise: the base's would stay held
	}
	return sels, pairs
}

// wait returns once the scope's counts are ready, or with the context's error.
func (cs *complements) wait(ctx context.Context) error {
	select {
	case <-cs.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fromComplement sets p's counts (out, or pairs with only) to those of the role held by
// holders, among the identities base (the scope, or a union of roles, ascending) that
// hold all of the role's in-scope holders and whose counts reaching q.MinTP are sels and
// pairs (countBase): base's counts less those of its identities not among holders,
// counted by p with q1 (q with MinTP 1) into its own buffers, the differences written to
// its spare ones (msels, and mpairs with only), which it then swaps in; counting roles,
// the pairs' differences go straight to pc (emitDifference).
func (p *pairCounter[T]) fromComplement(base []int32, sels [][]valCount, pairs []Pair, q1 *kernels.Query, holders []int32) {
	p.comp = complementOf(p.comp[:0], base, holders)
	q, only := p.q, p.only
	var less [][]valCount
	var lessPairs []Pair
	if len(p.comp) > 0 {
		p.q, p.only = q1, true
		p.role(p.comp)
		p.q, p.only = q, only
		less, lessPairs = p.sels, p.pairs
	}
	if p.msels == nil {
		p.msels = make([][]valCount, len(p.sels))
	}
	for j := range p.msels {
		var lj []valCount
		if less != nil {
			lj = less[j]
		}
		p.msels[j] = subtractCounts(p.msels[j][:0], sels[j], lj, q.MinTP)
	}
	p.sels, p.msels, p.out = p.msels, p.sels, p.out[:0]
	if !only {
		p.emitDifference(pairs, lessPairs)
		return
	}
	if cap(p.mpairs) < len(pairs) { // the most there can be: sized once per base, not grown in fresh pages
		p.mpairs = make([]Pair, 0, len(pairs))
	}
	p.mpairs = subtractPairs(p.mpairs[:0], pairs, lessPairs, q.MinTP)
	p.pairs, p.mpairs = p.mpairs, p.pairs
}

// emitDifference sets out to the counts whose pairs are those of all less those of less
// (both in CooccurPairs' order; see subtractPairs) and whose one-term counts are sels:
// the differences are written dimension pair by dimension pair straight into pc, which
// emitFirst reads.
func (p *pairCounter[T]) emitDifference(all, less []Pair) {
	for a := range p.col {
		for b := a + 1; b < len(p.col); b++ {
			da, db := p.dims[a], p.dims[b]
			n, l := 0, 0
			for n < len(all) && all[n].A.Dim == da && all[n].B.Dim == db {
				n++
			}
			for l < len(less) && less[l].A.Dim == da && less[l].B.Dim == db {
				l++
			}
			p.pc[b] = subtractPairs(p.pc[b][:0], all[:n], less[:l], p.q.MinTP)
			all, less = all[n:], less[l:]
		}
		p.emitFirst(a)
	}
}

// subtractCounts appends to out each value of all (ascending) whose count less its count
// in less (ascending values, from a subset of the identities) reaches minTP, with that
// difference.
func subtractCounts(out, all, less []valCount, minTP int32) []valCount {
	k := 0
	for _, x := range all {
		for k < len(less) && less[k].val < x.val {
			k++
		}
		if k < len(less) && less[k].val == x.val {
			x.count -= less[k].count
		}
		if x.count >= minTP {
			out = append(out, x)
		}
	}
	return out
}

// subtractPairs appends to out each pair of all whose count less its count in less (both
// in CooccurPairs' order) reaches minTP, with that difference. Every count of all reaches
// minTP (the base's, countBase), so the pairs between two of less are copied as they are,
// in one move.
func subtractPairs(out, all, less []Pair, minTP int32) []Pair {
	for k := range less {
		l := &less[k]
		n := 0
		for n < len(all) && pairBefore(&all[n], l) {
			n++
		}
		out = append(out, all[:n]...)
		if all = all[n:]; len(all) == 0 {
			return out
		}
		if x := all[0]; x.A == l.A && x.B == l.B {
			if x.TP -= l.TP; x.TP >= minTP {
				out = append(out, x)
			}
			all = all[1:]
		}
	}
	return append(out, all...)
}

// pairBefore reports whether x comes before y in CooccurPairs' order.
func pairBefore(x, y *Pair) bool {
	if x.A.Dim != y.A.Dim || x.B.Dim != y.B.Dim {
		return x.A.Dim < y.A.Dim || x.A.Dim == y.A.Dim && x.B.Dim < y.B.Dim
	}
	return uint64(x.A.Val)<<32|uint64(uint32(x.B.Val)) < uint64(y.A.Val)<<32|uint64(uint32(y.B.Val))
}
