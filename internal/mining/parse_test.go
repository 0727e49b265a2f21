package mining

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
)

func strptr(s string) *string { return &s }

// defaultParsed is what <MiningRule/> alone parses to (the defaults of docs/config.md).
func defaultParsed(line int) MiningRule {
	return MiningRule{
		Index:              0,
		Line:               line,
		Priority:           0,
		EntityType:         "*",
		Policy:             "Default",
		RulePolicy:         "Default",
		Category:           nil,
		IncludeValidations: [4]bool{true, true, true, true},
		ExcludeRole:        false,
		PrecisionMin:       100,
		FalsePositiveMax:   0,
		RuleType:           Required,
		MinIdentities:      3,
		MaxDimensions:      2,
		Dimensions:         nil,
	}
}

func parseOne(t *testing.T, doc string) MiningRule {
	t.Helper()
	cfg, err := ParseConfig("m.xml", []byte(doc))
	if err != nil {
		t.Fatalf("ParseConfig(%q): %v", doc, err)
	}
	if len(cfg.MiningRules) != 1 {
		t.Fatalf("ParseConfig(%q): %d mining rules, want 1", doc, len(cfg.MiningRules))
	}
	return cfg.MiningRules[0]
}

func TestParseConfigDefaults(t *testing.T) {
	for _, doc := range []string{
		`<MiningRule/>`,
		`<MiningRule />`,
		`<MiningRule></MiningRule>`,
		`<?xml version="1.0" encoding="UTF-8"?><MiningRule/>`,
		`<?xml version="1.0" encoding="US-ASCII"?><MiningRule/>`,
		"\xef\xbb\xbf<MiningRule/>",
		`<ConfigurationFile xmlns="urn:schemas-usercube-com:configuration"><MiningRule/></ConfigurationFile>`,
	} {
		got := parseOne(t, doc)
		if want := defaultParsed(1); !reflect.DeepEqual(got, want) {
			t.Errorf("ParseConfig(%q):\n got %+v\nwant %+v", doc, got, want)
		}
	}
}

