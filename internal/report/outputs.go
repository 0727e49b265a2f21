// Package report turns a mined model into what people read and other tools consume: the
// model outputs of docs/outputs.md (rules.json, rules.parquet, rules.xml, roles.json,
// assignments.parquet, suggestions.parquet, summary.json), the review exports
// (review.csv, suggestions.csv, excess.csv, ownership.csv), report.html with its drift and
// discovery sections, and the answers of `rolemine explain`. Drift's plan itself
// (remediation.csv, rules-health.json) is package drift's.
package report

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/parallel"
)

// RunInfo describes the run that produced a model, for summary.json.
type RunInfo struct {
	Version string
	Backend string
	Workers int
	Phases  []Phase
	// Config is the mining configuration's path, or "implicit".
	Config  string
	Started time.Time
	// Effective is the run's effective privilege; nil for flat inputs.
	Effective *Effective
	// Shards, set by `rolemine merge`, records the shard runs the model was joined from.
	Shards []ShardRun
	// Plugins are the criterion plugins the model was mined with (summary.json
	// "plugins"); nil when none ran.
	Plugins []model.PluginRecord
	// summary, set by ShareSummary, holds summary.json's figures once made.
	summary *sharedSummary
}

// ShareSummary makes the outputs written with i, or a copy of it, make summary.json's
// figures once between them (summaryOf): summary.json, and report.html through NewModel.
// They must then be written for one snapshot, model and classification.
func (i *RunInfo) ShareSummary() { i.summary = &sharedSummary{} }

// sharedSummary is summary.json's figures, made by the first output that needs them.
type sharedSummary struct {
	once sync.Once
	s    *summary
}

// summaryOf returns summary.json's figures: made once for all outputs of info after
// ShareSummary, else made afresh.
func summaryOf(snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, info RunInfo) *summary {
	sh := info.summary
	if sh == nil {
		return newSummary(snap, m, cls, info)
	}
	sh.once.Do(func() { sh.s = newSummary(snap, m, cls, info) })
	return sh.s
}

// ShardRun is one shard run of a merged model: which shard, how it was counted, and
// its phases.
type ShardRun struct {
	Index, Count int
	Backend      string
	Workers      int
	Phases       []Phase
}

// Phase is one timed phase of a run (load, mine, classify, write...).
type Phase struct {
	Name    string
	Seconds float64
}

// Output file names written by WriteModel (declared in package model).
const (
	RulesJSONFile          = model.RulesJSONFile
	RulesParquetFile       = model.RulesParquetFile
	RulesXMLFile           = model.RulesXMLFile
	RolesJSONFile          = model.RolesJSONFile
	AssignmentsParquetFile = model.AssignmentsParquetFile
	SuggestionsParquetFile = model.SuggestionsParquetFile
	SummaryJSONFile        = model.SummaryJSONFile
)

// WriteModel writes the model outputs of docs/outputs.md (all but report.html) into
// dir, all or nothing: every file goes to a temporary name and the files are renamed into
// place only once all of them are complete. On error (including ctx being cancelled), the
// previous files in dir are left untouched.
//
// Every output but summary.json is byte-identical for identical inputs.
func WriteModel(ctx context.Context, dir string, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, info RunInfo) error {
	set, err := columnar.NewOutputSet(dir)
	if err != nil {
		return err
	}
	defer set.Abort()
	if err := WriteModelTo(ctx, set, snap, m, cls, info); err != nil {
		return err
	}
	return set.Commit()
}

