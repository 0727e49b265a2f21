package columnar

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortDict checks sortDict against its definition (the values in byte order, and for
// each old code the position of its value there) on shuffled and already sorted
// dictionaries.
func TestSortDict(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 7))
	for iter := 0; iter < 300; iter++ {
		n := rng.IntN(200)
		seen := map[string]bool{}
		var vals []string
		for len(vals) < n {
			v := fmt.Sprintf("%x", rng.Uint64()>>(rng.IntN(60)))
			if !seen[v] {
				seen[v] = true
				vals = append(vals, v)
			}
		}
		if iter%3 == 0 {
			slices.Sort(vals)
		}
		orig := slices.Clone(vals)
		sorted, rank := sortDict(vals)
		want := slices.Sorted(slices.Values(orig))
		if !slices.Equal(sorted, want) {
			t.Fatalf("iteration %d: sorted %q, want %q", iter, sorted, want)
		}
		for old, v := range orig {
			if sorted[rank[old]] != v {
				t.Fatalf("iteration %d: code %d (%q) ranked %d, which holds %q", iter, old, v, rank[old], sorted[rank[old]])
			}
		}
		if !slices.Equal(vals, orig) {
			t.Fatalf("iteration %d: the input changed", iter)
		}
	}
}
