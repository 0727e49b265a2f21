package report

import (
	"context"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/parquetenc"
)

// benchUniverse loads and mines the universe in ROLEMINE_BENCH_DATA (skipping the
// benchmark without it) with the implicit mining rule, as `rolemine mine` does.
func benchUniverse(b *testing.B) (*columnar.Snapshot, *mining.Model, *mining.Classification, *Effective) {
	b.Helper()
	dir := os.Getenv("ROLEMINE_BENCH_DATA")
	if dir == "" {
		b.Skip("ROLEMINE_BENCH_DATA names no data directory")
	}
	ctx := context.Background()
	snap, err := columnar.Load(ctx, dir, columnar.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	eff, err := mining.EffectiveOf(ctx, snap)
	if err != nil {
		b.Fatal(err)
	}
	cfg := &mining.Config{MiningRules: []mining.MiningRule{mining.DefaultMiningRule()}}
	m, err := mining.Run(ctx, snap, cfg, mining.Options{Backend: cpu.NewWorkers(2), Workers: 2, Effective: eff})
	if err != nil {
		b.Fatal(err)
	}
	cls := mining.Classify(snap, m)
	info := &Effective{Eff: eff}
	if eff != nil {
		if info.Class, err = mining.ClassifyEffective(ctx, snap, m, cls, eff); err != nil {
			b.Fatal(err)
		}
	}
	return snap, m, cls, info
}

// BenchmarkEffectiveAssignments measures the walk that writes a universe's
// assignments.parquet (and counts the pairs for the other outputs).
func BenchmarkEffectiveAssignments(b *testing.B) {
	snap, m, cls, info := benchUniverse(b)
	use0 := usageNow()
	b.ResetTimer()
	for b.Loop() {
		eff := &Effective{Eff: info.Eff, Class: info.Class}
		if err := writeEffectiveAssignments(context.Background(), io.Discard, snap, m, cls, eff, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	use0.report(b)
}

// BenchmarkEffectiveAssignmentsCodec measures the walk that writes a universe's
// assignments.parquet with three choices of codecs, alternated in one process (the order
// turns from op to op): "ids" is the run's (universeCodec on role_id, rule_id and the
// universe-only columns, since the fourteenth session), "plain" universeCodec on the
// universe-only columns only (the thirteenth session's), "better" parquet-go's Snappy on
// every column (the file before the thirteenth session). It reports the process's CPU
// seconds per file of each, and the file's size.
func BenchmarkEffectiveAssignmentsCodec(b *testing.B) {
	snap, m, cls, info := benchUniverse(b)
	codecs := [][2]parquetenc.Codec{{universeCodec, universeCodec}, {parquetenc.SnappyBetter, universeCodec}, {parquetenc.SnappyBetter, parquetenc.SnappyBetter}}
	names := []string{"ids", "plain", "better"}
	spent := make([]time.Duration, len(codecs))
	size := make([]int64, len(codecs))
	b.ResetTimer()
	op := 0
	for b.Loop() {
		for j := range codecs {
			k := (j + op) % len(codecs)
			eff := &Effective{Eff: info.Eff, Class: info.Class}
			var n countWriter
			t0 := processCPU()
			if err := writeEffectiveFilled(context.Background(), &n, snap, m, cls, eff, "bench", rowGroupRows, nil, codecs[k][0], codecs[k][1]); err != nil {
				b.Fatal(err)
			}
			spent[k] += processCPU() - t0
			size[k] = int64(n)
		}
		op++
	}
	for k, name := range names {
		b.ReportMetric(spent[k].Seconds()/float64(b.N), name+"-cpu-s/op")
		b.ReportMetric(float64(size[k])/1e6, name+"-MB")
	}
}

// countWriter counts the bytes written to it.
type countWriter int64

func (w *countWriter) Write(p []byte) (int, error) {
	*w += countWriter(len(p))
	return len(p), nil
}

// processCPU returns the CPU time (user and system) the process has used so far.
func processCPU() time.Duration {
	u := usageNow()
	return u.user + u.sys
}

// BenchmarkEffectiveAssignmentsReview measures what the universe's pair walk feeds after
// classification: assignments.parquet written by the walk, then review.csv read from it
// (review.csv's tail runs after the walk is published).
func BenchmarkEffectiveAssignmentsReview(b *testing.B) {
	snap, m, cls, info := benchUniverse(b)
	ctx := context.Background()
	use0 := usageNow()
	b.ResetTimer()
	for b.Loop() {
		eff := &Effective{Eff: info.Eff, Class: info.Class}
		if err := writeEffectiveAssignments(ctx, io.Discard, snap, m, cls, eff, "bench"); err != nil {
			b.Fatal(err)
		}
		if err := WriteEffectiveReviewCSV(ctx, io.Discard, snap, cls, eff); err != nil {
			b.Fatal(err)
		}
	}
	use0.report(b)
}

// rusage is the process's resource use at one time: CPU (user and system) and minor page
// faults (first touches of fresh memory, 5-9 us each on the measuring VM).
type rusage struct {
	user, sys time.Duration
	faults    int64
}

func usageNow() rusage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return rusage{}
	}
	return rusage{time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), ru.Minflt}
}

