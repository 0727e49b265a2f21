package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/uerr"
)

// loadBound loads the data directory and the model files of `rolemine mine` and binds
// them, for the commands that answer from a model without mining again.
func loadBound(ctx context.Context, data, model string, logger *slog.Logger) (*report.Bound, error) {
	mf, err := report.ReadModel(model)
	if err != nil {
		return nil, err
	}
	snap, err := columnar.Load(ctx, data, columnar.LoadOptions{Logger: logger})
	if err != nil {
		return nil, err
	}
	if err := mf.CheckMinedFrom(snap, model, data); err != nil {
		return nil, err
	}
	return report.Bind(snap, mf)
}

// cmdReport regenerates report.html in a model directory from the data and the model
// files (rules.json, roles.json, summary.json), without mining again.
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("report", stderr)
	var data, model, driftDir string
	fs.StringVar(&data, "data", "", "data directory the model was mined from")
	fs.StringVar(&model, "model", "", "output directory of `rolemine mine` (report.html is written there)")
	fs.StringVar(&driftDir, "drift", "", "output directory of `rolemine drift`: adds a drift section")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if data == "" || model == "" {
		return uerr.New("report: --data and --model are required")
	}
	if err := checkOutDir("report", "model", model, "data", data); err != nil {
		return err
	}
	b, err := loadBound(ctx, data, model, logger)
	if err != nil {
		return err
	}
	if b.Discovered, err = report.LoadDiscovered(model, report.DataFingerprint(b.Snap.Inputs), logger); err != nil {
		return err
	}
	if driftDir != "" {
		if b.Drift, err = report.LoadDrift(driftDir); err != nil {
			return err
		}
	}
	ruleOf, err := b.Classify(ctx)
	if err != nil {
		return err
	}
	set, err := columnar.NewOutputSet(model)
	if err != nil {
		return err
	}
	defer set.Abort()
	f, err := set.Create(report.ReportHTMLFile)
	if err != nil {
		return err
	}
	if err := b.WriteHTML(ctx, f, ruleOf); err != nil {
		return fmt.Errorf("write %s: %w", report.ReportHTMLFile, err)
	}
	if err := set.Commit(); err != nil {
		return err
	}
	abs, _ := filepath.Abs(filepath.Join(model, report.ReportHTMLFile))
	fmt.Fprintf(stdout, "wrote %s\n", abs)
	return nil
}
