package mining

import (
	"fmt"
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
)

// usefulOf is what selector.useful finds in a role's counts: the indices of the useful
// criteria (ascending) with their supports, and the longest useful criterion's terms.
type usefulOf struct {
	idx     []int32
	tp, sup []int32
	maxN    uint8
}

// useful finds the useful criteria among a role's counts (sorted by criterion), into
// s.use, and returns how many there are, or none and the reason. A criterion is useful
// when it meets the per-rule bounds over the role's scope without its neutral identities,
// and when it rests on direct grants: it matches no more identities holding the role only
// through grants than identities holding it directly
// (docs/effective-privilege.md#direct-evidence). The useful criteria of one term are
// marked in s.marks for collect.
func (s *selector) useful(counts []kernels.Count, neutral neutralOf, supports *supports) (int, string) {
	mr := s.sc.mr
	u := &s.use
	u.idx, u.tp, u.sup, u.maxN = u.idx[:0], u.tp[:0], u.sup[:0], 0
	s.marks.reset()
	bds := mr.Bounds()
	var best *kernels.Count
	var bestSup int32
	gk, grantOnly := 0, 0
	sups := s.supportsOf(counts, neutral.all, supports)
	for k := range counts {
		c := &counts[k]
		sup := sups[k]
		fp := sup - c.TP
		if bds.RuleCandidate(int64(fp), int64(sup)) {
			if neutral.grants.matched(k, &gk, &c.C) <= c.TP {
				if c.C.N == 1 {
					s.marks.set(c.C.T[0], int32(len(u.idx)))
				}
				u.idx = append(u.idx, int32(k))
				u.tp = append(u.tp, c.TP)
				u.sup = append(u.sup, sup)
				u.maxN = max(u.maxN, c.C.N)
				continue
			}
			// It meets the bounds: the reason counts it apart and never names it as
			// the best of the criteria that fail them.
			grantOnly++
			continue
		}
		// Best criterion failing the bounds, for the reason: highest tp/support, then tp.
		if best == nil || int64(c.TP)*int64(bestSup) > int64(best.TP)*int64(sup) ||
			(int64(c.TP)*int64(bestSup) == int64(best.TP)*int64(sup) && c.TP > best.TP) {
			best, bestSup = c, sup
		}
	}
	if len(u.idx) > 0 {
		return len(u.idx), ""
	}
	head := fmt.Sprintf("no criterion with support>=%d and fp%%<=%s", mr.MinIdentities, pct(mr.FalsePositiveMax))
	return 0, noCandidateReason(head, s.snap, best, bestSup, grantOnly, minTPOf(mr))
}

// noCandidateReason completes the reason of a role without useful criteria (head says
// which bounds): the best criterion failing them (best, support bestSup), and how many
// criteria meet them but rest on grants rather than direct holders (grantOnly). A
// parenthesis always follows head, so that report.html's outcome label (head alone)
// carries no role-specific figure.
func noCandidateReason(head string, snap *columnar.Snapshot, best *kernels.Count, bestSup int32, grantOnly int, minTP int64) string {
	switch {
	case best != nil && grantOnly > 0:
		return fmt.Sprintf("%s (best %s %d/%d); %d more %s", head, CriterionString(snap, best.C), best.TP, bestSup, grantOnly, restOnGrants(grantOnly))
	case best != nil:
		return fmt.Sprintf("%s (best %s %d/%d)", head, CriterionString(snap, best.C), best.TP, bestSup)
	case grantOnly > 0:
		return fmt.Sprintf("%s (%d %s)", head, grantOnly, restOnGrants(grantOnly))
	}
	return fmt.Sprintf("%s (no criterion matches %d or more holders)", head, minTP)
}

// restOnGrants says of n criteria that they meet the bounds but fail the
// direct-evidence condition.
func restOnGrants(n int) string {
	if n == 1 {
		return "meets them but matches more grant-only holders than direct ones"
	}
	return "meet them but match more grant-only holders than direct ones"
}

