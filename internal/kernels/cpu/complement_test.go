package cpu

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
)

// TestComplementRule checks which roles of a two-term call are counted through their
// complements: those holding at least three quarters of the scope, and only where
// together they save at least twice the scope's size; never with a multi-valued
// dimension; those roles are taken, the one of the largest complement first, once the
// others before them (in their given order) hold the scope's size, here last.
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
	plan := func(roles []int32, force int) *complements {
		cs, err := planComplements(context.Background(), m, &q, newLayout(m, &q), roles, force, 2)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	picked := func(roles []int32, force int) []int32 {
		cs := plan(roles, force)
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
	cs := plan(roles, 0)
	if cs == nil || !slices.Equal(cs.order, []int32{4, 1, 3, 0, 2}) || len(cs.scope) != n {
		t.Fatalf("every identity in scope: got %+v, want order [4 1 3 0 2] over %d identities", cs, n)
	}
	if got := picked([]int32{4, 3, 1}, 0); got != nil { // saves 800 holders, not 2,000
		t.Errorf("one role of 90%%: %v counted through complements, want none", got)
	}
	if got := picked(roles, -1); got != nil {
		t.Errorf("forced off: %v", got)
	}
	if got := picked([]int32{4, 1}, 1); !slices.Equal(got, []int32{1, 4}) { // role 1's complement is the larger
		t.Errorf("forced on: %v, want [1 4]", got)
	}
	// A scope of the even identities: role 1 holds all of it, roles 0 and 3 nine tenths,
	// role 2 all, role 4 two thirds.
	q.InScope = everyKth(n, 2)
	if cs = plan(roles, 0); cs == nil || len(cs.scope) != n/2 || !slices.Equal(cs.order, []int32{4, 3, 0, 2, 1}) {
		t.Fatalf("scope of the even identities: got %+v", cs)
	}
	for k, i := range cs.scope {
		if i != int32(2*k) {
			t.Fatalf("scope of the even identities: identity %d in scope at %d", i, k)
		}
	}
	m.MultiOff, m.MultiCodes = [][]int32{nil, make([]int32, n+1)}, [][]int32{nil, nil}
	if got := picked(roles, 1); got != nil {
		t.Errorf("a multi-valued dimension: %v counted through complements", got)
	}
}

// TestComplementOrder checks where the roles counted through their complements go among
// a call's roles: the others keep their order, and the complemented ones, the one of the
// largest complement (fewest in-scope holders) first, ties in their order, come once the
// others before them hold the scope's size in all, or last.
func TestComplementOrder(t *testing.T) {
	sizes := []int64{10, 40, 30, 95, 90, 5, 90}
	m := &kernels.Matrix{RoleOff: []int64{0}}
	for _, s := range sizes {
		m.RoleOff = append(m.RoleOff, m.RoleOff[len(m.RoleOff)-1]+s)
	}
	isVia := []bool{3: true, 4: true, 6: true}
	via, held := []int32{3, 6, 4}, []int64{95, 90, 90}
	for _, c := range []struct {
		roles []int32
		size  int64
		want  []int32
	}{
		{[]int32{0, 1, 3, 2, 6, 4, 5}, 60, []int32{0, 1, 2, 6, 4, 3, 5}}, // 10+40+30 >= 60 before role 5
		{[]int32{0, 1, 3, 2, 6, 4, 5}, 50, []int32{0, 1, 6, 4, 3, 2, 5}}, // 10+40 >= 50 before role 2
		{[]int32{0, 1, 3, 2, 6, 4, 5}, 0, []int32{6, 4, 3, 0, 1, 2, 5}},
		{[]int32{0, 1, 3, 2, 6, 4, 5}, 86, []int32{0, 1, 2, 5, 6, 4, 3}}, // never reached: last
	} {
		if got := complementOrder(m, c.roles, isVia, via, held, c.size); !slices.Equal(got, c.want) {
			t.Errorf("scope of %d: order %v, want %v", c.size, got, c.want)
		}
	}
}
