package backend

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
)

// SelfCheck compares b with the CPU backend on a small fixed random matrix (every
// count of Cooccur at depth 2, and the supports of those criteria). A backend that
// disagrees must not be used: output must be byte-identical across backends.
func SelfCheck(ctx context.Context, b kernels.Backend) error {
	rng := rand.New(rand.NewPCG(7, 11))
	const n, dims, roles = 3000, 5, 24
	m := &kernels.Matrix{N: n, Codes: make([][]int32, dims), Cards: make([]int32, dims)}
	for d := range dims {
		card := int32(2 + 7*d)
		m.Cards[d] = card
		m.Codes[d] = make([]int32, n)
		for i := range m.Codes[d] {
			m.Codes[d][i] = int32(rng.IntN(int(card)+1)) - 1
		}
	}
	m.RoleOff = make([]int64, roles+1)
	for r := range roles {
		p := rng.Float64() * 0.3
		for i := range n {
			if rng.Float64() < p {
				m.RoleIdx = append(m.RoleIdx, int32(i))
			}
		}
		m.RoleOff[r+1] = int64(len(m.RoleIdx))
	}
	all := make([]int32, roles)
	for r := range all {
		all[r] = int32(r)
	}
	q := kernels.Query{Dims: []int32{0, 1, 2, 3, 4}, MaxTerms: 2, MinTP: 2}
	collect := func(be kernels.Backend) (map[int32][]kernels.Count, []int32, error) {
		var mu sync.Mutex
		got := map[int32][]kernels.Count{}
		err := be.Cooccur(ctx, m, q, all, func(r int32, cs []kernels.Count) error {
			mu.Lock()
			got[r] = slices.Clone(cs)
			mu.Unlock()
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		var crits []kernels.Criterion
		for _, r := range all {
			for _, c := range got[r] {
				crits = append(crits, c.C)
			}
		}
		sup, err := be.Supports(ctx, m, q, crits)
		return got, sup, err
	}
	wantC, wantS, err := collect(cpu.NewWorkers(1))
	if err != nil {
		return err
	}
	gotC, gotS, err := collect(b)
	if err != nil {
		return fmt.Errorf("%s backend self-check: %w", b.Name(), err)
	}
	for _, r := range all {
		if !slices.Equal(gotC[r], wantC[r]) {
			return fmt.Errorf("%s backend self-check: role %d counts differ from the CPU's", b.Name(), r)
		}
	}
	if !slices.Equal(gotS, wantS) {
		return fmt.Errorf("%s backend self-check: supports differ from the CPU's", b.Name())
	}
	return nil
}
