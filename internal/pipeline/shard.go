package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/outdir"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/shard"
	"github.com/rolemine/rolemine/internal/uerr"
)

// runOnlyFlags are the flags of `rolemine mine` that do not change what is mined: a
// shard does not record them, and shards of one run may differ in them.
var runOnlyFlags = []string{"out", "workers", "backend", "cpuprofile", "memprofile", "trace", "memory-limit", "shard", "truth"}

// resultArgs returns the flags set on fs that change what is mined, as --name=value in
// flag-name order (repeated flags in the order given).
func resultArgs(fs *flag.FlagSet) []string {
	var args []string
	fs.Visit(func(fl *flag.Flag) {
		if slices.Contains(runOnlyFlags, fl.Name) {
			return
		}
		if m, ok := fl.Value.(*MultiFlag); ok {
			for _, v := range *m {
				args = append(args, "--"+fl.Name+"="+v)
			}
			return
		}
		args = append(args, "--"+fl.Name+"="+fl.Value.String())
	})
	return args
}

// writeShard commits the partial model of spec's roles (shard.json) and the record of
// the run (shard-run.json) into outDir.
func writeShard(ctx context.Context, outDir *outdir.Dir, fs *flag.FlagSet, f *MineFlags, in *prepared, model *mining.Model, spec shard.Spec, info report.RunInfo, stdout io.Writer) error {
	t := time.Now()
	fp := shard.Fingerprint{Data: report.DataFingerprint(in.snap.Inputs), Dimensions: shard.DimensionsFingerprint(in.snap),
		Config: shard.Digest(in.cfgText), Previous: in.prevFP}
	p := shard.NewPartial(in.snap, model, spec, fp, resultArgs(fs), Version)
	in.phase("fingerprint", t)
	run := shard.Run{Format: shard.RunFormat, Shard: spec, Backend: info.Backend, Workers: info.Workers}
	for _, ph := range in.phases {
		run.Phases = append(run.Phases, shard.Phase{Name: ph.Name, Seconds: ph.Seconds})
	}
	set, err := outDir.Begin()
	if err != nil {
		return err
	}
	defer set.Abort()
	set.Replace(modelFiles...)
	pf, err := set.Create(shard.File)
	if err != nil {
		return err
	}
	if err := p.Encode(pf); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(f.out, shard.File), err)
	}
	rf, err := set.Create(shard.RunFile)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(rf).Encode(run); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(f.out, shard.RunFile), err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := set.Commit(); err != nil {
		return fmt.Errorf("write outputs to %s: %w", f.out, err)
	}
	fmt.Fprintf(stdout, "mined shard %s: %d of %d roles, %d rules in %.1fs\noutputs: %s (%s, %s)\n",
		spec, len(p.Roles), in.snap.NumRoles(), len(p.Rules), time.Since(in.started).Seconds(), displayPath(f.out), shard.File, shard.RunFile)
	return nil
}

// MergeOptions are the flags and arguments of `rolemine merge`.
type MergeOptions struct {
	// Out is the output directory of the merged model; Data, when set, replaces the data
	// location the shards recorded; Workers is --workers (0: one per CPU).
	Out, Data string
	Workers   int
	// Shards are the shard directories (or URLs), in any order.
	Shards []string
	// Truth is --truth: the planted truth the merged model is scored against, as a
	// single run's is by mine --truth (shards refuse it: each holds part of a model).
	Truth string
}

