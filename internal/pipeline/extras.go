package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/report"
)

// writeExtras writes the outputs beside the model that are meant for people: report.html,
// review.csv and suggestions.csv, into set (committed by the caller with the model files).
func writeExtras(ctx context.Context, set *columnar.OutputSet, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, info report.RunInfo, logger *slog.Logger) error {
	out := set.Dir()
	mf, err := report.NewModel(snap, m, cls, info)
	if err != nil {
		return err
	}
	b, err := report.Bind(snap, mf)
	if err != nil {
		return err
	}
	if snap.Universe != nil {
		b.Effective = info.Effective
	}
	// A discover run into the same directory adds its section to the report.
	if b.Discovered, err = report.LoadDiscovered(out, report.DataFingerprint(snap.Inputs), logger); err != nil {
		return err
	}
	jobs := []struct {
		name  string
		write func(*columnar.OutputFile) error
	}{
		{report.ReviewCSVFile, func(f *columnar.OutputFile) error {
			if snap.Universe != nil && info.Effective != nil {
				return report.WriteEffectiveReviewCSV(ctx, f, snap, cls, info.Effective)
			}
			return b.WriteReviewCSV(ctx, f, cls.RuleOf)
		}},
		{report.ReportHTMLFile, func(f *columnar.OutputFile) error { return b.WriteHTML(ctx, f, cls.RuleOf) }},
		{report.SuggestionsCSVFile, func(f *columnar.OutputFile) error { return b.WriteSuggestionsCSV(ctx, f, cls.Suggestions) }},
	}
	if snap.Universe != nil && info.Effective != nil {
		jobs = append(jobs, struct {
			name  string
			write func(*columnar.OutputFile) error
		}{report.ExcessCSVFile, func(f *columnar.OutputFile) error {
			return report.WriteExcessCSV(ctx, f, snap, cls, info.Effective)
		}})
	}
	if report.HasOwners(snap) {
		jobs = append(jobs, struct {
			name  string
			write func(*columnar.OutputFile) error
		}{report.OwnershipCSVFile, func(f *columnar.OutputFile) error {
			return report.WriteOwnershipCSV(ctx, f, snap, cls, info.Effective)
		}})
	}
	files := make([]*columnar.OutputFile, len(jobs))
	for k, j := range jobs {
		if files[k], err = set.Create(j.name); err != nil {
			return err
		}
	}
	// The files are independent: write them at the same time (review.csv, the largest,
	// also formats its rows on every core).
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for k, j := range jobs {
		wg.Go(func() {
			if err := j.write(files[k]); err != nil {
				errs[k] = fmt.Errorf("write %s: %w", j.name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
