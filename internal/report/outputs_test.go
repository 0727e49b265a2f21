package report

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/mining"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixture is a small enterprise, built by hand, with a model and its classification.
//
// Identities (file order), department / kind / title (and location, used by no rule):
//
//	0 alice    Finance human           Analyst
//	1 bob      Finance human           Analyst
//	2 carol    Finance human           Manager
//	3 dave     Sales   human           Manager
//	4 svc-etl  Finance service_account -
//	5 svc-bot  R&D     service_account -
//	6 erin     Sales   human           Manager
//
// Roles: ETL_RUN, FIN_REPORTING, LEGACY (implicit), SALES_CRM.
// Assignments: alice FIN; bob FIN, LEGACY; carol FIN, SALES; dave SALES; svc-etl ETL, FIN;
// svc-bot ETL; orphans ghost ETL, ghost SALES, zed FIN.
//
// Mining rules: #0 human (priority 10), #1 service_account (policy NHI, Suggested),
// #2 ExcludeRole (priority 20). Rules:
//
//	0 ETL_RUN       department=R&D & kind=service_account  (scope service_account)
//	1 FIN_REPORTING department=Finance                      (scope human)
//	2 SALES_CRM     title=Manager                           (scope human)
//
// So svc-etl's ETL_RUN and FIN_REPORTING and bob's LEGACY are unexplained, and erin gets
// a suggestion of SALES_CRM.
func fixture() (*columnar.Snapshot, *mining.Model, *mining.Classification) {
	snap := &columnar.Snapshot{
		IdentityIDs: []string{"alice", "bob", "carol", "dave", "svc-etl", "svc-bot", "erin"},
		Dims: []columnar.Dimension{
			{Name: "department", Values: []string{"Finance", "R&D", "Sales"}, Codes: []int32{0, 0, 0, 2, 0, 1, 2}},
			{Name: "kind", Values: []string{"human", "service_account"}, Codes: []int32{0, 0, 0, 0, 1, 1, 0}},
			{Name: "location", Values: []string{"Paris"}, Codes: []int32{0, 0, 0, 0, 0, -1, -1}},
			{Name: "title", Values: []string{"Analyst", "Manager"}, Codes: []int32{0, 0, 1, 1, -1, -1, 1}},
		},
		KindDim: 1,
		Roles: columnar.Roles{
			IDs:         []string{"ETL_RUN", "FIN_REPORTING", "LEGACY", "SALES_CRM"},
			Category:    []string{"Ops", "Finance", "", "Sales <EMEA>"},
			Validations: []int8{0, 1, 0, 2},
			Application: []string{"etl", "erp", "", "crm"},
			Description: []string{"", "", "", ""},
			Implicit:    []bool{false, false, true, false},
		},
		RoleOff:  []int64{0, 2, 6, 7, 9},
		RoleIdx:  []int32{4, 5, 0, 1, 2, 4, 1, 2, 3},
		IdentOff: []int64{0, 1, 3, 5, 6, 8, 9, 9},
		IdentIdx: []int32{1, 1, 2, 1, 3, 3, 0, 1, 0},
		Orphans:  []columnar.Orphan{{IdentityID: "ghost", Role: 0}, {IdentityID: "ghost", Role: 3}, {IdentityID: "zed", Role: 1}},
		Findings: columnar.Findings{
			OrphanAssignments:    3,
			OrphanIdentities:     []string{"ghost", "zed"},
			ImplicitRoles:        1,
			DuplicateAssignments: 2,
			SkippedDimensions:    []columnar.SkippedDimension{{Name: "email", Distinct: 7, Reason: "7 distinct values for 7 identities"}},
		},
		Inputs: []columnar.Input{
			{Name: "identities", Path: "data/identities.csv", Bytes: 321, SHA256: "aa11", Rows: 7},
			{Name: "assignments", Path: "data/assignments.parquet", Bytes: 4567, SHA256: "bb22", Rows: 14},
		},
	}
	excl := ""
	cfg := &mining.Config{
		Path: "mining.xml",
		MiningRules: []mining.MiningRule{
			{Index: 0, Line: 3, Priority: 10, EntityType: "human", Policy: "Default", RulePolicy: "Default",
				IncludeValidations: [4]bool{true, true, true, true}, PrecisionMin: 75, FalsePositiveMax: 40,
				RuleType: mining.Required, MinIdentities: 2, MaxDimensions: 2},
			{Index: 1, Line: 4, Priority: 0, EntityType: "service_account", Policy: "NHI", RulePolicy: "NHI",
				IncludeValidations: [4]bool{true, true, true, true}, PrecisionMin: 50, FalsePositiveMax: 0,
				RuleType: mining.Suggested, MinIdentities: 1, MaxDimensions: 2},
			{Index: 2, Line: 5, Priority: 20, EntityType: "*", Policy: "Default", RulePolicy: "Default", Category: &excl,
				IncludeValidations: [4]bool{true, true, true, true}, ExcludeRole: true, MinIdentities: 3, MaxDimensions: 2},
		},
	}
	crit := func(terms ...kernels.Term) kernels.Criterion {
		var c kernels.Criterion
		c.N = uint8(copy(c.T[:], terms))
		return c
	}
	m := &mining.Model{
		Config: cfg,
		Rules: []mining.Rule{
			{ID: "r-5e7a01", Role: 0, Criterion: crit(kernels.Term{Dim: 0, Val: 1}, kernels.Term{Dim: 1, Val: 1}),
				Type: mining.Suggested, Policy: "NHI", EntityType: "service_account", MiningRule: 1, Priority: 0, Support: 1, TP: 1},
			{ID: "r-f1a2b3", Role: 1, Criterion: crit(kernels.Term{Dim: 0, Val: 0}),
				Type: mining.Required, Policy: "Default", EntityType: "human", MiningRule: 0, Priority: 10, Support: 3, TP: 3},
			{ID: "r-c4d5e6", Role: 3, Criterion: crit(kernels.Term{Dim: 3, Val: 1}),
				Type: mining.Required, Policy: "Default", EntityType: "human", MiningRule: 0, Priority: 10, Support: 3, TP: 2, FP: 1},
		},
		Outcomes: []mining.Outcome{
			{Role: 0, MiningRule: 1, ExcludedBy: -1,
				Attempts: []mining.Attempt{{MiningRule: 0, Reason: "no holder in scope"}, {MiningRule: 1, Covered: true}},
				N:        2, TP: 1, FN: 1, Precision: 50, Rules: 1, Candidates: 3, Exact: true},
			{Role: 1, MiningRule: 0, ExcludedBy: -1,
				Attempts: []mining.Attempt{{MiningRule: 0, Covered: true}},
				N:        5, TP: 3, TN: 2, Precision: 100, Rules: 1, Candidates: 2, Exact: true},
			{Role: 2, MiningRule: -1, ExcludedBy: 2, Reason: "withheld by MiningRule#3 (line 5, priority 20)",
				N: 7, FN: 1, TN: 6, Precision: 600.0 / 7},
			{Role: 3, MiningRule: 0, ExcludedBy: -1,
				Attempts: []mining.Attempt{{MiningRule: 0, Covered: true}},
				N:        5, TP: 2, FP: 1, TN: 2, Precision: 80, FalsePositivePct: 100.0 / 3, Rules: 1, Candidates: 4},
		},
		ScopeSizes:  []int64{5, 2, 7},
		SkippedDims: [][]string{{}, {"title"}, nil},
		Backend:     "cpu",
	}
	cls := &mining.Classification{
		RuleOf:      []int32{1, 1, -1, 1, 2, 2, -1, -1, 0},
		Suggestions: []mining.Suggestion{{Identity: 6, Role: 3, Rule: 2}},
	}
	return snap, m, cls
}