// Merge joins the partial models of every shard of a run into the outputs a single run
// writes (docs/scale-out.md).
func Merge(ctx context.Context, o MergeOptions, env Env) error {
	if o.Out == "" || len(o.Shards) == 0 {
		return uerr.New("merge: --out and at least one shard directory are required (rolemine merge --out OUT SHARD_DIR...)")
	}
	if err := checkTruthDir("merge", o.Truth, "rolemine gen", truthFiles...); err != nil {
		return err
	}
	st := &staging{}
	defer st.cleanup()
	parts, runs, err := readShards(ctx, st, o.Out, o.Shards)
	if err != nil {
		return err
	}
	if parts, err = shard.Check(parts); err != nil {
		return err
	}
	first := parts[0]
	f, in, err := prepareMerge(ctx, o, first, st, env.Logger)
	if err != nil {
		return err
	}
	outDir, err := outdir.Open(f.outDir, outdir.Options{Command: "rolemine merge", Logger: env.Logger})
	if err != nil {
		return err
	}
	defer outDir.Close()
	if f.workers <= 0 {
		f.workers = runtime.GOMAXPROCS(0)
	}
	prog := newProgress(env.Stderr)
	defer prog.done()
	if err := loadSnapshot(ctx, f, in, prog, env.Logger); err != nil {
		return recorded(err, first)
	}
	if err := checkSnapshot(in, f, first); err != nil {
		return err
	}
	if err := checkMergeTruth(in, f); err != nil {
		return err
	}
	t := time.Now()
	model, err := shard.Assemble(in.snap, in.cfg, parts)
	if err != nil {
		return err
	}
	in.phase("merge", t)
	info := report.RunInfo{Version: Version, Workers: f.workers, Config: in.cfgName(f), Started: in.started, Shards: runs,
		Plugins: pluginRecords(in.plugins)}
	info.Backend = mergedBackend(runs)
	model.Backend = info.Backend
	if err := finishRun(ctx, outDir, f, in, model, info, env, prog); err != nil {
		return err
	}
	return st.publish(ctx)
}

// prepareMerge parses the arguments the first shard recorded, with merge's own --out,
// --workers and --data, and reads the configuration and previous model they name,
// checked against the shards' fingerprints.
func prepareMerge(ctx context.Context, o MergeOptions, first shard.Named, st *staging, logger *slog.Logger) (*MineFlags, *prepared, error) {
	if first.Partial.Version != Version {
		return nil, nil, uerr.New("merge: %s was mined by rolemine %s; this is rolemine %s", first.Name, first.Partial.Version, Version)
	}
	fs := NewFlags("mine", io.Discard)
	f := NewMineFlags(fs)
	if err := fs.Parse(first.Partial.Args); err != nil {
		return nil, nil, uerr.New("merge: %s: the recorded arguments of the shard: %v", first.Name, err)
	}
	f.out, f.workers = o.Out, o.Workers
	if o.Data != "" {
		f.data = o.Data
	}
	f.truthDir = o.Truth
	in, err := prepareConfig(ctx, "merge", fs, f, st, logger)
	if err != nil {
		return nil, nil, recorded(err, first)
	}
	if err := checkPrepared(in, f, first); err != nil {
		return nil, nil, err
	}
	return f, in, nil
}

// checkSnapshot compares the loaded data, and the attributes the plugins derived from it,
// with the ones the shards were mined from.
func checkSnapshot(in *prepared, f *MineFlags, first shard.Named) error {
	if got := report.DataFingerprint(in.snap.Inputs); got != first.Partial.Fingerprint.Data {
		return uerr.New("merge: the data at %s (fingerprint %.12s) is not the data the shards were mined from (%.12s)",
			f.data, got, first.Partial.Fingerprint.Data)
	}
	if got := shard.DimensionsFingerprint(in.snap); got != first.Partial.Fingerprint.Dimensions {
		return uerr.New("merge: the attributes derived from %s now (plugins, exclusions; fingerprint %.12s) are not the ones the shards mined (%.12s)",
			f.data, got, first.Partial.Fingerprint.Dimensions)
	}
	return nil
}

// checkMergeTruth refuses a --truth generated with other data than the data loaded, as
// mine --truth does; it is checked here, not while loading, so that the refusal is not
// taken for one of the shards' recorded arguments.
func checkMergeTruth(in *prepared, f *MineFlags) error {
	if f.truthDir == "" {
		return nil
	}
	want, err := truth.DataFingerprint(f.truthDir)
	if err != nil {
		return err
	}
	return checkTruthData("merge", f.truthDir, want, f.data, in.snap)
}

