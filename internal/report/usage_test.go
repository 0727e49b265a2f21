package report

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/uerr"
	"github.com/rolemine/rolemine/internal/usage"
)

// TestExcessWorked runs the worked examples of excess privilege
// (docs/excess-privilege.md) in testdata/excess through the real loader. Commands:
//
//	load
//	identities.csv:        (then the file's lines; any input file of the data directory)
//	identity_id,kind
//	...
//	----
//	the newest last_used, or the user error
//
//	mine [as-of=DATE] [days=N] [outcomes]
//	<mining.xml content>
//	----
//	with outcomes, each role's counts and reason (roles.json); every effective pair:
//	IDENTITY ROLE STATUS SYSTEM USAGE [inherited] [reason=unused], summary.json's usage
//	object, then each rule with its counts and the usage of its matched holders
//	(rules.json)
//
//	review
//	----
//	review.csv of the last mine
//
//	explain id=ID
//	----
//	`rolemine explain --identity ID` from the model files of the last mine (after
//	checking that the classification recomputed from them is mine's)
//
//	excess
//	----
//	excess.csv of the last mine
//
//	ownership [explain=ID,ID...]
//	----
//	summary.json's nhi_ownership, ownership.csv, then `rolemine explain`'s ownership
//	lines for each ID (after the last mine)
//
//	systems
//	----
//	summary.json's systems of the last mine, one line each, by name: the accounts and
//	pairs, the figures of the possibly incomplete flag, and the flag with its reason
func TestExcessWorked(t *testing.T) {
	datadriven.Walk(t, "testdata/excess", func(t *testing.T, path string) {
		var snap *columnar.Snapshot
		var last *excessRun
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			switch td.Cmd {
			case "review":
				if last == nil {
					td.Fatalf(t, "review before mine")
				}
				var b strings.Builder
				if err := WriteEffectiveReviewCSV(context.Background(), &b, last.snap, last.cls, last.info); err != nil {
					td.Fatalf(t, "%v", err)
				}
				return b.String()
			case "explain":
				if last == nil {
					td.Fatalf(t, "explain before mine")
				}
				return explainCase(t, td, last)
			case "excess":
				if last == nil {
					td.Fatalf(t, "excess before mine")
				}
				var b strings.Builder
				if err := WriteExcessCSV(context.Background(), &b, last.snap, last.cls, last.info); err != nil {
					td.Fatalf(t, "%v", err)
				}
				return b.String()
			case "ownership":
				if last == nil {
					td.Fatalf(t, "ownership before mine")
				}
				return ownershipCase(t, td, last)
			case "systems":
				if last == nil {
					td.Fatalf(t, "systems before mine")
				}
				return systemsCase(last)
			case "load":
				dir := t.TempDir()
				writeCaseFiles(t, dir, td.Input)
				s, err := columnar.Load(context.Background(), dir, columnar.LoadOptions{})
				if err != nil {
					snap = nil
					return fmt.Sprintf("user error: %v\n%v\n", uerr.Is(err), strings.ReplaceAll(err.Error(), dir, "DIR"))
				}
				snap = s
				if newest, ok := DefaultAsOf(s); ok {
					return "newest last_used: " + usage.Format(newest) + "\n"
				}
				return "no last_used date\n"
			case "mine":
				if snap == nil {
					td.Fatalf(t, "mine before a successful load")
				}
				var out string
				last, out = mineExcess(t, td, snap)
				return out
			default:
				td.Fatalf(t, "unknown command %q", td.Cmd)
				return ""
			}
		})
	})
}

// excessRun is what a case's mine command produced.
type excessRun struct {
	snap *columnar.Snapshot
	m    *mining.Model
	cls  *mining.Classification
	info *Effective
}

// explainCase binds the model files of r (as NewModel builds them, the records
// ReadModel reads back), checks that Bound.Classify gives mine's classification, and
// prints explain's text for the case's identity.
func explainCase(t *testing.T, td *datadriven.TestData, r *excessRun) string {
	var id string
	td.ScanArgs(t, "id", &id)
	mf, err := NewModel(r.snap, r.m, r.cls, RunInfo{Version: "test", Effective: r.info})
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	bound, err := Bind(r.snap, mf)
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	ruleOf, err := bound.Classify(context.Background())
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	if !slices.Equal(ruleOf, r.cls.RuleOf) {
		td.Fatalf(t, "the classification recomputed from the model files differs from mine's")
	}
	ex, err := bound.Explain(id)
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	var b strings.Builder
	if err := ex.WriteText(&b); err != nil {
		td.Fatalf(t, "%v", err)
	}
	// Blank lines (between explain's sections) would end the case's expected output.
	return strings.ReplaceAll(b.String(), "\n\n", "\n")
}