func fixtureInfo() RunInfo {
	return RunInfo{
		Version: "v0.1.0-test",
		Backend: "cpu",
		Workers: 2,
		Phases:  []Phase{{Name: "load", Seconds: 0.25}, {Name: "mine", Seconds: 1.5}},
		Config:  "mining.xml",
		Started: time.Date(2026, 11, 3, 4, 5, 6, 0, time.UTC),
	}
}

func writeFixture(t *testing.T, dir string) {
	t.Helper()
	snap, m, cls := fixture()
	if err := WriteModel(context.Background(), dir, snap, m, cls, fixtureInfo()); err != nil {
		t.Fatal(err)
	}
}

func TestWriteModelGolden(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir)
	for _, name := range []string{RulesJSONFile, RulesXMLFile, RolesJSONFile, SummaryJSONFile} {
		t.Run(name, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", name, golden, got)
			}
		})
	}
}

func TestWriteModelFiles(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir)
	var got []string
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") { // the output directory's own bookkeeping
			got = append(got, e.Name())
		}
	}
	want := []string{AssignmentsParquetFile, RolesJSONFile, RulesJSONFile, RulesParquetFile, RulesXMLFile, SuggestionsParquetFile, SummaryJSONFile}
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("output dir holds %v, want %v", got, want)
	}
}