// report reports the use since u per op: CPU seconds (user and system, and system alone)
// and minor faults.
func (u rusage) report(b *testing.B) {
	now, n := usageNow(), float64(b.N)
	b.ReportMetric((now.user+now.sys-u.user-u.sys).Seconds()/n, "cpu-s/op")
	b.ReportMetric((now.sys-u.sys).Seconds()/n, "sys-s/op")
	b.ReportMetric(float64(now.faults-u.faults)/n, "faults/op")
}

// cpuTime returns the CPU time (user and system) this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOwnerReaches measures the owners' reach of report.html's excess page (the
// roles the non-human identities an owner answers for hold), which runs after the pair
// walk on the path to the report's end.
func BenchmarkOwnerReaches(b *testing.B) {
	snap, _, cls, info := benchUniverse(b)
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if _, err := ownerReaches(context.Background(), snap, cls, info); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkPairWalk measures the walk over a universe's pairs alone (no file written:
// the counts, review.csv's rows and the excess rows), a fresh walk an op.
func BenchmarkPairWalk(b *testing.B) {
	snap, _, cls, info := benchUniverse(b)
	use0 := usageNow()
	b.ResetTimer()
	for b.Loop() {
		eff := &Effective{Eff: info.Eff, Class: info.Class, Usage: info.Usage}
		pw := &pairWalk{snap: snap, cls: cls}
		if err := pw.run(context.Background(), eff, nil); err != nil {
			b.Fatal(err)
		}
	}
	use0.report(b)
}

// BenchmarkEffectiveAssignmentsFresh is BenchmarkEffectiveAssignments in fresh memory, as
// in a run of `rolemine mine`, where no collection runs while the outputs are written
// (pipeline's collectKeepingGoal): each op runs with the collector off, after a
// collection that hands the heap's free memory back to the system, so that every byte the
// op allocates is faulted in. It reports CPU seconds, minor faults and bytes allocated
// per op.
func BenchmarkEffectiveAssignmentsFresh(b *testing.B) {
	snap, m, cls, info := benchUniverse(b)
	var spent, sys time.Duration
	var faults int64
	var alloc uint64
	for b.Loop() {
		debug.FreeOSMemory()
		old := debug.SetGCPercent(-1)
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		u := usageNow()
		eff := &Effective{Eff: info.Eff, Class: info.Class}
		err := writeEffectiveAssignments(context.Background(), io.Discard, snap, m, cls, eff, "bench")
		now := usageNow()
		runtime.ReadMemStats(&ms1)
		debug.SetGCPercent(old)
		if err != nil {
			b.Fatal(err)
		}
		spent += now.user + now.sys - u.user - u.sys
		sys += now.sys - u.sys
		faults += now.faults - u.faults
		alloc += ms1.TotalAlloc - ms0.TotalAlloc
	}
	n := float64(b.N)
	b.ReportMetric(spent.Seconds()/n, "cpu-s/op")
	b.ReportMetric(sys.Seconds()/n, "sys-s/op")
	b.ReportMetric(float64(faults)/n, "faults/op")
	b.ReportMetric(float64(alloc)/1e6/n, "alloc-MB/op")
}
