package pipeline

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/report"
)

// extraFile is one file writeExtras writes, and how.
type extraFile struct {
	name  string
	write func(*columnar.OutputFile) error
}

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
	jobs := []extraFile{
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
		jobs = append(jobs, extraFile{report.ExcessCSVFile, func(f *columnar.OutputFile) error {
			return report.WriteExcessCSV(ctx, f, snap, cls, info.Effective)
		}})
	}
	if report.HasOwners(snap) {
		jobs = append(jobs, extraFile{report.OwnershipCSVFile, func(f *columnar.OutputFile) error {
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
	// also formats its rows on every core); a failure names the first failing file.
	return parallel.Each(ctx, len(jobs), len(jobs), func(_, k int) error {
		if err := jobs[k].write(files[k]); err != nil {
			return fmt.Errorf("write %s: %w", jobs[k].name, err)
		}
		return nil
	})
}
