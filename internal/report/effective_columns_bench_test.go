package report

import (
	"context"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/parquetenc"
)

// BenchmarkEffectiveColumns measures the encoder alone on a universe's rows, column by
// column: the walk fills the row groups of assignments.parquet once (the first
// $ROLEMINE_BENCH_GROUPS of them, 8 unless set), and each op encodes every kept group's
// columns one column at a time on one thread, each column with an encoder of its own (as
// a worker keeps one from group to group). It reports each column's thread CPU time per
// op (cpu-ms/op); in a CPU profile each column's samples carry the label column=NAME.
func BenchmarkEffectiveColumns(b *testing.B) {
	snap, m, cls, info := benchUniverse(b)
	keep := 8
	if v, err := strconv.Atoi(os.Getenv("ROLEMINE_BENCH_GROUPS")); err == nil && v > 0 {
		keep = v
	}
	eff := &Effective{Eff: info.Eff, Class: info.Class}
	cols := effectiveColumns(false)
	groups := make([][]parquetenc.Data, keep)
	filled := func(g int, data []parquetenc.Data) {
		if g >= keep {
			return
		}
		own := make([]parquetenc.Data, len(data))
		for c, d := range data {
			own[c] = d
			own[c].Codes, own[c].Bools = slices.Clone(d.Codes), slices.Clone(d.Bools)
		}
		groups[g] = own
	}
	if err := writeEffectiveFilled(context.Background(), io.Discard, snap, m, cls, eff, "bench", rowGroupRows, filled); err != nil {
		b.Fatal(err)
	}
	for len(groups) > 0 && groups[len(groups)-1] == nil {
		groups = groups[:len(groups)-1]
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	encs := make([]*parquetenc.Encoder, len(cols))
	for c := range cols {
		encs[c] = parquetenc.NewEncoder(cols[c : c+1])
	}
	spent := make([]time.Duration, len(cols))
	b.ResetTimer()
	for b.Loop() {
		for c := range cols {
			t0 := threadCPU()
			pprof.Do(context.Background(), pprof.Labels("column", cols[c].Name), func(context.Context) {
				for _, data := range groups {
					g, err := encs[c].Encode(data[c : c+1])
					if err != nil {
						b.Fatal(err)
					}
					encs[c].Reuse(g.Data)
				}
			})
			spent[c] += threadCPU() - t0
		}
	}
	for c, col := range cols {
		b.ReportMetric(float64(spent[c].Microseconds())/1e3/float64(b.N), col.Name+"-cpu-ms/op")
	}
}

// threadCPU returns the CPU time (user and system) the calling thread has used so far.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
