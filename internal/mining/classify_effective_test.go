package mining

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/effective"
)

// TestDropHeld checks dropHeld against one sequential filter over suggestions spanning
// several of its blocks: the same suggestions kept, in the same order, whatever the
// number of workers.
func TestDropHeld(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	const idents, roles = 3000, 200
	p := &effective.Pairs{Off: make([]int64, idents+1)}
	for i := range idents {
		for r := int32(0); r < roles; r++ {
			if rng.IntN(8) == 0 {
				p.Role = append(p.Role, r)
			}
		}
		p.Off[i+1] = int64(len(p.Role))
	}
	var sgs []Suggestion
	for i := range int32(idents) {
		for r := int32(0); r < roles; r++ {
			if rng.IntN(3) == 0 {
				sgs = append(sgs, Suggestion{Identity: i, Role: r, Rule: r})
			}
		}
	}
	if len(sgs) < 3<<16 {
		t.Fatalf("only %d suggestions: want several blocks", len(sgs))
	}
	want := slices.DeleteFunc(slices.Clone(sgs), func(sg Suggestion) bool {
		lo, hi := p.Of(int(sg.Identity))
		return slices.Contains(p.Role[lo:hi], sg.Role)
	})
	for _, workers := range []int{1, 2, 5} {
		got, err := dropHeld(context.Background(), slices.Clone(sgs), p, workers)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("workers %d: kept %d suggestions, want %d (first differences matter: order and content)", workers, len(got), len(want))
		}
	}
}

// TestBySuggested checks bySuggested against a sort of all the suggestions by identity
// then role, for roles given in ascending order (the counting sort) and out of order.
func TestBySuggested(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 5))
		identities := 1 + rng.IntN(50)
		var sugg [][]Suggestion
		var all []Suggestion
		for r := range int32(rng.IntN(12)) {
			var s []Suggestion
			for i := range int32(identities) {
				if rng.IntN(3) == 0 {
					s = append(s, Suggestion{Identity: i, Role: r, Rule: rng.Int32N(100)})
				}
			}
			sugg = append(sugg, s)
			all = append(all, s...)
		}
		if seed%2 == 1 {
			rng.Shuffle(len(sugg), func(a, b int) { sugg[a], sugg[b] = sugg[b], sugg[a] })
		}
		slices.SortFunc(all, func(a, b Suggestion) int {
			if a.Identity != b.Identity {
				return int(a.Identity - b.Identity)
			}
			return int(a.Role - b.Role)
		})
		if got := bySuggested(sugg, identities); !slices.Equal(got, all) {
			t.Fatalf("seed %d: %v, want %v", seed, got, all)
		}
	}
}
