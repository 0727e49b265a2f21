package mining

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
)

// TestNeutralTally compares neutralTally with a literal count: for random identities with
// single- and multi-valued dimensions, a random scope and random lists of neutral
// identities, each criterion asked for gets the number of listed identities in the scope
// that it matches, role after role on one tally (whose scratch must come back empty); on
// half the seeds the tally reads multi-valued values packed by identity.
func TestNeutralTally(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		snap, dims := randomTallySnapshot(rng)
		n := len(snap.Dims[0].Codes)
		scope := make([]uint64, (n+63)/64)
		for i := range n {
			if rng.IntN(5) > 0 {
				scope[i>>6] |= 1 << (i & 63)
			}
		}
		tally := newNeutralTally(snap, dims)
		if seed%2 == 0 { // multi-valued values packed by identity, as mining sets them
			packed := make([][]uint64, len(dims))
			for p, d := range dims {
				if snap.Dims[d].MultiOff != nil {
					packed[p] = mustPack(t, &snap.Dims[d])
				}
			}
			tally.usePacked(packed)
		}
		for role := range 4 {
			var neutral []int32
			for i := range int32(n) {
				if rng.IntN(3) == 0 {
					neutral = append(neutral, i)
				}
			}
			counts := randomTallyCounts(rng, snap, dims)
			out := make([]int32, len(counts))
			some := tally.count(neutral, scope, counts, out)
			wantSome := false
			for _, i := range neutral {
				for _, d := range dims {
					wantSome = wantSome || scope[i>>6]&(1<<(i&63)) != 0 && snap.Dims[d].Codes[i] >= 0
				}
			}
			if some != wantSome {
				t.Fatalf("seed %d role %d: some %v, want %v", seed, role, some, wantSome)
			}
			for k := range counts {
				want := int32(0)
				for _, i := range neutral {
					if scope[i>>6]&(1<<(i&63)) != 0 && matchesCriterion(snap, &counts[k].C, int(i)) {
						want++
					}
				}
				if out[k] != want {
					t.Fatalf("seed %d role %d: %v: %d, want %d", seed, role, counts[k].C, out[k], want)
				}
			}
		}
	}
}

// randomTallySnapshot returns identities with 1-5 dimensions of 1-8 values (some
// multi-valued, some codes missing) and the ascending dimensions a mining rule uses.
func randomTallySnapshot(rng *rand.Rand) (*columnar.Snapshot, []int32) {
	n := 1 + rng.IntN(150)
	snap := &columnar.Snapshot{Dims: make([]columnar.Dimension, 1+rng.IntN(5)), IdentityIDs: make([]string, n)}
	var dims []int32
	for d := range snap.Dims {
		card := 1 + rng.IntN(8)
		dim := columnar.Dimension{Values: make([]string, card), Codes: make([]int32, n)}
		multi := rng.IntN(2) == 0
		if multi {
			dim.MultiOff = make([]int32, n+1)
		}
		for i := range n {
			dim.Codes[i] = int32(rng.IntN(card+1)) - 1
			if multi && dim.Codes[i] >= 0 {
				for c := int32(0); c < int32(card); c++ {
					if c != dim.Codes[i] && rng.IntN(3) == 0 {
						dim.MultiCodes = append(dim.MultiCodes, c)
					}
				}
				dim.MultiOff[i+1] = int32(len(dim.MultiCodes))
			} else if multi {
				dim.MultiOff[i+1] = dim.MultiOff[i]
			}
		}
		snap.Dims[d] = dim
		if rng.IntN(4) > 0 {
			dims = append(dims, int32(d))
		}
	}
	if len(dims) == 0 {
		dims = []int32{0}
	}
	return snap, dims
}

// randomTallyCounts returns a random half of the criteria of one or two terms on dims, in
// criterion order (as a backend emits them).
func randomTallyCounts(rng *rand.Rand, snap *columnar.Snapshot, dims []int32) []kernels.Count {
	var out []kernels.Count
	add := func(c kernels.Criterion) {
		if rng.IntN(2) == 0 {
			out = append(out, kernels.Count{C: c, TP: 1})
		}
	}
	for a, da := range dims {
		for va := range int32(len(snap.Dims[da].Values)) {
			add(kernels.Criterion{T: [kernels.MaxTerms]kernels.Term{{Dim: da, Val: va}}, N: 1})
			for _, db := range dims[a+1:] {
				for vb := range int32(len(snap.Dims[db].Values)) {
					add(kernels.Criterion{T: [kernels.MaxTerms]kernels.Term{{Dim: da, Val: va}, {Dim: db, Val: vb}}, N: 2})
				}
			}
		}
	}
	slices.SortFunc(out, func(x, y kernels.Count) int { return x.C.Compare(y.C) })
	return out
}
