package truth

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/uerr"
)

// ident is one identity of a hand-built snapshot: its attributes and roles, with "!"
// after a role marking the assignment unexplained.
type ident struct {
	id, kind, dept, title string
	roles                 []string
}

var people = []ident{
	{"a", "human", "Eng", "Dev", []string{"R_ENG"}},
	{"b", "human", "Eng", "Dev", []string{"R_ENG", "R_PROJ!"}},
	{"c", "human", "Eng", "Mgr", []string{"R_ENG", "R_MGR!"}},
	{"d", "human", "Fin", "Dev", []string{"R_ENG!", "R_MGR"}},
	{"e", "human", "Fin", "Mgr", []string{"R_MGR"}},
	{"f", "service_account", "", "", []string{"R_SA"}},
	{"g", "service_account", "", "", []string{"R_SA"}},
	{"h", "api_key", "", "", []string{"R_ENG!", "R_SA!"}},
}

var roleIDs = []string{"R_ENG", "R_MGR", "R_PROJ", "R_SA"}

// buildSnapshot builds a snapshot (respecting its invariants) and the classification the
// "!" marks describe.
func buildSnapshot(t *testing.T) (*columnar.Snapshot, *mining.Classification) {
	t.Helper()
	s := &columnar.Snapshot{Roles: columnar.Roles{IDs: roleIDs}}
	dim := func(name string, get func(p ident) string) columnar.Dimension {
		d := columnar.Dimension{Name: name}
		for _, p := range people {
			if v := get(p); v != "" && !slices.Contains(d.Values, v) {
				d.Values = append(d.Values, v)
			}
		}
		slices.Sort(d.Values)
		for _, p := range people {
			c := int32(-1)
			if k, ok := slices.BinarySearch(d.Values, get(p)); ok {
				c = int32(k)
			}
			d.Codes = append(d.Codes, c)
		}
		return d
	}
	s.Dims = []columnar.Dimension{
		dim("department", func(p ident) string { return p.dept }),
		dim("kind", func(p ident) string { return p.kind }),
		dim("title", func(p ident) string { return p.title }),
	}
	s.KindDim = 1
	cls := &mining.Classification{}
	holders := make([][]int32, len(roleIDs))
	s.IdentOff = []int64{0}
	for i, p := range people {
		s.IdentityIDs = append(s.IdentityIDs, p.id)
		var rs []int32
		unexplained := map[int32]bool{}
		for _, name := range p.roles {
			r, ok := slices.BinarySearch(roleIDs, strings.TrimSuffix(name, "!"))
			if !ok {
				t.Fatalf("unknown role %s", name)
			}
			rs = append(rs, int32(r))
			unexplained[int32(r)] = strings.HasSuffix(name, "!")
			holders[r] = append(holders[r], int32(i))
		}
		slices.Sort(rs)
		for _, r := range rs {
			s.IdentIdx = append(s.IdentIdx, r)
			if unexplained[r] {
				cls.RuleOf = append(cls.RuleOf, -1)
			} else {
				cls.RuleOf = append(cls.RuleOf, 0)
			}
		}
		s.IdentOff = append(s.IdentOff, int64(len(s.IdentIdx)))
	}
	s.RoleOff = []int64{0}
	for _, h := range holders {
		s.RoleIdx = append(s.RoleIdx, h...)
		s.RoleOff = append(s.RoleOff, int64(len(s.RoleIdx)))
	}
	return s, cls
}

// rule builds a model rule of role id on "attribute=value" terms.
func rule(t *testing.T, s *columnar.Snapshot, id, scope string, terms ...string) mining.Rule {
	t.Helper()
	r, ok := slices.BinarySearch(s.Roles.IDs, id)
	if !ok {
		t.Fatalf("unknown role %s", id)
	}
	var c kernels.Criterion
	for _, term := range terms {
		attr, val, _ := strings.Cut(term, "=")
		d := s.DimIndex(attr)
		v, ok := slices.BinarySearch(s.Dims[d].Values, val)
		if d < 0 || !ok {
			t.Fatalf("unknown term %s", term)
		}
		c.T[c.N] = kernels.Term{Dim: int32(d), Val: int32(v)}
		c.N++
	}
	return mining.Rule{ID: id + "/" + strings.Join(terms, "&"), Role: int32(r), Criterion: c, EntityType: scope}
}

