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
	dir := os.Getenv("ROLEMINE_BENCH_DATA")
	if dir == "" {
		b.Skip("set ROLEMINE_BENCH_DATA to a generated tier's directory")
	}
	ctx := context.Background()
	snap, err := columnar.Load(ctx, dir, columnar.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
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

// cpuSeconds is the process's CPU time so far (user and system).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
