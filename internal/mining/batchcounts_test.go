package mining

import (
	"cmp"
	"context"
	"math/rand/v2"
	"reflect"
	"runtime/debug"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/usage"
)

// TestBatchCountsBounded: a batch of roles mined with criteria of three or more terms
// holds at most batchCounts counts at once, whatever the roles' counts add up to; the
// roles whose counts do not fit are counted again and selected as they are counted, and
// the model is the one an unbounded batch gives (concurrent emitter and queue alike).
func TestBatchCountsBounded(t *testing.T) {
	const bound = 12
	var held int64
	recounted := 0
	heldHook = func(n int64, later int) {
		if batchCounts() == bound {
			held = max(held, n)
			recounted += later
		}
	}
	defer func() { heldHook = nil }()
	defer func(old func() int64) { batchCounts = old }(batchCounts)
	ctx := context.Background()
	for seed := uint64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, 27))
		e := randomEnterprise(rng)
		cfg := randomConfig(rng, e)
		snap := mustSnapshot(t, e)
		batchCounts = func() int64 { return 1 << 40 }
		want, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		batchCounts = func() int64 { return bound }
		for _, opts := range []Options{{Backend: cpu.New(), Workers: 2}, {Backend: queued{cpu.New()}, Workers: 3}} {
			got, err := Run(ctx, snap, cfg, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("seed %d: models differ with %d counts a batch:\n%s", seed, bound, firstModelDiff(snap, want, got))
			}
		}
	}
	if held > bound {
		t.Errorf("a batch held %d counts, bound %d", held, bound)
	}
	if recounted == 0 {
		t.Error("no role was recounted: the cases do not reach the bound")
	}
	t.Logf("largest batch held %d counts; %d roles recounted", held, recounted)
}

// TestBatchCountsShareOfLimit: a batch holds a sixteenth of the memory limit in counts,
// and never less than countsBudget (a small container keeps the streaming bound).
func TestBatchCountsShareOfLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	for _, c := range []struct{ limit, want int64 }{
		{1 << 30, countsBudget},
		{16 * countsBudget * countBytes, countsBudget},
		{64 << 30, (64 << 30) / 16 / countBytes},
	} {
		debug.SetMemoryLimit(c.limit)
		if got := batchCounts(); got != c.want {
			t.Errorf("limit %d: %d counts a batch, want %d", c.limit, got, c.want)
		}
	}
	if countBytes != 40 {
		t.Errorf("a count takes %d bytes, docs/config.md says 40", countBytes)
	}
}

// TestNeutralCountsBounded: on random universes (random enterprises with random role
// grants, some mining rules UsedOnly), the neutral counts of a batch's roles count against
// the same bound as its direct counts: a batch holds at most batchCounts counts of both
// together, the roles whose neutral counts do not fit are recounted in groups that fit
// (a group of one role may pass the bound alone), and the model is the one an unbounded
// batch gives (concurrent emitter and queue alike).
func TestNeutralCountsBounded(t *testing.T) {
	var bound, held, group int64
	groups, shared := 0, 0
	heldHook = func(n int64, _ int) { held = max(held, n) }
	recountHook = func(n int64, roles int) {
		groups++
		if roles > 1 {
			shared++
			group = max(group, n)
		}
	}
	defer func() { heldHook, recountHook = nil, nil }()
	defer func(old func() int64) { batchCounts = old }(batchCounts)
	ctx := context.Background()
	for seed := uint64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, 28))
		snap, cfg, states := randomNeutralUniverse(t, rng)
		batchCounts = func() int64 { return 1 << 40 }
		want, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Workers: 2, Usage: states})
		if err != nil {
			t.Fatal(err)
		}
		for _, bound = range []int64{12, 150, 1500} {
			batchCounts = func() int64 { return bound }
			held, group = 0, 0
			for _, opts := range []Options{{Backend: cpu.New(), Workers: 2}, {Backend: queued{cpu.New()}, Workers: 3}} {
				opts.Usage = states
				got, err := Run(ctx, snap, cfg, opts)
				if err != nil {
					t.Fatal(err)
				}
				if got.Backend = want.Backend; !reflect.DeepEqual(want, got) {
					t.Fatalf("seed %d: models differ with %d counts a batch:\n%s", seed, bound, firstModelDiff(snap, want, got))
				}
			}
			if held > bound || group > bound {
				t.Fatalf("seed %d: a batch held %d counts, a group of recounted roles %d neutral counts, bound %d", seed, held, group, bound)
			}
		}
	}
	if groups == 0 || shared == 0 {
		t.Errorf("%d groups of roles recounted for their neutral counts, %d of several roles: the cases do not reach the bound", groups, shared)
	}
	t.Logf("%d groups of roles recounted for their neutral counts, %d of several roles", groups, shared)
}

// randomNeutralUniverse draws a random enterprise with random role grants (so that
// roles have neutral identities), mining rules of three or four terms (mined in
// batches), a third of them UsedOnly, and a usage state per direct pair.
func randomNeutralUniverse(t *testing.T, rng *rand.Rand) (*columnar.Snapshot, *Config, []usage.State) {
	e := randomEnterprise(rng)
	cfg := randomConfig(rng, e)
	for k := range cfg.MiningRules {
		mr := &cfg.MiningRules[k]
		mr.MaxDimensions = 3 + rng.IntN(2)
		mr.UsedOnly = !mr.ExcludeRole && rng.IntN(3) == 0
	}
	snap := mustSnapshot(t, e)
	nr := snap.NumRoles()
	u := &columnar.Universe{}
	for k := 1 + rng.IntN(2*nr); k > 0; k-- {
		u.Grants = append(u.Grants, columnar.RoleGrant{From: int32(rng.IntN(nr)), To: int32(rng.IntN(nr))})
	}
	slices.SortFunc(u.Grants, func(a, b columnar.RoleGrant) int { return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To)) })
	u.Grants = slices.Compact(u.Grants)
	snap.Universe = u
	states := make([]usage.State, len(snap.IdentIdx))
	for k := range states {
		states[k] = usage.State(rng.IntN(3))
	}
	return snap, cfg, states
}