// ownershipCase prints the ownership outputs of the last mine.
func ownershipCase(t *testing.T, td *datadriven.TestData, r *excessRun) string {
	var b strings.Builder
	js, err := json.Marshal(ownershipSummaryOf(r.snap, nil))
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	b.Write(js)
	b.WriteString("\n")
	if err := WriteOwnershipCSV(context.Background(), &b, r.snap, r.cls, r.info); err != nil {
		td.Fatalf(t, "%v", err)
	}
	mf, err := NewModel(r.snap, r.m, r.cls, RunInfo{Version: "test", Effective: r.info})
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	bound, err := Bind(r.snap, mf)
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	for _, a := range td.CmdArgs {
		if a.Key != "explain" {
			continue
		}
		for _, id := range a.Vals {
			ex, err := bound.Explain(id)
			if err != nil {
				td.Fatalf(t, "%v", err)
			}
			fmt.Fprintf(&b, "explain %s:", id)
			var sb strings.Builder
			ex.writeOwnership(&sb)
			if sb.Len() == 0 {
				b.WriteString(" (nothing on ownership)\n")
			}
			// Blank lines (between explain's sections) would end the case's expected output.
			b.WriteString(strings.ReplaceAll(sb.String(), "\n\n", "\n"))
		}
	}
	return b.String()
}

