package cooccur

import (
	"cmp"
	"sync"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
)

// A large role whose holders differ from those of a larger one, its base, by at most an
// eighth of its own is counted from the base's counts: its tp is the base's, less the
// count over the base's holders it does not have, plus the count over its holders the
// base does not have. The base and both differences are counted by the kernel with every
// pair (MinTP 1), and the role's rows are merged from the three. Roles planted from one
// rule and blurred by noise hold nearly the same identities: at tier L the 60 largest
// roles form groups of two to eight whose holders differ by 1-2%.

// deltaLeast is the fewest in-scope holders of a role counted from a base, and deltaShare
// the largest difference from its base, as a share of its holders.
const (
	deltaLeast = 10000
	deltaShare = 1.0 / 8
)

// deltaGroup is a base role and the roles counted from it.
type deltaGroup struct {
	base    int32
	derived []int32
}

// deltaPlan is the kernel call of a scope's groups: for each group, its base's holders
// then, for each derived role, the base's holders it does not have and its holders the
// base does not have, as the call's roles (idx[off[k]:off[k+1]], each ascending).
type deltaPlan struct {
	groups []deltaGroup
	group  []int32 // by call role: its group
	first  []int32 // by group: its first call role
	off    []int64
	idx    []int32
}

// groupDeltas splits roles (largest first) into those counted directly and the groups
// counted from a base; held gives the in-scope holders of the roles considered. With
// Options.delta -1 nothing is grouped; with 1 every role with holders is counted from
// the role before it (tests).
func (c *computer) groupDeltas(roles []int32, held func(r int32) int64) ([]int32, *deltaPlan) {
	if c.o.delta < 0 {
		return roles, nil
	}
	holders := func(r int32) []int32 { return c.m.RoleIdx[c.m.RoleOff[r]:c.m.RoleOff[r+1]] }
	least, share := int64(deltaLeast), deltaShare
	if c.o.delta > 0 {
		least, share = 1, 2
	}
	var groups []deltaGroup
	grouped := map[int32]bool{}
	for _, r := range roles {
		h := holders(r)
		if int64(len(h)) < least || held(r) < least {
			continue
		}
		bound := int(share * float64(len(h)))
		found := false
		for g := len(groups) - 1; g >= 0 && g >= len(groups)-4; g-- {
			bh := holders(groups[g].base)
			if len(bh)-len(h) > bound {
				break
			}
			if symDiffAtMost(bh, h, bound) {
				groups[g].derived = append(groups[g].derived, r)
				grouped[r], found = true, true
				break
			}
		}
		if !found {
			groups = append(groups, deltaGroup{base: r})
		}
	}
	plan := &deltaPlan{off: []int64{0}}
	for _, g := range groups {
		if len(g.derived) == 0 {
			continue
		}
		grouped[g.base] = true
		plan.first = append(plan.first, int32(len(plan.group)))
		gi := int32(len(plan.groups))
		plan.groups = append(plan.groups, g)
		hb := holders(g.base)
		plan.idx = append(plan.idx, hb...)
		plan.cut(gi)
		for _, r := range g.derived {
			plan.idx = appendMinus(plan.idx, hb, holders(r))
			plan.cut(gi)
			plan.idx = appendMinus(plan.idx, holders(r), hb)
			plan.cut(gi)
		}
	}
	if len(plan.groups) == 0 {
		return roles, nil
	}
	direct := make([]int32, 0, len(roles))
	for _, r := range roles {
		if !grouped[r] {
			direct = append(direct, r)
		}
	}
	return direct, plan
}

// cut ends a call role of group g at the end of idx.
func (p *deltaPlan) cut(g int32) {
	p.off = append(p.off, int64(len(p.idx)))
	p.group = append(p.group, g)
}

// symDiffAtMost reports whether the ascending lists a and b differ by at most bound
// elements (in one and not the other).
func symDiffAtMost(a, b []int32, bound int) bool {
	i, j, d := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
			d++
		case b[j] < a[i]:
			j++
			d++
		default:
			i++
			j++
		}
		if d > bound {
			return false
		}
	}
	return d+len(a)-i+len(b)-j <= bound
}

// appendMinus appends to dst the elements of a not in b (both ascending).
func appendMinus(dst, a, b []int32) []int32 {
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j < len(b) && b[j] == x {
			continue
		}
		dst = append(dst, x)
	}
	return dst
}