func testTruth() *Truth {
	crit := func(a, v string) []Criterion { return []Criterion{{Attribute: a, Value: v}} }
	return &Truth{
		Format: Format,
		Roles: []Role{
			{RoleID: "R_ENG", Type: TypeRule, Rules: []Rule{{EntityType: "*", Criteria: crit("department", "Eng")}}},
			{RoleID: "R_SA", Type: TypeRule, Rules: []Rule{{EntityType: "*", Criteria: crit("kind", "service_account")}}},
			{RoleID: "R_MGR", Type: TypeRule, Rules: []Rule{{EntityType: "human", Criteria: crit("title", "Mgr")}}},
			// Absent from the snapshot: planted set {d, e}, nothing emitted.
			{RoleID: "R_GONE", Type: TypeRule, Rules: []Rule{{EntityType: "*", Criteria: crit("department", "Fin")}}},
			{RoleID: "R_PROJ", Type: TypeProject, Rules: []Rule{}},
		},
		Noise: []Noise{
			{IdentityID: "d", RoleID: "R_ENG", Type: NoiseStale},   // unexplained
			{IdentityID: "h", RoleID: "R_SA", Type: NoiseExtra},    // unexplained
			{IdentityID: "g", RoleID: "R_SA", Type: NoiseExtra},    // explained: not left unexplained
			{IdentityID: "zz", RoleID: "R_ENG", Type: NoiseExtra},  // not in the snapshot
			{IdentityID: "a", RoleID: "R_MGR", Type: NoiseMissing}, // ignored by the unexplained scores
		},
	}
}

func TestScore(t *testing.T) {
	snap, cls := buildSnapshot(t)
	tests := []struct {
		name     string
		rules    func() []mining.Rule
		meanF1   float64
		below    int
		withRule int
	}{
		{
			// F1: ENG 1, SA 1, MGR 2*1/(2+2)=0.5 (dept=Fin matches d,e; planted c,e), GONE 0.
			name: "mixed",
			rules: func() []mining.Rule {
				return []mining.Rule{
					rule(t, snap, "R_ENG", "*", "department=Eng"),
					rule(t, snap, "R_MGR", "*", "department=Fin"),
					rule(t, snap, "R_PROJ", "*", "department=Fin", "title=Dev"),
					rule(t, snap, "R_SA", "nhi", "kind=service_account"),
				}
			},
			meanF1: (1 + 1 + 0.5 + 0) / 4, below: 2, withRule: 1,
		},
		{
			// The R_SA rule's scope excludes service accounts: it matches nobody (F1 0).
			// R_MGR's two ORed rules match exactly c and e (F1 1).
			name: "scope respected and rules ORed",
			rules: func() []mining.Rule {
				return []mining.Rule{
					rule(t, snap, "R_ENG", "*", "department=Eng"),
					rule(t, snap, "R_MGR", "human", "department=Eng", "title=Mgr"),
					rule(t, snap, "R_MGR", "*", "department=Fin", "title=Mgr"),
					rule(t, snap, "R_SA", "human", "kind=service_account"),
				}
			},
			meanF1: (1.0 + 0 + 1 + 0) / 4, below: 2, withRule: 0,
		},
		{
			// No rules at all: every rule role scores 0.
			name: "no rules",
			rules: func() []mining.Rule {
				return nil
			},
			meanF1: 0, below: 4, withRule: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			model := &mining.Model{Rules: tc.rules()}
			q, err := Score(snap, model, cls, testTruth())
			if err != nil {
				t.Fatal(err)
			}
			if q.RuleRoles != 4 || q.ProjectRoles != 1 {
				t.Errorf("roles: %d rule, %d project; want 4, 1", q.RuleRoles, q.ProjectRoles)
			}
			if math.Abs(q.MeanF1-tc.meanF1) > 1e-9 || q.RolesF1Below99 != tc.below || q.ProjectRolesWithRules != tc.withRule {
				t.Errorf("got F1 %.4f, below %d, project with rules %d; want %.4f, %d, %d",
					q.MeanF1, q.RolesF1Below99, q.ProjectRolesWithRules, tc.meanF1, tc.below, tc.withRule)
			}
			// Unexplained on rule roles: c/R_MGR, d/R_ENG, h/R_ENG, h/R_SA (b/R_PROJ is a
			// project role); noise among them: d/R_ENG, h/R_SA.
			if q.UnexplainedOnRuleRoles != 4 || q.UnexplainedThatAreNoise != 2 || q.UnexplainedPrecision != 0.5 {
				t.Errorf("unexplained %d, noise %d, precision %v; want 4, 2, 0.5", q.UnexplainedOnRuleRoles, q.UnexplainedThatAreNoise, q.UnexplainedPrecision)
			}
			if q.PlantedNoise != 4 || q.NoiseLeftUnexplained != 2 || q.NoiseRecall != 0.5 || q.NoiseAbsent != 1 {
				t.Errorf("planted noise %d, left %d, recall %v, absent %d; want 4, 2, 0.5, 1", q.PlantedNoise, q.NoiseLeftUnexplained, q.NoiseRecall, q.NoiseAbsent)
			}
			if s := q.String(); !strings.Contains(s, "mean F1") || !strings.Contains(s, "recall 50.0%") {
				t.Errorf("String() = %q", s)
			}
		})
	}
}

