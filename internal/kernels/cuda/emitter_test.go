package cuda

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
)

// randomCriteria returns n distinct criteria of 1..kernels.MaxTerms terms on dims (ascending
// dimension order within each), values below cards[d], with a count each.
func randomCriteria(rng *rand.Rand, dims []int32, cards map[int32]int32, n int) []kernels.Count {
	seen := map[kernels.Criterion]bool{}
	var out []kernels.Count
	for len(out) < n {
		var c kernels.Criterion
		for _, d := range dims {
			if int(c.N) < kernels.MaxTerms && rng.IntN(2) == 0 {
				c.T[c.N] = kernels.Term{Dim: d, Val: rng.Int32N(cards[d])}
				c.N++
			}
		}
		if c.N == 0 || seen[c] {
			continue
		}
		seen[c] = true
		out = append(out, kernels.Count{C: c, TP: rng.Int32N(100)})
	}
	return out
}

// TestSortMatchesCompare checks the key sort against Criterion.Compare on random criteria,
// on both paths (keys that fit 32 bits, and the direct comparison past them).
func TestSortMatchesCompare(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	var s sortScratch
	for trial := range 300 {
		dims := []int32{}
		cards := map[int32]int32{}
		for d := int32(0); d < 9; d++ {
			if rng.IntN(3) > 0 {
				dims = append(dims, d)
				cards[d] = 1 + rng.Int32N(40)
			}
		}
		if len(dims) == 0 {
			continue
		}
		hoff := make([]int64, len(dims)+1)
		for p, d := range dims {
			hoff[p+1] = hoff[p] + int64(cards[d])
		}
		keys := newCriterionKeys(dims, hoff)
		if !keys.ok {
			t.Fatalf("trial %d: %d values should fit the keys", trial, hoff[len(dims)])
		}
		if trial%5 == 0 {
			keys.ok = false // the fallback path
		}
		counts := randomCriteria(rng, dims, cards, 1+rng.IntN(200))
		want := slices.Clone(counts)
		slices.SortFunc(want, func(a, b kernels.Count) int { return a.C.Compare(b.C) })
		if got := s.sort(counts, keys); !slices.Equal(got, want) {
			t.Fatalf("trial %d (keys %v): key sort differs from Criterion.Compare", trial, keys.ok)
		}
	}
}

// listOf records counts as the device loop would: each criterion's prefix, then its last term.
func listOf(cs []kernels.Count, dims []int32) foundList {
	var l foundList
	for _, c := range cs {
		pre := c.C
		pre.N--
		last := pre.T[pre.N]
		pre.T[pre.N] = kernels.Term{}
		l.add(found{prefix: l.addPrefix(pre), p: int32(slices.Index(dims, last.Dim)), val: last.Val, tp: c.TP})
	}
	return l
}

// TestFoundListRoundTrip checks that a role's recorded criteria come back as recorded,
// across chunk boundaries (the chunks double from 64 entries to maxChunk).
func TestFoundListRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dims := []int32{1, 4, 6, 7, 9}
	cards := map[int32]int32{1: 30, 4: 20, 6: 25, 7: 10, 9: 40}
	for _, n := range []int{1, 64, 65, 3*maxChunk + 17} {
		want := randomCriteria(rng, dims, cards, n)
		l := listOf(want, dims)
		if got := l.counts(nil, dims); !slices.Equal(got, want) {
			t.Fatalf("%d criteria: the list gives back different criteria", n)
		}
		if n > 2*maxChunk && cap(l.chunks[len(l.chunks)-1]) != maxChunk {
			t.Errorf("%d criteria: last chunk holds %d, want %d", n, cap(l.chunks[len(l.chunks)-1]), maxChunk)
		}
	}
}

// TestEmitterSortsAndStopsOnError checks that every submitted role is emitted once, sorted,
// and that the first error of emit is returned by close and refuses later submissions.
func TestEmitterSortsAndStopsOnError(t *testing.T) {
	dims := []int32{0, 1}
	hoff := []int64{0, 5, 9}
	keys := newCriterionKeys(dims, hoff)
	rng := rand.New(rand.NewPCG(1, 2))
	var mu sync.Mutex
	got := map[int32][]kernels.Count{}
	e := newEmitter(context.Background(), dims, keys, func(r int32, cs []kernels.Count) error {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := got[r]; dup {
			t.Errorf("role %d emitted twice", r)
		}
		got[r] = slices.Clone(cs)
		return nil
	})
	for r := range int32(50) {
		cs := randomCriteria(rng, dims, map[int32]int32{0: 5, 1: 4}, 1+rng.IntN(20))
		if err := e.submit(r, listOf(cs, dims)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.close(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 {
		t.Fatalf("%d roles emitted, want 50", len(got))
	}
	for r, cs := range got {
		if !slices.IsSortedFunc(cs, func(a, b kernels.Count) int { return a.C.Compare(b.C) }) {
			t.Errorf("role %d: criteria not sorted", r)
		}
	}

	boom := errors.New("selection failed")
	e = newEmitter(context.Background(), dims, keys, func(int32, []kernels.Count) error { return boom })
	_ = e.submit(1, foundList{})
	var err error
	for r := int32(2); r < 1000 && err == nil; r++ {
		err = e.submit(r, foundList{})
	}
	if !errors.Is(err, boom) {
		t.Errorf("submit after a failed emit: %v, want %v", err, boom)
	}
	if err := e.close(); !errors.Is(err, boom) {
		t.Errorf("close: %v, want %v", err, boom)
	}
}