// checkPrepared compares the configuration and previous model merge read with the ones
// the shards were mined with.
func checkPrepared(in *prepared, f *MineFlags, first shard.Named) error {
	fp := first.Partial.Fingerprint
	if got := shard.Digest(in.cfgText); got != fp.Config {
		name := f.config
		if name == "" {
			name = "the implicit mining rule"
		}
		return uerr.New("merge: the mining configuration %s (fingerprint %.12s) is not the one the shards were mined with (%.12s)", name, got, fp.Config)
	}
	if in.prevFP != fp.Previous {
		return uerr.New("merge: the previous model %s is not the one the shards were mined against", f.previous)
	}
	return nil
}

// readShards reads the partial model and run record of each shard directory, sorted by
// shard later (shard.Check). out must be none of them.
func readShards(ctx context.Context, st *staging, out string, dirs []string) ([]shard.Named, []report.ShardRun, error) {
	var parts []shard.Named
	var runs []report.ShardRun
	for _, dir := range dirs {
		if filepath.Clean(dir) == filepath.Clean(out) {
			return nil, nil, uerr.New("merge: --out %s is also given as a shard directory: merge into a directory of its own", out)
		}
		local, err := st.model(ctx, "shard directory", dir)
		if err != nil {
			return nil, nil, mergeErr(err)
		}
		path := filepath.Join(local, shard.File)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, uerr.New("merge: %s has no %s: not the output directory of a finished `rolemine mine --shard` run", dir, shard.File)
		}
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // os.ReadFile's error names path too
			}
			return nil, nil, uerr.WrapInput(fmt.Errorf("merge: %s: %w; expected the output directory of a finished `rolemine mine --shard` run", path, err))
		}
		p, err := shard.Decode(filepath.Join(dir, shard.File), data)
		if err != nil {
			return nil, nil, err
		}
		run, err := readRun(dir, local)
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, shard.Named{Name: dir, Partial: p})
		sr := report.ShardRun{Index: p.Shard.Index, Count: p.Shard.Count, Backend: run.Backend, Workers: run.Workers}
		for _, ph := range run.Phases {
			sr.Phases = append(sr.Phases, report.Phase{Name: ph.Name, Seconds: ph.Seconds})
		}
		runs = append(runs, sr)
	}
	slices.SortStableFunc(runs, func(a, b report.ShardRun) int { return a.Index - b.Index })
	return parts, runs, nil
}

// recorded says that err, met reading the data, configuration or plugins a shard's
// arguments name (shard.json's args, read through prepareMerge), came from them: without it
// a missing configuration read as "read mining configuration X: ... no such file", with no word of
// where X came from. Errors that already name the merge are left as they are.
func recorded(err error, first shard.Named) error {
	if strings.HasPrefix(err.Error(), "merge:") {
		return err
	}
	return fmt.Errorf("merge: reading what %s records (the shards' --config, --data and --plugin, relative to the merge's working directory; merge --data gives the data's location): %w",
		filepath.Join(first.Name, shard.File), err)
}

// mergeErr prefixes err, met staging a shard directory, with the command's name. A
// user error (no manifest there, a malformed one) stays one; a failure to reach the
// store (a network error, a throttled or refused request, a bucket that does not exist)
// stays a runtime failure, exit 1, which the merge Job retries as it would a shard.
func mergeErr(err error) error {
	if uerr.Is(err) {
		return uerr.New("merge: %w", err)
	}
	return fmt.Errorf("merge: %w", err)
}

// readRun reads a shard directory's run record.
func readRun(dir, local string) (*shard.Run, error) {
	path := filepath.Join(local, shard.RunFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, uerr.New("merge: %s: %w", dir, err)
	}
	run := &shard.Run{}
	if err := json.Unmarshal(data, run); err != nil || run.Format != shard.RunFormat {
		return nil, uerr.New("merge: %s: not a %s document", path, shard.RunFormat)
	}
	return run, nil
}

// mergedBackend names the backends the shards counted with: one name when they agree.
func mergedBackend(runs []report.ShardRun) string {
	var names []string
	for _, r := range runs {
		if !slices.Contains(names, r.Backend) {
			names = append(names, r.Backend)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}
