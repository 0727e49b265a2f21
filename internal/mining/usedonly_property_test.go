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
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/usage"
)

// TestPropertyUsedOnlyMatchesReference mines random enterprises with a random usage state
// on every direct pair (some with role grants too, so that unused holders join the
// neutral identities of grants) and random configurations where some mining rules are
// UsedOnly, and checks the miner against the literal reference and ApplyUsedOnly against
// the literal rule of docs/excess-privilege.md#used-only-explained.
func TestPropertyUsedOnlyMatchesReference(t *testing.T) {
	cases := 300
	if testing.Short() {
		cases = 60
	}
	var st propStats
	var us usedOnlyStats
	for k := 0; k < cases; k++ {
		seed := uint64(k)*0x9e3779b97f4a7c15 + 13
		if err := usedOnlyCase(seed, &st, &us); err != nil {
			t.Fatalf("seed %#x: %v", seed, err)
		}
	}
	t.Logf("%d cases: %d roles compared, %d covered; %d roles mined used-only with unused holders, %d covered; %d pairs made unexplained for being unused; %d cases with grants",
		cases, st.roles, st.covered, us.roles, us.covered, us.unexplained, us.grants)
	// The generator must reach what UsedOnly changes: roles with unused holders mined
	// used-only, some of them covered, and unused pairs a rule matches.
	if us.roles < cases/2 || us.covered < us.roles/10 || us.unexplained == 0 || us.grants == 0 || us.differs == 0 {
		t.Errorf("generator too weak: %+v, %+v", us, st)
	}
}

// usedOnlyStats counts what the used-only property test exercised.
type usedOnlyStats struct {
	// roles: roles a UsedOnly mining rule considered that have unused holders; covered:
	// those it covered; unexplained: pairs ApplyUsedOnly made unexplained; grants: cases
	// with role grants; differs: cases whose model differs from the same configuration
	// without UsedOnly.
	roles, covered, unexplained, grants, differs int
}

// usedOnlyCase runs one random case.
func usedOnlyCase(seed uint64, st *propStats, us *usedOnlyStats) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x2545f491))
	e := randomEnterprise(rng)
	cfg := randomConfig(rng, e)
	for k := range cfg.MiningRules {
		mr := &cfg.MiningRules[k]
		mr.UsedOnly = !mr.ExcludeRole && rng.IntN(3) != 0
	}
	snap, err := buildSnapshot(e)
	if err != nil {
		return err
	}
	if rng.IntN(3) == 0 {
		nr := snap.NumRoles()
		u := &columnar.Universe{}
		for k := 1 + rng.IntN(nr+2); k > 0; k-- {
			u.Grants = append(u.Grants, columnar.RoleGrant{From: int32(rng.IntN(nr)), To: int32(rng.IntN(nr))})
		}
		slices.SortFunc(u.Grants, func(a, b columnar.RoleGrant) int { return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To)) })
		snap.Universe = &columnar.Universe{Grants: slices.Compact(u.Grants)}
		us.grants++
	}
	// A usage state per direct pair: a share of unused drawn per case, some unknown.
	states := make([]usage.State, len(snap.IdentIdx))
	unusedShare, unknownShare := rng.IntN(60), rng.IntN(20)
	for k := range states {
		switch p := rng.IntN(100); {
		case p < unusedShare:
			states[k] = usage.Unused
		case p < unusedShare+unknownShare:
			states[k] = usage.Unknown
		default:
			states[k] = usage.Used
		}
	}
	ctx := context.Background()
	m1, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Workers: 1, Usage: states})
	if err != nil {
		return err
	}
	m3, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Workers: 3, Usage: states})
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(m1, m3) {
		return fmt.Errorf("models differ between workers 1 and 3:\n%s", firstModelDiff(snap, m1, m3))
	}
	ref := referenceMineUsage(snap, cfg, states)
	if err := compareModel(snap, cfg, ref, m1, st); err != nil {
		return fmt.Errorf("%v\nconfig:\n%s", err, describeConfig(cfg))
	}
	plain, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Workers: 1})
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(plain.Rules, m1.Rules) {
		us.differs++
	}
	countUsedOnlyRoles(cfg, ref, refUnusedHolders(snap, states), us)
	if err := compareUsedOnlyClassification(snap, e, m1, states, us); err != nil {
		return err
	}
	return compareUsedOnlyEffective(snap, m1, states)
}

