package pipeline

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/crashpoint"
	"github.com/rolemine/rolemine/internal/drift"
	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/backend"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/outdir"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/plugins"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/shard"
	"github.com/rolemine/rolemine/internal/uerr"
	lastused "github.com/rolemine/rolemine/internal/usage"
)

// MineFlags are the flags of `rolemine mine`.
type MineFlags struct {
	data, out, config, backend, truthDir string
	// truthData is the fingerprint of the data --truth was generated with ("" when its
	// truth/ folder does not record one).
	truthData string
	workers   int
	exclude   MultiFlag
	// Overrides of the implicit mining rule (no --config).
	precision, fpMax                 float64
	minIdentities, maxDims, ruleType int
	entityType                       string
	usedOnly                         bool
	cpuProfile, memProfile, trace    string
	memoryLimit                      string
	plugins                          *pluginFlags
	// Stability (stability.go): the previous output directory and the grace in
	// percentage points.
	previous string
	grace    float64
	// shard is --shard (shard.go).
	shard string
	// dataDir, outDir and prevDir are the local directories of --data, --out and
	// --previous: the flags themselves, or where staging put their URLs (remote.go).
	dataDir, outDir, prevDir string
	// usage is --as-of and --unused-days (usage.go); params their value for the data.
	usage  *UsageFlags
	params *lastused.Params
}

// NewMineFlags declares the flags of `rolemine mine` on fs (merge parses a shard's
// recorded arguments with the same declarations).
func NewMineFlags(fs *flag.FlagSet) *MineFlags {
	f := &MineFlags{}
	def := mining.DefaultMiningRule()
	fs.StringVar(&f.data, "data", "", "data directory with identities, assignments and optionally roles (.parquet or .csv)")
	fs.StringVar(&f.out, "out", "", "output directory (files are replaced atomically)")
	fs.StringVar(&f.config, "config", "", "mining configuration (Netwrix <MiningRule> XML); default: one implicit mining rule, which the flags marked \"implicit rule\" change (they are refused with --config)")
	fs.StringVar(&f.backend, "backend", "auto", "counting backend: auto (CUDA when a usable GPU is present, else CPU), cpu or cuda")
	fs.IntVar(&f.workers, "workers", 0, "parallel workers (default: number of CPUs)")
	fs.Var(&f.exclude, "exclude-dimension", "attribute never used in criteria (repeatable)")
	fs.StringVar(&f.truthDir, "truth", "", "score the model against planted truth in this directory (rolemine gen's DIR/truth)")
	fs.Float64Var(&f.precision, "precision", def.PrecisionMin, "implicit rule: PrecisionMinPercentage")
	fs.Float64Var(&f.fpMax, "fp-max", def.FalsePositiveMax, "implicit rule: FalsePositiveMaxPercentage")
	fs.IntVar(&f.minIdentities, "min-identities", def.MinIdentities, "implicit rule: MinIdentitiesCount")
	fs.IntVar(&f.maxDims, "max-dimensions", def.MaxDimensions, "implicit rule: MaxDimensions (1-4)")
	f.ruleType = int(def.RuleType)
	fs.Var(ruleTypeFlag{&f.ruleType}, "rule-type", "implicit rule: RuleType (0 or Required, 1 or RequestedAutomatically, 2 or Suggested)")
	fs.StringVar(&f.entityType, "entity-type", def.EntityType, `implicit rule: EntityType ("*", "nhi", or a comma list of kinds)`)
	fs.BoolVar(&f.usedOnly, "used-only", def.UsedOnly, "implicit rule: UsedOnly (mine and explain used access only; needs assignments.last_used)")
	f.plugins = registerPluginFlags(fs)
	f.usage = RegisterUsageFlags(fs)
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of the run to this file")
	fs.StringVar(&f.memProfile, "memprofile", "", "write a heap profile (pprof) of the largest live heap of the run to this file")
	fs.StringVar(&f.trace, "trace", "", "write a runtime execution trace of the run to this file (go tool trace; scripts/traceidle sums its idle processors)")
	fs.StringVar(&f.memoryLimit, "memory-limit", "auto", "soft limit of the Go heap: auto (85% of the container's or machine's memory, unless $GOMEMLIMIT is set), off, or an amount such as 6GiB")
	fs.StringVar(&f.previous, "previous", "", "previous output directory: keep its rules while they meet their bounds and stay within --grace of the best alternative; churn.json compares with it")
	fs.Float64Var(&f.grace, "grace", defaultGrace, "with --previous: a valid previous rule set of a role is kept unless the best alternative makes more correct decisions (holders explained, non-holders left alone) than this percentage of the role's holders in scope, or is at least as precise with fewer rules and no more false positives")
	fs.StringVar(&f.shard, "shard", "", "mine only shard I of N (I/N; /N takes I from $JOB_COMPLETION_INDEX; N may come from $ROLEMINE_SHARDS) and write its partial model for rolemine merge")
	return f
}

