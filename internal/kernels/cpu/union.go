package cpu

import (
	"cmp"
	"context"
	"math/bits"
	"slices"
	"sync/atomic"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/parallel"
)

// Roles with nearly the same in-scope holders are counted through their union, as a role
// held by most of the scope is through the scope (complement.go): a group's union (every
// in-scope identity holding one of its members) is counted once, as an item of the call
// (pairs alone, with q.MinTP), and each member's counts are the union's less those of the
// union's identities that do not hold it (counted with MinTP 1), kept where they reach
// q.MinTP. A criterion under q.MinTP in the union is under it in every member, so the
// counts are exactly those of counting the member's holders. The generated tiers (and
// real enterprises) plant roles with one rule, differing only by noise: at tier L, 492
// roles of the people scope fall in 152 groups, whose unions and complements hold 0.44
// times the members' holders.
//
// The groups are found per call from a sample of each candidate's in-scope holders: those
// whose hash falls under a threshold that halves as the role doubles (about unionSample
// to twice that many a role), so that two roles of near sizes are compared over the same
// identities (the larger role's threshold). Candidates are taken largest first; each one
// not yet grouped opens a group, which takes every later one whose sampled symmetric
// difference with it, scaled back, is at most 1/unionDiff of its size. A group of one is
// dropped. Queries with a multi-valued dimension are left out.
//
// A union is counted before its members, which come once the call's other roles after it
// hold as many identities as it (unionOrder): its count is then likely done when a worker
// takes one. Its counts are kept until its last member is merged, then dropped.
//
// Roles counted through the scope's complement are grouped only with one another: their
// group's union, held by most of the scope too, is itself counted through the scope's
// complement, and its members through it. At tier L three roles of 83% of the people,
// whose complements of 136k identities share 130k, so count the union's complement and
// the members' in it (130k + 3 x 11k identities) instead of 3 x 136k. Such a union comes
// where its first member would have been, after the scope's count; its members come last.

// unionMin is the fewest holders (in all, then estimated in scope) a role must have to
// be grouped: a smaller role's count costs little more than its complement in a union
// and the merge with the union's pairs.
const unionMin = 2000

// unionDiff: a member differs from its group's first role by at most 1/unionDiff of that
// role's in-scope holders.
const unionDiff = 10

// unionSample is the fewest in-scope holders a role's sample is meant to hold.
const unionSample = 256

// unionGroup is one group of near-equal roles and, once ready is closed, its union's
// identities and counts (those reaching q.MinTP: the values of each dimension position,
// ascending, and the pairs in CooccurPairs' order).
type unionGroup struct {
	members []int32
	held    int64 // the union's in-scope holders, estimated from the samples
	scope   bool  // members counted through the scope's complement otherwise: so is the union
	ready   chan struct{}
	ids     []int32
	sels    [][]valCount
	pairs   []Pair
	left    atomic.Int32 // members not yet merged
}

// unions are the groups of one two-term call.
type unions struct {
	of     []int32 // by role index: 1 + the index of its group, 0: none
	groups []*unionGroup
}

// sketch is a role's sample of in-scope holders: those whose sampleHash is under
// 1<<(32-shift), ascending.
type sketch struct {
	r     int32
	shift int
	held  int64 // the sample's size << shift
	ids   []int32
}

// sampleHash scatters identity numbers over 32 bits (a bijection, so that identities
// sampled at one threshold are also sampled at any higher one).
func sampleHash(i int32) uint32 { return uint32(i) * 0x9e3779b1 }

