package mining

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
)

// BenchmarkMineTier mines the generated tier in $ROLEMINE_BENCH_DATA (a `rolemine gen`
// output directory) with the implicit mining rule: the mine phase alone, without loading
// or writing. Skipped when the variable is unset.
func BenchmarkMineTier(b *testing.B) {
	ctx := context.Background()
	snap := loadBenchTier(b)
	cfg := &Config{MiningRules: []MiningRule{DefaultMiningRule()}}
	cpu0 := cpuSeconds()
	n := 0
	for b.Loop() {
		if _, err := Run(ctx, snap, cfg, Options{Backend: cpu.New()}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(n), "cpu-s/op")
}

// BenchmarkEffectiveTier computes the effective privilege (closure, expansion, neutral
// identities by role) of the universe in $ROLEMINE_BENCH_DATA. Skipped when the variable
// is unset.
func BenchmarkEffectiveTier(b *testing.B) {
	snap := loadBenchTier(b)
	ctx := context.Background()
	cpu0 := cpuSeconds()
	n := 0
	for b.Loop() {
		if _, err := EffectiveOf(ctx, snap); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(n), "cpu-s/op")
}

// BenchmarkClassifyTier classifies the direct and the effective pairs of the tier in
// $ROLEMINE_BENCH_DATA under the model the implicit mining rule mines there (mined once).
func BenchmarkClassifyTier(b *testing.B) {
	snap := loadBenchTier(b)
	ctx := context.Background()
	eff, err := EffectiveOf(ctx, snap)
	if err != nil {
		b.Fatal(err)
	}
	cfg := &Config{MiningRules: []MiningRule{DefaultMiningRule()}}
	m, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Effective: eff})
	if err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuSeconds()
	n := 0
	for b.Loop() {
		cls, err := ClassifyContext(ctx, snap, m, 0)
		if err != nil {
			b.Fatal(err)
		}
		if eff != nil {
			if _, err := ClassifyEffective(ctx, snap, m, cls, eff); err != nil {
				b.Fatal(err)
			}
		}
		n++
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(n), "cpu-s/op")
}

// loadBenchTier loads $ROLEMINE_BENCH_DATA, or skips b when it is unset.
func loadBenchTier(b *testing.B) *columnar.Snapshot {
	dir := os.Getenv("ROLEMINE_BENCH_DATA")
	if dir == "" {
		b.Skip("set ROLEMINE_BENCH_DATA to a generated tier's directory")
	}
	snap, err := columnar.Load(context.Background(), dir, columnar.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return snap
}

// cpuSeconds is the process's CPU time so far (user and system).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
