package cooccur

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
)

// The benchmarks read the flat tier in $ROLEMINE_BENCH_DATA (a `rolemine gen` output
// directory) with the lean load, as `rolemine bench peers` runs `bench cooccur`: the
// attribute columns listed in $ROLEMINE_BENCH_DIMS (comma list) when set, every one
// otherwise. They report the CPU seconds (user and system) per operation beside the wall
// time, and are skipped when $ROLEMINE_BENCH_DATA is unset.

// BenchmarkLoadHoldingsTier times the lean load alone.
func BenchmarkLoadHoldingsTier(b *testing.B) {
	dir, opts := benchTier(b)
	cpu0, n := cpuSeconds(), 0
	for b.Loop() {
		if _, err := columnar.LoadHoldings(context.Background(), dir, opts); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(n), "cpu-s/op")
}

// BenchmarkComputeTier1 and BenchmarkComputeTier2 time the complete depth-1 and depth-2
// tables over holdings loaded once, on GOMAXPROCS workers.
func BenchmarkComputeTier1(b *testing.B) { benchCompute(b, 1) }
func BenchmarkComputeTier2(b *testing.B) { benchCompute(b, 2) }

func benchCompute(b *testing.B, depth int) {
	dir, opts := benchTier(b)
	ctx := context.Background()
	h, err := columnar.LoadHoldings(ctx, dir, opts)
	if err != nil {
		b.Fatal(err)
	}
	cpu0, n := cpuSeconds(), 0
	for b.Loop() {
		if _, err := Compute(ctx, h, Options{Depth: depth}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(n), "cpu-s/op")
}

// benchTier returns the tier's directory and the lean load's options, or skips b.
func benchTier(b *testing.B) (string, columnar.HoldingsOptions) {
	dir := os.Getenv("ROLEMINE_BENCH_DATA")
	if dir == "" {
		b.Skip("set ROLEMINE_BENCH_DATA to a generated tier's directory")
	}
	var opts columnar.HoldingsOptions
	if s := os.Getenv("ROLEMINE_BENCH_DIMS"); s != "" {
		opts.Dims = strings.Split(s, ",")
	}
	return dir, opts
}

// cpuSeconds is the process's CPU time so far (user and system).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
