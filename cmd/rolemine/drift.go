package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/drift"
	"github.com/rolemine/rolemine/internal/uerr"
	lastused "github.com/rolemine/rolemine/internal/usage"
)

// cmdDrift runs `rolemine drift`: the model in --model held against the snapshot in
// --data (docs/cli.md#rolemine-drift).
func cmdDrift(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("drift", stderr)
	var o drift.RunOptions
	var truthDir string
	fs.StringVar(&o.Model, "model", "", "output directory of `rolemine mine` (rules.json, roles.json, summary.json)")
	fs.StringVar(&o.Data, "data", "", "the new snapshot: a data directory with identities, assignments and optionally roles")
	fs.StringVar(&o.PreviousData, "previous-data", "", "the snapshot the model was mined from, to name the attribute change behind each revoke candidate")
	fs.StringVar(&o.Out, "out", "", "output directory for remediation.csv, rules-health.json and summary.json (replaced atomically)")
	fs.StringVar(&o.ConfigPath, "config", "", "mining configuration the model was mined with, for the bounds (default: the one named in the model's summary.json, or the implicit rule)")
	fs.IntVar(&o.Workers, "workers", 0, "parallel workers (default: number of CPUs)")
	fs.StringVar(&truthDir, "truth", "", "score the plan against truth/changes of `rolemine gen --evolve` (the new snapshot's truth/ folder)")
	uf := registerUsageFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Model == "" || o.Data == "" || o.Out == "" {
		return uerr.New("drift: --model, --data and --out are required")
	}
	if err := uf.check("drift"); err != nil {
		return err
	}
	o.Usage = func(next *columnar.Snapshot) (*lastused.Params, error) { return uf.params("drift", next) }
	if err := checkDriftDirs(&o); err != nil {
		return err
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	o.Logger = logger
	start := time.Now()
	res, err := drift.Run(ctx, o)
	if err != nil {
		return err
	}
	s := &res.Summary
	fmt.Fprintf(stdout, "drift of %s against %s in %.1fs\n", o.Model, o.Data, time.Since(start).Seconds())
	for _, t := range drift.ActionTypes {
		fmt.Fprintf(stdout, "  %-17s %d\n", t, s.Actions[t].Total)
	}
	for _, t := range []string{drift.ActionRemoveRedundant, drift.ActionRevokeUnused, drift.ActionReassignOwner} {
		if ac := s.Actions[t]; ac != nil {
			fmt.Fprintf(stdout, "  %-17s %d\n", t, ac.Total)
		}
	}
	a := &s.Assignments
	fmt.Fprintf(stdout, "  assignments: %d, %d explained (no action %.2f%%), %d unexplained, %d orphan\n", a.Total, a.Explained, a.NoActionPct, a.Unexplained, a.Orphans)
	if s.NewUnexplained != nil {
		fmt.Fprintf(stdout, "  new unexplained access: %d\n", s.NewUnexplained.Total)
	}
	fmt.Fprintf(stdout, "  rules: %d, %d degraded\n", s.Rules.Total, s.Rules.Degraded)
	if s.Note != "" {
		fmt.Fprintf(stdout, "  note: %s\n", s.Note)
	}
	for _, p := range s.Phases {
		fmt.Fprintf(stdout, "  %-9s %6.2fs\n", p.Name, p.Seconds)
	}
	abs, _ := filepath.Abs(o.Out)
	fmt.Fprintf(stdout, "outputs: %s (%s, %s, %s)\n", abs, drift.RemediationFile, drift.HealthFile, drift.SummaryFile)
	if truthDir != "" {
		sc, err := drift.ScoreAgainst(res.Actions, truthDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "against %s:\n%s", truthDir, sc.String())
	}
	return nil
}