// supportsOf returns the support of each count's criterion in the scope without the
// role's neutral identities (neutral), in a buffer reused across roles. The lookups go in
// a loop of their own, before anything tests a support, so that their cache misses (the
// dense pair tables are read at random) overlap instead of each waiting behind the
// branches on the one before.
func (s *selector) supportsOf(counts []kernels.Count, neutral roleNeutral, supports *supports) []int32 {
	sups := slices.Grow(s.sups[:0], len(counts))[:len(counts)]
	cur := supportCursor{s: supports}
	nk := 0
	// A term's one-term count comes just before its two-term ones (criterion order): when
	// it has no false positive, neither has any of them, and their supports are their tps.
	var t0 kernels.Term
	pure := false
	for k := range counts {
		c := &counts[k]
		var sup int32
		if c.C.N == 2 && pure && c.C.T[0] == t0 {
			sup = c.TP
		} else {
			sup = cur.get(&c.C) - neutral.matched(k, &nk, &c.C)
		}
		if c.C.N == 1 {
			t0, pure = c.C.T[0], sup == c.TP
		}
		sups[k] = sup
	}
	s.sups = sups
	return sups
}

// collect returns the useful criteria that useful found, as candidates in criterion
// order, without the specializations pruneSpecializations drops (forGreedy as there), in
// a buffer reused across roles (mine clears it; rules copy what they keep). With criteria
// of at most two terms, the only generalizations are single terms, looked up in s.marks as
// the criteria are read, so that dropped ones are never copied; longer criteria go
// through pruneSpecializations.
func (s *selector) collect(counts []kernels.Count, forGreedy bool) []cand {
	u := &s.use
	cs := s.cs[:0]
	defer s.marks.reset()
	if u.maxN > 2 || len(u.idx) == 1 {
		for p, k := range u.idx {
			c := &counts[k]
			cs = append(cs, cand{c: c.C, tp: int64(c.TP), sup: int64(u.sup[p])})
		}
		s.cs = cs
		if len(cs) == 1 {
			return cs
		}
		return pruneSpecializations(cs, forGreedy)
	}
	for p, k := range u.idx {
		c := &counts[k]
		if c.C.N == 2 && (s.specializes(c, u.sup[p], 0, forGreedy) || s.specializes(c, u.sup[p], 1, forGreedy)) {
			continue
		}
		cs = append(cs, cand{c: c.C, tp: int64(c.TP), sup: int64(u.sup[p])})
	}
	s.cs = cs
	return cs
}

// specializes reports whether the two-term criterion c (support sup) is dropped for its
// generalization to term t alone (pruneSpecializations' rule).
func (s *selector) specializes(c *kernels.Count, sup int32, t int, forGreedy bool) bool {
	p, ok := s.marks.get(c.C.T[t])
	if !ok {
		return false
	}
	gTP, gSup := s.use.tp[p], s.use.sup[p]
	return (gTP == c.TP && gSup-gTP == sup-c.TP) || (forGreedy && gTP > c.TP)
}

// termMarks maps the terms of a role's useful one-term criteria to their positions in
// usefulOf: dense arrays per dimension (sized by the dimension's dictionary, made on first
// use and kept), reset after each role through the list of terms set.
type termMarks struct {
	cards  []int     // values per dimension
	at     [][]int32 // [dimension][value]: position+1, 0 for none
	marked []kernels.Term
}

func newTermMarks(cards []int) termMarks {
	return termMarks{cards: cards, at: make([][]int32, len(cards))}
}

// set maps term t to position p.
func (m *termMarks) set(t kernels.Term, p int32) {
	if m.at[t.Dim] == nil {
		m.at[t.Dim] = make([]int32, m.cards[t.Dim])
	}
	m.at[t.Dim][t.Val] = p + 1
	m.marked = append(m.marked, t)
}

// get returns the position of term t, if set.
func (m *termMarks) get(t kernels.Term) (int32, bool) {
	at := m.at[t.Dim]
	if at == nil || at[t.Val] == 0 {
		return 0, false
	}
	return at[t.Val] - 1, true
}

