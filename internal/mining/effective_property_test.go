package mining

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
)

// TestPropertyEffectiveMatchesReference mines random universes (random enterprises with
// random role grants, cycles included) and checks the miner against the literal reference
// with neutral holders, and every effective pair's status against the literal rules of
// docs/effective-privilege.md.
func TestPropertyEffectiveMatchesReference(t *testing.T) {
	cases := 300
	if testing.Short() {
		cases = 60
	}
	var st propStats
	neutralRoles, inherited, hidden := 0, 0, 0
	for k := 0; k < cases; k++ {
		seed := uint64(k)*0x9e3779b97f4a7c15 + 7
		n, h, nr, err := effectiveCase(seed, &st)
		if err != nil {
			t.Fatalf("seed %#x: %v", seed, err)
		}
		inherited += n
		hidden += h
		neutralRoles += nr
	}
	t.Logf("%d universes: %d roles compared (%d with neutral holders), %d covered, %d inherited pairs, %d hidden",
		cases, st.roles, neutralRoles, st.covered, inherited, hidden)
	if neutralRoles < cases/2 || hidden == 0 || st.covered < st.roles/10 {
		t.Errorf("generator too weak: %d roles with neutral holders, %d hidden pairs, %+v", neutralRoles, hidden, st)
	}
}

// effectiveCase runs one random universe; it returns the inherited and hidden pairs seen
// and the roles with neutral holders.
func effectiveCase(seed uint64, st *propStats) (inherited, hidden, neutralRoles int, err error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	e := randomEnterprise(rng)
	cfg := randomConfig(rng, e)
	snap, err := buildSnapshot(e)
	if err != nil {
		return 0, 0, 0, err
	}
	nr := snap.NumRoles()
	u := &columnar.Universe{}
	for k := 1 + rng.IntN(nr+2); k > 0; k-- {
		u.Grants = append(u.Grants, columnar.RoleGrant{From: int32(rng.IntN(nr)), To: int32(rng.IntN(nr))})
	}
	slices.SortFunc(u.Grants, func(a, b columnar.RoleGrant) int { return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To)) })
	u.Grants = slices.Compact(u.Grants)
	snap.Universe = u

	ctx := context.Background()
	m1, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Workers: 1})
	if err != nil {
		return 0, 0, 0, err
	}
	m3, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Workers: 3})
	if err != nil {
		return 0, 0, 0, err
	}
	if !reflect.DeepEqual(m1, m3) {
		return 0, 0, 0, fmt.Errorf("models differ between workers 1 and 3:\n%s", firstModelDiff(snap, m1, m3))
	}
	// A backend emitting from one goroutine: streamed roles go through the queue.
	m2, err := Run(ctx, snap, cfg, Options{Backend: queued{cpu.New()}, Workers: 2})
	if err != nil {
		return 0, 0, 0, err
	}
	if m2.Backend = m1.Backend; !reflect.DeepEqual(m1, m2) {
		return 0, 0, 0, fmt.Errorf("models differ between the inline and the queued selection:\n%s", firstModelDiff(snap, m1, m2))
	}
	ref := referenceMine(snap, cfg)
	for _, nset := range refNeutral(snap) {
		if len(nset) > 0 {
			neutralRoles++
		}
	}
	if err := compareModel(snap, cfg, ref, m1, st); err != nil {
		return 0, 0, 0, fmt.Errorf("%v\nconfig:\n%sgrants: %v", err, describeConfig(cfg), u.Grants)
	}
	inherited, hidden, err = compareEffective(snap, m1)
	return inherited, hidden, neutralRoles, err
}

