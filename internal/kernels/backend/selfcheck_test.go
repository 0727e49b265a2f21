package backend

import (
	"context"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
)

// wrongBackend is the CPU backend with one count off, to prove the self-check can fail.
type wrongBackend struct{ kernels.Backend }

func (w wrongBackend) Cooccur(ctx context.Context, m *kernels.Matrix, q kernels.Query, roles []int32, emit func(int32, []kernels.Count) error) error {
	return w.Backend.Cooccur(ctx, m, q, roles, func(r int32, cs []kernels.Count) error {
		if r == 3 && len(cs) > 0 {
			cs = slices.Clone(cs)
			cs[0].TP++
		}
		return emit(r, cs)
	})
}

// TestSelfCheck: the CPU agrees with itself; a backend off by one count is refused.
func TestSelfCheck(t *testing.T) {
	if err := SelfCheck(context.Background(), cpu.NewWorkers(2)); err != nil {
		t.Fatalf("cpu against cpu: %v", err)
	}
	if err := SelfCheck(context.Background(), wrongBackend{cpu.NewWorkers(2)}); err == nil {
		t.Fatal("a backend with a wrong count passed the self-check")
	}
}
