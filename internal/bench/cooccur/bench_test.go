package cooccur

import (
	"context"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
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

// BenchmarkDigestTier times the depth-2 digest alone, the harness's own cost of proving
// its table equal to the peer's: the kernel's rows of every role are captured once (20
// bytes a row, about 490 MB at tier L), then each pass hashes them all on one locked
// thread as Compute does (hashRole, with the supports Prepare counted). It reports the
// thread's CPU seconds per pass, and fails unless the digest is Compute's.
func BenchmarkDigestTier(b *testing.B) {
	dir, opts := benchTier(b)
	ctx := context.Background()
	h, err := columnar.LoadHoldings(ctx, dir, opts)
	if err != nil {
		b.Fatal(err)
	}
	want, err := Compute(ctx, h, Options{Depth: 2})
	if err != nil {
		b.Fatal(err)
	}
	c, roles, rows := captureDepth2(b, h)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0, n := threadSeconds(), 0
	for b.Loop() {
		var dg Digest
		for k, r := range roles {
			dg.Merge(c.hashRole(r, rows[k], c.sup2))
		}
		if dg != want.Digest {
			b.Fatalf("digest %v, Compute's %v", dg, want.Digest)
		}
		n++
	}
	b.ReportMetric((threadSeconds()-cpu0)/float64(n), "thread-cpu-s/op")
}

// captureDepth2 prepares the depth-2 table of h and returns its computer with every
// role's rows as the kernel hands them out, one slice per kernel call and role.
func captureDepth2(b *testing.B, h *columnar.Holdings) (c *computer, roles []int32, rows [][]cpu.Pair) {
	ctx := context.Background()
	p, err := Prepare(ctx, h, Options{Depth: 2})
	if err != nil {
		b.Fatal(err)
	}
	c = p.c
	c.m.RoleOff, c.m.RoleIdx, c.roles = h.RoleOff, h.RoleIdx, largestFirst(h)
	var mu sync.Mutex
	for k, sc := range c.scopes {
		if err := c.countPairs(k, c.query(sc), func(r int32, pairs []cpu.Pair) error {
			mu.Lock()
			defer mu.Unlock()
			roles, rows = append(roles, r), append(rows, slices.Clone(pairs))
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	return c, roles, rows
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

// threadSeconds is the calling thread's CPU time so far (user and system).
func threadSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// cpuSeconds is the process's CPU time so far (user and system).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
