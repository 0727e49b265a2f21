package mining

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/metrics"
)

// scanCover is the coverage step of selectGreedy written as a scan of every candidate in
// each round: the definition greedyCover's lazy evaluation must reproduce.
func scanCover(cs []cand, bd *bounds, covH, covF []uint64, used []bool) (chosen []int, tp, fp int64) {
	for {
		bestJ := -1
		var bGain, bNewFP int64
		for j := range cs {
			if used[j] {
				continue
			}
			gain := andNotCount(cs[j].hold, covH)
			if gain == 0 {
				continue
			}
			newFP := andNotCount(cs[j].fpb, covF)
			if metrics.Pct(fp+newFP, tp+gain+fp+newFP) > bd.FalsePositiveMax {
				continue
			}
			if bestJ < 0 || gain > bGain || (gain == bGain && (newFP < bNewFP ||
				(newFP == bNewFP && cs[j].c.N < cs[bestJ].c.N))) {
				bestJ, bGain, bNewFP = j, gain, newFP
			}
		}
		if bestJ < 0 {
			return chosen, tp, fp
		}
		used[bestJ] = true
		chosen = append(chosen, bestJ)
		for k := range covH {
			covH[k] |= cs[bestJ].hold[k]
		}
		for k := range covF {
			covF[k] |= cs[bestJ].fpb[k]
		}
		tp += bGain
		fp += bNewFP
	}
}

// randomCands makes candidates over h holders and f false-positive identities with few
// distinct match sets, so that ties on gain, new false positives and terms are common.
func randomCands(rng *rand.Rand) []cand {
	h, f := 1+rng.IntN(150), rng.IntN(40)
	cs := make([]cand, 15+rng.IntN(40))
	for k := range cs {
		c := &cs[k]
		c.c.N = uint8(1 + rng.IntN(2))
		c.hold = make([]uint64, (h+63)/64)
		c.fpb = make([]uint64, (f+63)/64)
		p, q := rng.Float64()*rng.Float64(), rng.Float64()*0.2
		for i := 0; i < h; i++ {
			if rng.Float64() < p {
				c.hold[i>>6] |= 1 << (i & 63)
			}
		}
		for i := 0; i < f; i++ {
			if rng.Float64() < q {
				c.fpb[i>>6] |= 1 << (i & 63)
			}
		}
		if k > 0 && rng.IntN(4) == 0 { // a duplicate match set with other terms
			c.hold, c.fpb = slices.Clone(cs[k-1].hold), slices.Clone(cs[k-1].fpb)
		}
		c.tp = count(c.hold)
		c.nhold = c.tp
		c.sup = c.tp + count(c.fpb)
		c.c.T[0] = kernels.Term{Dim: int32(k), Val: 0}
	}
	return cs
}

// TestGreedyCoverMatchesScan checks the lazy coverage step against the scan of every
// candidate on random candidate sets, with tight and loose false-positive bounds.
func TestGreedyCoverMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for iter := 0; iter < 3000; iter++ {
		cs := randomCands(rng)
		bd := &bounds{Bounds: metrics.Bounds{FalsePositiveMax: []float64{0, 2, 5, 20, 100}[rng.IntN(5)]}}
		hw, fw := len(cs[0].hold), len(cs[0].fpb)
		h1, f1, u1 := make([]uint64, hw), make([]uint64, fw), make([]bool, len(cs))
		h2, f2, u2 := make([]uint64, hw), make([]uint64, fw), make([]bool, len(cs))
		c1, tp1, fp1 := greedyCover(cs, bd, h1, f1, u1)
		c2, tp2, fp2 := scanCover(cs, bd, h2, f2, u2)
		if !slices.Equal(c1, c2) || tp1 != tp2 || fp1 != fp2 || !slices.Equal(u1, u2) {
			t.Fatalf("iteration %d (fpMax %g): lazy chose %v (tp %d, fp %d), the scan %v (tp %d, fp %d)",
				iter, bd.FalsePositiveMax, c1, tp1, fp1, c2, tp2, fp2)
		}
	}
}

// TestBudget: a request waits while it does not fit, a request larger than the budget
// takes the whole budget once nothing is held.
func TestBudget(t *testing.T) {
	b := newBudget(10)
	if got := b.acquire(6); got != 6 {
		t.Fatalf("acquire(6) = %d", got)
	}
	done := make(chan int64)
	go func() { done <- b.acquire(25) }()
	select {
	case <-done:
		t.Fatal("acquire(25) returned while 6 of 10 were held")
	case <-time.After(50 * time.Millisecond):
	}
	b.release(6)
	if got := <-done; got != 10 {
		t.Fatalf("acquire(25) = %d, want the whole budget 10", got)
	}
	go func() { done <- b.acquire(1) }()
	select {
	case <-done:
		t.Fatal("acquire(1) returned while the whole budget was held")
	case <-time.After(50 * time.Millisecond):
	}
	b.release(10)
	if got := <-done; got != 1 {
		t.Fatalf("acquire(1) = %d", got)
	}
}
