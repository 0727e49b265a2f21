package mining

import (
	"context"
	"math/rand/v2"
	"reflect"
	"runtime/debug"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels/cpu"
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