// compareEffective checks ClassifyEffective against the literal statuses: reachability and
// chain lengths by relaxation until nothing changes, the source of an inherited pair the
// smallest direct role at the shortest distance, and the status rules of the spec.
func compareEffective(snap *columnar.Snapshot, m *Model) (inherited, hidden int, err error) {
	ctx := context.Background()
	eff, err := EffectiveOf(ctx, snap)
	if err != nil || eff == nil {
		return 0, 0, fmt.Errorf("EffectiveOf: %v (nil: %v)", err, eff == nil)
	}
	cls := Classify(snap, m)
	flatSuggestions := slices.Clone(cls.Suggestions)
	ec, err := ClassifyEffective(ctx, snap, m, cls, eff)
	if err != nil {
		return 0, 0, err
	}
	nr := snap.NumRoles()
	const inf = 1 << 30
	dist := make([][]int, nr) // dist[a][b]: fewest grants from a to b
	for a := range dist {
		dist[a] = make([]int, nr)
		for b := range dist[a] {
			dist[a][b] = inf
		}
	}
	for _, g := range snap.Universe.Grants {
		dist[g.From][g.To] = 1
	}
	for changed := true; changed; {
		changed = false
		for a := 0; a < nr; a++ {
			for _, g := range snap.Universe.Grants {
				if dist[a][g.From] < inf && dist[a][g.From]+1 < dist[a][g.To] {
					dist[a][g.To] = dist[a][g.From] + 1
					changed = true
				}
			}
		}
	}
	matches := func(r int32, i int) bool {
		for _, rule := range m.RulesOf(r) {
			if rule.Matches(snap, i) {
				return true
			}
		}
		return false
	}
	p := eff.Pairs
	explained, hiddenAll := int64(0), int64(0)
	for k := range int64(len(ec.RuleOf)) {
		if ec.StatusAt(k) == Explained {
			explained++
		}
		if ec.HiddenAt(k) {
			hiddenAll++
		}
	}
	if ec.Explained != explained || ec.NumHidden != hiddenAll {
		return 0, 0, fmt.Errorf("counted %d explained and %d hidden pairs, want %d and %d", ec.Explained, ec.NumHidden, explained, hiddenAll)
	}
	for i := range snap.IdentityIDs {
		direct := snap.RolesOf(i)
		want := map[int32]string{}
		for _, r := range direct {
			want[r] = fmt.Sprintf("direct %v", matches(r, i))
		}
		for r := int32(0); r < int32(nr); r++ {
			best, src := inf, int32(-1)
			for _, s := range direct {
				if s != r && dist[s][r] < best {
					best, src = dist[s][r], s
				}
			}
			switch {
			case src < 0:
			case want[r] != "":
			case len(m.RulesOf(r)) > 0:
				want[r] = fmt.Sprintf("inherited %v hidden=%v", matches(r, i), !matches(r, i))
			default:
				want[r] = fmt.Sprintf("inherited %v hidden=false", matches(src, i))
			}
		}
		got := map[int32]string{}
		lo, hi := p.Of(i)
		for k := lo; k < hi; k++ {
			ok := ec.StatusAt(k) == Explained
			if p.KindAt(k) == effective.Inherited {
				got[p.Role[k]] = fmt.Sprintf("inherited %v hidden=%v", ok, ec.HiddenAt(k))
				inherited++
				if ec.HiddenAt(k) {
					hidden++
				}
			} else {
				got[p.Role[k]] = fmt.Sprintf("direct %v", ok)
			}
		}
		if !reflect.DeepEqual(got, want) {
			return 0, 0, fmt.Errorf("identity %s: effective pairs %v, want %v (grants %v)", snap.IdentityIDs[i], got, want, snap.Universe.Grants)
		}
	}
	if err := compareEffectiveSuggestions(p, flatSuggestions, cls.Suggestions); err != nil {
		return 0, 0, err
	}
	return inherited, hidden, nil
}

// compareEffectiveSuggestions checks the suggestions left after the effective
// classification: exactly the flat ones whose role the identity does not hold, directly
// or through a grant, in the same order. A suggestion dropped too many is an error as
// much as one kept too many.
func compareEffectiveSuggestions(p *effective.Pairs, flat, got []Suggestion) error {
	var want []Suggestion
	for _, sg := range flat {
		lo, hi := p.Of(int(sg.Identity))
		if !slices.Contains(p.Role[lo:hi], sg.Role) {
			want = append(want, sg)
		}
	}
	if len(got) != len(want) {
		return fmt.Errorf("%d suggestions after the effective classification, want %d (of %d flat)", len(got), len(want), len(flat))
	}
	for k := range want {
		if got[k] != want[k] {
			return fmt.Errorf("suggestion %d is %+v, want %+v", k, got[k], want[k])
		}
	}
	return nil
}

// countingBackend counts the Cooccur calls it forwards.
type countingBackend struct {
	kernels.Backend
	calls int
}

func (c *countingBackend) Cooccur(ctx context.Context, m *kernels.Matrix, q kernels.Query, roles []int32, emit func(int32, []kernels.Count) error) error {
	c.calls++
	return c.Backend.Cooccur(ctx, m, q, roles, emit)
}

// TestNeutralBackend: with Options.NeutralBackend the neutral counts go to it, and the
// model is the one the main backend alone gives.
func TestNeutralBackend(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		e := randomEnterprise(rng)
		cfg := randomConfig(rng, e)
		snap, err := buildSnapshot(e)
		if err != nil {
			t.Fatal(err)
		}
		nr := snap.NumRoles()
		u := &columnar.Universe{}
		for k := 0; k < nr; k++ {
			u.Grants = append(u.Grants, columnar.RoleGrant{From: int32(k), To: int32((k + 1) % nr)})
		}
		snap.Universe = u
		ctx := context.Background()
		want, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		nb := &countingBackend{Backend: cpu.New()}
		got, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Workers: 2, NeutralBackend: nb})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("seed %d: models differ with a neutral backend:\n%s", seed, firstModelDiff(snap, want, got))
		}
		if nb.calls > 0 {
			return
		}
	}
	t.Fatal("the neutral backend was never called")
}
