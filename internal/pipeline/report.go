package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/outdir"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/uerr"
)

// loadBound loads the data directory and the model files of `rolemine mine` and binds
// them, for the commands that answer from a model without mining again. The plugins of pf
// are compiled first, before any data is read or downloaded; then the locations of m are
// staged (st.stageModel; write as there), and the plugins derive their attributes on the
// data before the model's rules are bound. The plugins are compared with the ones the
// model recorded (checkModelPlugins) before the data is read; cmd names the command.
func loadBound(ctx context.Context, cmd string, st *staging, m *modelRun, write bool, pf *PluginFlags, logger *slog.Logger) (*report.Bound, error) {
	derive, cleanup, err := pf.Deriver(ctx, logger)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if err := st.stageModel(ctx, m, write); err != nil {
		return nil, err
	}
	mf, err := report.ReadModel(m.modelDir)
	if err != nil {
		return nil, err
	}
	if err := pf.CheckModel(cmd, summaryFileOf(m.model), mf.Summary, mf.Rules, logger); err != nil {
		return nil, err
	}
	snap, err := columnar.Load(ctx, m.dataDir, columnar.LoadOptions{Logger: logger})
	if err != nil {
		return nil, err
	}
	if err := mf.CheckMinedFrom(snap, locationName(m.model), locationName(m.data)); err != nil {
		return nil, err
	}
	if derive != nil {
		if err := derive(ctx, snap); err != nil {
			return nil, err
		}
	}
	return report.Bind(snap, mf)
}

// Report regenerates report.html in the model directory model from the data and the
// model files (rules.json, roles.json, summary.json), without mining again; driftDir, when
// set, is the output directory of `rolemine drift`, whose section the report adds.
// Each of the three may be an object-storage URL (docs/scale-out.md#object-storage): the
// model's published set is then fetched, and published again with the new report.html.
func Report(ctx context.Context, data, model, driftDir string, pf *PluginFlags, env Env) error {
	logger, stdout := env.Logger, env.Stdout
	if data == "" || model == "" {
		return uerr.New("report: --data and --model are required")
	}
	if err := CheckOutDir("report", "model", model, "data", data); err != nil {
		return err
	}
	given := model
	st := &staging{}
	defer st.cleanup()
	m := &modelRun{data: data, model: model, drift: driftDir}
	prog := newProgress(env.Stderr)
	defer prog.done()
	prog.update(true, "loading %s ...", data)
	b, err := loadBound(ctx, "report", st, m, true, pf, logger)
	if err != nil {
		return err
	}
	model, driftDir = m.modelDir, m.driftDir
	if b.Discovered, err = report.LoadDiscovered(model, report.DataFingerprint(b.Snap.Inputs), logger); err != nil {
		return err
	}
	if driftDir != "" {
		if b.Drift, err = report.LoadDrift(driftDir); err != nil {
			return err
		}
		b.Drift.Dir = locationName(m.drift) // the report names the location given
		if err := checkDriftOfModel(b.Drift, b.Model.Rules, b.Drift.Dir, locationName(m.model)); err != nil {
			return err
		}
	}
	prog.update(true, "classifying assignments ...")
	ruleOf, err := b.Classify(ctx)
	if err != nil {
		return err
	}
	if err := b.LoadEffective(ctx, ruleOf); err != nil {
		return err
	}
	prog.update(true, "writing %s ...", report.ReportHTMLFile)
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
	if err := st.publish(ctx); err != nil {
		return err
	}
	prog.done()
	if outdir.IsURL(given) {
		fmt.Fprintf(stdout, "wrote %s, published with the model's other files to %s\n", report.ReportHTMLFile, given)
		return nil
	}
	fmt.Fprintf(stdout, "wrote %s\n", displayPath(filepath.Join(given, report.ReportHTMLFile)))
	return nil
}

// Explain prints, for the identity id, every role it holds with the rule that explains it
// or the nearest rule and the attributes that fail it, the roles the model would grant it,
// and its orphan status, as text or JSON. It answers from the model files in model and the
// data in data, without mining.
func Explain(ctx context.Context, data, model, id string, asJSON bool, pf *PluginFlags, env Env) error {
	if data == "" || model == "" || id == "" {
		return uerr.New("explain: --data, --model and --identity are required")
	}
	st := &staging{}
	defer st.cleanup()
	prog := newProgress(env.Stderr)
	defer prog.done()
	prog.update(true, "loading %s ...", data)
	b, err := loadBound(ctx, "explain", st, &modelRun{data: data, model: model}, false, pf, env.Logger)
	if err != nil {
		return err
	}
	prog.update(true, "explaining %s ...", id)
	ex, err := b.Explain(id)
	prog.done()
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(ex)
	}
	return ex.WriteText(env.Stdout)
}

// checkDriftOfModel refuses a drift output made from another model, whose figures the
// report would show as this model's: rules-health.json lists, by id, every rule of the
// model drift held.
func checkDriftOfModel(d *report.Drift, rules []report.RuleRecord, driftDir, model string) error {
	held := make(map[string]bool, len(d.Health.Rules))
	for _, r := range d.Health.Rules {
		held[r.RuleID] = true
	}
	common := 0
	for _, r := range rules {
		if held[r.RuleID] {
			common++
		}
	}
	if common != len(rules) || len(held) != len(rules) {
		return uerr.New("report: --drift %s was not made from the model in %s: its rules-health.json lists %d rules, %d of them this model's %d; give the output of `rolemine drift --model %s`", driftDir, model, len(held), common, len(rules), model)
	}
	return nil
}
