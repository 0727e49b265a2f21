package cpu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
)

// planted is a group of roles planted on one random set of about size identities, each
// member with its own noise: identities of the set dropped and others added, each with
// probability noise.
type planted struct {
	members int
	noise   float64
}

// plantRoles sets m's roles: the planted groups' members, then lone random roles of about
// size identities, then one role held by nine in ten identities. It returns each group's
// roles.
func plantRoles(rng *rand.Rand, m *kernels.Matrix, size int, groups []planted, lone int) [][]int32 {
	m.RoleOff, m.RoleIdx = []int64{0}, nil
	add := func(keep func(i int) bool) int32 {
		for i := range m.N {
			if keep(i) {
				m.RoleIdx = append(m.RoleIdx, int32(i))
			}
		}
		m.RoleOff = append(m.RoleOff, int64(len(m.RoleIdx)))
		return int32(len(m.RoleOff) - 2)
	}
	share := float64(size) / float64(m.N)
	var out [][]int32
	for _, g := range groups {
		set := make([]bool, m.N)
		for i := range set {
			set[i] = rng.Float64() < share
		}
		var members []int32
		for range g.members {
			members = append(members, add(func(i int) bool {
				if set[i] {
					return rng.Float64() >= g.noise
				}
				return rng.Float64() < g.noise*share
			}))
		}
		out = append(out, members)
	}
	for range lone {
		add(func(int) bool { return rng.Float64() < share })
	}
	add(func(int) bool { return rng.Float64() < 0.9 })
	return out
}

// unionMatrix returns a matrix of n identities over three dimensions: one of 3 values, one
// of 12 and one of 300 (many pairs counted near any MinTP), some identities without a
// value.
func unionMatrix(rng *rand.Rand, n int) *kernels.Matrix {
	m := &kernels.Matrix{N: n, Cards: []int32{3, 12, 300}, Codes: make([][]int32, 3)}
	for d, card := range m.Cards {
		m.Codes[d] = make([]int32, n)
		for i := range n {
			m.Codes[d][i] = int32(rng.IntN(int(card)+1)) - 1
		}
	}
	return m
}

func allRoles(m *kernels.Matrix) []int32 {
	roles := make([]int32, len(m.RoleOff)-1)
	for r := range roles {
		roles[r] = int32(r)
	}
	return roles
}

// TestUnionRule checks which roles are grouped: the groups planted near-equal (1% noise:
// members about 3% apart), of at least unionMin holders, not those planted further apart
// (10% noise) nor the lone roles, nor a role counted through the scope's complement with
// one that is not;
// none with a multi-valued dimension, below unionMin, or forced off; forced on, every role
// not counted through the scope's complement, in one group.
func TestUnionRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := unionMatrix(rng, 12000)
	groups := plantRoles(rng, m, 4000, []planted{{3, 0.01}, {2, 0.01}, {3, 0.1}, {4, 0.01}, {2, 0.1}}, 3)
	roles := allRoles(m)
	q := kernels.Query{Dims: []int32{0, 1, 2}, MaxTerms: 2, MinTP: 3}
	plan := func(roles []int32, via []bool, force int) [][]int32 {
		us, err := planUnions(context.Background(), m, &q, newLayout(m, &q), roles, via, force, 2)
		if err != nil {
			t.Fatal(err)
		}
		if us == nil {
			return nil
		}
		var gs [][]int32
		for g, u := range us.groups {
			for _, r := range u.members {
				if us.of[r] != int32(g+1) {
					t.Errorf("role %d of group %d: of %d", r, g, us.of[r])
				}
			}
			gs = append(gs, slices.Sorted(slices.Values(u.members)))
		}
		slices.SortFunc(gs, func(a, b []int32) int { return int(a[0] - b[0]) })
		return gs
	}
	want := [][]int32{groups[0], groups[1], groups[3]}
	if got := plan(roles, nil, 0); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("grouped %v, want %v", got, want)
	}
	via := make([]bool, len(roles))
	via[groups[0][1]], via[groups[1][0]] = true, true
	want = [][]int32{{groups[0][0], groups[0][2]}, groups[3]}
	if got := plan(roles, via, 0); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("with roles %d and %d through the scope's complement: grouped %v, want %v", groups[0][1], groups[1][0], got, want)
	}
	if got := plan(roles, via, 1); len(got) != 1 || len(got[0]) != len(roles)-2 {
		t.Errorf("forced on: grouped %v, want every role but two in one group", got)
	}
	if got := plan(roles, nil, -1); got != nil {
		t.Errorf("forced off: grouped %v", got)
	}
	if got := plan(groups[3][:1], nil, 0); got != nil {
		t.Errorf("one role: grouped %v", got)
	}
	q.InScope = everyKth(m.N, 3) // a third of each role in scope: under unionMin
	if got := plan(roles, nil, 0); got != nil {
		t.Errorf("a third of the identities in scope: grouped %v", got)
	}
	q.InScope = nil
	m.MultiOff, m.MultiCodes = [][]int32{nil, make([]int32, m.N+1), nil}, [][]int32{nil, nil, nil}
	if got := plan(roles, nil, 1); got != nil {
		t.Errorf("a multi-valued dimension: grouped %v", got)
	}
}

