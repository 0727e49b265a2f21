package mining

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/spectest"
)

// TestSpec runs the case files of testdata/spec, one per feature, each backing rules of
// docs/semantics.md and docs/config.md (docs/README.md#case-files lists them). Commands:
//
//	data [exclude=a,b]        a data block (internal/spectest), loaded with columnar.Load
//	----
//	<what was loaded, findings, skipped dimensions>
//
//	parse                     a mining configuration
//	----
//	<each mining rule in run order with every setting, or the error>
//
//	mine [roles=A,B] [show=attempts|candidates|ids]
//	<mining configuration; empty: the implicit mining rule>
//	----
//	ROLE <type> <policy> <criterion> tp=.. fp=.. support=.. [scope=<entity_type>]
//	ROLE n=.. TP=.. FP=.. FN=.. TN=.. precision=..% fp%=..%
//	ROLE none: <reason>               (before the counts, when the role has no rule)
//
//	rules                     a model given by hand, one rule a line:
//	ROLE SCOPE CRITERION      (criterion a=x&b=y; type required, policy Default)
//
//	classify [roles=A,B]      every assignment of the last model (mined or given)
//	----
//	IDENTITY ROLE explained CRITERION | unexplained | orphan
//	suggest IDENTITY ROLE CRITERION
//
//	previous [grace=G]        the previous model of later mine commands (stability),
//	ROLE SCOPE CRITERION      one rule a line; no lines: no previous model
//
// An expected line containing `...` matches any text there (spectest.Patterns).
func TestSpec(t *testing.T) {
	datadriven.Walk(t, "testdata/spec", func(t *testing.T, path string) {
		s := &specState{dir: t.TempDir()}
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			out, err := s.run(t, td)
			if err != nil {
				out = fmt.Sprintf("error: %v\n", err)
			}
			return spectest.Patterns(td.Expected, out)
		})
	})
}

// specState is what the commands of one case file share.
type specState struct {
	dir   string
	loads int
	snap  *columnar.Snapshot
	model *Model
	prev  *Previous
}

func (s *specState) run(t *testing.T, td *datadriven.TestData) (string, error) {
	if td.Cmd != "data" && td.Cmd != "parse" && s.snap == nil {
		td.Fatalf(t, "%s before data", td.Cmd)
	}
	switch td.Cmd {
	case "data":
		var exclude []string
		if td.HasArg("exclude") {
			var list string
			td.ScanArgs(t, "exclude", &list)
			exclude = strings.Split(list, ",")
		}
		s.loads++
		snap, err := spectest.Load(context.Background(), td.Input, filepath.Join(s.dir, strconv.Itoa(s.loads)), exclude)
		if err != nil {
			return "", err
		}
		s.snap, s.model = snap, nil
		return spectest.Describe(snap), nil
	case "parse":
		cfg, err := ParseConfig("mining.xml", []byte(td.Input+"\n"))
		if err != nil {
			return "", err
		}
		return formatConfig(cfg), nil
	case "mine":
		return s.mine(t, td)
	case "rules":
		m, err := handModel(s.snap, td.Input)
		if err != nil {
			return "", err
		}
		s.model = m
		return fmt.Sprintf("%d rules\n", len(m.Rules)), nil
	case "classify":
		if s.model == nil {
			td.Fatalf(t, "classify before mine or rules")
		}
		return formatClassification(s.snap, s.model, Classify(s.snap, s.model), onlyRoles(t, td)), nil
	case "previous":
		return s.previous(t, td)
	}
	td.Fatalf(t, "unknown command %q", td.Cmd)
	return "", nil
}

func onlyRoles(t *testing.T, td *datadriven.TestData) []string {
	if !td.HasArg("roles") {
		return nil
	}
	var list string
	td.ScanArgs(t, "roles", &list)
	return strings.Split(list, ",")
}

func (s *specState) mine(t *testing.T, td *datadriven.TestData) (string, error) {
	cfg := &Config{MiningRules: []MiningRule{DefaultMiningRule()}}
	if strings.TrimSpace(td.Input) != "" {
		var err error
		if cfg, err = ParseConfig("mining.xml", []byte(td.Input+"\n")); err != nil {
			return "", err
		}
	}
	m, err := Run(context.Background(), s.snap, cfg, Options{Backend: cpu.New(), Workers: 1, Previous: s.prev})
	if err != nil {
		return "", err
	}
	// docs/semantics.md#determinism: every case also holds with another worker count.
	m3, err := Run(context.Background(), s.snap, cfg, Options{Backend: cpu.New(), Workers: 3, Previous: s.prev})
	if err != nil {
		return "", err
	}
	if !reflect.DeepEqual(m, m3) {
		td.Fatalf(t, "1 and 3 workers mine different models:\n%s", firstModelDiff(s.snap, m, m3))
	}
	s.model = m
	show := ""
	if td.HasArg("show") {
		td.ScanArgs(t, "show", &show)
	}
	return formatSpecModel(s.snap, m, onlyRoles(t, td), show), nil
}

