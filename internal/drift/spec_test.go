package drift

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/spectest"
	"github.com/rolemine/rolemine/internal/usage"
)

// TestSpec runs testdata/spec, the drift case file of docs/semantics.md section 8
// (docs/README.md#case-files). Commands:
//
//	data name=NAME            a data block (internal/spectest) saved as snapshot NAME
//	mine data=NAME [as=MODEL] [previous=PREV]
//	                          a mining configuration (empty: the implicit rule); writes the
//	                          model files of NAME into directory MODEL (default "model");
//	                          previous=PREV mines as `mine --previous PREV` does (grace 5)
//	drift data=NAME [model=MODEL] [previous=NAME] [config=MODEL] [baseline=none]
//	                          config=MODEL passes the configuration `mine as=MODEL` used
//	                          as --config; baseline=none removes the model's
//	                          assignments.parquet first
//	----
//	ACTION IDENTITY KIND ROLE CRITERION | CHANGE     (remediation.csv, rule ids left out)
//	health ROLE CRITERION support=.. tp=.. fp=.. fp%=.. role n=.. TP=.. FP=.. FN=.. TN=..
//	       precision=..% fp%=..% bounds=PREC/FPMAX/MIN: ok | degraded: FAILURES
//	assignments ...                                  (summary.json's accounting)
//	churn from=MODEL to=MODEL                        rules added, removed and kept, by role
//
// drift runs drift.Run on the files, as `rolemine drift` does.
func TestSpec(t *testing.T) {
	datadriven.Walk(t, "testdata/spec", func(t *testing.T, path string) {
		dir := t.TempDir()
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			out, err := runSpec(t, td, dir)
			if err != nil {
				out = fmt.Sprintf("error: %v\n", err)
			}
			return spectest.Patterns(td.Expected, out)
		})
	})
}

func arg(t *testing.T, td *datadriven.TestData, key, def string) string {
	if !td.HasArg(key) {
		return def
	}
	var v string
	td.ScanArgs(t, key, &v)
	return v
}

func runSpec(t *testing.T, td *datadriven.TestData, dir string) (string, error) {
	ctx := context.Background()
	switch td.Cmd {
	case "data":
		name := arg(t, td, "name", "")
		snap, err := spectest.Load(ctx, td.Input, filepath.Join(dir, "data", name), nil)
		if err != nil {
			return "", err
		}
		return spectest.Describe(snap), nil
	case "mine":
		return specMine(ctx, t, td, dir)
	case "drift":
		o := RunOptions{
			Model: filepath.Join(dir, arg(t, td, "model", "model")),
			Data:  filepath.Join(dir, "data", arg(t, td, "data", "")),
			Out:   filepath.Join(dir, "out"), Workers: 2,
		}
		if p := arg(t, td, "previous", ""); p != "" {
			o.PreviousData = filepath.Join(dir, "data", p)
		}
		if c := arg(t, td, "config", ""); c != "" {
			o.ConfigPath = filepath.Join(dir, c+".xml") // the configuration `mine as=c` used
		}
		o.Usage = specUsage
		if arg(t, td, "baseline", "") == "none" {
			os.Remove(filepath.Join(o.Model, report.AssignmentsParquetFile))
		}
		res, err := Run(ctx, o)
		if err != nil {
			return "", err
		}
		return formatDrift(res), nil
	case "churn":
		from, err := report.ReadModel(filepath.Join(dir, arg(t, td, "from", "")))
		if err != nil {
			return "", err
		}
		to, err := report.ReadModel(filepath.Join(dir, arg(t, td, "to", "")))
		if err != nil {
			return "", err
		}
		return formatChurn(ComputeChurn("", churnRules(from), churnRules(to), 1)), nil
	}
	td.Fatalf(t, "unknown command %q", td.Cmd)
	return "", nil
}

// specMine mines snapshot data= and writes its model files, as `rolemine mine` does.
func specMine(ctx context.Context, t *testing.T, td *datadriven.TestData, dir string) (string, error) {
	data := filepath.Join(dir, "data", arg(t, td, "data", ""))
	snap, err := columnar.Load(ctx, data, columnar.LoadOptions{})
	if err != nil {
		return "", err
	}
	cfg := &mining.Config{MiningRules: []mining.MiningRule{mining.DefaultMiningRule()}}
	cfgName := "implicit"
	if strings.TrimSpace(td.Input) != "" {
		cfgName = filepath.Join(dir, arg(t, td, "as", "model")+".xml")
		if err := os.WriteFile(cfgName, []byte(td.Input+"\n"), 0o644); err != nil {
			return "", err
		}
		if cfg, err = mining.ParseConfigFile(cfgName); err != nil {
			return "", err
		}
	}
	p, _ := specUsage(snap)
	var states []usage.State
	if p != nil && cfg.UsedOnlyApplies() {
		states = report.DirectUsage(snap, p)
	}
	// With role grants, mine as `rolemine mine` does: neutral inherited holders, and the
	// inherited pairs in assignments.parquet.
	eff, err := mining.EffectiveOfWorkers(ctx, snap, 2)
	if err != nil {
		return "", err
	}
	prev, err := specPrevious(dir, arg(t, td, "previous", ""))
	if err != nil {
		return "", err
	}
	m, err := mining.Run(ctx, snap, cfg, mining.Options{Backend: cpu.New(), Workers: 2, Usage: states, Effective: eff, Previous: prev})
	if err != nil {
		return "", err
	}
	cls := mining.Classify(snap, m)
	mining.ApplyUsedOnly(snap, m, cls, states)
	info := report.RunInfo{Version: "spec", Backend: "cpu", Workers: 2, Config: cfgName, Started: time.Unix(0, 0).UTC()}
	if snap.Universe != nil {
		info.Effective = &report.Effective{Eff: eff, Usage: p, UsedOnly: states != nil, States: states}
		if eff != nil {
			if info.Effective.Class, err = mining.ClassifyEffectiveWorkers(ctx, snap, m, cls, eff, 2); err != nil {
				return "", err
			}
		}
	}
	if err := report.WriteModel(ctx, filepath.Join(dir, arg(t, td, "as", "model")), snap, m, cls, info); err != nil {
		return "", err
	}
	var b strings.Builder
	for _, r := range m.Rules {
		fmt.Fprintf(&b, "%s %s %s %s\n", snap.Roles.IDs[r.Role], r.Type, r.EntityType, mining.CriterionString(snap, r.Criterion))
	}
	for i := range snap.IdentityIDs {
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			if cls.UnusedAt(int(k)) {
				fmt.Fprintf(&b, "unexplained (unused) %s %s\n", snap.IdentityIDs[i], snap.Roles.IDs[snap.IdentIdx[k]])
			}
		}
	}
	return b.String(), nil
}