func TestScoreMultiValued(t *testing.T) {
	snap, cls := buildSnapshot(t)
	// Give f (a service account) the extra department value Eng: the planted R_ENG rule
	// (scope "*") now also selects f, the emitted one does not.
	d := &snap.Dims[0]
	d.MultiOff = make([]int32, len(people)+1)
	for i := range people {
		d.MultiOff[i+1] = d.MultiOff[i]
		if people[i].id == "f" {
			d.MultiCodes = append(d.MultiCodes, 0) // "Eng"
			d.MultiOff[i+1]++
		}
	}
	tr := &Truth{Format: Format, Roles: []Role{{RoleID: "R_ENG", Type: TypeRule, Rules: []Rule{{EntityType: "*", Criteria: []Criterion{{Attribute: "department", Value: "Eng"}}}}}}}
	model := &mining.Model{Rules: []mining.Rule{rule(t, snap, "R_ENG", "human", "department=Eng")}}
	q, err := Score(snap, model, cls, tr)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * 3.0 / (4 + 3); math.Abs(q.MeanF1-want) > 1e-9 {
		t.Errorf("F1 %.4f, want %.4f", q.MeanF1, want)
	}
}

func TestScoreRejectsMismatch(t *testing.T) {
	snap, cls := buildSnapshot(t)
	short := &mining.Classification{RuleOf: cls.RuleOf[1:]}
	if _, err := Score(snap, &mining.Model{}, short, testTruth()); err == nil {
		t.Error("classification shorter than assignments: no error")
	}
	bad := &mining.Model{Rules: []mining.Rule{{Role: 99}}}
	if _, err := Score(snap, bad, cls, testTruth()); err == nil {
		t.Error("rule of unknown role: no error")
	}
	badTerm := rule(t, snap, "R_ENG", "*", "department=Eng")
	badTerm.Criterion.T[0].Val = 42
	if _, err := Score(snap, &mining.Model{Rules: []mining.Rule{badTerm}}, cls, testTruth()); err == nil {
		t.Error("rule with unknown value code: no error")
	}
}