// planUnions returns the groups of a two-term call's roles counted through their unions,
// or nil where there are none (force > 0: every role not counted through the scope's
// complement, whatever its size, in one group; force < 0: none). via, where set, names
// the roles counted through the scope's complement.
func planUnions(ctx context.Context, m *kernels.Matrix, q *kernels.Query, lay *layout, roles []int32, via []bool, force, workers int) (*unions, error) {
	if force < 0 || lay.w != len(q.Dims) || len(roles) < 2 {
		return nil, nil
	}
	least := int64(unionMin)
	if force > 0 {
		least = 0
	}
	var sks []sketch
	sp := scopeSpan(q.InScope, m.N)
	for _, r := range roles {
		if n := int64(len(sp.roleIn(m, r))); n >= least && (force <= 0 || via == nil || !via[r]) {
			sks = append(sks, sketch{r: r, shift: max(0, bits.Len64(uint64(n/unionSample))-1)})
		}
	}
	if err := parallel.Each(ctx, len(sks), workers, func(_, k int) error {
		sampleRole(m, q.InScope, sp, &sks[k])
		return nil
	}); err != nil {
		return nil, err
	}
	sks = slices.DeleteFunc(sks, func(s sketch) bool { return s.held < least || s.held == 0 })
	slices.SortStableFunc(sks, func(a, b sketch) int { return cmp.Compare(b.held, a.held) })
	us := &unions{of: make([]int32, len(m.RoleOff)-1)}
	isVia := func(r int32) bool { return via != nil && via[r] }
	for a := range sks {
		if us.of[sks[a].r] != 0 {
			continue
		}
		g := &unionGroup{members: []int32{sks[a].r}, scope: isVia(sks[a].r)}
		us.of[sks[a].r] = int32(len(us.groups) + 1)
		for c := a + 1; c < len(sks); c++ {
			if force <= 0 && unionDiff*(sks[a].held-sks[c].held) > sks[a].held {
				break
			}
			if us.of[sks[c].r] == 0 && isVia(sks[c].r) == g.scope && (force > 0 || near(&sks[a], &sks[c])) {
				g.members = append(g.members, sks[c].r)
				us.of[sks[c].r] = int32(len(us.groups) + 1)
			}
		}
		if len(g.members) == 1 {
			us.of[sks[a].r] = 0
			continue
		}
		g.held = sks[a].held * int64(unionDiff+len(g.members)-1) / unionDiff
		g.ready = make(chan struct{})
		g.left.Store(int32(len(g.members)))
		us.groups = append(us.groups, g)
	}
	if len(us.groups) == 0 {
		return nil, nil
	}
	return us, nil
}

// sampleRole fills s.ids and s.held from the role's holders.
func sampleRole(m *kernels.Matrix, in []uint64, sp span, s *sketch) {
	limit := uint64(1) << (32 - s.shift)
	for _, i := range sp.roleIn(m, s.r) {
		if uint64(sampleHash(i)) < limit && inScope(in, i) {
			s.ids = append(s.ids, i)
		}
	}
	s.held = int64(len(s.ids)) << s.shift
}

// near reports whether the samples of a and c, compared over the identities both sample
// (the larger shift's), differ by at most 1/unionDiff of a's estimated holders.
func near(a, c *sketch) bool {
	shift := max(a.shift, c.shift)
	limit := uint64(1) << (32 - shift)
	most := a.held / unionDiff >> shift
	var diff int64
	x, y := a.ids, c.ids
	for len(x) > 0 || len(y) > 0 {
		switch {
		case len(y) == 0 || len(x) > 0 && x[0] < y[0]:
			if uint64(sampleHash(x[0])) < limit {
				diff++
			}
			x = x[1:]
		case len(x) == 0 || y[0] < x[0]:
			if uint64(sampleHash(y[0])) < limit {
				diff++
			}
			y = y[1:]
		default:
			x, y = x[1:], y[1:]
		}
		if diff > most {
			return false
		}
	}
	return true
}

// unionLead is how many times its union's estimated identities the roles between a union
// and its members must hold. A role's count costs less per holder than a union's where its
// holders share patterns more: at tier L, with the union's identities alone a worker
// waited for a union 27-37 times a round (30-65 ms at load 5); twice, 19-29 times (42-57
// ms); four times, 2-15 times (4-16 ms).
const unionLead = 4