func TestParseConfigAttributes(t *testing.T) {
	tests := []struct {
		attrs string
		edit  func(r *MiningRule)
	}{
		{`Priority="10"`, func(r *MiningRule) { r.Priority = 10 }},
		{`Priority="-3"`, func(r *MiningRule) { r.Priority = -3 }},
		{`Priority=" 7 "`, func(r *MiningRule) { r.Priority = 7 }},
		{`EntityType="nhi"`, func(r *MiningRule) { r.EntityType = "nhi" }},
		{`EntityType="human"`, func(r *MiningRule) { r.EntityType = "human" }},
		{`EntityType="service_account, api_key"`, func(r *MiningRule) { r.EntityType = "service_account, api_key" }},
		{`Policy="P1"`, func(r *MiningRule) { r.Policy, r.RulePolicy = "P1", "P1" }},
		{`RulePolicy="R1"`, func(r *MiningRule) { r.RulePolicy = "R1" }},
		{`Policy="P1" RulePolicy="R1"`, func(r *MiningRule) { r.Policy, r.RulePolicy = "P1", "R1" }},
		{`RulePolicy="R1" Policy="P1"`, func(r *MiningRule) { r.Policy, r.RulePolicy = "P1", "R1" }},
		{`Category="Finance"`, func(r *MiningRule) { r.Category = strptr("Finance") }},
		{`Category=""`, func(r *MiningRule) { r.Category = strptr("") }},
		{`Category="R&amp;D"`, func(r *MiningRule) { r.Category = strptr("R&D") }},
		{`IncludeNoValidation="false"`, func(r *MiningRule) { r.IncludeValidations[0] = false }},
		{`IncludeSimpleValidation="0"`, func(r *MiningRule) { r.IncludeValidations[1] = false }},
		{`IncludeDoubleValidation="FALSE"`, func(r *MiningRule) { r.IncludeValidations[2] = false }},
		{`IncludeTripleValidation="False"`, func(r *MiningRule) { r.IncludeValidations[3] = false }},
		{`IncludeTripleValidation="TRUE"`, func(r *MiningRule) {}},
		{`IncludeNoValidation="1"`, func(r *MiningRule) {}},
		{`ExcludeRole="true"`, func(r *MiningRule) { r.ExcludeRole = true }},
		{`ExcludeRole="1"`, func(r *MiningRule) { r.ExcludeRole = true }},
		{`ExcludeRole="tRuE"`, func(r *MiningRule) { r.ExcludeRole = true }},
		{`ExcludeRole="false"`, func(r *MiningRule) {}},
		{`PrecisionMinPercentage="95"`, func(r *MiningRule) { r.PrecisionMin = 95 }},
		{`PrecisionMinPercentage="99.5"`, func(r *MiningRule) { r.PrecisionMin = 99.5 }},
		{`PrecisionMinPercentage="0"`, func(r *MiningRule) { r.PrecisionMin = 0 }},
		{`PrecisionMinPercentage=".5"`, func(r *MiningRule) { r.PrecisionMin = 0.5 }},
		{`FalsePositiveMaxPercentage="5"`, func(r *MiningRule) { r.FalsePositiveMax = 5 }},
		{`FalsePositiveMaxPercentage="100"`, func(r *MiningRule) { r.FalsePositiveMax = 100 }},
		{`FalsePositiveMaxPercentage="12.25"`, func(r *MiningRule) { r.FalsePositiveMax = 12.25 }},
		{`RuleType="0"`, func(r *MiningRule) {}},
		{`RuleType="1"`, func(r *MiningRule) { r.RuleType = RequestedAutomatically }},
		{`RuleType="2"`, func(r *MiningRule) { r.RuleType = Suggested }},
		{`RuleType="Suggested"`, func(r *MiningRule) { r.RuleType = Suggested }},
		{`MinIdentitiesCount="1"`, func(r *MiningRule) { r.MinIdentities = 1 }},
		{`MinIdentitiesCount="250"`, func(r *MiningRule) { r.MinIdentities = 250 }},
		{`MaxDimensions="1"`, func(r *MiningRule) { r.MaxDimensions = 1 }},
		{`MaxDimensions="4"`, func(r *MiningRule) { r.MaxDimensions = 4 }},
		{`Dimensions="department"`, func(r *MiningRule) { r.Dimensions = []string{"department"} }},
		{`Dimensions="kind, application ,environment"`, func(r *MiningRule) {
			r.Dimensions = []string{"kind", "application", "environment"}
		}},
		{`Priority='4' ExcludeRole='true'`, func(r *MiningRule) { r.Priority, r.ExcludeRole = 4, true }},
		{`UsedOnly="true"`, func(r *MiningRule) { r.UsedOnly = true }},
		{`UsedOnly=" 1 "`, func(r *MiningRule) { r.UsedOnly = true }},
		{`UsedOnly="false"`, func(r *MiningRule) {}},
		{`UsedOnly="false" ExcludeRole="true"`, func(r *MiningRule) { r.ExcludeRole = true }},
		{`xmlns="urn:x" xmlns:u="urn:u"`, func(r *MiningRule) {}},
	}
	for _, tt := range tests {
		doc := "<MiningRule " + tt.attrs + " />"
		got := parseOne(t, doc)
		want := defaultParsed(1)
		tt.edit(&want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", doc, got, want)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string // substrings of the message
	}{
		{"precision above 100", "<C>\n\n<MiningRule\n  PrecisionMinPercentage=\"120\" />\n</C>",
			[]string{`e.xml:4:3: MiningRule attribute PrecisionMinPercentage="120": expected a percentage between 0 and 100`}},
		{"precision negative", `<MiningRule PrecisionMinPercentage="-1"/>`,
			[]string{"e.xml:1:13:", "PrecisionMinPercentage", `"-1"`, "between 0 and 100"}},
		{"precision not a number", `<MiningRule PrecisionMinPercentage="high"/>`,
			[]string{"e.xml:1:", "PrecisionMinPercentage", `"high"`, "expected a decimal number"}},
		{"precision exponent", `<MiningRule PrecisionMinPercentage="1e2"/>`,
			[]string{"e.xml:1:", "PrecisionMinPercentage", "expected a decimal number"}},
		{"precision NaN", `<MiningRule PrecisionMinPercentage="NaN"/>`,
			[]string{"e.xml:1:", "PrecisionMinPercentage", "expected a decimal number"}},
		{"precision comma decimal", `<MiningRule PrecisionMinPercentage="99,5"/>`,
			[]string{"e.xml:1:", "PrecisionMinPercentage", "expected a decimal number"}},
		{"false positives above 100", "\n<MiningRule FalsePositiveMaxPercentage=\"100.01\"/>",
			[]string{"e.xml:2:13:", "FalsePositiveMaxPercentage", `"100.01"`, "between 0 and 100"}},
		{"false positives empty", `<MiningRule FalsePositiveMaxPercentage=""/>`,
			[]string{"e.xml:1:", "FalsePositiveMaxPercentage", `""`, "expected a decimal number"}},
		{"rule type 3", `<MiningRule RuleType="3"/>`,
			[]string{"e.xml:1:", "RuleType", `"3"`, "expected 0 (Required), 1 (RequestedAutomatically) or 2 (Suggested)"}},
		{"rule type negative", `<MiningRule RuleType="-1"/>`,
			[]string{"e.xml:1:", "RuleType", `"-1"`, "expected 0"}},
		{"rule type word", `<MiningRule RuleType="required"/>`,
			[]string{"e.xml:1:", "RuleType", `"required"`, "expected 0"}},
		{"priority not integer", `<MiningRule Priority="1.5"/>`,
			[]string{"e.xml:1:", "Priority", `"1.5"`, "expected an integer"}},
		{"priority overflow", `<MiningRule Priority="99999999999999999999"/>`,
			[]string{"e.xml:1:", "Priority", "expected an integer from -9223372036854775808 to 9223372036854775807"}},
		{"min identities zero", `<MiningRule MinIdentitiesCount="0"/>`,
			[]string{"e.xml:1:", "MinIdentitiesCount", `"0"`, "at least 1"}},
		{"min identities text", `<MiningRule MinIdentitiesCount="three"/>`,
			[]string{"e.xml:1:", "MinIdentitiesCount", "expected an integer"}},
		{"max dimensions 0", `<MiningRule MaxDimensions="0"/>`,
			[]string{"e.xml:1:", "MaxDimensions", `"0"`, "from 1 to 4"}},
		{"max dimensions 5", `<MiningRule MaxDimensions="5"/>`,
			[]string{"e.xml:1:", "MaxDimensions", `"5"`, "from 1 to 4"}},
		{"bool yes", `<MiningRule ExcludeRole="yes"/>`,
			[]string{"e.xml:1:", "ExcludeRole", `"yes"`, "expected true, false, 1 or 0"}},
		{"used only yes", `<MiningRule UsedOnly="yes"/>`,
			[]string{"e.xml:1:13:", `UsedOnly="yes"`, "expected true, false, 1 or 0"}},
		{"used only on exclude", `<MiningRule ExcludeRole="true" UsedOnly="true"/>`,
			[]string{"e.xml:1:32:", `UsedOnly="true"`, "ExcludeRole", "generates no rules"}},
		{"used only wrong case", `<MiningRule usedOnly="true"/>`,
			[]string{"e.xml:1:13:", "did you mean UsedOnly?"}},
		{"bool empty", `<MiningRule IncludeNoValidation=""/>`,
			[]string{"e.xml:1:", "IncludeNoValidation", "expected true, false, 1 or 0"}},
		{"bool 2", `<MiningRule IncludeTripleValidation="2"/>`,
			[]string{"e.xml:1:", "IncludeTripleValidation", "expected true, false, 1 or 0"}},
		{"entity type empty", `<MiningRule EntityType=""/>`,
			[]string{"e.xml:1:", "EntityType", `""`, `expected "*", "nhi"`}},
		{"entity type empty entry", `<MiningRule EntityType="human,,bot"/>`,
			[]string{"e.xml:1:", "EntityType", `"human,,bot"`, "no empty entry"}},
		{"entity type trailing comma", `<MiningRule EntityType="bot, "/>`,
			[]string{"e.xml:1:", "EntityType", "no empty entry"}},
		{"dimensions empty", `<MiningRule Dimensions=""/>`,
			[]string{"e.xml:1:", "Dimensions", `""`, "leave the attribute out"}},
		{"dimensions empty entry", `<MiningRule Dimensions="a,,b"/>`,
			[]string{"e.xml:1:", "Dimensions", `"a,,b"`, "no empty entry"}},
		{"dimensions duplicate", `<MiningRule Dimensions="a,b,a"/>`,
			[]string{"e.xml:1:", "Dimensions", `"a" is listed twice`}},
		{"policy empty", `<MiningRule Policy=""/>`,
			[]string{"e.xml:1:", "attribute Policy", "expected a policy identifier"}},
		{"rule policy blank", `<MiningRule RulePolicy=" "/>`,
			[]string{"e.xml:1:", "RulePolicy", "expected a policy identifier"}},
		{"unknown attribute", "<C>\n  <MiningRule Priority=\"1\"\n     Colour=\"red\"/></C>",
			[]string{"e.xml:3:6:", `MiningRule attribute Colour="red": unknown attribute`, "Priority", "Dimensions"}},
		{"wrong case attribute", `<MiningRule priority="1"/>`,
			[]string{"e.xml:1:13:", "priority", "case-sensitive", "did you mean Priority?"}},
		{"prefixed attribute", `<MiningRule xmlns:x="urn:x" x:Priority="1"/>`,
			[]string{"e.xml:1:", "x:Priority", "unknown attribute"}},
		{"duplicate attribute", "<MiningRule Priority=\"1\"\n Priority=\"2\"/>",
			[]string{"e.xml:2:2:", "Priority", "given twice (first on line 1)"}},
		{"second rule bad", "<C>\n<MiningRule/>\n<MiningRule/>\n<MiningRule MaxDimensions=\"9\"/></C>",
			[]string{"e.xml:4:", "MaxDimensions"}},
		{"no mining rule", `<ConfigurationFile><Policy Identifier="x"/></ConfigurationFile>`,
			[]string{"e.xml:", "no <MiningRule/> element"}},
		{"only plugins", `<C><CriterionPlugin Path="a.wasm"/></C>`,
			[]string{"e.xml:", "no <MiningRule/> element"}},
		{"empty file", ``, []string{"e.xml:", "no <MiningRule/> element"}},
		{"not xml", `priority=3`, []string{"e.xml:", "no <MiningRule/> element"}},
		{"unclosed element", "<C>\n<MiningRule/>\n", []string{"e.xml:3:", "invalid XML"}},
		{"mismatched end", "<C>\n<MiningRule/>\n</D>", []string{"e.xml:3:", "invalid XML"}},
		{"unquoted attribute", "<C>\n<MiningRule Priority=3/></C>", []string{"e.xml:2:", "invalid XML"}},
		{"bad entity", "<C>\n\n<MiningRule Category=\"a&nbsp;b\"/></C>", []string{"e.xml:3:", "invalid XML"}},
		// The parser's message quotes the name as it is: its bytes are escaped, not sent
		// to the terminal.
		{"name not UTF-8", "<C>\n<Min\xffing\x1bRule/></C>", []string{"e.xml:2:", `invalid XML: invalid XML name: Min\xffing`}},
		{"other encoding", `<?xml version="1.0" encoding="iso-8859-1"?><MiningRule/>`,
			[]string{"e.xml:1:", "invalid XML", `"iso-8859-1" is not supported: save the file as UTF-8`}},
		// Found by the semantic audit: a file saved as UTF-16 (Windows' "Unicode") was
		// refused as "invalid UTF-8", without saying what to do.
		{"utf-16 with a byte order mark", "\xff\xfe<\x00M\x00i\x00/\x00>\x00",
			[]string{"e.xml:1:1: invalid XML: the file is encoded in UTF-16: save the file as UTF-8"}},
		{"utf-16 big-endian without one", "\x00<\x00M\x00/\x00>",
			[]string{"e.xml:1:1:", "UTF-16", "save the file as UTF-8"}},
		{"plugin without path", "<C><MiningRule/>\n<CriterionPlugin Config=\"x\"/></C>",
			[]string{"e.xml:2:1:", "CriterionPlugin", "missing attribute Path"}},
		{"plugin empty path", "<C><MiningRule/>\n<CriterionPlugin Path=\"\"/></C>",
			[]string{"e.xml:2:18:", `CriterionPlugin attribute Path=""`, "expected the path"}},
		{"plugin unknown attribute", "<C><MiningRule/>\n<CriterionPlugin Path=\"a\" Timeout=\"3\"/></C>",
			[]string{"e.xml:2:", `CriterionPlugin attribute Timeout="3": unknown attribute`, "Path, Config"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig("e.xml", []byte(tt.doc))
			if err == nil {
				t.Fatalf("ParseConfig(%q) = %+v, want an error", tt.doc, cfg)
			}
			if !uerr.Is(err) {
				t.Errorf("error %q is not a user error", err)
			}
			if !strings.HasPrefix(err.Error(), "e.xml:") {
				t.Errorf("error %q does not start with the file name", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseConfigFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "absent.xml")
	_, err := ParseConfigFile(missing)
	if err == nil || !uerr.Is(err) || !strings.Contains(err.Error(), missing) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ParseConfigFile(missing) error = %v, want a user error naming %s wrapping ErrNotExist", err, missing)
	}

	bad := filepath.Join(dir, "bad.xml")
	if err := os.WriteFile(bad, []byte("<C>\n<MiningRule RuleType=\"7\"/>\n</C>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ParseConfigFile(bad)
	if err == nil || !uerr.Is(err) || !strings.HasPrefix(err.Error(), bad+":2:") {
		t.Errorf("ParseConfigFile(bad) error = %v, want a user error starting %s:2:", err, bad)
	}

	cfg, err := ParseConfigFile(filepath.Join("testdata", "config", "root.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Path != filepath.Join("testdata", "config", "root.xml") {
		t.Errorf("Path = %q", cfg.Path)
	}
	want := defaultParsed(1)
	want.Priority, want.EntityType = 3, "human"
	if len(cfg.MiningRules) != 1 || !reflect.DeepEqual(cfg.MiningRules[0], want) {
		t.Errorf("root.xml rules = %+v, want [%+v]", cfg.MiningRules, want)
	}
}

func TestParseConfigNestedAndPlugins(t *testing.T) {
	cfg, err := ParseConfigFile(filepath.Join("testdata", "config", "nested.xml"))
	if err != nil {
		t.Fatal(err)
	}
	r0 := defaultParsed(5)
	r0.Priority, r0.Policy, r0.RulePolicy = 1, "Deep", "Deep"
	r1 := defaultParsed(8)
	r1.Index, r1.Priority, r1.EntityType = 1, 2, "service_account,api_key"
	if want := []MiningRule{r0, r1}; !reflect.DeepEqual(cfg.MiningRules, want) {
		t.Errorf("rules:\n got %+v\nwant %+v", cfg.MiningRules, want)
	}
	if want := []PluginRef{{Path: "p.wasm", Line: 9}}; !reflect.DeepEqual(cfg.Plugins, want) {
		t.Errorf("plugins = %+v, want %+v", cfg.Plugins, want)
	}

	// Several MiningRule elements side by side at the top level.
	cfg, err = ParseConfig("top.xml", []byte("<MiningRule Priority=\"1\"/>\n<MiningRule Priority=\"2\"/>\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.MiningRules) != 2 || cfg.MiningRules[1].Line != 2 || cfg.MiningRules[1].Index != 1 || cfg.MiningRules[1].Priority != 2 {
		t.Errorf("top-level rules = %+v", cfg.MiningRules)
	}
}

func TestParseConfigNetwrixDocument(t *testing.T) {
	cfg, err := ParseConfigFile(filepath.Join("testdata", "config", "netwrix.xml"))
	if err != nil {
		t.Fatal(err)
	}
	exclude := defaultParsed(17)
	exclude.Priority, exclude.Category, exclude.ExcludeRole = 10, strptr("project"), true

	strict := defaultParsed(18)
	strict.Index, strict.Priority, strict.RulePolicy = 1, 5, "Sensitive"
	strict.IncludeValidations = [4]bool{false, false, true, true}
	strict.PrecisionMin, strict.FalsePositiveMax, strict.RuleType = 99.5, 0.5, Suggested

	nhi := defaultParsed(30)
	nhi.Index, nhi.EntityType = 2, "nhi"
	nhi.Dimensions = []string{"kind", "application", "environment"}
	nhi.RuleType, nhi.MinIdentities, nhi.MaxDimensions = RequestedAutomatically, 2, 3
	nhi.PrecisionMin, nhi.FalsePositiveMax = 95, 5

	catchAll := defaultParsed(33)
	catchAll.Index, catchAll.PrecisionMin, catchAll.FalsePositiveMax = 3, 95, 5

	want := []MiningRule{exclude, strict, nhi, catchAll}
	if len(cfg.MiningRules) != len(want) {
		t.Fatalf("got %d mining rules, want %d: %+v", len(cfg.MiningRules), len(want), cfg.MiningRules)
	}
	for i := range want {
		if !reflect.DeepEqual(cfg.MiningRules[i], want[i]) {
			t.Errorf("rule %d:\n got %+v\nwant %+v", i, cfg.MiningRules[i], want[i])
		}
	}
	wantPlugins := []PluginRef{{Path: "plugins/titlefamily.wasm", Config: "families=eng,fin", Line: 29}}
	if !reflect.DeepEqual(cfg.Plugins, wantPlugins) {
		t.Errorf("plugins = %+v, want %+v", cfg.Plugins, wantPlugins)
	}
}

func TestExampleConfig(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "mining.xml")
	cfg, err := ParseConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rules := cfg.MiningRules
	if len(rules) != 4 {
		t.Fatalf("got %d mining rules, want 4", len(rules))
	}
	run := SortedForRun(rules)
	if first := run[0]; !first.ExcludeRole || first.Category == nil || *first.Category != "project" {
		t.Errorf("first mining rule to run = %+v, want ExcludeRole of Category project", first)
	}
	if s := run[1]; s.IncludeValidations != [4]bool{false, false, true, true} || s.PrecisionMin != 99 || s.FalsePositiveMax != 1 {
		t.Errorf("strict mining rule = %+v", s)
	}
	if n := run[2]; n.EntityType != "nhi" || n.RuleType != RequestedAutomatically ||
		!reflect.DeepEqual(n.Dimensions, []string{"kind", "application", "environment"}) {
		t.Errorf("nhi mining rule = %+v", n)
	}
	if d := run[3]; d.EntityType != "*" || d.PrecisionMin != 95 || d.FalsePositiveMax != 5 || d.Category != nil || d.ExcludeRole {
		t.Errorf("catch-all mining rule = %+v", d)
	}
	if len(cfg.Plugins) != 0 {
		t.Errorf("plugins = %+v, want none (the example is commented out)", cfg.Plugins)
	}
}

func TestSortedForRun(t *testing.T) {
	mk := func(index, priority int) MiningRule { return MiningRule{Index: index, Priority: priority} }
	tests := []struct {
		in   []MiningRule
		want []int // indexes in run order
	}{
		{nil, nil},
		{[]MiningRule{mk(0, 0)}, []int{0}},
		{[]MiningRule{mk(0, 1), mk(1, 5), mk(2, 3)}, []int{1, 2, 0}},
		{[]MiningRule{mk(0, 0), mk(1, 0), mk(2, 0)}, []int{0, 1, 2}},
		{[]MiningRule{mk(0, 0), mk(1, 10), mk(2, 0), mk(3, 10), mk(4, -1)}, []int{1, 3, 0, 2, 4}},
		// Ties fall back to document order even when the input is not in it.
		{[]MiningRule{mk(2, 1), mk(0, 1), mk(1, 2)}, []int{1, 0, 2}},
	}
	for _, tt := range tests {
		orig := append([]MiningRule(nil), tt.in...)
		got := SortedForRun(tt.in)
		var idx []int
		for _, r := range got {
			idx = append(idx, r.Index)
		}
		if !reflect.DeepEqual(idx, tt.want) {
			t.Errorf("SortedForRun(%+v) order = %v, want %v", tt.in, idx, tt.want)
		}
		if !reflect.DeepEqual(tt.in, orig) {
			t.Errorf("SortedForRun modified its input: %+v", tt.in)
		}
	}
}

func TestValidateRuleDefaults(t *testing.T) {
	d := DefaultMiningRule()
	if p := validateRule(&d); p != nil {
		t.Errorf("DefaultMiningRule fails validation: %+v", p)
	}
	p := defaultParsed(1)
	if prob := validateRule(&p); prob != nil {
		t.Errorf("Netwrix defaults fail validation: %+v", prob)
	}
	p.PrecisionMin = -0.1
	if prob := validateRule(&p); prob == nil || prob.Attr != attrPrecisionMin {
		t.Errorf("validateRule(precision -0.1) = %+v, want a PrecisionMinPercentage problem", prob)
	}
}

// TestNameExtremePriority: the smallest priority is printed in full (the hand-written
// integer formatting this replaced printed "-" for it).
func TestNameExtremePriority(t *testing.T) {
	mr := MiningRule{Index: 0, Line: 2, Priority: math.MinInt64}
	if got, want := mr.Name(), "MiningRule#1 (line 2, priority -9223372036854775808)"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
}

// TestParseExcludedDimensions: a Netwrix dimension declaration with
// IsExcludedFromRoleMining="true" excludes its attribute from criteria (design brief,
// section 3; docs/config.md#config-file); other attributes of <Dimension> are
// Netwrix's and ignored, a dimension without the flag or with it false excludes nothing, and
// a malformed flag or a missing Identifier is an error naming the line.
func TestParseExcludedDimensions(t *testing.T) {
	doc := `<ConfigurationFile>
  <Dimension Identifier="email" ColumnMapping="3" IsExcludedFromRoleMining="true"/>
  <Dimension Identifier="title" IsExcludedFromRoleMining="false"/>
  <Dimension Identifier="location"/>
  <Dimension Identifier="email" IsExcludedFromRoleMining="1"/>
  <Dimension Identifier=" cost_center " IsExcludedFromRoleMining=" TRUE "/>
  <MiningRule/>
</ConfigurationFile>`
	cfg, err := ParseConfig("dims.xml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"email", "cost_center"}; !reflect.DeepEqual(cfg.ExcludedDimensions, want) {
		t.Errorf("ExcludedDimensions = %q, want %q", cfg.ExcludedDimensions, want)
	}
	for _, c := range []struct{ doc, want string }{
		{`<Dimension Identifier="email" IsExcludedFromRoleMining="yes"/><MiningRule/>`, `bad.xml:1:31: Dimension attribute IsExcludedFromRoleMining="yes": expected true, false, 1 or 0`},
		{`<Dimension IsExcludedFromRoleMining="true"/><MiningRule/>`, `bad.xml:1:1: Dimension: IsExcludedFromRoleMining="true" without an Identifier: expected the attribute to exclude`},
		// Found by the semantic audit: the last of two flags (or Identifiers) silently won.
		{`<Dimension Identifier="email" IsExcludedFromRoleMining="true" IsExcludedFromRoleMining="false"/><MiningRule/>`, `bad.xml:1:63: Dimension attribute IsExcludedFromRoleMining="false": attribute given twice`},
		{`<Dimension Identifier="email" Identifier="title" IsExcludedFromRoleMining="1"/><MiningRule/>`, `bad.xml:1:31: Dimension attribute Identifier="title": attribute given twice`},
	} {
		if _, err := ParseConfig("bad.xml", []byte(c.doc)); err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %s", c.doc, err, c.want)
		}
	}
}
