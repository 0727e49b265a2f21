package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/rolemine/rolemine/internal/pipeline"
)

// cmdMine runs `rolemine mine` (docs/cli.md#rolemine-mine).
func cmdMine(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("mine", stdout)
	f := pipeline.NewMineFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return pipeline.Mine(ctx, fs, f, pipeline.Env{Stdout: stdout, Stderr: stderr, Logger: logger})
}

// cmdMerge runs `rolemine merge`: the partial models of every shard of a run into the
// outputs a single run writes (docs/scale-out.md).
func cmdMerge(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("merge", stdout)
	var o pipeline.MergeOptions
	fs.StringVar(&o.Out, "out", "", "output directory of the merged model (files are replaced atomically)")
	fs.StringVar(&o.Data, "data", "", "data directory (default: the --data the shards were mined from)")
	fs.IntVar(&o.Workers, "workers", 0, "parallel workers (default: number of CPUs)")
	fs.StringVar(&o.Truth, "truth", "", "score the merged model against planted truth in this directory (rolemine gen's DIR/truth), as mine --truth scores a single run's")
	// Shard directories are positional: parseFlags would refuse them.
	if err := parseFlagsWithArgs(fs, args); err != nil {
		return err
	}
	o.Shards = fs.Args()
	return pipeline.Merge(ctx, o, pipeline.Env{Stdout: stdout, Stderr: stderr, Logger: logger})
}

// cmdDrift runs `rolemine drift`: the model in --model held against the snapshot in
// --data (docs/cli.md#rolemine-drift).
func cmdDrift(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("drift", stdout)
	var do pipeline.DriftOptions
	o := &do.Run
	fs.StringVar(&o.Model, "model", "", "output directory of rolemine mine (rules.json, roles.json, summary.json)")
	fs.StringVar(&o.Data, "data", "", "the new snapshot: a data directory with identities, assignments and optionally roles")
	fs.StringVar(&o.PreviousData, "previous-data", "", "the snapshot the model was mined from, to name the attribute change behind each revoke candidate")
	fs.StringVar(&o.Out, "out", "", "output directory for remediation.csv, rules-health.json and summary.json (replaced atomically)")
	fs.StringVar(&o.ConfigPath, "config", "", "mining configuration the model was mined with, for the bounds (default: the one named in the model's summary.json, or the implicit rule)")
	fs.IntVar(&o.Workers, "workers", 0, "parallel workers (default: number of CPUs)")
	fs.StringVar(&do.Truth, "truth", "", "score the plan against truth/changes of rolemine gen --evolve (the new snapshot's truth/ folder)")
	do.Usage = pipeline.RegisterUsageFlags(fs)
	do.Plugins = pipeline.RegisterPluginFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return pipeline.Drift(ctx, do, pipeline.Env{Stdout: stdout, Stderr: stderr, Logger: logger})
}

// cmdReport regenerates report.html in a model directory from the data and the model
// files, without mining again.
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("report", stdout)
	var data, model, driftDir string
	fs.StringVar(&data, "data", "", "data directory the model was mined from")
	fs.StringVar(&model, "model", "", "output directory of rolemine mine (report.html is written there)")
	fs.StringVar(&driftDir, "drift", "", "output directory of rolemine drift: adds a drift section")
	pf := pipeline.RegisterPluginFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return pipeline.Report(ctx, data, model, driftDir, pf, pipeline.Env{Stdout: stdout, Stderr: stderr, Logger: logger})
}

// cmdExplain prints, for one identity, every role it holds with the rule that explains it
// or the nearest rule and the attributes that fail it, the roles the model would grant it,
// and its orphan status. It answers from the model files and the data, without mining.
func cmdExplain(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("explain", stdout)
	var data, model, id string
	var asJSON bool
	fs.StringVar(&data, "data", "", "data directory the model was mined from")
	fs.StringVar(&model, "model", "", "output directory of rolemine mine (rules.json, roles.json, summary.json)")
	fs.StringVar(&id, "identity", "", "identity_id to explain")
	fs.BoolVar(&asJSON, "json", false, "print JSON instead of text")
	pf := pipeline.RegisterPluginFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return pipeline.Explain(ctx, data, model, id, asJSON, pf, pipeline.Env{Stdout: stdout, Stderr: stderr, Logger: logger})
}
