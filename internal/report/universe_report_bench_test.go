package report

import (
	"context"
	"io"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkUniverseReportOutputs measures what `rolemine mine` writes for people from a
// universe once the pair walk is published: review.csv, report.html (with the summary
// it binds), suggestions.csv, excess.csv and ownership.csv, at the same time as mine
// writes them. The walk is made once; each round starts from a fresh Effective holding
// a copy of it, so that nothing made from the walk (summary, ranking, owners) is reused
// across rounds. ROLEMINE_BENCH_DATA names the universe.
func BenchmarkUniverseReportOutputs(b *testing.B) {
	snap, m, cls, info := benchUniverse(b)
	ctx := context.Background()
	walked, err := walkPairs(ctx, snap, cls, info)
	if err != nil {
		b.Fatal(err)
	}
	var used, wall time.Duration
	b.ResetTimer()
	for b.Loop() {
		eff := &Effective{Eff: info.Eff, Class: info.Class, Usage: info.Usage}
		// The excess rows are copied (their ranking may sort them in place), outside the
		// seconds reported.
		pw := &pairWalk{snap: walked.snap, cls: walked.cls, direct: walked.direct, effective: walked.effective,
			byKind: walked.byKind, kindSeen: walked.kindSeen, bySystem: walked.bySystem, systemNames: walked.systemNames,
			review: walked.review, excess: slices.Clone(walked.excess), vias: walked.vias}
		pw.once.Do(func() {})
		eff.walk = pw
		cpu0, start := cpuTime(), time.Now()
		run := RunInfo{Version: "bench", Effective: eff}
		run.ShareSummary()
		jobs := []func() error{
			func() error { return WriteEffectiveReviewCSV(ctx, io.Discard, snap, cls, eff) },
			func() error {
				mf, err := NewModel(snap, m, cls, run)
				if err != nil {
					return err
				}
				bd, err := Bind(snap, mf)
				if err != nil {
					return err
				}
				bd.Effective = eff
				if err := bd.WriteHTML(ctx, io.Discard, cls.RuleOf); err != nil {
					return err
				}
				return bd.WriteSuggestionsCSV(ctx, io.Discard, cls.Suggestions)
			},
			func() error { return WriteExcessCSV(ctx, io.Discard, snap, cls, eff) },
			func() error { return WriteOwnershipCSV(ctx, io.Discard, snap, cls, eff) },
		}
		errs := make([]error, len(jobs))
		var wg sync.WaitGroup
		for k, job := range jobs {
			wg.Go(func() { errs[k] = job() })
		}
		wg.Wait()
		wall += time.Since(start)
		used += cpuTime() - cpu0
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(used.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/op")
}