// unionOrder returns the items of a call: order's roles less the groups' members, each
// group's union (^g for group g) and its members. The first union comes first; a group's
// members come once the other roles placed after its union hold unionLead times as many
// identities as it is estimated to, followed at once by the next group's union. Roles counted through the
// scope's complement (via, where set) are not counted among those identities: they cost
// their complement, not their holders. The unions and members not placed by the end come
// last, the unions first. A union counted through the scope's complement (unionGroup.scope)
// comes instead where the first of its members is in order, and its members last of all.
func unionOrder(m *kernels.Matrix, order []int32, via []bool, us *unions) []int32 {
	out := make([]int32, 0, len(order)+len(us.groups))
	var seq, last []int32               // the groups placed in turn; the members that come last
	met := make([]bool, len(us.groups)) // by group: a member already met in order
	for g, ug := range us.groups {
		if !ug.scope {
			seq = append(seq, int32(g))
		}
	}
	next, placed := 0, 0 // the next group of seq whose union, whose members, is to be placed
	var wait int64
	union := func() {
		if next < len(seq) {
			out = append(out, ^seq[next])
			wait = unionLead * us.groups[seq[next]].held
			next++
		}
	}
	union()
	for _, r := range order {
		if g := us.of[r] - 1; g >= 0 {
			if ug := us.groups[g]; ug.scope && !met[g] {
				out, last, met[g] = append(out, ^g), append(last, ug.members...), true
			}
			continue
		}
		out = append(out, r)
		if placed == next {
			continue
		}
		if via == nil || !via[r] {
			wait -= m.RoleOff[r+1] - m.RoleOff[r]
		}
		if wait <= 0 {
			out = append(out, us.groups[seq[placed]].members...)
			placed++
			union()
		}
	}
	for ; next < len(seq); next++ {
		out = append(out, ^seq[next])
	}
	for ; placed < len(seq); placed++ {
		out = append(out, us.groups[seq[placed]].members...)
	}
	return append(out, last...)
}

// countUnion builds g's union from its members' in-scope holders, counts it with p
// (pairs alone; through the scope's complement, once the scope's counts are ready, where
// g.scope is set), keeps the counts and marks them ready. It returns the context's error
// where it ends waiting for the scope's counts.
func countUnion[T uint16 | uint32](ctx context.Context, c *pairsCall, g *unionGroup, p *pairCounter[T]) error {
	m, in := p.m, p.q.InScope
	words := (m.N + 63) / 64
	if len(p.ubits) < words {
		p.ubits = make([]uint64, words)
	}
	set := p.ubits[:words]
	lo, hi := words, 0
	for _, r := range g.members {
		holders := p.sp.roleIn(m, r)
		if len(holders) == 0 {
			continue
		}
		lo, hi = min(lo, int(holders[0]>>6)), max(hi, int(holders[len(holders)-1]>>6)+1)
		for _, i := range holders {
			set[uint32(i)>>6] |= 1 << (uint32(i) & 63)
		}
	}
	ids := make([]int32, 0, g.held)
	for w := lo; w < hi; w++ {
		word := set[w]
		set[w] = 0
		if in != nil {
			word &= in[w]
		}
		for ; word != 0; word &= word - 1 {
			ids = append(ids, int32(w<<6|bits.TrailingZeros64(word)))
		}
	}
	g.ids = ids
	if !g.scope {
		g.sels, g.pairs = countBase(p, ids)
		close(g.ready)
		return nil
	}
	if err := c.cs.wait(ctx); err != nil {
		return err // the members waiting for g end with the context's error too
	}
	only := p.only
	p.only = true
	p.fromComplement(c.cs.scope, c.cs.sels, c.cs.pairs, &c.q1, ids)
	p.only = only
	g.sels = make([][]valCount, len(p.sels))
	for j := range p.sels {
		g.sels[j] = slices.Clone(p.sels[j])
	}
	g.pairs = slices.Clone(p.pairs)
	if !only {
		p.pairs = nil // counting roles, p holds no pairs otherwise (countBase)
	}
	close(g.ready)
	return nil
}

// wait returns once the union's counts are ready, or with the context's error.
func (g *unionGroup) wait(ctx context.Context) error {
	select {
	case <-g.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// merged records that one more member has been counted from the union's counts, and
// drops them after the last.
func (g *unionGroup) merged() {
	if g.left.Add(-1) == 0 {
		g.ids, g.sels, g.pairs = nil, nil, nil
	}
}