// formatSpecModel prints one block per role (all roles, or those in only, in role order).
func formatSpecModel(snap *columnar.Snapshot, m *Model, only []string, show string) string {
	var b strings.Builder
	for r, id := range snap.Roles.IDs {
		if only != nil && !slices.Contains(only, id) {
			continue
		}
		out := &m.Outcomes[r]
		if out.MiningRule < 0 {
			fmt.Fprintf(&b, "%s none: %s\n", id, out.Reason)
		}
		for _, rule := range m.RulesOf(int32(r)) {
			fmt.Fprintf(&b, "%s %s %s %s tp=%d fp=%d support=%d", id, rule.Type, rule.Policy,
				CriterionString(snap, rule.Criterion), rule.TP, rule.FP, rule.Support)
			if rule.EntityType != "*" {
				fmt.Fprintf(&b, " scope=%s", rule.EntityType)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s n=%d TP=%d FP=%d FN=%d TN=%d precision=%.1f%% fp%%=%.1f%%\n",
			id, out.N, out.TP, out.FP, out.FN, out.TN, out.Precision, out.FalsePositivePct)
		switch show {
		case "attempts":
			for _, a := range out.Attempts {
				verdict := "covered"
				if !a.Covered {
					verdict = a.Reason
				}
				fmt.Fprintf(&b, "%s attempt %s: %s\n", id, miningRuleName(m.Config, a.MiningRule), verdict)
			}
		case "candidates":
			fmt.Fprintf(&b, "%s candidates=%d exact=%v\n", id, out.Candidates, out.Exact)
		case "ids":
			for _, rule := range m.RulesOf(int32(r)) {
				fmt.Fprintf(&b, "%s id %s %s\n", id, rule.ID, CriterionString(snap, rule.Criterion))
			}
		}
	}
	return b.String()
}

func miningRuleName(cfg *Config, index int) string {
	for k := range cfg.MiningRules {
		if cfg.MiningRules[k].Index == index {
			return cfg.MiningRules[k].Name()
		}
	}
	return "?"
}

// formatConfig prints every mining rule in run order with every setting.
func formatConfig(cfg *Config) string {
	var b strings.Builder
	for _, mr := range SortedForRun(cfg.MiningRules) {
		cat := "(all)"
		if mr.Category != nil {
			cat = strconv.Quote(*mr.Category)
		}
		var val []string
		for v, in := range mr.IncludeValidations {
			if in {
				val = append(val, strconv.Itoa(v))
			}
		}
		dims := "(all)"
		if mr.Dimensions != nil {
			dims = strings.Join(mr.Dimensions, ",")
		}
		fmt.Fprintf(&b, "%s: entity_type=%q policy=%q rule_policy=%q category=%s validations=%s exclude_role=%v\n",
			mr.Name(), mr.EntityType, mr.Policy, mr.RulePolicy, cat, strings.Join(val, ","), mr.ExcludeRole)
		fmt.Fprintf(&b, "  precision>=%s fp<=%s rule_type=%s min_identities=%d max_dimensions=%d dimensions=%s",
			pct(mr.PrecisionMin), pct(mr.FalsePositiveMax), mr.RuleType, mr.MinIdentities, mr.MaxDimensions, dims)
		if mr.UsedOnly {
			b.WriteString(" used_only=true") // a rolemine extension, shown only when set
		}
		b.WriteString("\n")
	}
	for _, p := range cfg.Plugins {
		fmt.Fprintf(&b, "plugin line %d: path=%q config=%q\n", p.Line, p.Path, p.Config)
	}
	return b.String()
}

// parseHandRules reads `ROLE SCOPE a=x&b=y` lines into (role id, scope, terms).
func parseHandRules(input string) ([][3]string, error) {
	var out [][3]string
	for _, line := range strings.Split(input, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("rule line %q: want ROLE SCOPE CRITERION", line)
		}
		out = append(out, [3]string{f[0], f[1], f[2]})
	}
	return out, nil
}

