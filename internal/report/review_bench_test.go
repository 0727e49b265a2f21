package report

import (
	"context"
	"io"
	"testing"
)

// BenchmarkReviewTier writes the flat review.csv of the tier in ROLEMINE_BENCH_DATA
// (mined once with the implicit mining rule, as `rolemine mine` does) to io.Discard:
// ranking the unexplained assignments, the nearest rules and the formatting. Skipped
// without the variable.
func BenchmarkReviewTier(b *testing.B) {
	snap, m, cls, _ := benchUniverse(b)
	bd := bindForTest(b, snap, m, cls)
	cpu0 := cpuTime()
	for b.Loop() {
		if err := bd.WriteReviewCSV(context.Background(), io.Discard, cls.RuleOf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}
