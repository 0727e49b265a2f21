package mining

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
)

// refPruneSpecializations is pruneSpecializations written as a comparison of every pair
// of candidates: a is dropped when some other candidate b has a proper subset of a's
// terms and either b's tp and fp, or (forGreedy) a larger tp.
func refPruneSpecializations(cs []cand, forGreedy bool) []cand {
	properSubset := func(b, a kernels.Criterion) bool {
		if b.N >= a.N {
			return false
		}
		for _, t := range b.Terms() {
			if !slices.Contains(a.Terms(), t) {
				return false
			}
		}
		return true
	}
	var keep []cand
	for _, a := range cs {
		drop := false
		for _, b := range cs {
			if properSubset(b.c, a.c) && ((b.tp == a.tp && b.fp() == a.fp()) || (forGreedy && b.tp > a.tp)) {
				drop = true
			}
		}
		if !drop {
			keep = append(keep, a)
		}
	}
	return keep
}

// TestPruneSpecializationsReference checks the indexed pruning (binary search for one
// term, maps for longer generalizations, values beyond the packed range) against the
// pairwise definition on random sorted candidate sets of one to four terms.
func TestPruneSpecializationsReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 15))
	for iter := range 3000 {
		maxTerms := 1 + rng.IntN(4)
		seen := map[kernels.Criterion]bool{}
		var cs []cand
		for range 1 + rng.IntN(60) {
			var c kernels.Criterion
			dims := rng.Perm(5)[:1+rng.IntN(maxTerms)]
			slices.Sort(dims)
			for _, d := range dims {
				v := int32(rng.IntN(4))
				if rng.IntN(20) == 0 {
					v += 1 << 24 // beyond pack's range: the struct-keyed map
				}
				c.T[c.N] = kernels.Term{Dim: int32(d), Val: v}
				c.N++
			}
			if seen[c] {
				continue
			}
			seen[c] = true
			tp := int64(1 + rng.IntN(4))
			cs = append(cs, cand{c: c, tp: tp, sup: tp + int64(rng.IntN(3))})
		}
		slices.SortFunc(cs, func(a, b cand) int { return a.c.Compare(b.c) })
		for _, greedy := range []bool{false, true} {
			want := refPruneSpecializations(cs, greedy)
			got := pruneSpecializations(slices.Clone(cs), greedy)
			if !slices.EqualFunc(got, want, func(a, b cand) bool { return a.c == b.c }) {
				t.Fatalf("iteration %d, forGreedy %v: kept %d candidates, want %d\ncandidates: %+v", iter, greedy, len(got), len(want), cs)
			}
		}
	}
}

// TestCollectReference checks selector.collect, which drops specializations of two-term
// criteria as it reads them (single terms looked up in termMarks), against the pairwise
// definition on random useful criteria of one to three terms among criteria that are not
// useful.
func TestCollectReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 19))
	s := &selector{marks: newTermMarks([]int{4, 4, 4, 4, 4})}
	for iter := range 3000 {
		maxTerms := 1 + rng.IntN(3)
		seen := map[kernels.Criterion]bool{}
		var cs []cand
		for range 1 + rng.IntN(60) {
			var c kernels.Criterion
			dims := rng.Perm(5)[:1+rng.IntN(maxTerms)]
			slices.Sort(dims)
			for _, d := range dims {
				c.T[c.N] = kernels.Term{Dim: int32(d), Val: int32(rng.IntN(4))}
				c.N++
			}
			if !seen[c] {
				seen[c] = true
				tp := int64(1 + rng.IntN(4))
				cs = append(cs, cand{c: c, tp: tp, sup: tp + int64(rng.IntN(3))})
			}
		}
		slices.SortFunc(cs, func(a, b cand) int { return a.c.Compare(b.c) })
		// Counts: the candidates among criteria that are not useful.
		var counts []kernels.Count
		u := &s.use
		u.idx, u.tp, u.sup, u.maxN = u.idx[:0], u.tp[:0], u.sup[:0], 0
		s.marks.reset()
		for _, c := range cs {
			if rng.IntN(4) == 0 {
				counts = append(counts, kernels.Count{C: c.c, TP: 1})
			}
			if c.c.N == 1 {
				s.marks.set(c.c.T[0], int32(len(u.idx)))
			}
			u.idx = append(u.idx, int32(len(counts)))
			u.tp, u.sup = append(u.tp, int32(c.tp)), append(u.sup, int32(c.sup))
			u.maxN = max(u.maxN, c.c.N)
			counts = append(counts, kernels.Count{C: c.c, TP: int32(c.tp)})
		}
		greedy := rng.IntN(2) == 0
		want := refPruneSpecializations(cs, greedy)
		if len(cs) == 1 {
			want = cs
		}
		got := s.collect(counts, greedy)
		if !slices.EqualFunc(got, want, func(a, b cand) bool { return a.c == b.c && a.tp == b.tp && a.sup == b.sup }) {
			t.Fatalf("iteration %d, forGreedy %v: kept %d candidates, want %d\ncandidates: %+v", iter, greedy, len(got), len(want), cs)
		}
	}
}

// TestCapCandidatesReference checks capCandidates against its definition: a stable sort of
// the candidates by holders, most first, cut to the limit, back in criterion order.
func TestCapCandidatesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for iter := 0; iter < 300; iter++ {
		// Holders such that the limit is 64 (the floor) or a little more.
		holders := []int{1 << 20, 1 << 19, 3 << 18}[rng.IntN(3)]
		per := ((holders + 63) / 64) * 8
		limit := max(64, greedyBitsetBudget/per)
		n := limit - 5 + rng.IntN(3*limit)
		cs := make([]cand, n)
		for k := range cs {
			// Few distinct counts, so that the cut falls among ties.
			cs[k] = cand{c: kernels.Criterion{N: 1, T: [kernels.MaxTerms]kernels.Term{{Val: int32(k)}}}, tp: int64(1 + rng.IntN(1+rng.IntN(20)))}
		}
		want := cs
		if n > limit {
			idx := make([]int, n)
			for k := range idx {
				idx[k] = k
			}
			slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(cs[b].tp, cs[a].tp) })
			idx = idx[:limit]
			slices.Sort(idx)
			want = nil
			for _, k := range idx {
				want = append(want, cs[k])
			}
		}
		got := capCandidates(slices.Clone(cs), holders)
		if len(got) != len(want) {
			t.Fatalf("iteration %d (%d candidates, limit %d): kept %d, want %d", iter, n, limit, len(got), len(want))
		}
		for k := range got {
			if got[k].c != want[k].c || got[k].tp != want[k].tp {
				t.Fatalf("iteration %d (%d candidates, limit %d): candidate %d is %v (tp %d), want %v (tp %d)",
					iter, n, limit, k, got[k].c, got[k].tp, want[k].c, want[k].tp)
			}
		}
	}
}