// criterionOf resolves a=x&b=y against snap; ok is false when an attribute or value is
// unknown.
func criterionOf(snap *columnar.Snapshot, text string) (kernels.Criterion, error) {
	var c kernels.Criterion
	for _, term := range strings.Split(text, "&") {
		attr, val, ok := strings.Cut(term, "=")
		d := snap.DimIndex(attr)
		if !ok || d < 0 {
			return c, fmt.Errorf("criterion %q: unknown attribute in %q", text, term)
		}
		v, found := slices.BinarySearch(snap.Dims[d].Values, val)
		if !found {
			return c, fmt.Errorf("criterion %q: value %q does not occur", text, val)
		}
		c.T[c.N] = kernels.Term{Dim: int32(d), Val: int32(v)}
		c.N++
	}
	slices.SortFunc(c.T[:c.N], func(a, b kernels.Term) int { return int(a.Dim - b.Dim) })
	return c, nil
}

// handModel builds a model whose rules are given by hand (required, policy Default), in
// the order Run emits them: by role, then criterion.
func handModel(snap *columnar.Snapshot, input string) (*Model, error) {
	lines, err := parseHandRules(input)
	if err != nil {
		return nil, err
	}
	m := &Model{Config: &Config{MiningRules: []MiningRule{DefaultMiningRule()}}, Outcomes: make([]Outcome, snap.NumRoles())}
	for _, l := range lines {
		r, ok := slices.BinarySearch(snap.Roles.IDs, l[0])
		if !ok {
			return nil, fmt.Errorf("rule of unknown role %q", l[0])
		}
		c, err := criterionOf(snap, l[2])
		if err != nil {
			return nil, err
		}
		m.Rules = append(m.Rules, Rule{ID: RuleID(snap, l[0], c), Role: int32(r), Criterion: c,
			Type: Required, Policy: "Default", EntityType: l[1]})
	}
	slices.SortStableFunc(m.Rules, func(a, b Rule) int {
		if a.Role != b.Role {
			return int(a.Role - b.Role)
		}
		return a.Criterion.Compare(b.Criterion)
	})
	return m, nil
}

// formatClassification prints every assignment in assignments.parquet order (known
// identities in file order, by role; orphans after), then the suggestions.
func formatClassification(snap *columnar.Snapshot, m *Model, cls *Classification, only []string) string {
	keep := func(r int32) bool { return only == nil || slices.Contains(only, snap.Roles.IDs[r]) }
	var b strings.Builder
	for i := range snap.NumIdentities() {
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			r := snap.IdentIdx[k]
			if !keep(r) {
				continue
			}
			fmt.Fprintf(&b, "%s %s %s", snap.IdentityIDs[i], snap.Roles.IDs[r], cls.Status(int(k)))
			if j := cls.RuleOf[k]; j >= 0 {
				fmt.Fprintf(&b, " %s", CriterionString(snap, m.Rules[j].Criterion))
			}
			b.WriteString("\n")
		}
	}
	for _, o := range snap.Orphans {
		if keep(o.Role) {
			fmt.Fprintf(&b, "%s %s orphan\n", o.IdentityID, snap.Roles.IDs[o.Role])
		}
	}
	for _, sg := range cls.Suggestions {
		if keep(sg.Role) {
			fmt.Fprintf(&b, "suggest %s %s %s\n", snap.IdentityIDs[sg.Identity], snap.Roles.IDs[sg.Role],
				CriterionString(snap, m.Rules[sg.Rule].Criterion))
		}
	}
	return b.String()
}

// previous sets (or, with no lines, clears) the previous model of later mine commands.
func (s *specState) previous(t *testing.T, td *datadriven.TestData) (string, error) {
	lines, err := parseHandRules(td.Input)
	if err != nil {
		return "", err
	}
	if len(lines) == 0 {
		s.prev = nil
		return "no previous model\n", nil
	}
	grace := 5.0 // --grace's default
	if td.HasArg("grace") {
		var g string
		td.ScanArgs(t, "grace", &g)
		if grace, err = strconv.ParseFloat(g, 64); err != nil {
			td.Fatalf(t, "grace=%q: %v", g, err)
		}
	}
	p := &Previous{Rules: map[string][]PreviousRule{}, Grace: grace}
	for _, l := range lines {
		pr := PreviousRule{EntityType: l[1]}
		for _, term := range strings.Split(l[2], "&") {
			attr, val, _ := strings.Cut(term, "=")
			pr.Terms = append(pr.Terms, PreviousTerm{attr, val})
		}
		p.Rules[l[0]] = append(p.Rules[l[0]], pr)
	}
	s.prev = p
	return fmt.Sprintf("%d previous rules, grace %s\n", len(lines), pct(grace)), nil
}
