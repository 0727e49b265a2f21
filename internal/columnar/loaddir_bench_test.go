package columnar

import (
	"context"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"time"
)

// BenchmarkLoadDir loads the data directory named by ROLEMINE_BENCH_DATA (skipped when
// unset), such as a generated tier's, and reports the CPU time (user + system) of each
// load beside its wall time.
func BenchmarkLoadDir(b *testing.B) {
	dir := os.Getenv("ROLEMINE_BENCH_DATA")
	if dir == "" {
		b.Skip("set ROLEMINE_BENCH_DATA to a data directory")
	}
	var log *slog.Logger
	if os.Getenv("ROLEMINE_LOAD_DEBUG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	c0 := cpuTime(b)
	for b.Loop() {
		if _, err := Load(context.Background(), dir, LoadOptions{Logger: log}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime(b)-c0).Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime returns the process's CPU time so far (user + system).
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