// assignmentReadRow reads assignments.parquet, keeping null rule ids apart from "".
type assignmentReadRow struct {
	IdentityID string  `parquet:"identity_id"`
	RoleID     string  `parquet:"role_id"`
	Kind       string  `parquet:"kind"`
	Status     string  `parquet:"status"`
	RuleID     *string `parquet:"rule_id,optional"`
}

type assignmentWant struct{ identity, role, kind, status, rule string }

func readAssignments(t *testing.T, path string) []assignmentWant {
	t.Helper()
	rows, err := parquet.ReadFile[assignmentReadRow](path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]assignmentWant, len(rows))
	for k, r := range rows {
		rule := "<null>"
		if r.RuleID != nil {
			rule = *r.RuleID
		}
		out[k] = assignmentWant{r.IdentityID, r.RoleID, r.Kind, r.Status, rule}
	}
	return out
}

// checkDictionary fails unless every string column of the file is dictionary encoded.
func checkDictionary(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, rg := range f.Metadata().RowGroups {
		for _, c := range rg.Columns {
			if c.MetaData.Type != format.ByteArray {
				continue
			}
			if !slices.Contains(c.MetaData.Encoding, format.RLEDictionary) {
				t.Errorf("%s column %v encodings %v, want RLE_DICTIONARY", filepath.Base(path), c.MetaData.PathInSchema, c.MetaData.Encoding)
			}
		}
	}
}

func TestAssignmentsParquet(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir)
	path := filepath.Join(dir, AssignmentsParquetFile)
	got := readAssignments(t, path)
	want := []assignmentWant{
		{"alice", "FIN_REPORTING", "human", "explained", "r-f1a2b3"},
		{"bob", "FIN_REPORTING", "human", "explained", "r-f1a2b3"},
		{"bob", "LEGACY", "human", "unexplained", "<null>"},
		{"carol", "FIN_REPORTING", "human", "explained", "r-f1a2b3"},
		{"carol", "SALES_CRM", "human", "explained", "r-c4d5e6"},
		{"dave", "SALES_CRM", "human", "explained", "r-c4d5e6"},
		{"svc-etl", "ETL_RUN", "service_account", "unexplained", "<null>"},
		{"svc-etl", "FIN_REPORTING", "service_account", "unexplained", "<null>"},
		{"svc-bot", "ETL_RUN", "service_account", "explained", "r-5e7a01"},
		{"ghost", "ETL_RUN", "", "orphan", "<null>"},
		{"ghost", "SALES_CRM", "", "orphan", "<null>"},
		{"zed", "FIN_REPORTING", "", "orphan", "<null>"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("assignments.parquet rows:\n got %v\nwant %v", got, want)
	}
	checkDictionary(t, path)
}

func TestSuggestionsParquet(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir)
	path := filepath.Join(dir, SuggestionsParquetFile)
	got, err := parquet.ReadFile[suggestionRow](path)
	if err != nil {
		t.Fatal(err)
	}
	want := []suggestionRow{{IdentityID: "erin", RoleID: "SALES_CRM", RuleID: "r-c4d5e6", Kind: "human"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("suggestions.parquet rows:\n got %+v\nwant %+v", got, want)
	}
	checkDictionary(t, path)
}

