package cpu

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
)

// TestPlannedPairs checks that counting with a plan prepared before the matrix had roles
// gives CooccurPairs' pairs, in its order, on random matrices and scopes: by the two-term
// path with and without patterns (by their rule, always, never), with a multi-valued
// dimension, and where the plan holds nothing (the projector).
func TestPlannedPairs(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(0); seed < 80; seed++ {
		rng := rand.New(rand.NewPCG(seed, 21))
		m := randomMatrix(rng, seed%3 == 0)
		q := kernels.Query{MaxTerms: 2, MinTP: int32(1 + rng.IntN(3))}
		for d := range m.Cards {
			q.Dims = append(q.Dims, int32(d))
		}
		if seed%2 == 1 {
			q.InScope = everyKth(m.N, 2)
		}
		roles := make([]int32, len(m.RoleOff)-1)
		for r := range roles {
			roles[r] = int32(r)
		}
		want := collectPairs(t, &Backend{workers: 2, rows: true}, func(b *Backend, emit func(int32, []Pair) error) error {
			return b.CooccurPairs(ctx, m, q, roles, emit)
		})
		for _, b := range []*Backend{{workers: 2}, {workers: 2, patterns: 1}, {workers: 3, patterns: -1, wide: true}, {workers: 2, rows: true}, {workers: 2, complement: 1}, {workers: 2, union: 1}} {
			bare := *m
			bare.RoleOff, bare.RoleIdx = nil, nil
			plan, err := b.PreparePairs(ctx, &bare, q)
			if err != nil {
				t.Fatal(err)
			}
			bare.RoleOff, bare.RoleIdx = m.RoleOff, m.RoleIdx
			got := collectPairs(t, b, func(b *Backend, emit func(int32, []Pair) error) error {
				return b.CooccurPlanned(ctx, &bare, plan, roles, emit)
			})
			for _, r := range roles {
				if !slices.Equal(got[r], want[r]) {
					t.Fatalf("seed %d backend %+v role %d:\n got %v\nwant %v", seed, *b, r, got[r], want[r])
				}
			}
		}
	}
	b := New()
	if _, err := b.PreparePairs(ctx, &kernels.Matrix{}, kernels.Query{MaxTerms: 1}); err == nil {
		t.Error("PreparePairs with MaxTerms 1: no error")
	}
	plan, err := b.PreparePairs(ctx, &kernels.Matrix{N: 3, Codes: [][]int32{{0, 0, 0}}, Cards: []int32{1}}, kernels.Query{Dims: []int32{0}, MaxTerms: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CooccurPlanned(ctx, &kernels.Matrix{N: 4}, plan, nil, nil); err == nil {
		t.Error("CooccurPlanned over another matrix's identities: no error")
	}
}

// collectPairs runs count with b and returns each role's pairs.
func collectPairs(t *testing.T, b *Backend, count func(*Backend, func(int32, []Pair) error) error) map[int32][]Pair {
	t.Helper()
	var mu sync.Mutex
	got := map[int32][]Pair{}
	if err := count(b, func(r int32, ps []Pair) error {
		mu.Lock()
		defer mu.Unlock()
		got[r] = slices.Clone(ps)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}