// specPrevious reads model directory name (under dir) as `mine --previous` does, with
// the default grace of 5; nil when name is empty.
func specPrevious(dir, name string) (*mining.Previous, error) {
	if name == "" {
		return nil, nil
	}
	m, err := report.ReadModel(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	prev := &mining.Previous{Rules: map[string][]mining.PreviousRule{}, Grace: 5}
	for _, rec := range m.Rules {
		pr := mining.PreviousRule{EntityType: rec.EntityType}
		for _, c := range rec.Criteria {
			pr.Terms = append(pr.Terms, mining.PreviousTerm{Attribute: c.Attribute, Value: c.Value})
		}
		prev.Rules[rec.RoleID] = append(prev.Rules[rec.RoleID], pr)
	}
	return prev, nil
}

// specUsage judges usage as mine and drift do by default: as of the newest last_used,
// unused after 90 days; nil for data without a last_used column.
func specUsage(s *columnar.Snapshot) (*usage.Params, error) {
	if s.Universe == nil || s.Universe.LastUsed == nil {
		return nil, nil
	}
	asOf, _ := report.DefaultAsOf(s)
	return &usage.Params{AsOf: asOf, UnusedDays: usage.DefaultUnusedDays}, nil
}

// formatDrift prints remediation.csv (without rule ids), each rule's health and the
// accounting of the new snapshot's assignments.
func formatDrift(res *Result) string {
	var b strings.Builder
	for _, a := range res.Actions {
		fmt.Fprintf(&b, "%s %s %s %s", a.Type, a.IdentityID, orNone(a.Kind), a.RoleID)
		if a.Criterion != "" {
			fmt.Fprintf(&b, " %s", strings.ReplaceAll(a.Criterion, " & ", "&"))
		}
		if a.Change != "" {
			fmt.Fprintf(&b, " | %s", a.Change)
		}
		b.WriteString("\n")
	}
	for _, h := range res.Health {
		r := h.Role
		fmt.Fprintf(&b, "health %s %s support=%d tp=%d fp=%d fp%%=%s role n=%d TP=%d FP=%d FN=%d TN=%d precision=%s%% fp%%=%s%% bounds=%s/%s/%d: ",
			h.RoleID, strings.ReplaceAll(h.Criterion, " & ", "&"), h.Support, h.TP, h.FP, fmtPct(h.FalsePositivePct),
			r.N, r.TP, r.FP, r.FN, r.TN, fmtPct(r.PrecisionPct), fmtPct(r.FalsePositivePct),
			fmtPct(h.Bounds.PrecisionMinPct), fmtPct(h.Bounds.FalsePositiveMaxPct), h.Bounds.MinIdentities)
		if h.Degraded {
			fmt.Fprintf(&b, "degraded: %s\n", strings.Join(h.Failures, "; "))
		} else {
			b.WriteString("ok\n")
		}
	}
	a := &res.Summary.Assignments
	fmt.Fprintf(&b, "assignments total=%d explained=%d unexplained=%d orphans=%d revoke=%d new=%d still=%d no_baseline=%d no_action=%s%%\n",
		a.Total, a.Explained, a.Unexplained, a.Orphans, a.RevokeCandidates, a.New, a.StillUnexplained, a.Unknown, fmtPct(a.NoActionPct))
	if a.Unused > 0 {
		fmt.Fprintf(&b, "unused under UsedOnly=%d\n", a.Unused)
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func churnRules(m *report.Model) []ChurnRule {
	out := make([]ChurnRule, len(m.Rules))
	for k, r := range m.Rules {
		parts := make([]string, len(r.Criteria))
		for j, t := range r.Criteria {
			parts[j] = t.Attribute + "=" + t.Value
		}
		out[k] = ChurnRule{RuleID: r.RuleID, RoleID: r.RoleID, Criterion: strings.Join(parts, "&")}
	}
	return out
}

func formatChurn(ch *Churn) string {
	var b strings.Builder
	o := &ch.Overall
	fmt.Fprintf(&b, "overall previous=%d rules=%d added=%d removed=%d kept=%d jaccard=%s\n",
		o.PreviousRules, o.Rules, o.Added, o.Removed, o.Kept, fmtPct(o.Jaccard))
	list := func(rs []ChurnRule) string {
		var cs []string
		for _, r := range rs {
			cs = append(cs, r.Criterion)
		}
		return "[" + strings.Join(cs, " ") + "]"
	}
	for _, rc := range ch.Roles {
		fmt.Fprintf(&b, "%s added=%s removed=%s kept=%s jaccard=%s\n", rc.RoleID, list(rc.Added), list(rc.Removed), list(rc.Kept), fmtPct(rc.Jaccard))
	}
	return b.String()
}