// systemsCase prints summary.json's systems of r, by name: accounts, uncorrelated
// accounts, effective pairs, orphans, the figures of the possibly incomplete flag
// (docs/effective-privilege.md#incomplete), the flag and its reason.
func systemsCase(r *excessRun) string {
	_, systems := effectiveSummaryOf(r.snap, r.cls, r.info)
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(systems)) {
		s := systems[name]
		fmt.Fprintf(&b, "%s accounts=%d uncorrelated=%d pairs=%d orphans=%d direct_explained=%d suggestions=%d suggested_pct=%v missing_accounts=%d",
			name, s.Accounts, s.UncorrelatedAccounts, s.Assignments, s.Orphans, s.DirectExplained, s.Suggestions, s.SuggestedPercent, s.MissingAccounts)
		if s.PossiblyIncomplete {
			fmt.Fprintf(&b, " POSSIBLY INCOMPLETE: %s", s.Reason)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// mineExcess mines snap with the case's configuration and usage parameters and prints
// each effective pair with its usage, then the usage summary.
func mineExcess(t *testing.T, td *datadriven.TestData, snap *columnar.Snapshot) (*excessRun, string) {
	ctx := context.Background()
	p := &usage.Params{UnusedDays: usage.DefaultUnusedDays}
	p.AsOf, _ = DefaultAsOf(snap)
	for _, a := range td.CmdArgs {
		switch a.Key {
		case "as-of":
			v, err := usage.Parse(a.Vals[0])
			if err != nil {
				td.Fatalf(t, "%v", err)
			}
			p.AsOf = v
		case "days":
			if _, err := fmt.Sscan(a.Vals[0], &p.UnusedDays); err != nil {
				td.Fatalf(t, "%v", err)
			}
		}
	}
	cfg, err := mining.ParseConfig("mining.xml", []byte(td.Input+"\n"))
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	eff, err := mining.EffectiveOf(ctx, snap)
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	var states []usage.State
	if cfg.UsedOnlyApplies() {
		states = DirectUsage(snap, p)
	}
	m, err := mining.Run(ctx, snap, cfg, mining.Options{Backend: cpu.New(), Workers: 1, Effective: eff, Usage: states})
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	cls := mining.Classify(snap, m)
	mining.ApplyUsedOnly(snap, m, cls, states)
	info := &Effective{Eff: eff, Usage: p, UsedOnly: states != nil}
	if eff != nil {
		if info.Class, err = mining.ClassifyEffective(ctx, snap, m, cls, eff); err != nil {
			td.Fatalf(t, "%v", err)
		}
	}
	var b strings.Builder
	if td.HasArg("outcomes") {
		for _, o := range m.Outcomes {
			fmt.Fprintf(&b, "role %s n=%d TP=%d FP=%d FN=%d TN=%d precision=%.2f%%", snap.Roles.IDs[o.Role], o.N, o.TP, o.FP, o.FN, o.TN, o.Precision)
			if o.Reason != "" {
				b.WriteString(": " + o.Reason)
			}
			b.WriteString("\n")
		}
	}
	w := newPairWalker(snap, cls, info)
	literal := &usageSummary{ByKind: map[string]*usage.Counts{}, BySystem: map[string]*usage.Counts{}}
	literalRules := make([]usage.Counts, len(m.Rules))
	for i := range snap.IdentityIDs {
		w.each(i, func(v *pairView) {
			recountUsage(literal, snap.Kind(i), w, v)
			recountRuleUsage(literalRules, snap, m, i, v)
			status, sys := "unexplained", noSystem
			if v.rule >= 0 {
				status = "explained"
			}
			if v.system >= 0 {
				sys = w.systemNames[v.system]
			}
			fmt.Fprintf(&b, "%s %s %s %s %s", snap.IdentityIDs[i], snap.Roles.IDs[v.role], status, sys, v.usage)
			if v.inherited {
				b.WriteString(" inherited")
			}
			if v.unusedOnly {
				b.WriteString(" reason=unused")
			}
			b.WriteString("\n")
		})
	}
	us := usageSummaryOf(snap, cls, info)
	checkUsageTally(t, us, literal, ruleUsage(snap, m, cls, info), literalRules)
	js, err := json.Marshal(us)
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	b.Write(js)
	b.WriteString("\n")
	if ru := ruleUsage(snap, m, cls, info); ru != nil {
		for k := range m.Rules {
			r := withRuleUsage(newRuleRecord(snap, &m.Rules[k], nil), ru[k])
			pct := "null"
			if r.UnusedPct != nil {
				pct = fmt.Sprint(*r.UnusedPct)
			}
			counts := ""
			if td.HasArg("outcomes") {
				counts = fmt.Sprintf(" support=%d tp=%d fp=%d", r.Support, r.TP, r.FP)
			}
			fmt.Fprintf(&b, "rule %s %s %s%s: used=%d unused=%d unknown=%d unused_pct=%s over_broad=%v\n", r.RuleID, r.RoleID,
				criterionString(&r.ruleRecord), counts, r.Usage.Used, r.Usage.Unused, r.Usage.Unknown, pct, r.OverBroad)
		}
	}
	return &excessRun{snap: snap, m: m, cls: cls, info: info}, b.String()
}

// writeCaseFiles writes the `NAME.csv:` sections of input into dir.
func writeCaseFiles(t *testing.T, dir, input string) {
	var name string
	files := map[string]*strings.Builder{}
	for _, line := range strings.Split(input, "\n") {
		if n, ok := strings.CutSuffix(strings.TrimSpace(line), ".csv:"); ok && !strings.Contains(n, ",") {
			name = n + ".csv"
			files[name] = &strings.Builder{}
			continue
		}
		if name == "" || strings.HasPrefix(line, "#") {
			continue
		}
		files[name].WriteString(line + "\n")
	}
	for n, body := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(body.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// recountUsage counts pair v of an identity of kind kind into the literal tallies, the
// way the specification states them: one count per effective pair, by kind and by system.
func recountUsage(us *usageSummary, kind string, w *pairWalker, v *pairView) {
	add := func(m map[string]*usage.Counts, key string) {
		if m[key] == nil {
			m[key] = &usage.Counts{}
		}
		m[key].Add(v.usage)
	}
	us.Add(v.usage)
	add(us.ByKind, kind)
	sys := noSystem
	if v.system >= 0 {
		sys = w.systemNames[v.system]
	}
	add(us.BySystem, sys)
}

// recountRuleUsage counts pair v of identity i into the literal rules' usage as the
// specification states it: for every rule of the model, in turn, whose role is the
// pair's and that matches the identity (a matched holder, explained or not, direct or
// inherited).
func recountRuleUsage(rules []usage.Counts, snap *columnar.Snapshot, m *mining.Model, i int, v *pairView) {
	for k := range m.Rules {
		if m.Rules[k].Role == v.role && m.Rules[k].Matches(snap, i) {
			rules[k].Add(v.usage)
		}
	}
}

// checkUsageTally fails unless the usage summary us and the rules' usage ru equal the
// literal per-pair recounts.
func checkUsageTally(t *testing.T, us, literal *usageSummary, ru, literalRules []usage.Counts) {
	t.Helper()
	if us == nil {
		return
	}
	if us.Counts != literal.Counts || !reflect.DeepEqual(us.ByKind, literal.ByKind) || !reflect.DeepEqual(us.BySystem, literal.BySystem) {
		t.Fatalf("usage summary %+v %v %v, recount %+v %v %v", us.Counts, us.ByKind, us.BySystem, literal.Counts, literal.ByKind, literal.BySystem)
	}
	if !reflect.DeepEqual(ru, literalRules) {
		t.Fatalf("rules' usage %v, recount %v", ru, literalRules)
	}
}
