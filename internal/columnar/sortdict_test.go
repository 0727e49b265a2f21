package columnar

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// TestSortDict checks sortDict against its definition (the distinct values in byte order,
// and for each old code the position of its value there) on shuffled and already sorted
// dictionaries, with repeated values (a raw column's), values sharing long prefixes,
// prefixes of one another, NUL bytes and bytes above 0x7F, sorted whole and bucketed by
// their first byte (sorted in parallel) on 1 to 5 processors.
func TestSortDict(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	rng := rand.New(rand.NewPCG(5, 7))
	for iter := 0; iter < 300; iter++ {
		n := rng.IntN(200)
		var vals []string
		for len(vals) < n {
			var v string
			switch rng.IntN(4) {
			case 0:
				v = fmt.Sprintf("%x", rng.Uint64()>>(rng.IntN(60)))
			case 1:
				v = fmt.Sprintf("user.name.%d@x", rng.IntN(40)) // a long shared prefix
			case 2:
				v = []string{"ab\x00", "\xe9t\xff"}[rng.IntN(2)][:rng.IntN(4)] + string(rune('a'+rng.IntN(3)))
			default:
				if len(vals) > 0 {
					v = vals[rng.IntN(len(vals))] // a repeat
				} else {
					v = "x"
				}
			}
			vals = append(vals, v)
		}
		if iter%3 == 0 {
			slices.Sort(vals)
			vals = slices.Compact(vals)
		}
		procs := 1 + iter%5
		runtime.GOMAXPROCS(procs)
		orig := slices.Clone(vals)
		sorted, rank := sortDictParts(vals, []int{1 << 30, 2, 17}[iter%3])
		want := slices.Compact(slices.Sorted(slices.Values(orig)))
		if !slices.Equal(sorted, want) {
			t.Fatalf("iteration %d (%d procs): sorted %q, want %q", iter, procs, sorted, want)
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
