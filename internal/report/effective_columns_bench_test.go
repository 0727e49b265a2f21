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
	cols := effectiveColumns(false, universeCodec, universeCodec)
	groups := benchColumnGroups(b)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	encs := make([]*parquetenc.Encoder, len(cols))
	for c := range cols {
		encs[c] = parquetenc.NewEncoder(cols[c : c+1])
	}
	spent := make([]time.Duration, len(cols))
	written := make([]int, len(cols))
	b.ResetTimer()
	for b.Loop() {
		for c := range cols {
			t0 := threadCPU()
			pprof.Do(context.Background(), pprof.Labels("column", cols[c].Name), func(context.Context) {
				written[c] = encodeColumn(b, encs[c], groups, c)
			})
			spent[c] += threadCPU() - t0
		}
	}
	for c, col := range cols {
		b.ReportMetric(float64(spent[c].Microseconds())/1e3/float64(b.N), col.Name+"-cpu-ms/op")
		b.ReportMetric(float64(written[c])/1e6, col.Name+"-MB")
	}
}

// BenchmarkEffectiveCodecs is BenchmarkEffectiveColumns for every column with each codec
// parquetenc offers, the codecs of a column alternated (their order turns from op to
// op): NAME-CODEC-cpu-ms/op and NAME-CODEC-MB (the bytes of the kept groups' chunks).
func BenchmarkEffectiveCodecs(b *testing.B) {
	cols := effectiveColumns(false, universeCodec, universeCodec)
	codecs := []parquetenc.Codec{parquetenc.SnappyBetter, parquetenc.SnappyFast, parquetenc.Uncompressed}
	names := []string{"better", "fast", "none"}
	groups := benchColumnGroups(b)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	encs := make([][]*parquetenc.Encoder, len(cols))
	for c := range cols {
		for _, codec := range codecs {
			col := cols[c]
			col.Codec = codec
			encs[c] = append(encs[c], parquetenc.NewEncoder([]parquetenc.Column{col}))
		}
	}
	spent := make([][]time.Duration, len(cols))
	written := make([][]int, len(cols))
	for c := range cols {
		spent[c], written[c] = make([]time.Duration, len(codecs)), make([]int, len(codecs))
	}
	b.ResetTimer()
	op := 0
	for b.Loop() {
		for c := range cols {
			for j := range codecs {
				k := (j + op) % len(codecs)
				t0 := threadCPU()
				written[c][k] = encodeColumn(b, encs[c][k], groups, c)
				spent[c][k] += threadCPU() - t0
			}
		}
		op++
	}
	for c, col := range cols {
		for k, name := range names {
			b.ReportMetric(float64(spent[c][k].Microseconds())/1e3/float64(b.N), col.Name+"-"+name+"-cpu-ms/op")
			b.ReportMetric(float64(written[c][k])/1e6, col.Name+"-"+name+"-MB")
		}
	}
}

// encodeColumn encodes column c of every group with enc (alone) and returns the bytes
// written.
func encodeColumn(b *testing.B, enc *parquetenc.Encoder, groups [][]parquetenc.Data, c int) int {
	n := 0
	for _, data := range groups {
		g, err := enc.Encode(data[c : c+1])
		if err != nil {
			b.Fatal(err)
		}
		n += len(g.Data)
		enc.Reuse(g.Data)
	}
	return n
}

// benchColumnGroups walks the universe of benchUniverse and keeps the columns of the
// first $ROLEMINE_BENCH_GROUPS row groups of its assignments.parquet (8 unless set).
func benchColumnGroups(b *testing.B) [][]parquetenc.Data {
	snap, m, cls, info := benchUniverse(b)
	keep := 8
	if v, err := strconv.Atoi(os.Getenv("ROLEMINE_BENCH_GROUPS")); err == nil && v > 0 {
		keep = v
	}
	eff := &Effective{Eff: info.Eff, Class: info.Class}
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
	if err := writeEffectiveFilled(context.Background(), io.Discard, snap, m, cls, eff, "bench", rowGroupRows, filled, universeCodec, universeCodec); err != nil {
		b.Fatal(err)
	}
	for len(groups) > 0 && groups[len(groups)-1] == nil {
		groups = groups[:len(groups)-1]
	}
	return groups
}

// threadCPU returns the CPU time (user and system) the calling thread has used so far.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEffectiveCodeOrderDict encodes the role_id column of the kept row groups
// (benchColumnGroups) with its dictionary as parquet-go makes it (the chunk's values in
// first-appearance order) and as a run does (CodeOrderDict), alternated (the order turns
// from op to op), each op with fresh encoders, as a file's worker starts with one:
// role_id-first-cpu-ms/op and role_id-code-cpu-ms/op (thread CPU), and the MB of the
// chunks of each.
func BenchmarkEffectiveCodeOrderDict(b *testing.B) {
	col := effectiveColumns(false, universeCodec, universeCodec)[ecRole]
	groups := benchColumnGroups(b)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	names := []string{"first", "code"}
	var spent [2]time.Duration
	var written [2]int
	b.ResetTimer()
	op := 0
	for b.Loop() {
		for j := range 2 {
			k := (j + op) % 2
			c := col
			c.CodeOrderDict = k == 1
			enc := parquetenc.NewEncoder([]parquetenc.Column{c})
			t0 := threadCPU()
			written[k] = encodeColumn(b, enc, groups, ecRole)
			spent[k] += threadCPU() - t0
		}
		op++
	}
	for k, name := range names {
		b.ReportMetric(float64(spent[k].Microseconds())/1e3/float64(b.N), "role_id-"+name+"-cpu-ms/op")
		b.ReportMetric(float64(written[k])/1e6, "role_id-"+name+"-MB")
	}
}