// TestUnionOrder checks the items of a call with groups: the first union first, a group's
// members once the roles after its union (not counting those through the scope's
// complement) hold unionLead times its estimated holders, then the next union; what is
// left at the end, the unions first.
func TestUnionOrder(t *testing.T) {
	sizes := []int64{10, 40, 30, 95, 90, 5, 90, 20}
	m := &kernels.Matrix{RoleOff: []int64{0}}
	for _, s := range sizes {
		m.RoleOff = append(m.RoleOff, m.RoleOff[len(m.RoleOff)-1]+s)
	}
	us := &unions{of: []int32{3: 1, 4: 1, 6: 2, 7: 2}, groups: []*unionGroup{{members: []int32{4, 3}, held: 50 / unionLead}, {members: []int32{6, 7}, held: 30 / unionLead}}}
	order := []int32{0, 1, 3, 2, 6, 4, 5, 7}
	if got, want := unionOrder(m, order, nil, us), []int32{^0, 0, 1, 4, 3, ^1, 2, 6, 7, 5}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	us.groups[1].held = 40 / unionLead
	if got, want := unionOrder(m, order, nil, us), []int32{^0, 0, 1, 4, 3, ^1, 2, 5, 6, 7}; !slices.Equal(got, want) {
		t.Errorf("second union of 40: order %v, want %v", got, want)
	}
	us.groups[0].held = 100 / unionLead
	if got, want := unionOrder(m, order, nil, us), []int32{^0, 0, 1, 2, 5, ^1, 4, 3, 6, 7}; !slices.Equal(got, want) {
		t.Errorf("first union of 100: order %v, want %v", got, want)
	}
	us.groups[0].held = 50 / unionLead
	if got, want := unionOrder(m, order, []bool{1: true, 7: false}, us), []int32{^0, 0, 1, 2, 5, ^1, 4, 3, 6, 7}; !slices.Equal(got, want) {
		t.Errorf("role 1 through the scope's complement: order %v, want %v", got, want)
	}
	// A union counted through the scope's complement: where its first member was, its
	// members last of all; the other groups as before.
	us.groups[1].held = 30 / unionLead
	us.of[2], us.of[5] = 3, 3
	us.groups = append(us.groups, &unionGroup{members: []int32{5, 2}, held: 1000, scope: true})
	if got, want := unionOrder(m, order, nil, us), []int32{^0, 0, 1, 4, 3, ^1, ^2, 6, 7, 5, 2}; !slices.Equal(got, want) {
		t.Errorf("roles 2 and 5 through the scope's complement, in one group: order %v, want %v", got, want)
	}
}