// WriteModelTo writes the model files of WriteModel into set without committing it, so
// that a caller can add more files (the HTML report, review exports) to the same
// all-or-nothing set.
func WriteModelTo(ctx context.Context, set *columnar.OutputSet, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, info RunInfo) error {
	dir := set.Dir()
	defer info.Effective.endWrite() // whatever happens (Effective.ExpectWrite)
	if err := checkInputs(snap, m, cls); err != nil {
		return fmt.Errorf("write model to %s: %w", dir, err)
	}
	var err error

	// The big file (assignments.parquet) uses every core; the small ones are written
	// beside it by one goroutine.
	small := []modelJob{
		{RulesJSONFile, func(_ context.Context, f *columnar.OutputFile) error {
			return writeRulesJSON(f, snap, m, ruleUsage(snap, m, cls, info.Effective))
		}},
		{RulesXMLFile, func(_ context.Context, f *columnar.OutputFile) error { return writeRulesXML(f, snap, m) }},
		{RulesParquetFile, func(_ context.Context, f *columnar.OutputFile) error {
			return writeRulesParquet(f, snap, m, info.Version)
		}},
		{RolesJSONFile, func(_ context.Context, f *columnar.OutputFile) error { return writeRolesJSON(f, snap, m) }},
		{SuggestionsParquetFile, func(ctx context.Context, f *columnar.OutputFile) error {
			return writeSuggestionsParquet(ctx, f, snap, m, cls, info.Version)
		}},
	}
	summary := modelJob{SummaryJSONFile, func(_ context.Context, f *columnar.OutputFile) error { return writeSummaryJSON(f, snap, m, cls, info) }}
	// With accounts or grants, the walk that writes assignments.parquet also counts the
	// pairs for summary.json, which is written right after it.
	universe := snap.Universe != nil && info.Effective != nil
	var summaryFile *columnar.OutputFile
	if !universe {
		small = append(small, summary)
	}
	big := modelJob{AssignmentsParquetFile, func(ctx context.Context, f *columnar.OutputFile) error {
		if !universe {
			return writeAssignmentsParquet(ctx, f, snap, m, cls, info.Version, runtime.GOMAXPROCS(0), rowGroupRows)
		}
		err := writeEffectiveAssignments(ctx, f, snap, m, cls, info.Effective, info.Version)
		info.Effective.endWrite() // the walk's publish ended the wait already, unless it failed
		if err != nil {
			return err
		}
		if err := summary.write(ctx, summaryFile); err != nil {
			return &fileError{summary.name, err}
		}
		return nil
	}}

	files := make([]*columnar.OutputFile, len(small)+1)
	for i, j := range append(small, big) {
		if files[i], err = set.Create(j.name); err != nil {
			return err
		}
	}
	if universe {
		if summaryFile, err = set.Create(summary.name); err != nil {
			return err
		}
	}
	if err := runModelJobs(ctx, small, big, files); err != nil {
		return fmt.Errorf("write model to %s: %w", dir, err)
	}
	return nil
}

// fileError is the failure to write one output file, named once.
type fileError struct {
	name string
	err  error
}

