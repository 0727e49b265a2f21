package columnar

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/parallel"
)

// BenchmarkCSVReadDir reads the CSV files of the directory named by ROLEMINE_CSV_BENCH
// (skipped when unset), such as gen --format csv's tier L, the three at once as Load
// does, with the sequential reader and with the chunked one, and reports each op's
// process CPU (user + system) as cpu-ms/op beside its wall time. Before timing, each
// large file must read in chunks without falling back:
//
//	ROLEMINE_CSV_BENCH=/work/bench-data/Lcsv go test -run '^$' -bench CSVReadDir -count 3 ./internal/columnar
func BenchmarkCSVReadDir(b *testing.B) {
	dir := os.Getenv("ROLEMINE_CSV_BENCH")
	if dir == "" {
		b.Skip("set ROLEMINE_CSV_BENCH to a directory of CSV inputs")
	}
	specs := []*tableSpec{&identitiesSpec, &rolesSpec, &assignmentsSpec}
	for _, spec := range specs { // the chunked reading of the large files must not fall back
		p := filepath.Join(dir, spec.name+".csv")
		if size := fileSize(b, p); size >= csvParallelMin {
			if _, err := readCSVParallel(context.Background(), p, spec, csvChunkSize(size)); err != nil {
				b.Fatalf("%s: the chunked reading fails (%v): it would fall back", p, err)
			}
		}
	}
	readers := []struct {
		name string
		read func(context.Context, string, *tableSpec) (*table, error)
	}{
		{"sequential", readCSVSeq},
		{"chunked", func(ctx context.Context, p string, s *tableSpec) (*table, error) {
			return readCSVChunked(ctx, p, s, csvChunkSize(fileSize(b, p)))
		}},
	}
	for _, r := range readers {
		b.Run(r.name, func(b *testing.B) {
			c0 := cpuTime(b)
			for b.Loop() {
				err := parallel.Each(context.Background(), len(specs), len(specs), func(_, k int) error {
					_, err := r.read(context.Background(), filepath.Join(dir, specs[k].name+".csv"), specs[k])
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime(b)-c0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}

func fileSize(tb testing.TB, p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}
