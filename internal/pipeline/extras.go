package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

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

// modelError is a failure to bind the model for the files for people, which none of
// them caused.
type modelError struct{ err error }

func (e modelError) Error() string { return e.err.Error() }
func (e modelError) Unwrap() error { return e.err }

// writeExtras writes the outputs beside the model that are meant for people: report.html,
// review.csv and suggestions.csv, into set (committed by the caller with the model files).
func writeExtras(ctx context.Context, set *columnar.OutputSet, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, info report.RunInfo, logger *slog.Logger) error {
	out := set.Dir()
	universe := snap.Universe != nil && info.Effective != nil
	// The model bound to the snapshot, made once by the first file that needs it: with
	// accounts or grants, review.csv and excess.csv do not, and start at once.
	bound := sync.OnceValues(func() (*report.Bound, error) {
		mf, err := report.NewModel(snap, m, cls, info)
		if err != nil {
			return nil, err
		}
		b, err := report.Bind(snap, mf)
		if err != nil {
			return nil, err
		}
		if snap.Universe != nil {
			b.Effective = info.Effective
		}
		// A discover run into the same directory adds its section to the report.
		if b.Discovered, err = report.LoadDiscovered(out, report.DataFingerprint(snap.Inputs), logger); err != nil {
			return nil, err
		}
		return b, nil
	})
	withBound := func(write func(*report.Bound, *columnar.OutputFile) error) func(*columnar.OutputFile) error {
		return func(f *columnar.OutputFile) error {
			b, err := bound()
			if err != nil {
				return modelError{err}
			}
			return write(b, f)
		}
	}
	jobs := []extraFile{
		{report.ReviewCSVFile, withBound(func(b *report.Bound, f *columnar.OutputFile) error {
			return b.WriteReviewCSV(ctx, f, cls.RuleOf)
		})},
		{report.ReportHTMLFile, withBound(func(b *report.Bound, f *columnar.OutputFile) error { return b.WriteHTML(ctx, f, cls.RuleOf) })},
		{report.SuggestionsCSVFile, withBound(func(b *report.Bound, f *columnar.OutputFile) error {
			return b.WriteSuggestionsCSV(ctx, f, cls.Suggestions)
		})},
	}
	if universe {
		jobs[0].write = func(f *columnar.OutputFile) error {
			return report.WriteEffectiveReviewCSV(ctx, f, snap, cls, info.Effective)
		}
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
		var err error
		if files[k], err = set.Create(j.name); err != nil {
			return err
		}
	}
	// The files are independent: write them at the same time (review.csv, the largest,
	// also formats its rows on every core); a failure names the first failing file.
	return parallel.Each(ctx, len(jobs), len(jobs), func(_, k int) error {
		if err := jobs[k].write(files[k]); err != nil {
			var me modelError
			if errors.As(err, &me) {
				return me.err // the model, not this file
			}
			return fmt.Errorf("write %s: %w", jobs[k].name, err)
		}
		return nil
	})
}