func TestRulesParquet(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir)
	got, err := parquet.ReadFile[ruleRecord](filepath.Join(dir, RulesParquetFile))
	if err != nil {
		t.Fatal(err)
	}
	want := []ruleRecord{
		{RuleID: "r-5e7a01", RoleID: "ETL_RUN", Policy: "NHI", RuleType: "suggested", EntityType: "service_account",
			Criteria: []termRecord{{Attribute: "department", Value: "R&D"}, {Attribute: "kind", Value: "service_account"}}, Support: 1, TP: 1},
		{RuleID: "r-f1a2b3", RoleID: "FIN_REPORTING", Policy: "Default", RuleType: "required", EntityType: "human",
			Criteria: []termRecord{{Attribute: "department", Value: "Finance"}}, MiningRulePriority: 10, Support: 3, TP: 3},
		{RuleID: "r-c4d5e6", RoleID: "SALES_CRM", Policy: "Default", RuleType: "required", EntityType: "human",
			Criteria: []termRecord{{Attribute: "title", Value: "Manager"}}, MiningRulePriority: 10, Support: 3, TP: 2, FP: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rules.parquet rows:\n got %+v\nwant %+v", got, want)
	}
	// The criteria column is a LIST of structs.
	b, _ := os.ReadFile(filepath.Join(dir, RulesParquetFile))
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	crit, ok := f.Schema().Lookup("criteria", "list", "element", "attribute")
	if !ok || crit.Node.Type().Kind() != parquet.ByteArray {
		t.Errorf("rules.parquet has no criteria.list.element.attribute string column; schema:\n%s", f.Schema())
	}
}

func TestWriteModelDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeFixture(t, a)
	writeFixture(t, b)
	for _, name := range []string{RulesJSONFile, RulesParquetFile, RulesXMLFile, RolesJSONFile, AssignmentsParquetFile, SuggestionsParquetFile, SummaryJSONFile} {
		x, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two identical runs", name)
		}
	}
}

// snapshotFiles reads every file of dir by name.
func snapshotFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") { // the output directory's own bookkeeping
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func TestWriteModelFailureLeavesPreviousOutputs(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		spoil func(snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification)
		want  string
	}{
		{"assignment explained by another role's rule", context.Background(),
			func(_ *columnar.Snapshot, _ *mining.Model, cls *mining.Classification) { cls.RuleOf[8] = 1 },
			"not a rule of that role"},
		{"assignment with a rule index out of range", context.Background(),
			func(_ *columnar.Snapshot, _ *mining.Model, cls *mining.Classification) { cls.RuleOf[0] = 99 },
			"not a rule of that role"},
		{"classification of another snapshot", context.Background(),
			func(_ *columnar.Snapshot, _ *mining.Model, cls *mining.Classification) { cls.RuleOf = cls.RuleOf[:3] },
			"3 statuses for 9 assignments"},
		{"suggestion outside the model", context.Background(),
			func(_ *columnar.Snapshot, _ *mining.Model, cls *mining.Classification) { cls.Suggestions[0].Rule = 7 },
			"suggestion 0"},
		{"rule term outside the snapshot", context.Background(),
			func(_ *columnar.Snapshot, m *mining.Model, _ *mining.Classification) {
				m.Rules[1].Criterion.T[0].Val = 9
			},
			"outside the snapshot"},
		{"missing outcomes", context.Background(),
			func(_ *columnar.Snapshot, m *mining.Model, _ *mining.Classification) { m.Outcomes = m.Outcomes[:2] },
			"2 role outcomes for 4 roles"},
		{"identity offsets out of order", context.Background(),
			func(snap *columnar.Snapshot, _ *mining.Model, _ *mining.Classification) { snap.IdentOff[2] = 0 },
			"offsets decrease at identity 1"},
		{"cancelled", cancelled,
			func(*columnar.Snapshot, *mining.Model, *mining.Classification) {},
			context.Canceled.Error()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFixture(t, dir)
			before := snapshotFiles(t, dir)
			snap, m, cls := fixture()
			m.Rules[0].ID = "changed" // would change every file that names the rule
			tc.spoil(snap, m, cls)
			err := WriteModel(tc.ctx, dir, snap, m, cls, fixtureInfo())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("WriteModel error = %v, want one containing %q", err, tc.want)
			}
			after := snapshotFiles(t, dir)
			if !reflect.DeepEqual(before, after) {
				var names []string
				for n := range after {
					names = append(names, n)
				}
				t.Errorf("outputs changed after a failed write; dir holds %v", names)
			}
		})
	}
}

func TestWriteModelBadDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	snap, m, cls := fixture()
	if err := WriteModel(context.Background(), file, snap, m, cls, fixtureInfo()); err == nil {
		t.Fatal("WriteModel into a regular file succeeded")
	}
	if err := WriteModel(context.Background(), t.TempDir(), nil, m, cls, fixtureInfo()); err == nil {
		t.Fatal("WriteModel with a nil snapshot succeeded")
	}
}

func TestEmptyModel(t *testing.T) {
	snap, m, _ := fixture()
	m.Rules = nil
	for k := range m.Outcomes {
		m.Outcomes[k].MiningRule = -1
	}
	cls := &mining.Classification{RuleOf: make([]int32, len(snap.IdentIdx))}
	for k := range cls.RuleOf {
		cls.RuleOf[k] = -1
	}
	dir := t.TempDir()
	if err := WriteModel(context.Background(), dir, snap, m, cls, RunInfo{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, RulesJSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"format\": \"rolemine.rules/v1\",\n  \"rules\": []\n}\n"; string(b) != want {
		t.Errorf("rules.json = %q, want %q", b, want)
	}
	rows := readAssignments(t, filepath.Join(dir, AssignmentsParquetFile))
	if len(rows) != 12 {
		t.Fatalf("%d assignment rows, want 12", len(rows))
	}
	for _, r := range rows[:9] {
		if r.status != "unexplained" || r.rule != "<null>" {
			t.Errorf("row %v, want unexplained with a null rule", r)
		}
	}
}

// TestAssignmentRowGroups writes a larger random enterprise in many small row groups with
// several worker counts: the bytes must not depend on the workers, and the rows must come
// back in CSR order followed by orphans.
func TestAssignmentRowGroups(t *testing.T) {
	snap, m, cls := randomEnterprise(500, 40, 3000, 25)
	var want []assignmentWant
	kd := &snap.Dims[snap.KindDim]
	for i := range snap.IdentityIDs {
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			w := assignmentWant{snap.IdentityIDs[i], snap.Roles.IDs[snap.IdentIdx[k]], kd.Values[kd.Codes[i]], "unexplained", "<null>"}
			if ro := cls.RuleOf[k]; ro >= 0 {
				w.status, w.rule = "explained", m.Rules[ro].ID
			}
			want = append(want, w)
		}
	}
	for _, o := range snap.Orphans {
		want = append(want, assignmentWant{o.IdentityID, snap.Roles.IDs[o.Role], "", "orphan", "<null>"})
	}
	var first []byte
	for _, tc := range []struct {
		workers   int
		groupRows int64
	}{{1, 97}, {2, 97}, {5, 97}, {2, 1 << 20}} {
		var buf bytes.Buffer
		if err := writeAssignmentsParquet(context.Background(), &buf, snap, m, cls, "test", tc.workers, tc.groupRows); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "a.parquet")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := readAssignments(t, path); !reflect.DeepEqual(got, want) {
			t.Fatalf("workers=%d groupRows=%d: %d rows read back differ from the %d expected", tc.workers, tc.groupRows, len(got), len(want))
		}
		f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		wantGroups := (int64(len(want)) + tc.groupRows - 1) / tc.groupRows
		if got := len(f.RowGroups()); int64(got) != wantGroups {
			t.Errorf("workers=%d groupRows=%d: %d row groups, want %d", tc.workers, tc.groupRows, got, wantGroups)
		}
		if tc.groupRows != 97 {
			continue
		}
		if first == nil {
			first = buf.Bytes()
		} else if !bytes.Equal(first, buf.Bytes()) {
			t.Errorf("workers=%d: bytes differ from workers=1", tc.workers)
		}
	}
}

func TestAssignmentsCancelled(t *testing.T) {
	snap, m, cls := randomEnterprise(300, 20, 2000, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	err := writeAssignmentsParquet(ctx, &buf, snap, m, cls, "test", 2, 50)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}
