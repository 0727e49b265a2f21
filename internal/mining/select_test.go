package mining

import (
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/metrics"
)

// testCand builds a candidate of n terms matching the holders and false positives listed
// (bit numbers of the role's holder and false-positive bitsets, one word each).
func testCand(n uint8, holders, fps []int) cand {
	c := cand{c: kernels.Criterion{N: n}, hold: []uint64{0}, fpb: []uint64{0}}
	for k := range n {
		c.c.T[k] = kernels.Term{Dim: int32(k), Val: int32(n)}
	}
	for _, h := range holders {
		c.hold[0] |= 1 << h
	}
	for _, f := range fps {
		c.fpb[0] |= 1 << f
	}
	c.tp = int64(len(holders))
	c.sup = c.tp + int64(len(fps))
	return c
}

// TestSelectFewestRulesBeforeFewestTerms: with true and false positives tied, the set with
// fewer rules wins even when it has more terms. One 3-term rule explains the four holders
// that two 1-term rules explain together; the order picks the single rule (a swapped
// order, terms before rules, picks the pair).
func TestSelectFewestRulesBeforeFewestTerms(t *testing.T) {
	cs := []cand{
		testCand(1, []int{0, 1}, nil),
		testCand(1, []int{2, 3}, nil),
		testCand(3, []int{0, 1, 2, 3}, nil),
	}
	bd := &bounds{n: 100, holders: 4, Bounds: metrics.Bounds{PrecisionMin: 0, FalsePositiveMax: 0}}
	for _, name := range []string{"exact", "exact after pruning"} {
		in := cs
		if name != "exact" {
			in = prune(slices.Clone(cs))
		}
		ch := selectExact(in, bd)
		if len(ch.idx) != 1 || in[ch.idx[0]].c.N != 3 || ch.tp != 4 || ch.fp != 0 {
			t.Errorf("%s: chose %v (tp %d, fp %d), want the single 3-term rule", name, ch.idx, ch.tp, ch.fp)
		}
	}
	// The order itself: one rule of 3 terms beats two rules of 2 terms in total.
	best := &choice{idx: []int{0, 1}, tp: 4, fp: 0}
	if !better(4, 0, 1, 3, []int{2}, best, 2) {
		t.Error("better: 1 rule with 3 terms does not beat 2 rules with 2 terms")
	}
	if better(4, 0, 2, 2, []int{0, 1}, &choice{idx: []int{2}, tp: 4, fp: 0}, 3) {
		t.Error("better: 2 rules with 2 terms beat 1 rule with 3 terms")
	}
}

// TestPruneKeepsFalsePositives: a shorter candidate explaining the same holders does not
// dominate one whose false positives are different, even as many. A (2 terms, false
// positive f1) and B (1 term, false positive f0) explain the same holders; C explains the
// rest with false positive f1. {A, C} has one false positive, {B, C} two: pruning that
// ignored false positives would drop A and lose the optimum.
func TestPruneKeepsFalsePositives(t *testing.T) {
	a := testCand(2, []int{0, 1}, []int{1})
	b := testCand(1, []int{0, 1}, []int{0})
	c := testCand(1, []int{2, 3}, []int{1})
	a.c.T[0].Val, b.c.T[0].Val, c.c.T[0].Val = 1, 2, 3
	cs := []cand{a, b, c}
	kept := prune(slices.Clone(cs))
	if !slices.ContainsFunc(kept, func(k cand) bool { return k.c == a.c }) {
		t.Fatalf("prune dropped A, whose false positive differs from B's (kept %d of 3)", len(kept))
	}
	bd := &bounds{n: 100, holders: 4, Bounds: metrics.Bounds{PrecisionMin: 0, FalsePositiveMax: 100}}
	full := selectExact(cs, bd)
	pruned := selectExact(kept, bd)
	if full.tp != 4 || full.fp != 1 || pruned.tp != full.tp || pruned.fp != full.fp {
		t.Errorf("optimum tp %d fp %d without pruning, tp %d fp %d with; want tp 4 fp 1 both",
			full.tp, full.fp, pruned.tp, pruned.fp)
	}
	// A candidate that is no better on false positives is still dominated: B' has A's
	// false positive and one term fewer.
	b2 := testCand(1, []int{0, 1}, []int{1})
	if kept := prune([]cand{a, b2}); len(kept) != 1 || kept[0].c.N != 1 {
		t.Errorf("prune kept %d candidates, want only the shorter one with the same false positive", len(kept))
	}
}