// TestUnionOfScopeRoles checks near-equal roles held by most of the scope, each counted
// through the scope's complement otherwise: the rule groups them with one another alone,
// and their union, counted through the scope's complement, gives each member the counts
// of its holders (against the projector, which counts every holder), with Cooccur and
// CooccurPairs, with and without a scope (nine tenths of the identities, with holes), at MinTP 1 and 3, by pattern and not, on one
// to three workers.
func TestUnionOfScopeRoles(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(0); seed < 3; seed++ {
		rng := rand.New(rand.NewPCG(seed, 23))
		m := unionMatrix(rng, 5000+rng.IntN(2000))
		groups := plantRoles(rng, m, m.N*17/20, []planted{{3, 0.02}}, 1)
		roles := allRoles(m)
		rng.Shuffle(len(roles), func(a, b int) { roles[a], roles[b] = roles[b], roles[a] })
		for _, in := range [][]uint64{nil, rangeScope(m.N, m.N/10, m.N, 11)} {
			for _, minTP := range []int32{1, 3} {
				q := kernels.Query{Dims: []int32{0, 1, 2}, MaxTerms: 2, MinTP: minTP, InScope: in}
				cs, err := planComplements(ctx, m, &q, newLayout(m, &q), roles, 0, 2)
				if err != nil || cs == nil {
					t.Fatalf("seed %d: no role through the scope's complement (err %v)", seed, err)
				}
				us, err := planUnions(ctx, m, &q, newLayout(m, &q), roles, cs.via, 0, 2)
				if err != nil || us == nil {
					t.Fatalf("seed %d: no group (err %v)", seed, err)
				}
				var scoped [][]int32
				for _, g := range us.groups {
					for _, r := range g.members {
						if cs.via[r] != g.scope {
							t.Fatalf("seed %d: role %d (through the scope's complement: %v) in a group of scope %v", seed, r, cs.via[r], g.scope)
						}
					}
					if g.scope {
						scoped = append(scoped, slices.Sorted(slices.Values(g.members)))
					}
				}
				if len(scoped) != 1 || !slices.Equal(scoped[0], groups[0]) {
					t.Fatalf("seed %d: groups through the scope's complement %v, want %v", seed, scoped, groups[0])
				}
				label := fmt.Sprintf("seed %d minTP %d", seed, minTP)
				checkAgainstRows(t, ctx, label, m, q, roles, []*Backend{{workers: 2}, {workers: 1, patterns: 1}, {workers: 3, patterns: -1}})
			}
		}
	}
}

// TestUnionCounts checks counting through unions against counting each role's holders,
// on matrices with planted near-equal roles, with Cooccur and CooccurPairs, with and
// without a scope, at several MinTP (a criterion kept in a union under MinTP, or a member's
// complement left out, changes the counts), with the scope's complement, by pattern and
// by holder, on one to three workers.
func TestUnionCounts(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(0); seed < 4; seed++ {
		rng := rand.New(rand.NewPCG(seed, 11))
		m := unionMatrix(rng, 6000+rng.IntN(3000))
		plantRoles(rng, m, 2500+rng.IntN(1000), []planted{{2 + rng.IntN(3), 0.01}, {2, 0.02}, {3, 0.005}, {2, 0.1}}, 2)
		roles := allRoles(m)
		rng.Shuffle(len(roles), func(a, b int) { roles[a], roles[b] = roles[b], roles[a] })
		for _, in := range [][]uint64{nil, everyKth(m.N, 7)} {
			for _, minTP := range []int32{1, 3, 6} {
				q := kernels.Query{Dims: []int32{0, 1, 2}, MaxTerms: 2, MinTP: minTP, InScope: in}
				want := collectCounts(t, &Backend{workers: 2, union: -1, complement: -1}, m, q, roles)
				wantPairs := collectPairs(t, &Backend{workers: 2, union: -1, complement: -1}, func(b *Backend, emit func(int32, []Pair) error) error {
					return b.CooccurPairs(ctx, m, q, roles, emit)
				})
				us, err := planUnions(ctx, m, &q, newLayout(m, &q), roles, nil, 0, 2)
				if err != nil || in == nil && (us == nil || len(us.groups) < 3) {
					t.Fatalf("seed %d: the rule groups %+v (err %v), want at least the three planted groups", seed, us, err)
				}
				for _, b := range []*Backend{{workers: 2}, {workers: 1, patterns: 1}, {workers: 3, patterns: -1}, {workers: 2, union: 1},
					{workers: 2, union: 1, patterns: 1, complement: -1}, {workers: 2, patterns: 1, dense: 1}} {
					got := collectCounts(t, b, m, q, roles)
					gotPairs := collectPairs(t, b, func(b *Backend, emit func(int32, []Pair) error) error {
						return b.CooccurPairs(ctx, m, q, roles, emit)
					})
					for _, r := range roles {
						if !slices.Equal(got[r], want[r]) {
							t.Fatalf("seed %d scope %v minTP %d %+v role %d: Cooccur\n got %v\nwant %v", seed, in != nil, minTP, *b, r, got[r], want[r])
						}
						if !slices.Equal(gotPairs[r], wantPairs[r]) {
							t.Fatalf("seed %d scope %v minTP %d %+v role %d: CooccurPairs\n got %v\nwant %v", seed, in != nil, minTP, *b, r, gotPairs[r], wantPairs[r])
						}
					}
				}
			}
		}
	}
}

