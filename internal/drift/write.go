package drift

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	ondisk "github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/safecsv"
	"github.com/rolemine/rolemine/internal/uerr"
	"github.com/rolemine/rolemine/internal/usage"
)

// Output file names.
const (
	RemediationFile = ondisk.DriftRemediationFile
	HealthFile      = ondisk.DriftHealthFile
	SummaryFile     = ondisk.DriftSummaryFile
)

// RemediationHeader is the header row of remediation.csv.
var RemediationHeader = []string{"action", "identity_id", "kind", "role_id", "rule_id", "rule_type", "criterion", "change"}

// WriteRemediation writes actions as remediation.csv.
func WriteRemediation(w io.Writer, actions []Action) error {
	cw := safecsv.NewWriter(w)
	if err := cw.Write(RemediationHeader); err != nil {
		return err
	}
	rec := make([]string, len(RemediationHeader))
	for _, a := range actions {
		rec = append(rec[:0], a.Type, a.IdentityID, a.Kind, a.RoleID, a.RuleID, a.RuleType, a.Criterion, a.Change)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Write writes remediation.csv, rules-health.json and summary.json into dir, all or
// nothing: a run interrupted (ctx cancelled) before the commit leaves dir as it was.
func Write(ctx context.Context, dir string, res *Result) error {
	set, err := columnar.NewOutputSet(dir)
	if err != nil {
		return err
	}
	defer set.Abort()
	jsonTo := func(v any) func(io.Writer) error {
		return func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", " ")
			return enc.Encode(v)
		}
	}
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{RemediationFile, func(w io.Writer) error { return WriteRemediation(w, res.Actions) }},
		{HealthFile, jsonTo(&ondisk.DriftHealth{Format: HealthFormat, BoundsSource: res.Summary.BoundsSource, Rules: res.Health})},
		{SummaryFile, jsonTo(&res.Summary)},
	} {
		of, err := set.Create(f.name)
		if err != nil {
			return err
		}
		if err := f.write(of); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, f.name), err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return set.Commit()
}

// RunOptions are `rolemine drift`'s inputs.
type RunOptions struct {
	// Model is the output directory of `rolemine mine`; Data the new snapshot;
	// PreviousData (optional) the snapshot the model was mined from; Out the directory
	// to write.
	Model, Data, PreviousData, Out string
	// ConfigPath is the mining configuration the model was mined with. Empty: the path
	// recorded in the model's summary.json if it still exists, else the implicit mining
	// rule's bounds.
	ConfigPath string
	Workers    int
	Logger     *slog.Logger
	// Usage returns the usage parameters for the new snapshot (nil: no revoke-unused
	// actions); nil means none.
	Usage func(*columnar.Snapshot) (*usage.Params, error)
	// Derive, when set, adds the attributes of the criterion plugins the model was mined
	// with to each snapshot loaded (the new one, then the previous one).
	Derive func(context.Context, *columnar.Snapshot) error
	// Given, when set, holds the locations as given on the command line (object-storage
	// URLs) of Model, Data and PreviousData, which are then local copies of them:
	// summary.json names the given ones.
	Given *Locations
	// CheckModel, when set, is called with the model once it is read, before any data is
	// loaded: an error stops the run with nothing written (the plugins' check).
	CheckModel func(*report.Model) error
	// CheckNext, when set, is called with the new snapshot once it is loaded, before any
	// work on it: an error stops the run with nothing written (drift --truth's data check).
	CheckNext func(*columnar.Snapshot) error
	// Progress, when set, is told each step as it starts (the progress line on a
	// terminal).
	Progress func(step string)
}

// step tells o.Progress that step starts.
func (o *RunOptions) step(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(fmt.Sprintf(format, args...))
	}
}

// Locations are the model and data directories of a drift run as given.
type Locations struct{ Model, Data, PreviousData string }

// named returns how summary.json names the model and the snapshots.
func (o *RunOptions) named() (model, data, previous string) {
	if g := o.Given; g != nil {
		return g.Model, g.Data, g.PreviousData
	}
	return o.Model, o.Data, o.PreviousData
}