// countDeltas hashes the rows of the plan's groups in scope sc: one kernel call counts
// every pair of the bases and of the differences, and each group's rows are hashed by the
// worker that receives its last part, after which its parts are dropped.
func (c *computer) countDeltas(sc scope, plan *deltaPlan) (Digest, error) {
	if plan == nil {
		return Digest{}, nil
	}
	m := *c.m
	m.RoleOff, m.RoleIdx = plan.off, plan.idx
	ks := make([]int32, len(plan.group))
	for k := range ks {
		ks[k] = int32(k)
	}
	parts := make([][][]cpu.Pair, len(plan.groups)) // by group, by call role within it
	left := make([]int, len(plan.groups))
	for g := range plan.groups {
		parts[g] = make([][]cpu.Pair, 1+2*len(plan.groups[g].derived))
		left[g] = len(parts[g])
	}
	var mu sync.Mutex
	var total Digest
	q := kernels.Query{Dims: sc.dims, InScope: sc.in, MaxTerms: 2, MinTP: 1}
	err := c.countPairs(&m, q, ks, func(k int32, pairs []cpu.Pair) error {
		g := plan.group[k]
		own := append([]cpu.Pair(nil), pairs...)
		mu.Lock()
		parts[g][k-plan.first[g]] = own
		left[g]--
		done := left[g] == 0
		mu.Unlock()
		if !done {
			return nil
		}
		dg := c.hashGroup(plan.groups[g], parts[g])
		parts[g] = nil
		mu.Lock()
		total.Merge(dg)
		mu.Unlock()
		return nil
	})
	return total, err
}

// hashGroup returns the digest of the rows of group g's roles from its parts: the base's
// pairs, then each derived role's pairs of the base's holders it lacks and of its holders
// the base lacks (every count, in CooccurPairs' order).
func (c *computer) hashGroup(g deltaGroup, parts [][]cpu.Pair) Digest {
	w := c.deltas.Get().(*deltaScratch)
	defer c.deltas.Put(w)
	kept := w.kept[:0] // the base's rows
	for _, p := range parts[0] {
		if p.TP >= Depth2MinTP {
			kept = append(kept, p)
		}
	}
	dg := c.hashRole(g.base, kept, c.sup2)
	rows := w.rows
	for j, r := range g.derived {
		rows = mergeDelta(rows[:0], kept, parts[0], parts[1+2*j], parts[2+2*j])
		dg.Merge(c.hashRole(r, rows, c.sup2))
	}
	w.kept, w.rows = kept, rows
	return dg
}

// deltaScratch is one worker's buffers for hashGroup: a base's rows and a derived role's.
type deltaScratch struct{ kept, rows []cpu.Pair }

// comparePairs orders pairs as CooccurPairs hands them out.
func comparePairs(x, y *cpu.Pair) int {
	xd, yd := uint64(uint32(x.A.Dim))<<32|uint64(uint32(x.B.Dim)), uint64(uint32(y.A.Dim))<<32|uint64(uint32(y.B.Dim))
	if xd != yd {
		return cmp.Compare(xd, yd)
	}
	return cmp.Compare(uint64(uint32(x.A.Val))<<32|uint64(uint32(x.B.Val)), uint64(uint32(y.A.Val))<<32|uint64(uint32(y.B.Val)))
}

// countFrom returns the count of p's criterion in pairs (in CooccurPairs' order), 0 where
// it is not there, searching from *at on and leaving *at at the first pair not before p:
// the criteria asked for come in order, so the search gallops from the last one.
func countFrom(pairs []cpu.Pair, at *int, p *cpu.Pair) int32 {
	lo, hi, step := *at, *at, 1
	for hi < len(pairs) && comparePairs(&pairs[hi], p) < 0 { // everything before p up to hi
		lo, hi, step = hi+1, hi+step, step*2
	}
	hi = min(hi, len(pairs)) // pairs[hi] is not before p, or hi is the end
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if comparePairs(&pairs[mid], p) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	*at = lo
	if lo < len(pairs) && pairs[lo].A == p.A && pairs[lo].B == p.B {
		return pairs[lo].TP
	}
	return 0
}

// mergeDelta appends to out, in CooccurPairs' order, the pairs whose count in base, less
// that in minus (a subset of base's), plus that in plus, reaches Depth2MinTP. kept are
// base's pairs counted Depth2MinTP times or more: a pair under that in base reaches it
// only with a count in plus, so base and minus are searched only for plus's pairs.
func mergeDelta(out, kept, base, minus, plus []cpu.Pair) []cpu.Pair {
	i, j := 0, 0
	bi, mi := 0, 0 // where plus's pairs are sought in base and minus
	for k := range kept {
		b := kept[k]
		for j < len(plus) && comparePairs(&plus[j], &b) < 0 {
			p := plus[j]
			if p.TP += countFrom(base, &bi, &p) - countFrom(minus, &mi, &p); p.TP >= Depth2MinTP {
				out = append(out, p)
			}
			j++
		}
		for i < len(minus) && comparePairs(&minus[i], &b) < 0 {
			i++
		}
		if i < len(minus) && minus[i].A == b.A && minus[i].B == b.B {
			b.TP -= minus[i].TP
			i++
		}
		if j < len(plus) && plus[j].A == b.A && plus[j].B == b.B {
			b.TP += plus[j].TP
			j++
		}
		if b.TP >= Depth2MinTP {
			out = append(out, b)
		}
	}
	for ; j < len(plus); j++ {
		p := plus[j]
		if p.TP += countFrom(base, &bi, &p) - countFrom(minus, &mi, &p); p.TP >= Depth2MinTP {
			out = append(out, p)
		}
	}
	return out
}
