package cpu

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
)

// TestComplementRule checks which roles of a two-term call are counted through their
// complements: those holding at least three quarters of the scope, and only where
// together they save at least twice the scope's size; never with a multi-valued
// dimension; those roles are taken last, the others in their given order.
func TestComplementRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 1000
	m := &kernels.Matrix{N: n, Cards: []int32{5, 7}, Codes: make([][]int32, 2)}
	for d := range m.Codes {
		m.Codes[d] = make([]int32, n)
		for i := range m.Codes[d] {
			m.Codes[d][i] = int32(rng.IntN(int(m.Cards[d])))
		}
	}
	// Roles 0 and 3 hold every identity but every 10th, role 2 every one, role 1 every
	// other; role 4 every identity but every 3rd (two thirds).
	m.RoleOff = []int64{0}
	for r := range 5 {
		for i := range int32(n) {
			if r == 2 || (r == 0 || r == 3) && i%10 != 0 || r == 1 && i%2 == 0 || r == 4 && i%3 != 0 {
				m.RoleIdx = append(m.RoleIdx, i)
			}
		}
		m.RoleOff = append(m.RoleOff, int64(len(m.RoleIdx)))
	}
	q := kernels.Query{Dims: []int32{0, 1}, MaxTerms: 2, MinTP: 3}
	roles := []int32{4, 3, 2, 1, 0}
	picked := func(roles []int32, force int) []int32 {
		cs := planComplements(m, &q, newLayout(m, &q), roles, force)
		if cs == nil {
			return nil
		}
		var via []int32
		for _, r := range cs.order {
			if cs.via[r] {
				via = append(via, r)
			}
		}
		return via
	}
	cs := planComplements(m, &q, newLayout(m, &q), roles, 0)
	if cs == nil || !slices.Equal(cs.order, []int32{4, 1, 3, 2, 0}) || len(cs.scope) != n {
		t.Fatalf("every identity in scope: got %+v, want order [4 1 3 2 0] over %d identities", cs, n)
	}
	if got := picked([]int32{4, 3, 1}, 0); got != nil { // saves 800 holders, not 2,000
		t.Errorf("one role of 90%%: %v counted through complements, want none", got)
	}
	if got := picked(roles, -1); got != nil {
		t.Errorf("forced off: %v", got)
	}
	if got := picked([]int32{4, 1}, 1); !slices.Equal(got, []int32{4, 1}) {
		t.Errorf("forced on: %v, want [4 1]", got)
	}
	// A scope of the even identities: role 1 holds all of it, roles 0 and 3 nine tenths,
	// role 2 all, role 4 two thirds.
	q.InScope = everyKth(n, 2)
	if cs := planComplements(m, &q, newLayout(m, &q), roles, 0); cs == nil || len(cs.scope) != n/2 || !slices.Equal(cs.order, []int32{4, 3, 2, 1, 0}) {
		t.Fatalf("scope of the even identities: got %+v", cs)
	}
	m.MultiOff, m.MultiCodes = [][]int32{nil, make([]int32, n+1)}, [][]int32{nil, nil}
	if got := picked(roles, 1); got != nil {
		t.Errorf("a multi-valued dimension: %v counted through complements", got)
	}
}
