package mining

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
)

// neutralCapture is a backend that keeps the counts of every role with neutral
// identities (and the query) as the CPU backend emits them, for BenchmarkNeutralTally.
type neutralCapture struct {
	kernels.Backend
	eff    *Effective
	mu     sync.Mutex
	q      kernels.Query
	roles  []int32
	counts [][]kernels.Count
}

func (c *neutralCapture) Cooccur(ctx context.Context, m *kernels.Matrix, q kernels.Query, roles []int32, emit func(int32, []kernels.Count) error) error {
	c.q = q
	return c.Backend.Cooccur(ctx, m, q, roles, func(r int32, cs []kernels.Count) error {
		if len(c.eff.Neutral(r)) > 0 {
			c.mu.Lock()
			c.roles, c.counts = append(c.roles, r), append(c.counts, slices.Clone(cs))
			c.mu.Unlock()
		}
		return emit(r, cs)
	})
}

// BenchmarkNeutralTally mines the universe in $ROLEMINE_BENCH_DATA once with the implicit
// mining rule, keeping the counts of the roles with neutral identities, then tallies
// every such role's neutral identities (neutralTally.count, as selector.neutralOf does) on
// one goroutine, an op a pass over the roles: cpu-s/op is the process's CPU per pass.
// Skipped when the variable is unset. (The seventeenth session compared the tally before
// and after its change by a copy of the old code beside it, alternated per op.)
func BenchmarkNeutralTally(b *testing.B) {
	snap := loadBenchTier(b)
	ctx := context.Background()
	eff, err := EffectiveOf(ctx, snap)
	if err != nil {
		b.Fatal(err)
	}
	if eff == nil {
		b.Skip("the data has no role grants")
	}
	capt := &neutralCapture{Backend: cpu.NewWorkers(2), eff: eff}
	cfg := &Config{MiningRules: []MiningRule{DefaultMiningRule()}}
	if _, err := Run(ctx, snap, cfg, Options{Backend: capt, Workers: 2, Effective: eff}); err != nil {
		b.Fatal(err)
	}
	q := capt.q
	tally := newNeutralTally(snap, q.Dims)
	packed := make([][]uint64, len(q.Dims))
	for p, d := range q.Dims {
		if snap.Dims[d].MultiOff != nil {
			packed[p] = mustPack(b, &snap.Dims[d])
		}
	}
	tally.usePacked(packed)
	var out []int32
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for b.Loop() {
		for x, r := range capt.roles {
			cs := capt.counts[x]
			out = slices.Grow(out[:0], len(cs))[:len(cs)]
			tally.count(eff.Neutral(r), q.InScope, cs, out)
		}
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
}
