package main

import (
	"context"
	"fmt"

	"github.com/rolemine/rolemine/columnar"
	"github.com/rolemine/rolemine/mining"
	"github.com/rolemine/rolemine/report"
)

// writeExtras writes the outputs beside the model that are meant for people: report.html,
// review.csv and suggestions.csv, into set (committed by the caller with the model files).
func writeExtras(ctx context.Context, set *columnar.OutputSet, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, info report.RunInfo) error {
	out := set.Dir()
	mf, err := report.NewModel(snap, m, cls, info)
	if err != nil {
		return err
	}
	b, err := report.Bind(snap, mf)
	if err != nil {
		return err
	}
	// A discover run into the same directory adds its section to the report.
	if b.Discovered, err = report.LoadDiscovered(out); err != nil {
		return err
	}
	for _, j := range []struct {
		name  string
		write func(*columnar.OutputFile) error
	}{
		{report.ReportHTMLFile, func(f *columnar.OutputFile) error { return b.WriteHTML(ctx, f, cls.RuleOf) }},
		{report.ReviewCSVFile, func(f *columnar.OutputFile) error { return b.WriteReviewCSV(ctx, f, cls.RuleOf) }},
		{report.SuggestionsCSVFile, func(f *columnar.OutputFile) error { return b.WriteSuggestionsCSV(ctx, f, cls.Suggestions) }},
	} {
		f, err := set.Create(j.name)
		if err != nil {
			return err
		}
		if err := j.write(f); err != nil {
			return fmt.Errorf("write %s: %w", j.name, err)
		}
	}
	return nil
}