// reset unsets every term set.
func (m *termMarks) reset() {
	for _, t := range m.marked {
		m.at[t.Dim][t.Val] = 0
	}
	m.marked = m.marked[:0]
}

// materializeLimit is the most candidates kept whole before selection; beyond it the
// role is surely greedy, and specializations that explain fewer holders than one of their
// generalizations are dropped first (see pruneSpecializations).
const materializeLimit = 32

// pruneSpecializations drops candidates using only counts. A specialization A of a useful
// candidate B (B's terms a proper subset of A's) matches a subset of B's identities; when
// it has B's tp and fp it matches exactly B's identities with more terms, so it is
// dominated and never optimal (always dropped). With forGreedy, A is also dropped when it
// explains fewer holders than B: the greedy never needs it (it cannot add a holder once B
// is chosen, nor stand in for B in a swap). cs is sorted and stays sorted.
func pruneSpecializations(cs []cand, forGreedy bool) []cand {
	maxN := uint8(0)
	for k := range cs {
		maxN = max(maxN, cs[k].c.N)
	}
	if maxN < 2 {
		return cs // a single term has no proper generalization
	}
	g := newGeneralizations(cs, maxN)
	keep := cs[:0:0]
	for k := range cs {
		a := &cs[k]
		drop := false
		n := int(a.c.N)
		for mask := 1; mask < (1<<n)-1 && !drop; mask++ {
			var gc kernels.Criterion
			for t := 0; t < n; t++ {
				if mask&(1<<t) != 0 {
					gc.T[gc.N] = a.c.T[t]
					gc.N++
				}
			}
			j, ok := g.find(&gc)
			if !ok {
				continue
			}
			b := &cs[j]
			if b.tp == a.tp && b.fp() == a.fp() {
				drop = true
			} else if forGreedy && b.tp > a.tp {
				drop = true
			}
		}
		if !drop {
			keep = append(keep, *a)
		}
	}
	return keep
}

// generalizations indexes the candidates that can be generalizations of others (all but
// the longest). One-term candidates, the only ones at MaxDimensions 2, are found by binary
// search over their packed terms, in criterion order (cs is sorted, so they are too): no
// hashing. Longer ones go into maps, with packed keys where possible.
type generalizations struct {
	ones  []uint64 // termKey of each one-term candidate, ascending
	onesK []int32  // their indices in cs
	small map[uint64]int
	large map[kernels.Criterion]int
}

// termKey packs a term so that keys order like Term.Less (codes are never negative).
func termKey(t kernels.Term) uint64 { return uint64(uint32(t.Dim))<<32 | uint64(uint32(t.Val)) }

func newGeneralizations(cs []cand, maxN uint8) *generalizations {
	g := &generalizations{}
	for k := range cs {
		switch n := cs[k].c.N; {
		case n == maxN:
		case n == 1:
			g.ones = append(g.ones, termKey(cs[k].c.T[0]))
			g.onesK = append(g.onesK, int32(k))
		default:
			if g.small == nil {
				g.small, g.large = map[uint64]int{}, map[kernels.Criterion]int{}
			}
			if key, ok := pack(&cs[k].c); ok {
				g.small[key] = k
			} else {
				g.large[cs[k].c] = k
			}
		}
	}
	return g
}

// find returns the index in cs of criterion c, when c is indexed.
func (g *generalizations) find(c *kernels.Criterion) (int, bool) {
	if c.N == 1 {
		k, ok := slices.BinarySearch(g.ones, termKey(c.T[0]))
		if !ok {
			return 0, false
		}
		return int(g.onesK[k]), true
	}
	if g.small == nil {
		return 0, false
	}
	if key, ok := pack(c); ok {
		j, found := g.small[key]
		return j, found
	}
	j, found := g.large[*c]
	return j, found
}