// Mine runs `rolemine mine` with the flags of fs, parsed into f: the model of --data
// under the configuration, committed into --out as one output set, or with --shard the
// partial model of one shard (docs/cli.md#rolemine-mine).
func Mine(ctx context.Context, fs *flag.FlagSet, f *MineFlags, env Env) (err error) {
	stopProfile, err := startCPUProfile(f.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	stopTrace, err := startTrace(f.trace)
	if err != nil {
		return err
	}
	defer stopTrace()
	stopHeap, err := startPeakHeapProfile(ctx, f.memProfile)
	if err != nil {
		return err
	}
	defer func() {
		if herr := stopHeap(); herr != nil && err == nil {
			err = herr
		}
	}()
	spec, sharded, err := f.check(fs)
	if err != nil {
		return err
	}
	limit, err := setMemoryLimit(f.memoryLimit)
	if err != nil {
		return err
	}
	env.Logger.Debug("memory limit", "bytes", limit)
	st := &staging{}
	defer st.cleanup()
	in, err := prepareConfig(ctx, "mine", fs, f, st, env.Logger)
	if err != nil {
		return err
	}
	// One writer at a time: the output directory's lock is held from here to the end.
	outDir, err := outdir.Open(f.outDir, outdir.Options{Command: "rolemine mine", Logger: env.Logger})
	if err != nil {
		return err
	}
	defer outDir.Close()
	if f.workers <= 0 {
		f.workers = runtime.GOMAXPROCS(0)
	}
	counter, err := backend.Select(f.backend, f.workers, env.Logger)
	if err != nil {
		return err
	}
	if c, ok := counter.(interface{ Close() error }); ok {
		defer c.Close()
	}
	prog := newProgress(env.Stderr)
	defer prog.done()
	var roles func(int32) bool
	if sharded {
		// A shard keeps only its own roles' assignments (docs/scale-out.md#shard-memory).
		in.keepRole = func(id string) bool { return shard.Of(id, spec.Count) == spec.Index }
		roles = func(r int32) bool { return in.keepRole(in.snap.Roles.IDs[r]) }
	}
	if err := loadSnapshot(ctx, f, in, prog, env.Logger); err != nil {
		return err
	}
	model, err := mineModel(ctx, f, in, counter, roles, prog)
	if err != nil {
		return err
	}
	info := report.RunInfo{Version: Version, Backend: counter.Name(), Workers: f.workers, Config: in.cfgName(f), Started: in.started,
		Plugins: pluginRecords(in.plugins)}
	if sharded {
		err = writeShard(ctx, outDir, fs, f, in, model, spec, info, env.Stdout)
	} else {
		err = finishRun(ctx, outDir, f, in, model, info, env, prog)
	}
	if err != nil {
		return err
	}
	return st.publish(ctx)
}

// check refuses, before anything is read, flags that cannot go together or lack a value
// the run needs; it returns the shard of a --shard run.
func (f *MineFlags) check(fs *flag.FlagSet) (spec shard.Spec, sharded bool, err error) {
	if f.previous == "" && given(fs, "grace") {
		return spec, false, uerr.New("mine: --grace given without --previous; expected --previous OUT_PREV, whose rules --grace keeps")
	}
	spec, sharded, err = shard.ParseSpec(f.shard, os.Getenv)
	if err != nil {
		return spec, false, uerr.New("mine: %w", err)
	}
	if sharded && f.truthDir != "" {
		return spec, false, uerr.New("mine: --truth scores a whole model: give it to `rolemine merge` of the shards, or to a run without --shard")
	}
	if f.data == "" || f.out == "" {
		return spec, false, uerr.New("mine: --data and --out are required")
	}
	if err := checkTruthDir("mine", f.truthDir, "rolemine gen", truthFiles...); err != nil {
		return spec, false, err
	}
	if f.truthDir != "" {
		if f.truthData, err = truth.DataFingerprint(f.truthDir); err != nil {
			return spec, false, err
		}
	}
	return spec, sharded, f.usage.check("mine")
}

// given says whether the flag name was set on the command line.
func given(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// checkConfigured checks, once the configuration is read and before any input is staged
// or loaded, the flags whose use depends on it: --grace (with --previous) and the plugin
// flags (when any plugin runs); then it compiles the plugins, the configuration's and the
// flags' (pluginFlags.compile), and returns them. With check, and the implicit rule's
// flags checked by the configuration's own validator (mineConfig), these are all the
// checks of mine's flags and configuration before any data is read.
func (f *MineFlags) checkConfigured(ctx context.Context, cfg *mining.Config, st *staging, logger *slog.Logger) ([]*plugins.Plugin, error) {
	if f.previous != "" && (f.grace < 0 || f.grace > 100) {
		return nil, uerr.New("mine: --grace %v: expected a percentage from 0 to 100", f.grace)
	}
	if err := f.plugins.check(len(cfg.Plugins)); err != nil {
		return nil, err
	}
	return f.plugins.compile(ctx, cfg, st, logger)
}

// mineModel mines the loaded snapshot (the roles for which roles is true, all when nil).
func mineModel(ctx context.Context, f *MineFlags, in *prepared, counter kernels.Backend, roles func(int32) bool, prog *progress) (*mining.Model, error) {
	// Neutral holders (role grants) are counted on the CPU: a device backend keeps one
	// matrix on the device, and would swap it for theirs on every batch.
	var neutral kernels.Backend
	if (in.eff != nil || in.usage != nil) && counter.Name() != "cpu" {
		neutral = cpu.New()
	}
	t := time.Now()
	phaseLabel(ctx, "mine")
	model, err := mining.Run(ctx, in.snap, in.cfg, mining.Options{
		Effective:      in.eff,
		NeutralBackend: neutral,
		Backend:        counter,
		Workers:        f.workers,
		Progress: func(mr, done, total int) {
			prog.update(done == total, "mining rule %d: %d/%d roles", mr+1, done, total)
		},
		Previous: in.prevModel,
		Roles:    roles,
		Usage:    in.usage,
	})
	if err != nil {
		return nil, err
	}
	in.phase("mine", t)
	crashpoint.Hit("mine:mined")
	if hp := os.Getenv("ROLEMINE_HEAPPROFILE"); hp != "" {
		if hf, err := os.Create(hp); err == nil {
			pprof.WriteHeapProfile(hf)
			hf.Close()
		}
	}
	return model, nil
}

// prepared is what a run holds before mining: the configuration, the previous model and
// (after loadSnapshot) the snapshot, with the phases timed so far.
type prepared struct {
	cfg     *mining.Config
	cfgText []byte
	// plugins are the configuration's and the flags' plugins, compiled (checkConfigured).
	plugins   []*plugins.Plugin
	prevModel *mining.Previous
	prevChurn []drift.ChurnRule
	prevFP    string
	snap      *columnar.Snapshot
	// keepRole, when set, selects the roles whose assignments loadSnapshot keeps (a
	// shard's).
	keepRole func(roleID string) bool
	// eff is the closure of role grants (nil without grants); effInfo its classification
	// (finishRun; nil for flat inputs).
	eff     *mining.Effective
	effInfo *report.Effective
	// usage is the usage state of every direct pair when a mining rule mines used access
	// only (usedOnlyStates); nil otherwise.
	usage   []lastused.State
	started time.Time
	phases  []report.Phase
}

func (in *prepared) phase(name string, start time.Time) {
	in.phases = append(in.phases, report.Phase{Name: name, Seconds: time.Since(start).Seconds()})
}

// cfgName names the configuration in summary.json and the report.
func (in *prepared) cfgName(f *MineFlags) string {
	if f.config != "" {
		return f.config
	}
	return "implicit"
}

// prepareConfig checks the output directory against the data, reads the configuration
// and the previous model, before any output is locked or data loaded.
func prepareConfig(ctx context.Context, cmd string, fs *flag.FlagSet, f *MineFlags, st *staging, logger *slog.Logger) (*prepared, error) {
	in := &prepared{started: time.Now()}
	var err error
	if in.cfg, in.cfgText, err = mineConfig(fs, f); err != nil {
		return nil, err
	}
	if in.plugins, err = f.checkConfigured(ctx, in.cfg, st, logger); err != nil {
		return nil, err
	}
	if outdir.IsURL(f.out) || outdir.IsURL(f.data) {
		if strings.TrimSuffix(f.out, "/") == strings.TrimSuffix(f.data, "/") {
			return nil, uerr.New("%s: --out %s is the --data location: choose a location of its own for the outputs", cmd, f.out)
		}
	} else if err := CheckOutDir(cmd, "out", f.out, "data", f.data); err != nil {
		return nil, err
	}
	if !outdir.IsURL(f.out) {
		// The truth's rules.json would be replaced by the model's before it is scored.
		if err := CheckOutDir(cmd, "out", f.out, "truth", f.truthDir); err != nil {
			return nil, err
		}
	}
	if err := st.stage(ctx, f); err != nil {
		return nil, err
	}
	// Stability: the previous model, read before anything is replaced (--previous may be
	// --out itself).
	if f.previous != "" {
		if in.prevModel, in.prevChurn, in.prevFP, err = loadPrevious(f.prevDir, f.previous, f.grace, pluginRecords(in.plugins), logger); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// notProduced returns the names no plugin declares as an output: the exclusions Load can
// apply, and warn about when the data lacks them. An exclusion of a plugin's output is
// applied once the plugins have run.
func notProduced(names []string, ps []*plugins.Plugin) []string {
	var out []string
	for _, n := range names {
		if !slices.ContainsFunc(ps, func(p *plugins.Plugin) bool { return slices.Contains(p.Manifest().Outputs, n) }) {
			out = append(out, n)
		}
	}
	return out
}

// loadSnapshot loads --data and applies the criterion plugins.
func loadSnapshot(ctx context.Context, f *MineFlags, in *prepared, prog *progress, logger *slog.Logger) error {
	t := time.Now()
	phaseLabel(ctx, "load")
	prog.update(true, "loading %s ...", f.data)
	// --exclude-dimension and the configuration's IsExcludedFromRoleMining dimensions.
	exclude := append(slices.Clone([]string(f.exclude)), in.cfg.ExcludedDimensions...)
	snap, err := columnar.Load(ctx, f.dataDir, columnar.LoadOptions{ExcludeDimensions: notProduced(exclude, in.plugins), Logger: logger, KeepRole: in.keepRole})
	if err != nil {
		return err
	}
	if outdir.IsURL(f.data) {
		inputsAt(snap, f.data)
	}
	in.snap = snap
	if err := checkTruthData("mine", f.truthDir, f.truthData, f.data, snap); err != nil {
		return err
	}
	warnUnmatchedCategories(in.cfg, &snap.Roles, logger)
	warnUnmatchedKinds(in.cfg, snap, logger)
	warnUnmatchedValidations(in.cfg, &snap.Roles, logger)
	warnAccountsWithoutFile(snap, logger)
	warnSystemsWithoutAccounts(snap, logger)
	if f.params, err = f.usage.params("mine", snap); err != nil {
		return err
	}
	in.phase("load", t)
	crashpoint.Hit("mine:loaded")

	t = time.Now()
	phaseLabel(ctx, "plugin")
	ran, err := applyPlugins(ctx, snap, in.plugins)
	if err != nil {
		return err
	}
	if ran {
		// Exclusions may name plugin outputs, which did not exist at load.
		snap.Exclude(exclude)
		in.phase("plugin", t)
	}

	// Effective privilege: the closure of role grants (nil without grants).
	t = time.Now()
	phaseLabel(ctx, "effective")
	if in.eff, err = mining.EffectiveOfEstimated(ctx, snap, f.workers, func(e mining.PairsEstimate) { warnLargeEffective(snap, e, logger) }); err != nil {
		return err
	}
	if in.eff != nil {
		in.phase("effective", t)
	}
	in.usage, err = usedOnlyStates(in.cfg, snap, f.params)
	return err
}

// warnLargeEffective warns, before the pairs are expanded, when role grants make the run
// much larger than its direct assignments (mining.PairsEstimate.Large): a broad group
// nested into thousands of roles, or chains thousands of roles deep, can hold gigabytes
// and write for hours, which the user should hear of at once rather than after
// (docs/effective-privilege.md#size).
func warnLargeEffective(snap *columnar.Snapshot, e mining.PairsEstimate, logger *slog.Logger) {
	if !e.Large() {
		return
	}
	args := []any{"direct_pairs", e.Direct, "effective_pairs_up_to", e.Pairs, "via_bytes_up_to", e.ViaBytes}
	if e.Top >= 0 {
		args = append(args, "largest_source", snap.Roles.IDs[e.Top], "its_direct_holders", e.TopHolders, "roles_it_reaches", e.TopReach)
	}
	logger.Warn("role grants make this run much larger than its direct assignments: every effective pair is held in memory (about 16 bytes each) and written (a row of assignments.parquet; review.csv a row with its via chain for each unexplained one); check the largest source's grants (docs/effective-privilege.md#size)", args...)
}

// warnAccountsWithoutFile warns when assignments name accounts (system, account_id) and
// the data has no accounts file: every such account is then absent from accounts, so its
// access is orphan unless the row also names an identity
// (docs/effective-privilege.md#inputs), which more likely means a lost export than data
// meant that way.
func warnAccountsWithoutFile(snap *columnar.Snapshot, logger *slog.Logger) {
	u := snap.Universe
	if u == nil || u.Accounts != nil || u.Findings.UnknownAccountAssignments == 0 {
		return
	}
	logger.Warn("assignments name accounts (system, account_id) but the data has no accounts file (accounts.parquet or accounts.csv): access granted to those accounts is orphan unless the row also names an identity",
		"rows", u.Findings.UnknownAccountAssignments)
}

// warnSystemsWithoutAccounts warns when orphan access is granted to accounts of systems
// the accounts file has no account of: each such system's access is then all orphan,
// which more likely means its accounts export was lost, or the system is spelt otherwise
// in the two files, than data meant that way (as warnAccountsWithoutFile says for the
// whole file). Accounts absent from a system the file has are left to the findings.
func warnSystemsWithoutAccounts(snap *columnar.Snapshot, logger *slog.Logger) {
	u := snap.Universe
	if u == nil || u.Accounts == nil || u.Findings.UnknownAccountAssignments == 0 {
		return
	}
	rows := map[string]int{}
	for k := range snap.Orphans {
		s := snap.Orphans[k].System
		if _, ok := slices.BinarySearch(u.Accounts.Systems, s); s != "" && !ok {
			rows[s]++
		}
	}
	if len(rows) == 0 {
		return
	}
	names := slices.Sorted(maps.Keys(rows))
	list := make([]string, 0, min(len(names), 5))
	for _, s := range names[:cap(list)] {
		list = append(list, fmt.Sprintf("%s (%d assignments)", s, rows[s]))
	}
	known := u.Accounts.Systems[:min(len(u.Accounts.Systems), 10)]
	logger.Warn("assignments name accounts of systems the accounts file has no account of: their access is orphan unless the row also names an identity; the system may be spelt otherwise in the two files, or its accounts export lost",
		"count", len(names), "systems", strings.Join(list, ", "), "accounts_systems", strings.Join(known, ", "))
}

// modelFiles are every file a mine run may write, the optional ones included, and a
// shard's two: a mine, shard or merge run stands for all of them, so one it does not
// write this time (the excess.csv of an earlier universe, the shard.json of an earlier
// shard) is not carried over beside the new model (docs/outputs.md#out-atomic).
var modelFiles = []string{
	report.RulesJSONFile, report.RulesParquetFile, report.RulesXMLFile, report.RolesJSONFile,
	report.AssignmentsParquetFile, report.SuggestionsParquetFile, report.SummaryJSONFile,
	drift.ChurnFile, report.ReviewCSVFile, report.SuggestionsCSVFile, report.ExcessCSVFile,
	report.OwnershipCSVFile, report.ReportHTMLFile, shard.File, shard.RunFile,
}

// finishRun classifies every assignment under model and commits every output file into
// outDir as one set, then prints what was mined (and, with --truth, its quality).
func finishRun(ctx context.Context, outDir *outdir.Dir, f *MineFlags, in *prepared, model *mining.Model, info report.RunInfo, env Env, prog *progress) error {
	snap := in.snap
	t := time.Now()
	phaseLabel(ctx, "classify")
	prog.update(true, "classifying assignments ...")
	// Mining's tables are garbage now: without a collection here classification and the
	// outputs would grow the heap into fresh pages (RATIONALE.md, "A collection between
	// mining and classification").
	release := collectKeepingGoal()
	defer release()
	cls, err := mining.ClassifyContext(ctx, snap, model, f.workers)
	if err != nil {
		return err
	}
	mining.ApplyUsedOnly(snap, model, cls, in.usage)
	if snap.Universe != nil {
		in.effInfo = &report.Effective{Eff: in.eff, Usage: f.params, UsedOnly: in.usage != nil, States: in.usage}
		if in.eff != nil {
			if in.effInfo.Class, err = mining.ClassifyEffectiveWorkers(ctx, snap, model, cls, in.eff, f.workers); err != nil {
				return err
			}
		}
	}
	in.phase("classify", t)
	crashpoint.Hit("mine:classified")

	t = time.Now()
	phaseLabel(ctx, "write")
	prog.update(true, "writing %s ...", f.out)
	// summary.json records the phases before writing; the write itself is printed below.
	info.Phases = in.phases
	info.Effective = in.effInfo
	// Model files and the people-facing files land together or not at all.
	set, err := outDir.Begin()
	if err != nil {
		return err
	}
	defer set.Abort()
	set.Replace(modelFiles...)
	closing := startClosing(f, in, model, cls)
	writing, reporting, err := writeOutputs(ctx, set, f, in, model, cls, info, env.Logger)
	if err != nil {
		return err
	}
	t = time.Now()
	end, err := closing()
	if err != nil {
		return fmt.Errorf("write %s: %w", drift.ChurnFile, err)
	}
	if err := writeChurn(set, end.churnJSON); err != nil {
		return fmt.Errorf("write outputs to %s: %w", f.out, err)
	}
	if err := set.Commit(); err != nil {
		return fmt.Errorf("write outputs to %s: %w", f.out, err)
	}
	// "write" is the model files, churn.json and the commit (fsync, rename); "report" the
	// HTML report and review exports.
	in.phases = append(in.phases,
		report.Phase{Name: "write", Seconds: (writing + time.Since(t)).Seconds()},
		report.Phase{Name: "report", Seconds: reporting.Seconds()})
	prog.done()
	printRun(env.Stdout, f, in, model, cls, end)
	if f.truthDir != "" {
		return printQuality(env.Stdout, f.truthDir, in, model, cls)
	}
	return nil
}

// writeOutputs writes the model files and the files for people (writeExtras) into set,
// and returns how long each took. The two run at the same time: each uses every core
// only part of the time (assignments.parquet and review.csv in parallel, the other files
// one goroutine each), and the first error cancels the other. With accounts or grants,
// the files for people that read the effective pairs wait for the walk that writes
// assignments.parquet (report.Effective.ExpectWrite) and read its results.
func writeOutputs(ctx context.Context, set *columnar.OutputSet, f *MineFlags, in *prepared, model *mining.Model, cls *mining.Classification, info report.RunInfo, logger *slog.Logger) (writing, reporting time.Duration, err error) {
	info.ShareSummary() // summary.json's figures, also report.html's
	writeModel := func(ctx context.Context) error {
		if err := report.WriteModelTo(ctx, set, in.snap, model, cls, info); err != nil {
			return fmt.Errorf("write outputs to %s: %w", f.out, err)
		}
		return nil
	}
	extras := func(ctx context.Context) error {
		phaseLabel(ctx, "report")
		if err := writeExtras(ctx, set, in.snap, model, cls, info, logger); err != nil {
			return fmt.Errorf("write report to %s: %w", f.out, err)
		}
		return nil
	}
	timed := func(ctx context.Context, d *time.Duration, fn func(context.Context) error) error {
		t := time.Now()
		defer func() { *d = time.Since(t) }()
		return fn(ctx)
	}
	if in.snap.Universe != nil && info.Effective == nil {
		// Both sides would walk the effective pairs: one after the other.
		if err := timed(ctx, &writing, writeModel); err != nil {
			return writing, 0, err
		}
		return writing, reporting, timed(ctx, &reporting, extras)
	}
	if in.snap.Universe != nil {
		info.Effective.ExpectWrite()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The report beside the model files; its failure, a panic (a bug) included, is its
	// error, as on the command's goroutine, and stops them.
	waitExtras := parallel.Start(cancel, func() error { return timed(ctx, &reporting, extras) })
	if err = timed(ctx, &writing, writeModel); err != nil {
		cancel()
	}
	extrasErr := waitExtras()
	if err == nil || (extrasErr != nil && errors.Is(err, context.Canceled)) {
		err = extrasErr // the model files stopped for the report's failure
	}
	return writing, reporting, err
}

// printQuality scores the model against planted truth.
func printQuality(stdout io.Writer, truthDir string, in *prepared, model *mining.Model, cls *mining.Classification) error {
	tr, err := truth.Load(truthDir)
	if err != nil {
		return err
	}
	q, err := truth.Score(in.snap, model, cls, tr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "quality against %s:\n%s", truthDir, q.String())
	ut, err := truth.LoadUniverse(truthDir)
	if err != nil {
		return err
	}
	if ut != nil && in.eff != nil {
		uq, err := truth.ScoreUniverse(in.snap, in.eff, in.effInfo.Class, ut)
		if err != nil {
			return err
		}
		if o := report.NHIOwnership(in.snap); o != nil && ut.Owners != nil {
			uq.PlantedOwners = ut.Owners
			uq.LoadedOwners = o
		}
		if ut.Incomplete != nil {
			uq.PlantedIncomplete, uq.PlantedGrantGap = ut.Incomplete, ut.GrantGap
			systems := report.SystemSummaries(in.snap, cls, in.effInfo)
			uq.Flagged = map[string]string{}
			for name, s := range systems {
				if s.PossiblyIncomplete {
					uq.Flagged[name] = s.Reason
				}
			}
			if g := ut.GrantGap; g != nil && systems[g.System] != nil {
				uq.GapSuggested = systems[g.System].Suggestions
			}
		}
		fmt.Fprint(stdout, uq.String())
	}
	return printUsageQuality(stdout, truthDir, in, cls)
}

// printRun prints the counts of a finished run and its phase times.
func printRun(stdout io.Writer, f *MineFlags, in *prepared, model *mining.Model, cls *mining.Classification, end *closingFigures) {
	snap := in.snap
	explained, unexplained, churn := end.explained, end.unexplained, end.churn
	covered := 0
	for _, o := range model.Outcomes {
		if o.MiningRule >= 0 {
			covered++
		}
	}
	fmt.Fprintf(stdout, "mined %d identities, %d roles, %d assignments in %.1fs\n",
		snap.NumIdentities(), snap.NumRoles(), len(snap.IdentIdx)+len(snap.Orphans), time.Since(in.started).Seconds())
	fmt.Fprintf(stdout, "  rules: %d (roles covered: %d of %d)\n", len(model.Rules), covered, snap.NumRoles())
	fmt.Fprintf(stdout, "  assignments: %d explained, %d unexplained, %d orphan; %d suggestions\n",
		explained, unexplained, len(snap.Orphans), len(cls.Suggestions))
	if in.eff != nil {
		printEffective(stdout, in.eff, in.effInfo.Class)
	}
	if f.params != nil {
		printUsage(stdout, f.params, report.UsageCounts(snap, cls, in.effInfo))
	}
	fmt.Fprintf(stdout, "  churn: %d added, %d removed, %d kept (Jaccard %.4f)\n",
		churn.Overall.Added, churn.Overall.Removed, churn.Overall.Kept, churn.Overall.Jaccard)
	for _, p := range in.phases {
		fmt.Fprintf(stdout, "  %-9s %7.3fs\n", p.Name, p.Seconds)
	}
	fmt.Fprintf(stdout, "outputs: %s (rules.json, rules.xml, roles.json, summary.json, ...)\n", displayPath(f.out))
}

// mineConfig reads --config, or builds the implicit mining rule from the override flags.
// Override flags together with --config are a usage error: the file is the configuration.
func mineConfig(fs *flag.FlagSet, f *MineFlags) (*mining.Config, []byte, error) {
	overrides := []string{"precision", "fp-max", "min-identities", "max-dimensions", "rule-type", "entity-type", "used-only"}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if f.config != "" {
		for _, o := range overrides {
			if set[o] {
				return nil, nil, uerr.New("mine: --%s applies to the implicit mining rule only; set it in %s instead", o, f.config)
			}
		}
		text, err := os.ReadFile(f.config)
		if err != nil {
			return nil, nil, uerr.WrapInput(fmt.Errorf("read mining configuration %s: %w", f.config, err))
		}
		cfg, err := mining.ParseConfig(f.config, text)
		return cfg, text, err
	}
	mr := mining.DefaultMiningRule()
	mr.PrecisionMin, mr.FalsePositiveMax = mining.PositiveZero(f.precision), mining.PositiveZero(f.fpMax)
	mr.MinIdentities, mr.MaxDimensions = f.minIdentities, f.maxDims
	mr.RuleType, mr.EntityType = mining.RuleType(f.ruleType), f.entityType
	mr.UsedOnly = f.usedOnly
	// The same checks as a <MiningRule> of a file, reported against the flag.
	if err := mr.Validate(); err != nil {
		var re *mining.RuleError
		if errors.As(err, &re) {
			if name := implicitRuleFlag(re.Attr); name != "" {
				return nil, nil, uerr.New("mine: --%s %s: %s", name, fs.Lookup(name).Value, re.Expected)
			}
		}
		return nil, nil, uerr.New("mine: implicit mining rule: %w", err)
	}
	// The text the configuration fingerprint hashes: every value the flags set, exactly.
	text := fmt.Appendf(nil, "implicit mining rule\nEntityType=%q\nPrecisionMinPercentage=%s\nFalsePositiveMaxPercentage=%s\nMinIdentitiesCount=%d\nMaxDimensions=%d\nRuleType=%d\n",
		mr.EntityType, strconv.FormatFloat(mr.PrecisionMin, 'g', -1, 64), strconv.FormatFloat(mr.FalsePositiveMax, 'g', -1, 64),
		mr.MinIdentities, mr.MaxDimensions, int(mr.RuleType))
	if mr.UsedOnly {
		// Only when set, so that the fingerprint of every earlier run stays the same.
		text = append(text, "UsedOnly=true\n"...)
	}
	return &mining.Config{MiningRules: []mining.MiningRule{mr}}, text, nil
}

// ruleTypeFlag is --rule-type: it reads its value as a <MiningRule> file reads RuleType
// (mining.ParseRuleType), so the flag and the file accept the same values
// (docs/config.md#config-implicit). String gives the number, which merge parses back.
type ruleTypeFlag struct{ v *int }

func (r ruleTypeFlag) String() string {
	if r.v == nil {
		return "0"
	}
	return strconv.Itoa(*r.v)
}

func (r ruleTypeFlag) Set(s string) error {
	t, err := mining.ParseRuleType(s)
	if err != nil {
		return err
	}
	*r.v = int(t)
	return nil
}

// implicitRuleFlag returns the flag that sets attribute attr of the implicit mining rule,
// or "".
func implicitRuleFlag(attr string) string {
	switch attr {
	case "PrecisionMinPercentage":
		return "precision"
	case "FalsePositiveMaxPercentage":
		return "fp-max"
	case "MinIdentitiesCount":
		return "min-identities"
	case "MaxDimensions":
		return "max-dimensions"
	case "RuleType":
		return "rule-type"
	case "EntityType":
		return "entity-type"
	case "UsedOnly":
		return "used-only"
	}
	return ""
}

// printEffective prints the effective pairs' line of the mine summary, from the counts
// the expansion and the effective classification kept (no pass over the pairs: at tier L
// they are tens of millions, and the line ends the run).
func printEffective(w io.Writer, eff *mining.Effective, ec *mining.EffectiveClassification) {
	p := eff.Pairs
	n := int64(len(p.Step))
	fmt.Fprintf(w, "  effective: %d pairs (%d explained, %d unexplained), %d inherited of which %d hidden (unexplained on roles with rules); %d redundant direct grants; %d grant cycles\n",
		n, ec.Explained, n-ec.Explained, p.ByKind[effective.Inherited], ec.NumHidden, p.ByKind[effective.Redundant], len(eff.Cycles))
}
