package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/crashpoint"
	"github.com/rolemine/rolemine/internal/drift"
	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/outdir"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/uerr"
)

// mineFlags are the flags of `rolemine mine`.
type mineFlags struct {
	data, out, config, backend, truthDir string
	workers                              int
	exclude                              multiFlag
	// Overrides of the implicit mining rule (no --config).
	precision, fpMax                 float64
	minIdentities, maxDims, ruleType int
	entityType                       string
	cpuProfile                       string
	plugins                          *pluginFlags
	// Stability (stability.go): the previous output directory and the grace in
	// percentage points.
	previous string
	grace    float64
}

func cmdMine(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("mine", stderr)
	var f mineFlags
	def := mining.DefaultMiningRule()
	fs.StringVar(&f.data, "data", "", "data directory with identities, assignments and optionally roles (.parquet or .csv)")
	fs.StringVar(&f.out, "out", "", "output directory (files are replaced atomically)")
	fs.StringVar(&f.config, "config", "", "mining configuration (Netwrix <MiningRule> XML); default: one implicit mining rule")
	fs.StringVar(&f.backend, "backend", "auto", "counting backend: auto (CUDA when a usable GPU is present, else CPU), cpu or cuda")
	fs.IntVar(&f.workers, "workers", 0, "parallel workers (default: number of CPUs)")
	fs.Var(&f.exclude, "exclude-dimension", "attribute never used in criteria (repeatable)")
	fs.StringVar(&f.truthDir, "truth", "", "score the model against planted truth in this directory (rolemine gen's DIR/truth)")
	fs.Float64Var(&f.precision, "precision", def.PrecisionMin, "implicit rule: PrecisionMinPercentage")
	fs.Float64Var(&f.fpMax, "fp-max", def.FalsePositiveMax, "implicit rule: FalsePositiveMaxPercentage")
	fs.IntVar(&f.minIdentities, "min-identities", def.MinIdentities, "implicit rule: MinIdentitiesCount")
	fs.IntVar(&f.maxDims, "max-dimensions", def.MaxDimensions, "implicit rule: MaxDimensions (1-4)")
	fs.IntVar(&f.ruleType, "rule-type", int(def.RuleType), "implicit rule: RuleType (0 required, 1 requested automatically, 2 suggested)")
	fs.StringVar(&f.entityType, "entity-type", def.EntityType, `implicit rule: EntityType ("*", "nhi", or a comma list of kinds)`)
	f.plugins = registerPluginFlags(fs)
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of the run to this file")
	fs.StringVar(&f.previous, "previous", "", "previous output directory: keep its rules while they meet their bounds and stay within --grace of the best alternative; churn.json compares with it")
	fs.Float64Var(&f.grace, "grace", defaultGrace, "with --previous: percentage points of precision (100*(TP+TN)/n over the scope) a valid previous rule set may lose to the best alternative and still be kept")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return uerr.New("mine: --cpuprofile: %w", err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return fmt.Errorf("start CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if f.data == "" || f.out == "" {
		return uerr.New("mine: --data and --out are required")
	}
	cfg, err := mineConfig(fs, &f)
	if err != nil {
		return err
	}
	if err := checkOutDir("mine", "out", f.out, "data", f.data); err != nil {
		return err
	}
	// One writer at a time: the output directory's lock is held from here to the end.
	outDir, err := outdir.Open(f.out, outdir.Options{Command: "rolemine mine", Logger: logger})
	if err != nil {
		return err
	}
	defer outDir.Close()
	// Stability: the previous model, read before anything is replaced (--previous may be
	// --out itself).
	var prevModel *mining.Previous
	var prevChurn []drift.ChurnRule
	if f.previous != "" {
		if prevModel, prevChurn, err = loadPrevious(f.previous, f.grace); err != nil {
			return err
		}
	}
	if f.workers <= 0 {
		f.workers = runtime.GOMAXPROCS(0)
	}
	backend, err := selectBackendCUDA(f.backend, f.workers, logger)
	if err != nil {
		return err
	}
	if c, ok := backend.(interface{ Close() error }); ok {
		defer c.Close()
	}
	prog := newProgress(stderr)
	defer prog.done()
	var phases []report.Phase
	phase := func(name string, start time.Time) {
		phases = append(phases, report.Phase{Name: name, Seconds: time.Since(start).Seconds()})
	}
	started := time.Now()

	t := time.Now()
	prog.update(true, "loading %s ...", f.data)
	snap, err := columnar.Load(ctx, f.data, columnar.LoadOptions{ExcludeDimensions: f.exclude, Logger: logger})
	if err != nil {
		return err
	}
	phase("load", t)
	crashpoint.Hit("mine:loaded")

	t = time.Now()
	ran, err := applyPlugins(ctx, snap, cfg, f.plugins, logger)
	if err != nil {
		return err
	}
	if ran {
		// Exclusions may name plugin outputs, which did not exist at load.
		snap.Exclude(f.exclude)
		phase("plugin", t)
	}

	// Effective privilege: the closure of role grants (nil without grants).
	t = time.Now()
	eff, err := mining.EffectiveOf(ctx, snap)
	if err != nil {
		return err
	}
	if eff != nil {
		phase("effective", t)
	}

	t = time.Now()
	model, err := mining.Run(ctx, snap, cfg, mining.Options{
		Effective: eff,
		Backend:   backend,
		Workers:   f.workers,
		Progress: func(mr, done, total int) {
			prog.update(done == total, "mining rule %d: %d/%d roles", mr+1, done, total)
		},
		Previous: prevModel,
	})
	if err != nil {
		return err
	}
	phase("mine", t)
	crashpoint.Hit("mine:mined")
	if hp := os.Getenv("ROLEMINE_HEAPPROFILE"); hp != "" {
		if hf, err := os.Create(hp); err == nil {
			pprof.WriteHeapProfile(hf)
			hf.Close()
		}
	}

	t = time.Now()
	prog.update(true, "classifying assignments ...")
	cls, err := mining.ClassifyContext(ctx, snap, model, f.workers)
	if err != nil {
		return err
	}
	var effInfo *report.Effective
	if snap.Universe != nil {
		effInfo = &report.Effective{Eff: eff}
		if eff != nil {
			if effInfo.Class, err = mining.ClassifyEffective(ctx, snap, model, cls, eff); err != nil {
				return err
			}
		}
	}
	phase("classify", t)
	crashpoint.Hit("mine:classified")

	t = time.Now()
	prog.update(true, "writing %s ...", f.out)
	cfgName := "implicit"
	if f.config != "" {
		cfgName = f.config
	}
	info := report.RunInfo{Version: version, Backend: backend.Name(), Workers: f.workers, Config: cfgName, Started: started}
	// summary.json records the phases before writing; the write itself is printed below.
	info.Phases = phases
	info.Effective = effInfo
	// Model files and the people-facing files land together or not at all.
	set, err := outDir.Begin()
	if err != nil {
		return err
	}
	defer set.Abort()
	if err := report.WriteModelTo(ctx, set, snap, model, cls, info); err != nil {
		return fmt.Errorf("write outputs to %s: %w", f.out, err)
	}
	writing := time.Since(t)
	t = time.Now()
	if err := writeExtras(ctx, set, snap, model, cls, info); err != nil {
		return fmt.Errorf("write report to %s: %w", f.out, err)
	}
	reporting := time.Since(t)
	t = time.Now()
	// churn.json: rules added, removed and kept against --previous (all new without it).
	churn := drift.ComputeChurn(f.previous, prevChurn, churnRules(snap, model), f.grace)
	if f.previous == "" {
		churn.Grace = 0
	}
	if err := writeChurn(set, churn); err != nil {
		return fmt.Errorf("write outputs to %s: %w", f.out, err)
	}
	if err := set.Commit(); err != nil {
		return fmt.Errorf("write outputs to %s: %w", f.out, err)
	}
	// "write" is the model files, churn.json and the commit (fsync, rename); "report" the
	// HTML report and review exports.
	phases = append(phases,
		report.Phase{Name: "write", Seconds: (writing + time.Since(t)).Seconds()},
		report.Phase{Name: "report", Seconds: reporting.Seconds()})
	prog.done()

	explained, unexplained := 0, 0
	for k := range cls.RuleOf {
		if cls.RuleOf[k] >= 0 {
			explained++
		} else {
			unexplained++
		}
	}
	covered := 0
	for _, o := range model.Outcomes {
		if o.MiningRule >= 0 {
			covered++
		}
	}
	fmt.Fprintf(stdout, "mined %d identities, %d roles, %d assignments in %.1fs\n",
		snap.NumIdentities(), snap.NumRoles(), len(snap.IdentIdx)+len(snap.Orphans), time.Since(started).Seconds())
	fmt.Fprintf(stdout, "  rules: %d (roles covered: %d of %d)\n", len(model.Rules), covered, snap.NumRoles())
	fmt.Fprintf(stdout, "  assignments: %d explained, %d unexplained, %d orphan; %d suggestions\n",
		explained, unexplained, len(snap.Orphans), len(cls.Suggestions))
	if eff != nil {
		printEffective(stdout, eff, effInfo.Class)
	}
	fmt.Fprintf(stdout, "  churn: %d added, %d removed, %d kept (Jaccard %.4f)\n",
		churn.Overall.Added, churn.Overall.Removed, churn.Overall.Kept, churn.Overall.Jaccard)
	for _, p := range phases {
		fmt.Fprintf(stdout, "  %-9s %7.3fs\n", p.Name, p.Seconds)
	}
	abs, _ := filepath.Abs(f.out)
	fmt.Fprintf(stdout, "outputs: %s (rules.json, rules.xml, roles.json, summary.json, ...)\n", abs)

	if f.truthDir != "" {
		tr, err := truth.Load(f.truthDir)
		if err != nil {
			return err
		}
		q, err := truth.Score(snap, model, cls, tr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "quality against %s:\n%s", f.truthDir, q.String())
		ut, err := truth.LoadUniverse(f.truthDir)
		if err != nil {
			return err
		}
		if ut != nil && eff != nil {
			uq, err := truth.ScoreUniverse(snap, eff, effInfo.Class, ut)
			if err != nil {
				return err
			}
			fmt.Fprint(stdout, uq.String())
		}
	}
	return nil
}

// mineConfig reads --config, or builds the implicit mining rule from the override flags.
// Override flags together with --config are a usage error: the file is the configuration.
func mineConfig(fs *flag.FlagSet, f *mineFlags) (*mining.Config, error) {
	overrides := []string{"precision", "fp-max", "min-identities", "max-dimensions", "rule-type", "entity-type"}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if f.config != "" {
		for _, o := range overrides {
			if set[o] {
				return nil, uerr.New("mine: --%s applies to the implicit mining rule only; set it in %s instead", o, f.config)
			}
		}
		return mining.ParseConfigFile(f.config)
	}
	mr := mining.DefaultMiningRule()
	mr.PrecisionMin, mr.FalsePositiveMax = f.precision, f.fpMax
	mr.MinIdentities, mr.MaxDimensions = f.minIdentities, f.maxDims
	mr.RuleType, mr.EntityType = mining.RuleType(f.ruleType), f.entityType
	// Validate through the parser so that flags get the same checks as a file.
	doc := fmt.Sprintf(`<MiningRule EntityType=%q PrecisionMinPercentage="%g" FalsePositiveMaxPercentage="%g" MinIdentitiesCount="%d" MaxDimensions="%d" RuleType="%d"/>`,
		mr.EntityType, mr.PrecisionMin, mr.FalsePositiveMax, mr.MinIdentities, mr.MaxDimensions, int(mr.RuleType))
	cfg, err := mining.ParseConfig("implicit mining rule (command-line flags)", []byte(doc))
	if err != nil {
		return nil, err
	}
	cfg.Path = ""
	cfg.MiningRules[0].Line = 0
	return cfg, nil
}

// printEffective prints the effective pairs' line of the mine summary.
func printEffective(w io.Writer, eff *mining.Effective, ec *mining.EffectiveClassification) {
	var inherited, hidden, redundant, explained int
	for k, kind := range eff.Pairs.Kind {
		switch kind {
		case effective.Inherited:
			inherited++
		case effective.Redundant:
			redundant++
		}
		if ec.Hidden[k] {
			hidden++
		}
		if ec.Status[k] == mining.Explained {
			explained++
		}
	}
	fmt.Fprintf(w, "  effective: %d pairs (%d explained, %d unexplained), %d inherited of which %d hidden (unexplained on roles with rules); %d redundant direct grants; %d grant cycles\n",
		len(eff.Pairs.Kind), explained, len(eff.Pairs.Kind)-explained, inherited, hidden, redundant, len(eff.Cycles))
}
