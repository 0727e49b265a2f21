package pipeline

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"time"

	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/drift"
	"github.com/rolemine/rolemine/internal/outdir"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/uerr"
	lastused "github.com/rolemine/rolemine/internal/usage"
)

// DriftOptions are the flags of `rolemine drift`.
type DriftOptions struct {
	Run drift.RunOptions
	// Truth is --truth: the new snapshot's truth/ folder of `rolemine gen --evolve`.
	Truth string
	Usage *UsageFlags
	// Plugins are the criterion plugins the model was mined with (--plugin).
	Plugins *PluginFlags
}

// printDrift prints the counts of a drift summary and its phases.
func printDrift(w io.Writer, s *drift.Summary) {
	for _, t := range drift.ActionTypes {
		fmt.Fprintf(w, "  %-17s %d\n", t, s.Actions[t].Total)
	}
	for _, t := range []string{drift.ActionRemoveRedundant, drift.ActionRevokeUnused, drift.ActionReassignOwner} {
		if ac := s.Actions[t]; ac != nil {
			fmt.Fprintf(w, "  %-17s %d\n", t, ac.Total)
		}
	}
	a := &s.Assignments
	fmt.Fprintf(w, "  assignments: %d, %d explained (no action %.2f%%), %d unexplained, %d orphan\n", a.Total, a.Explained, a.NoActionPct, a.Unexplained, a.Orphans)
	if s.NewUnexplained != nil {
		fmt.Fprintf(w, "  new unexplained access: %d\n", s.NewUnexplained.Total)
	}
	fmt.Fprintf(w, "  rules: %d, %d degraded\n", s.Rules.Total, s.Rules.Degraded)
	if s.Note != "" {
		fmt.Fprintf(w, "  note: %s\n", s.Note)
	}
	for _, p := range s.Phases {
		fmt.Fprintf(w, "  %-9s %6.2fs\n", p.Name, p.Seconds)
	}
}

// Drift runs `rolemine drift`: the model in --model held against the snapshot in --data
// (docs/cli.md#rolemine-drift), with a summary printed to env.Stdout.
func Drift(ctx context.Context, do DriftOptions, env Env) error {
	o, uf, truthDir := do.Run, do.Usage, do.Truth
	if o.Model == "" || o.Data == "" || o.Out == "" {
		return uerr.New("drift: --model, --data and --out are required")
	}
	if err := uf.check("drift"); err != nil {
		return err
	}
	if err := checkTruthDir("drift", truthDir, "rolemine gen --evolve", filepath.Join("changes", "access.csv")); err != nil {
		return err
	}
	if truthDir != "" {
		want, err := truth.DataFingerprint(truthDir)
		if err != nil {
			return err
		}
		data := o.Data
		o.CheckNext = func(next *columnar.Snapshot) error { return checkTruthData("drift", truthDir, want, data, next) }
	}
	o.Usage = func(next *columnar.Snapshot) (*lastused.Params, error) { return uf.params("drift", next) }
	if err := checkDriftDirs(&o); err != nil {
		return err
	}
	if !outdir.IsURL(o.Out) {
		if err := CheckOutDir("drift", "out", o.Out, "truth", truthDir); err != nil {
			return err
		}
	}
	derive, cleanup, err := do.Plugins.Deriver(ctx, env.Logger)
	if err != nil {
		return err
	}
	defer cleanup()
	o.Derive = derive
	given := o.Model
	o.CheckModel = func(m *report.Model) error {
		return do.Plugins.CheckModel("drift", summaryFileOf(given), m.Summary, m.Rules, env.Logger)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	o.Logger = env.Logger
	start := time.Now()
	model, data, out := o.Model, o.Data, o.Out
	st := &staging{}
	defer st.cleanup()
	if o.Given, err = st.stageDrift(ctx, &o); err != nil {
		return err
	}
	prog := newProgress(env.Stderr)
	o.Progress = func(step string) { prog.update(true, "%s", step) }
	res, err := drift.Run(ctx, o)
	prog.done()
	if err != nil {
		return err
	}
	if err := st.publish(ctx); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "drift of %s against %s in %.1fs\n", model, data, time.Since(start).Seconds())
	printDrift(env.Stdout, &res.Summary)
	fmt.Fprintf(env.Stdout, "outputs: %s (%s, %s, %s)\n", displayPath(out), drift.RemediationFile, drift.HealthFile, drift.SummaryFile)
	if truthDir != "" {
		sc, err := drift.ScoreAgainst(res.Actions, truthDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "against %s:\n%s", truthDir, sc.String())
		return printActionQuality(env.Stdout, truthDir, res.Actions)
	}
	return nil
}