// compareUsedOnlyEffective checks the unused marks of ClassifyEffective: a direct pair
// keeps its own, an inherited pair of a role without rules takes its source's, and an
// inherited pair of a role with rules has none.
func compareUsedOnlyEffective(snap *columnar.Snapshot, m *Model, states []usage.State) error {
	ctx := context.Background()
	eff, err := EffectiveOf(ctx, snap)
	if err != nil || eff == nil {
		return err
	}
	cls := Classify(snap, m)
	ApplyUsedOnly(snap, m, cls, states)
	ec, err := ClassifyEffective(ctx, snap, m, cls, eff)
	if err != nil {
		return err
	}
	p := eff.Pairs
	for i := range snap.IdentityIDs {
		direct := snap.RolesOf(i)
		unusedOf := func(r int32) bool {
			k := slices.Index(direct, r)
			return cls.UnusedAt(int(snap.IdentOff[i]) + k)
		}
		lo, hi := p.Of(i)
		for k := lo; k < hi; k++ {
			r, want := p.Role[k], false
			switch {
			case slices.Contains(direct, r):
				want = unusedOf(r)
			case len(m.RulesOf(r)) == 0:
				want = unusedOf(p.SourceAt(k))
			}
			if ec.UnusedAt(int(k)) != want {
				return fmt.Errorf("effective pair (%s, %s): unused %v, want %v", snap.IdentityIDs[i], snap.Roles.IDs[r], ec.UnusedAt(int(k)), want)
			}
			if want && ec.StatusAt(k) != Unexplained {
				return fmt.Errorf("effective pair (%s, %s): unused under UsedOnly but %v", snap.IdentityIDs[i], snap.Roles.IDs[r], ec.StatusAt(k))
			}
		}
	}
	return nil
}

// countUsedOnlyRoles counts the roles a UsedOnly mining rule considered that have unused
// holders, and those it covered.
func countUsedOnlyRoles(cfg *Config, ref refModel, unused []map[int]bool, us *usedOnlyStats) {
	for r := range ref.Roles {
		rr := &ref.Roles[r]
		if rr.Skip || len(unused[r]) == 0 {
			continue
		}
		for _, a := range rr.Attempts {
			if cfg.MiningRules[a.MiningRule].UsedOnly {
				us.roles++
				if a.Covered {
					us.covered++
				}
				break
			}
		}
	}
}

// compareUsedOnlyClassification checks Classify followed by ApplyUsedOnly against the
// literal rule: a direct pair is explained by the first rule of its role matching the
// identity, unless that rule comes from a UsedOnly mining rule and the pair is unused, in
// which case it is unexplained and marked unused.
func compareUsedOnlyClassification(snap *columnar.Snapshot, e tEnterprise, m *Model, states []usage.State, us *usedOnlyStats) error {
	vals := identityValues(e)
	c := Classify(snap, m)
	ApplyUsedOnly(snap, m, c, states)
	k := 0
	for i := range snap.IdentityIDs {
		for _, r := range snap.RolesOf(i) {
			want, wantUnused := int32(-1), false
			for j := range m.Rules {
				if m.Rules[j].Role == r && literalMatches(snap, vals[i], &m.Rules[j]) {
					want = int32(j)
					break
				}
			}
			if want >= 0 && states[k] == usage.Unused && m.Config.MiningRules[m.Rules[want].MiningRule].UsedOnly {
				want, wantUnused = -1, true
				us.unexplained++
			}
			if c.RuleOf[k] != want || c.UnusedAt(k) != wantUnused {
				return fmt.Errorf("assignment (%s, %s), usage %v: rule %d unused %v, literal %d %v",
					snap.IdentityIDs[i], snap.Roles.IDs[r], states[k], c.RuleOf[k], c.UnusedAt(k), want, wantUnused)
			}
			k++
		}
	}
	return nil
}