// readModel reads the model files of o.Model and runs o.CheckModel on them.
func (o *RunOptions) readModel() (*report.Model, error) {
	model, err := report.ReadModel(o.Model)
	if err != nil {
		return nil, err
	}
	if o.CheckModel != nil {
		if err := o.CheckModel(model); err != nil {
			return nil, err
		}
	}
	return model, nil
}

// Run loads the model and the snapshots, holds the model against the new snapshot and
// writes the results.
func Run(ctx context.Context, o RunOptions) (*Result, error) {
	t0 := time.Now()
	if o.Model == "" || o.Data == "" || o.Out == "" {
		return nil, uerr.New("drift: --model, --data and --out are required")
	}
	model, err := o.readModel()
	if err != nil {
		return nil, err
	}
	cfg, source, err := boundsConfig(o.ConfigPath, model)
	if err != nil {
		return nil, err
	}
	o.step("loading %s ...", o.Data)
	next, prev, err := o.loadSnapshots(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkInputsKept(model, next, o.Model, o.Data); err != nil {
		return nil, err
	}
	if o.CheckNext != nil {
		if err := o.CheckNext(next); err != nil {
			return nil, err
		}
	}
	if prev != nil {
		// The previous snapshot must be the model's own data; the new one may differ.
		if err := model.CheckMinedFrom(prev, o.Model, o.PreviousData); err != nil {
			return nil, err
		}
	}
	// load and plugin, as mine's phases; the usage parameters and the baseline are timed
	// with load.
	phases := []Phase{{Name: "load", Seconds: time.Since(t0).Seconds()}}
	if o.Derive != nil {
		tp := time.Now()
		for _, snap := range []*columnar.Snapshot{next, prev} {
			if snap == nil {
				continue
			}
			if err := o.Derive(ctx, snap); err != nil {
				return nil, err
			}
		}
		phases = append(phases, Phase{Name: "plugin", Seconds: time.Since(tp).Seconds()})
	}
	tb := time.Now()
	base := Baseline{Previous: prev}
	if prev == nil {
		p := filepath.Join(o.Model, report.AssignmentsParquetFile)
		if _, err := os.Stat(p); err == nil {
			base.PreviousAssignments = p
		}
	}
	opts := Options{Config: cfg, BoundsSource: source, Workers: o.Workers, Logger: o.Logger}
	if o.Usage != nil {
		if opts.Usage, err = o.Usage(next); err != nil {
			return nil, err
		}
	}
	phases[0].Seconds += time.Since(tb).Seconds()
	o.step("holding the model against %s ...", o.Data)
	res, err := Compute(ctx, model, next, base, opts)
	if err != nil {
		return nil, err
	}
	res.Summary.Model, res.Summary.Data, res.Summary.PreviousData = o.named()
	res.Summary.BoundsSource = source
	res.Summary.Phases = append(phases, res.Summary.Phases...)
	tw := time.Now()
	o.step("writing %s ...", o.Out)
	if err := Write(ctx, o.Out, res); err != nil {
		return nil, err
	}
	res.Summary.Phases = append(res.Summary.Phases, Phase{Name: "write", Seconds: time.Since(tw).Seconds()})
	return res, nil
}

// inputsKept are the optional inputs a new snapshot must have when the model had them.
var inputsKept = []string{"accounts", "attributes"}

// checkInputsKept returns a user error naming each input file the model was mined with
// (summary.json's inputs) that the new snapshot in dataDir lacks, among those the model
// cannot be held without (inputsKept): without its accounts, every grant to an account
// would be orphan; without its attributes, rules on them match nobody. A snapshot that
// lost such a file is an export gone wrong, not drift. roles and role_grants may come and
// go: a nesting removed is a business change (docs/cli.md#rolemine-drift). The attributes
// may also come as list columns of identities.parquet (hasListColumns): the same data in
// another form.
func checkInputsKept(model *report.Model, next *columnar.Snapshot, modelDir, dataDir string) error {
	if model.Summary == nil {
		return nil
	}
	have := map[string]bool{}
	for _, in := range next.Inputs {
		have[in.Name] = true
	}
	var missing []string
	for _, in := range model.Summary.Inputs {
		if !slices.Contains(inputsKept, in.Name) || have[in.Name] || slices.Contains(missing, in.Name) {
			continue
		}
		if in.Name == "attributes" && hasListColumns(next) {
			continue
		}
		missing = append(missing, in.Name)
	}
	if len(missing) == 0 {
		return nil
	}
	for i, name := range missing {
		missing[i] = fmt.Sprintf("%s (expected %s.parquet or %s.csv)", name, name, name)
	}
	return uerr.New("drift: the model in %s was mined with input files the data in %s lacks: %s; give the new snapshot the same input files",
		modelDir, dataDir, strings.Join(missing, ", "))
}

// hasListColumns reports whether the identities of snap, as loaded and before any plugin
// runs, have a multi-valued attribute: without an attributes file, only a list column of
// identities.parquet makes one.
func hasListColumns(snap *columnar.Snapshot) bool {
	return slices.ContainsFunc(snap.Dims, func(d columnar.Dimension) bool { return d.MultiOff != nil })
}

// loadSnapshots loads the new snapshot and, when named, the previous one, concurrently:
// the new one on a goroutine of its own (parallel.Start), the previous one on the caller's.
func (o *RunOptions) loadSnapshots(ctx context.Context) (next, prev *columnar.Snapshot, err error) {
	waitNext := parallel.Start(nil, func() (err error) {
		next, err = columnar.Load(ctx, o.Data, columnar.LoadOptions{Logger: o.Logger})
		return err
	})
	var errPrev error
	if o.PreviousData != "" {
		prev, errPrev = columnar.Load(ctx, o.PreviousData, columnar.LoadOptions{Logger: o.Logger})
	}
	errNext := waitNext() // before next is read
	return next, prev, errors.Join(errNext, errPrev)
}

// boundsConfig finds the mining configuration whose bounds rules are held to.
func boundsConfig(path string, model *report.Model) (*mining.Config, string, error) {
	if path != "" {
		cfg, err := mining.ParseConfigFile(path)
		if err != nil {
			return nil, "", err
		}
		return cfg, path, nil
	}
	if p := model.Summary.Config; p != "" && p != "implicit" {
		if _, err := os.Stat(p); err == nil {
			cfg, err := mining.ParseConfigFile(p)
			if err != nil {
				return nil, "", err
			}
			return cfg, p + " (from the model's summary.json)", nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("drift: read %s: %w", p, err)
		}
		return nil, "", uerr.New("drift: the model was mined with %s, which no longer exists; pass --config", p)
	}
	return implicitBounds(model.Summary.MiningRules)
}

// implicitBounds returns the implicit mining rule with the bounds the model's summary.json
// records for it (the implicit-rule flags of mine), or nil, meaning the implicit rule's
// defaults, for a model written before they were recorded.
func implicitBounds(mrs []ondisk.MiningRuleSummary) (*mining.Config, string, error) {
	mr := mining.DefaultMiningRule()
	source := "implicit mining rule (PrecisionMinPercentage %s, FalsePositiveMaxPercentage %s, MinIdentitiesCount %d)%s"
	if len(mrs) != 1 || mrs[0].PrecisionMinPct == nil || mrs[0].FalsePositiveMaxPct == nil || mrs[0].MinIdentities == nil {
		return nil, fmt.Sprintf(source, fmtPct(mr.PrecisionMin), fmtPct(mr.FalsePositiveMax), mr.MinIdentities,
			"; pass --config if the model was mined with other bounds"), nil
	}
	mr.PrecisionMin, mr.FalsePositiveMax, mr.MinIdentities = *mrs[0].PrecisionMinPct, *mrs[0].FalsePositiveMaxPct, *mrs[0].MinIdentities
	cfg := &mining.Config{MiningRules: []mining.MiningRule{mr}}
	return cfg, fmt.Sprintf(source, fmtPct(mr.PrecisionMin), fmtPct(mr.FalsePositiveMax), mr.MinIdentities,
		", as the model's summary.json records it"), nil
}