// TestSubtractPairs checks the merge of a base's pairs (every count at least MinTP) with a
// complement's: a pair of both less its complement's count, kept where that reaches MinTP;
// the base's other pairs as they are; the complement's pairs the base lacks ignored.
func TestSubtractPairs(t *testing.T) {
	pair := func(a, va, b, vb, tp int32) Pair {
		return Pair{A: kernels.Term{Dim: a, Val: va}, B: kernels.Term{Dim: b, Val: vb}, TP: tp}
	}
	all := []Pair{pair(0, 1, 1, 0, 5), pair(0, 1, 1, 2, 3), pair(0, 2, 1, 0, 9), pair(0, 1, 2, 4, 4), pair(1, 0, 2, 0, 7), pair(1, 3, 2, 1, 3)}
	less := []Pair{pair(0, 0, 1, 0, 1), pair(0, 1, 1, 2, 1), pair(0, 2, 1, 0, 6), pair(0, 1, 2, 3, 2), pair(0, 1, 2, 4, 1), pair(1, 3, 2, 2, 5)}
	want := []Pair{pair(0, 1, 1, 0, 5), pair(0, 2, 1, 0, 3), pair(0, 1, 2, 4, 3), pair(1, 0, 2, 0, 7), pair(1, 3, 2, 1, 3)}
	if got := subtractPairs(nil, all, less, 3); !slices.Equal(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if got := subtractPairs(nil, all, nil, 3); !slices.Equal(got, all) {
		t.Errorf("nothing less: got %v", got)
	}
	if got := subtractPairs(nil, nil, less, 3); len(got) != 0 {
		t.Errorf("no base pairs: got %v", got)
	}
}

// checkAgainstRows compares each backend's Cooccur and CooccurPairs with the row-by-row
// counting (rows: true) on every role, failing with label, the backend and the role.
func checkAgainstRows(t *testing.T, ctx context.Context, label string, m *kernels.Matrix, q kernels.Query, roles []int32, backends []*Backend) {
	t.Helper()
	want := collectCounts(t, &Backend{workers: 2, rows: true}, m, q, roles)
	for _, b := range backends {
		got := collectCounts(t, b, m, q, roles)
		gotPairs := collectPairs(t, b, func(b *Backend, emit func(int32, []Pair) error) error {
			return b.CooccurPairs(ctx, m, q, roles, emit)
		})
		for _, r := range roles {
			if !slices.Equal(got[r], want[r]) {
				t.Fatalf("%s %+v role %d: Cooccur\n got %v\nwant %v", label, *b, r, got[r], want[r])
			}
			var wantPairs []Pair
			for _, c := range want[r] {
				if c.C.N == 2 {
					wantPairs = append(wantPairs, Pair{A: c.C.T[0], B: c.C.T[1], TP: c.TP})
				}
			}
			slices.SortFunc(wantPairs, comparePairs)
			if !slices.Equal(gotPairs[r], wantPairs) {
				t.Fatalf("%s %+v role %d: CooccurPairs\n got %v\nwant %v", label, *b, r, gotPairs[r], wantPairs)
			}
		}
	}
}
