package mining

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/parallel"
)

// rogueBackend emits its first role's counts under a role id no snapshot has: whoever
// handles them (a selector of the queue, or the batch's collection) indexes out of range,
// a stand-in for a bug in the selection.
type rogueBackend struct{ kernels.Backend }

func (b rogueBackend) Cooccur(ctx context.Context, m *kernels.Matrix, q kernels.Query, roles []int32, emit func(int32, []kernels.Count) error) error {
	first := true
	return b.Backend.Cooccur(ctx, m, q, roles, func(r int32, cs []kernels.Count) error {
		if first {
			first = false
			r = 1 << 30
		}
		return emit(r, cs)
	})
}

// TestSelectionPanicIsError: a panic while a role's counts are selected comes back from
// Run as a *parallel.PanicError (streamed roles, whose selectors run on goroutines of
// their own, and batched ones), and the run ends: no goroutine is left waiting.
func TestSelectionPanicIsError(t *testing.T) {
	ran := 0
	for seed := uint64(1); seed <= 10; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		e := randomEnterprise(rng)
		cfg := randomConfig(rng, e)
		snap, err := buildSnapshot(e)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Run(context.Background(), snap, cfg, Options{Backend: cpu.New(), Workers: 2}); err != nil {
			t.Fatal(err)
		}
		_, err = Run(context.Background(), snap, cfg, Options{Backend: rogueBackend{cpu.New()}, Workers: 2})
		if err == nil {
			continue // no role was counted
		}
		ran++
		if !errors.As(err, new(*parallel.PanicError)) {
			t.Fatalf("seed %d: error %v, want a PanicError", seed, err)
		}
	}
	if ran == 0 {
		t.Fatal("no run counted a role")
	}
}
