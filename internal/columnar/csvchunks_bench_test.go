package columnar

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/parallel"
)

// TestCSVReadTimes reads the CSV files of the directory named by ROLEMINE_CSV_BENCH
// (skipped when unset), such as gen --format csv's tier L, the three at once as Load
// does, alternately with the sequential reader and the chunked one, and logs the median
// CPU (user + system) and wall time of each, and how many rounds (ROLEMINE_CSV_ROUNDS,
// 5 unless set).
func TestCSVReadTimes(t *testing.T) {
	dir := os.Getenv("ROLEMINE_CSV_BENCH")
	if dir == "" {
		t.Skip("set ROLEMINE_CSV_BENCH to a directory of CSV inputs")
	}
	rounds := 5
	if n, err := strconv.Atoi(os.Getenv("ROLEMINE_CSV_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	specs := []*tableSpec{&identitiesSpec, &rolesSpec, &assignmentsSpec}
	readers := map[string]func(context.Context, string, *tableSpec) (*table, error){
		"sequential": readCSVSeq,
		"chunked": func(ctx context.Context, p string, s *tableSpec) (*table, error) {
			return readCSVChunked(ctx, p, s, csvChunkSize(fileSize(t, p)))
		},
	}
	for _, spec := range specs { // the chunked reading of these files must not fall back
		p := filepath.Join(dir, spec.name+".csv")
		if st, err := os.Stat(p); err == nil && st.Size() < csvParallelMin {
			continue
		}
		c0, w0 := processCPU(t), time.Now()
		if _, err := readCSVParallel(context.Background(), p, spec, csvChunkSize(fileSize(t, p))); err != nil {
			t.Fatalf("%s: the chunked reading fails (%v): it would fall back", p, err)
		}
		t.Logf("%s alone, chunked: cpu %v, wall %v", spec.name, processCPU(t)-c0, time.Since(w0))
	}
	cpu, wall := map[string][]time.Duration{}, map[string][]time.Duration{}
	for range rounds {
		for _, name := range []string{"sequential", "chunked"} {
			runtime.GC()
			c0, w0 := processCPU(t), time.Now()
			err := parallel.Each(context.Background(), len(specs), len(specs), func(_, k int) error {
				_, err := readers[name](context.Background(), filepath.Join(dir, specs[k].name+".csv"), specs[k])
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			cpu[name] = append(cpu[name], processCPU(t)-c0)
			wall[name] = append(wall[name], time.Since(w0))
		}
	}
	for _, name := range []string{"sequential", "chunked"} {
		t.Logf("%-10s median over %d rounds: cpu %v, wall %v (cpu %v, wall %v)", name, rounds,
			median(cpu[name]), median(wall[name]), cpu[name], wall[name])
	}
}

// processCPU returns the process's CPU time so far (user + system).
func processCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(d []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(d))
	return s[len(s)/2]
}

func fileSize(t *testing.T, p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