func (e *fileError) Error() string { return "write " + e.name + ": " + e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

// namedError names the file a job failed to write, unless the error already names one: the
// assignments job of a universe also writes summary.json, and its failure there is
// summary.json's, not assignments.parquet's.
func namedError(name string, err error) error {
	var fe *fileError
	if errors.As(err, &fe) {
		return err
	}
	return &fileError{name, err}
}

// modelJob writes one model file.
type modelJob struct {
	name  string
	write func(context.Context, *columnar.OutputFile) error
}

// runModelJobs writes the big file into the last of files while one goroutine writes
// the small ones, in order, into the others; it returns the first real failure rather
// than the cancellations it caused.
func runModelJobs(ctx context.Context, small []modelJob, big modelJob, files []*columnar.OutputFile) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The small files one after the other (together they are a fraction of the
	// assignments); their failure stops the big one (parallel.Start).
	waitSmall := parallel.Start(cancel, func() error {
		for i, j := range small {
			if err := ctx.Err(); err != nil {
				return err
			}
			// parallel.Call: a panic (a bug) is this job's error, named, not a crash.
			if err := parallel.Call(func() error { return j.write(ctx, files[i]) }); err != nil {
				return namedError(j.name, err)
			}
		}
		return nil
	})
	var errBig error
	if err := big.write(ctx, files[len(small)]); err != nil {
		errBig = namedError(big.name, err)
		cancel()
	}
	var first error
	for _, e := range []error{waitSmall(), errBig} {
		if e != nil && (first == nil || errors.Is(first, context.Canceled) && !errors.Is(e, context.Canceled)) {
			first = e
		}
	}
	return first
}

// checkInputs verifies the shapes WriteModel relies on, so that a mismatched model or
// classification is an error rather than a panic. Per-element checks of the big arrays
// happen while they are written.
func checkInputs(snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification) error {
	switch {
	case snap == nil:
		return errors.New("nil snapshot")
	case m == nil:
		return errors.New("nil model")
	case cls == nil:
		return errors.New("nil classification")
	}
	n := snap.NumIdentities()
	if len(snap.IdentOff) != n+1 {
		return fmt.Errorf("snapshot has %d identity offsets for %d identities, want %d", len(snap.IdentOff), n, n+1)
	}
	if snap.IdentOff[0] != 0 || snap.IdentOff[n] != int64(len(snap.IdentIdx)) {
		return fmt.Errorf("snapshot identity offsets span [%d,%d], want [0,%d]", snap.IdentOff[0], snap.IdentOff[n], len(snap.IdentIdx))
	}
	for i := range n {
		if snap.IdentOff[i] > snap.IdentOff[i+1] {
			return fmt.Errorf("snapshot identity offsets decrease at identity %d", i)
		}
	}
	if len(snap.RoleOff) != snap.NumRoles()+1 {
		return fmt.Errorf("snapshot has %d role offsets for %d roles, want %d", len(snap.RoleOff), snap.NumRoles(), snap.NumRoles()+1)
	}
	if snap.KindDim < 0 || snap.KindDim >= len(snap.Dims) || len(snap.Dims[snap.KindDim].Codes) != n {
		return fmt.Errorf("snapshot kind dimension %d is missing or has the wrong length", snap.KindDim)
	}
	for i, c := range snap.Dims[snap.KindDim].Codes {
		if c < 0 || int(c) >= len(snap.Dims[snap.KindDim].Values) {
			return fmt.Errorf("identity %d has kind code %d, want 0..%d", i, c, len(snap.Dims[snap.KindDim].Values)-1)
		}
	}
	if len(m.Outcomes) != snap.NumRoles() {
		return fmt.Errorf("model has %d role outcomes for %d roles", len(m.Outcomes), snap.NumRoles())
	}
	for k := range m.Outcomes {
		if int(m.Outcomes[k].Role) != k {
			return fmt.Errorf("model outcome %d is for role %d, want role order", k, m.Outcomes[k].Role)
		}
	}
	for k := range m.Rules {
		r := &m.Rules[k]
		if r.Role < 0 || int(r.Role) >= snap.NumRoles() {
			return fmt.Errorf("rule %d (%s) has role %d, want 0..%d", k, r.ID, r.Role, snap.NumRoles()-1)
		}
		if k > 0 && m.Rules[k-1].Role > r.Role {
			return fmt.Errorf("rule %d (%s) is out of role order", k, r.ID)
		}
		if r.Criterion.N < 1 || int(r.Criterion.N) > len(r.Criterion.T) {
			return fmt.Errorf("rule %d (%s) has %d terms, want 1..%d", k, r.ID, r.Criterion.N, len(r.Criterion.T))
		}
		for _, t := range r.Criterion.Terms() {
			if t.Dim < 0 || int(t.Dim) >= len(snap.Dims) || t.Val < 0 || int(t.Val) >= len(snap.Dims[t.Dim].Values) {
				return fmt.Errorf("rule %d (%s) has term (dimension %d, value %d) outside the snapshot", k, r.ID, t.Dim, t.Val)
			}
		}
	}
	if len(cls.RuleOf) != len(snap.IdentIdx) {
		return fmt.Errorf("classification has %d statuses for %d assignments", len(cls.RuleOf), len(snap.IdentIdx))
	}
	for k, s := range cls.Suggestions {
		if s.Identity < 0 || int(s.Identity) >= n || s.Role < 0 || int(s.Role) >= snap.NumRoles() || s.Rule < 0 || int(s.Rule) >= len(m.Rules) {
			return fmt.Errorf("suggestion %d (identity %d, role %d, rule %d) is outside the snapshot or model", k, s.Identity, s.Role, s.Rule)
		}
	}
	for k, o := range snap.Orphans {
		if o.Role < 0 || int(o.Role) >= snap.NumRoles() {
			return fmt.Errorf("orphan assignment %d (identity %s) has role %d, want 0..%d", k, o.IdentityID, o.Role, snap.NumRoles()-1)
		}
	}
	return nil
}

// miningRule returns mining rule k of the model's configuration, or nil.
func miningRule(m *mining.Model, k int) *mining.MiningRule {
	if m.Config == nil || k < 0 || k >= len(m.Config.MiningRules) {
		return nil
	}
	return &m.Config.MiningRules[k]
}

// str returns s[i], or "" when s is too short (optional role columns).
func str(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}