// greedyBitsetBudget bounds the holder bitsets materialized for one role in greedy mode.
const greedyBitsetBudget = 64 << 20

// capCandidates keeps, for the greedy, the candidates explaining the most holders (ties in
// criterion order) when their holder bitsets would exceed greedyBitsetBudget. A
// company-wide role held by 800k identities can have tens of thousands of useful
// criteria matching a handful of identities each (a manager's reports); the greedy picks
// by holders explained, so the largest candidates are the ones it uses. cs stays sorted.
func capCandidates(cs []cand, holders int) []cand {
	per := ((holders + 63) / 64) * 8
	limit := max(64, greedyBitsetBudget/max(per, 1))
	if len(cs) <= limit {
		return cs
	}
	// The limit-th largest holder count: every candidate above it is kept, and those with
	// it in criterion order until there are limit (a stable sort by holders, cut).
	tps := make([]int64, len(cs))
	for k := range cs {
		tps[k] = cs[k].tp
	}
	slices.Sort(tps)
	cut := tps[len(tps)-limit]
	above, _ := slices.BinarySearch(tps, cut+1)
	ties := limit - (len(tps) - above)
	out := make([]cand, 0, limit)
	for k := range cs {
		if tp := cs[k].tp; tp > cut || (tp == cut && ties > 0) {
			if tp == cut {
				ties--
			}
			out = append(out, cs[k])
		}
	}
	return out
}

// roleNeutral is one role's neutral counts (how many of its neutral identities each
// criterion matches): either counted by the backend for every criterion they match
// (sorted by criterion), as packed keys (pack, whose order is the criteria's) with their
// counts where every criterion packs, 12 bytes a count where a kernels.Count takes 40,
// else the counts themselves; or, with aligned, counted by neutralTally for the criteria
// of the role's direct counts alone, at[k] the count of the direct count k's criterion.
type roleNeutral struct {
	keys []uint64
	tps  []int32
	full []kernels.Count
	at   []int32
	// aligned says that at holds the counts; some, that a neutral identity in the scope
	// holds a value on one of the mining rule's dimensions.
	aligned, some bool
}

// newRoleNeutral copies a role's neutral counts (sorted by criterion).
func newRoleNeutral(cs []kernels.Count) roleNeutral {
	keys := make([]uint64, len(cs))
	for k := range cs {
		key, ok := pack(&cs[k].C)
		if !ok {
			return roleNeutral{full: slices.Clone(cs)}
		}
		keys[k] = key
	}
	tps := make([]int32, len(cs))
	for k := range cs {
		tps[k] = cs[k].TP
	}
	return roleNeutral{keys: keys, tps: tps}
}

// empty reports whether no criterion matches a neutral identity.
func (n *roleNeutral) empty() bool {
	if n.aligned {
		return !n.some
	}
	return len(n.keys) == 0 && len(n.full) == 0
}

// matched returns the count of criterion c, the role's direct count number at, or 0,
// moving the cursor *k forward: successive calls must ask for ascending criteria.
func (n *roleNeutral) matched(at int, k *int, c *kernels.Criterion) int32 {
	if n.aligned {
		return n.at[at]
	}
	if n.full != nil {
		return matched(n.full, k, *c)
	}
	if len(n.keys) == 0 {
		return 0
	}
	key, ok := pack(c)
	if !ok {
		return 0 // every neutral count packs: c is none of them
	}
	for *k < len(n.keys) && n.keys[*k] < key {
		*k++
	}
	if *k < len(n.keys) && n.keys[*k] == key {
		return n.tps[*k]
	}
	return 0
}

// matched returns the count of criterion c in counts (sorted by criterion), or 0, moving
// the cursor *k forward: successive calls must ask for ascending criteria.
func matched(counts []kernels.Count, k *int, c kernels.Criterion) int32 {
	for *k < len(counts) && counts[*k].C.Compare(c) < 0 {
		*k++
	}
	if *k < len(counts) && counts[*k].C == c {
		return counts[*k].TP
	}
	return 0
}
