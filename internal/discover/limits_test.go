package discover

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
)

// plantedMatrix returns a seeded matrix of nu users and np permissions (np > 64, so
// the loops' deadline checks, made every 64th step, are reached more than once) built
// from k planted roles of 8 permissions each, every user holding two of them: a search
// finds few roles, one role per entitlement class needs many.
func plantedMatrix(seed uint64, nu, np, k int) *Matrix {
	rng := rand.New(rand.NewPCG(seed, seed))
	roles := make([][]int32, k)
	for r := range roles {
		for range 8 {
			roles[r] = append(roles[r], int32(rng.IntN(np)))
		}
	}
	m := &Matrix{Users: make([]string, nu), Perms: make([]string, np), Rows: make([][]int32, nu)}
	for p := range m.Perms {
		m.Perms[p] = "p" + itoa(p)
	}
	for u := range m.Users {
		m.Users[u] = "u" + itoa(u)
		row := append(slices.Clone(roles[rng.IntN(k)]), roles[rng.IntN(k)]...)
		slices.Sort(row)
		m.Rows[u] = slices.Compact(row)
	}
	return m
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// TestSolveRefusesAboveMaxCells: an input whose classes exceed the cell limit is refused
// as a user error (exit 2) naming its size and approximate mode, before any search.
func TestSolveRefusesAboveMaxCells(t *testing.T) {
	m := mat("10000", "01000", "00100", "00010", "00001")
	_, err := Solve(context.Background(), m, Options{MaxCells: 24})
	if err == nil {
		t.Fatal("5 x 5 classes under a 24-cell limit: no error")
	}
	if !uerr.Is(err) {
		t.Errorf("refusal is not a user error: %v", err)
	}
	for _, want := range []string{"5 x 5 = 25", "--min-members", "--coverage"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if _, err := Solve(context.Background(), m, Options{MaxCells: 25}); err != nil {
		t.Errorf("at the limit: %v", err)
	}
}

// TestSolveSpentBudgetFinishesExactCover: with the budget spent before the search starts,
// every phase stops at its first check, the result says so, and the cover is the fallback
// of one role per entitlement class, still rebuilding every identity's entitlements
// exactly. Without the deadline checks the greedy search would run and find fewer roles.
func TestSolveSpentBudgetFinishesExactCover(t *testing.T) {
	m := plantedMatrix(3, 300, 200, 40)
	full, err := Solve(context.Background(), m, Options{Budget: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	if full.Stopped != "" {
		t.Fatalf("ample budget: stopped %q", full.Stopped)
	}
	res, err := Solve(context.Background(), m, Options{Budget: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(m, res.Roles); err != nil {
		t.Fatalf("fallback cover is not exact: %v", err)
	}
	for _, want := range []string{"forced roles", "greedy cover", "one role per entitlement class", "not minimal", "approximate mode"} {
		if !strings.Contains(res.Stopped, want) {
			t.Errorf("stopped %q lacks %q", res.Stopped, want)
		}
	}
	if classes := len(reduceMatrix(m).col); len(res.Roles) != classes {
		t.Errorf("%d roles, want one per entitlement class (%d)", len(res.Roles), classes)
	}
	if len(full.Roles) >= len(res.Roles) {
		t.Errorf("the full search (%d roles) should beat the fallback (%d)", len(full.Roles), len(res.Roles))
	}
	if res.LowerBound > len(res.Roles) {
		t.Errorf("lower bound %d for %d roles", res.LowerBound, len(res.Roles))
	}
}

// TestPhasesStopWhenDone: each phase whose cost grows faster than the input reports a cut
// when its context is done, and leaves a problem a cover can still be finished from.
func TestPhasesStopWhenDone(t *testing.T) {
	rd := reduceMatrix(plantedMatrix(5, 300, 200, 40))
	pr := newProb(rd.row, rd.col)
	left := pr.left
	if n, cut := pr.clone().reduce(cancelled()); !cut || n != 0 {
		t.Errorf("reduce: %d roles, cut %v; want 0 and cut", n, cut)
	}
	if _, cut := pr.lowerBound(cancelled(), 3, nil); !cut {
		t.Error("lowerBound: not cut")
	}
	d := pr.clone()
	if n, cut := d.dominate(cancelled()); !cut || n != 0 || d.left != left {
		t.Errorf("dominate: marked %d, cut %v, left %d of %d", n, cut, d.left, left)
	}
	if g := pr.newCGraph(cancelled()); g != nil {
		t.Error("newCGraph: built a graph after ctx was done")
	}
	bs, cut := pr.greedy(cancelled(), nil)
	if !cut {
		t.Error("greedy: not cut")
	}
	if err := Verify(&Matrix{Users: make([]string, len(rd.row)), Perms: make([]string, len(rd.col)), Rows: classRows(rd)}, bicliqueRoles(bs)); err != nil {
		t.Errorf("greedy's cut cover is not exact: %v", err)
	}
}

// classRows returns the rows of rd's class matrix as index lists.
func classRows(rd *reduced) [][]int32 {
	rows := make([][]int32, len(rd.row))
	for u, r := range rd.row {
		rows[u] = r.members()
	}
	return rows
}

func bicliqueRoles(bs []biclique) []Role {
	roles := make([]Role, len(bs))
	for k, b := range bs {
		roles[k] = Role{Users: b.users.members(), Perms: b.perms.members()}
	}
	return roles
}

// TestCoveredCountsEachPairOnce: overlapping roles, and roles granting pairs m does not
// hold, count each held pair once (the bit-per-assignment marking against a set of pairs).
func TestCoveredCountsEachPairOnce(t *testing.T) {
	m := plantedMatrix(9, 120, 90, 12)
	rng := rand.New(rand.NewPCG(1, 2))
	var roles []Role
	for range 30 {
		var r Role
		for u := range m.Users {
			if rng.IntN(4) == 0 {
				r.Users = append(r.Users, int32(u))
			}
		}
		for p := range m.Perms {
			if rng.IntN(3) == 0 {
				r.Perms = append(r.Perms, int32(p))
			}
		}
		roles = append(roles, r)
	}
	held := func(roles []Role) int {
		pairs := map[[2]int32]bool{}
		for _, r := range roles {
			for _, u := range r.Users {
				for _, p := range r.Perms {
					if slices.Contains(m.Rows[u], p) {
						pairs[[2]int32{u, p}] = true
					}
				}
			}
		}
		return len(pairs)
	}
	for _, rs := range [][]Role{roles, roles[:1], roles[:2]} {
		if got, want := Covered(m, rs), held(rs); got != want || want == 0 {
			t.Errorf("Covered of %d roles = %d, want %d (> 0)", len(rs), got, want)
		}
	}
}