func writeTruth(t *testing.T, rules, noise string) string {
	t.Helper()
	dir := t.TempDir()
	if rules != "" {
		if err := os.WriteFile(filepath.Join(dir, "rules.json"), []byte(rules), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if noise != "" {
		if err := os.WriteFile(filepath.Join(dir, "noise.csv"), []byte(noise), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const goodRules = `{"format":"rolemine.truth/v1","seed":7,"tier":"S","roles":[
 {"role_id":"A","type":"rule","rules":[{"entity_type":"*","criteria":[{"attribute":"department","value":"Eng"}]},
   {"entity_type":"nhi","criteria":[{"attribute":"application","value":"pay"},{"attribute":"environment","value":"prod"}]}]},
 {"role_id":"P","type":"project","rules":[]}]}`

const goodNoise = "identity_id,role_id,type\nu1,A,extra\nu2,A,stale\nu3,A,missing\n"

func TestLoad(t *testing.T) {
	tr, err := Load(writeTruth(t, goodRules, goodNoise))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Seed != 7 || tr.Tier != "S" || len(tr.Roles) != 2 || len(tr.Roles[0].Rules) != 2 {
		t.Errorf("loaded %+v", tr)
	}
	if got := tr.Roles[0].Rules[1]; got.EntityType != "nhi" || len(got.Criteria) != 2 || got.Criteria[1] != (Criterion{Attribute: "environment", Value: "prod"}) {
		t.Errorf("second rule %+v", got)
	}
	want := []Noise{{IdentityID: "u1", RoleID: "A", Type: NoiseExtra}, {IdentityID: "u2", RoleID: "A", Type: NoiseStale}, {IdentityID: "u3", RoleID: "A", Type: NoiseMissing}}
	if !slices.Equal(tr.Noise, want) {
		t.Errorf("noise %v, want %v", tr.Noise, want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, rules, noise, want string
	}{
		{"no rules.json", "", goodNoise, "rules.json"},
		{"no noise.csv", goodRules, "", "noise.csv"},
		{"bad json", `{"format":`, goodNoise, "rules.json"},
		{"wrong format", strings.Replace(goodRules, "truth/v1", "truth/v9", 1), goodNoise, "format"},
		{"bad type", strings.Replace(goodRules, `"type":"project"`, `"type":"other"`, 1), goodNoise, `type "other"`},
		{"duplicate role", strings.Replace(goodRules, `"role_id":"P"`, `"role_id":"A"`, 1), goodNoise, "duplicate"},
		{"rule role without rules", strings.Replace(goodRules, `"type":"project"`, `"type":"rule"`, 1), goodNoise, "without rules"},
		{"unknown field", strings.Replace(goodRules, `"seed":7`, `"seed":7,"x":1`, 1), goodNoise, "unknown field"},
		{"bad header", goodRules, "id,role,type\n", "header"},
		{"bad noise type", goodRules, "identity_id,role_id,type\nu1,A,bogus\n", "row 2, column type"},
		{"short noise row", goodRules, "identity_id,role_id,type\nu1,A\n", "noise.csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeTruth(t, tc.rules, tc.noise))
			if err == nil {
				t.Fatal("no error")
			}
			if !uerr.Is(err) {
				t.Errorf("not a user error: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestUniverseQualityString checks that the hidden-access line states the denominator of
// each figure, the found pairs included for the count that names the planted chain.
func TestUniverseQualityString(t *testing.T) {
	q := &UniverseQuality{HiddenPlanted: 4, HiddenFound: 3, ViaNamed: 2, HiddenReported: 5, Recall: 0.75, Precision: 0.6}
	want := "hidden inherited: 4 planted, 3 found (recall 75.0%), 5 reported (precision 60.0%), planted chain named in via for 2 of the 3 found\n"
	if got := q.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestLoadUniverseHidden: hidden.csv must carry its header, and a pair listed twice is
// refused (it would count twice among the planted pairs), naming the rows.
func TestLoadUniverseHidden(t *testing.T) {
	cases := []struct{ hidden, err string }{
		{"identity_id,role_id,via\nu1,R1,G > R1\nu2,R1,G > R1\n", ""},
		{"identity_id,role_id,via\nu1,R1,G > R1\nu1,R1,H > R1\n", "row 3: pair (u1, R1) already listed on row 2"},
		{"identity,role,via\nu1,R1,G > R1\n", "header: expected identity_id,role_id,via"},
		{"identity_id,role_id,via\n,R1,G > R1\n", "row 2: want identity_id,role_id,via"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "universe.json"), []byte(`{"systems":{}}`), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "hidden.csv"), []byte(c.hidden), 0o644); err != nil {
			t.Fatal(err)
		}
		u, err := LoadUniverse(dir)
		switch {
		case c.err == "" && (err != nil || len(u.Hidden) != 2):
			t.Errorf("%q: %v, %+v", c.hidden, err, u)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: error %v, want %q", c.hidden, err, c.err)
		}
	}
}
