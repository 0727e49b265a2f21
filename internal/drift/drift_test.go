package drift

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/columnar"
	ondisk "github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/report"
)

var update = flag.Bool("update", false, "rewrite golden files")

func load(t testing.TB, dir string) *columnar.Snapshot {
	t.Helper()
	s, err := columnar.Load(context.Background(), dir, columnar.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "pair", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/drift -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file:\n--- got\n%s--- want\n%s", name, got, want)
	}
}

// prevAssignmentRow is the part of a model's assignments.parquet drift reads, as tests
// write it with parquet-go.
type prevAssignmentRow struct {
	IdentityID string  `parquet:"identity_id"`
	RoleID     string  `parquet:"role_id"`
	Status     string  `parquet:"status"`
	RuleID     *string `parquet:"rule_id,optional"`
}

// writePrevAssignments writes the model's assignments.parquet as `rolemine mine` would
// have for the prev snapshot.
func writePrevAssignments(t *testing.T, dir string) string {
	t.Helper()
	rule := func(s string) *string { return &s }
	rows := []prevAssignmentRow{
		{"a1", "CRM", "explained", rule("r0000000000000001")},
		{"a2", "CRM", "explained", rule("r0000000000000001")},
		{"a3", "CRM", "explained", rule("r0000000000000001")},
		{"gone1", "CRM", "explained", rule("r0000000000000001")},
		{"a4", "EXTRA", "unexplained", nil},
		{"s3", "SVC_DEPLOY", "explained", rule("r0000000000000004")},
	}
	path := filepath.Join(dir, report.AssignmentsParquetFile)
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDriftPair(t *testing.T) {
	model, err := report.ReadModel(filepath.Join("testdata", "pair", "model"))
	if err != nil {
		t.Fatal(err)
	}
	next := load(t, filepath.Join("testdata", "pair", "next"))
	prev := load(t, filepath.Join("testdata", "pair", "prev"))
	for _, tc := range []struct {
		name   string
		base   Baseline
		golden string
		named  bool
		// want counts: grant, suggest, revoke, orphan, new unexplained (-1: unknown)
		grant, suggest, revoke, orphan, newU int
	}{
		{"previous data", Baseline{Previous: prev}, "remediation.csv", true, 2, 1, 2, 1, 1},
		{"model assignments only", Baseline{PreviousAssignments: writePrevAssignments(t, t.TempDir())}, "remediation-noprev.csv", false, 2, 1, 2, 1, 1},
		{"no baseline", Baseline{}, "remediation-nobase.csv", false, 2, 1, 0, 1, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, workers := range []int{1, 3} {
				res, err := Compute(context.Background(), model, next, tc.base, Options{Workers: workers})
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := WriteRemediation(&buf, res.Actions); err != nil {
					t.Fatal(err)
				}
				golden(t, tc.golden, buf.Bytes())
				s := res.Summary
				got := []int64{s.Actions[ActionGrant].Total, s.Actions[ActionSuggest].Total, s.Actions[ActionRevoke].Total, s.Actions[ActionOrphan].Total}
				want := []int64{int64(tc.grant), int64(tc.suggest), int64(tc.revoke), int64(tc.orphan)}
				for k := range got {
					if got[k] != want[k] {
						t.Fatalf("workers %d: action counts %v, want %v", workers, got, want)
					}
				}
				if tc.newU < 0 && s.NewUnexplained != nil || tc.newU >= 0 && (s.NewUnexplained == nil || s.NewUnexplained.Total != int64(tc.newU)) {
					t.Fatalf("new unexplained %+v, want %d", s.NewUnexplained, tc.newU)
				}
				if s.ChangesNamed != tc.named || (!tc.named && s.Note == "") {
					t.Fatalf("attribute_changes_named %v note %q", s.ChangesNamed, s.Note)
				}
				a := s.Assignments
				if a.Total != 15 || a.Explained+a.Unexplained+a.Orphans != a.Total || a.Orphans != 1 || a.Explained != 10 {
					t.Fatalf("assignments %+v", a)
				}
			}
		})
	}
}

func TestDriftRulesHealth(t *testing.T) {
	model, err := report.ReadModel(filepath.Join("testdata", "pair", "model"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Compute(context.Background(), model, load(t, filepath.Join("testdata", "pair", "next")), Baseline{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		support, tp int64
		degraded    bool
	}{
		// a1, a2 hold CRM; a7 joined without it: fp 1/3.
		"CRM": {3, 2, true},
		// a3 moved to Legal without LEGAL_DB.
		"LEGAL_DB":   {4, 3, true},
		"LEGAL_WIKI": {4, 3, true},
		// s3 left Eng: the rule keeps s1, s2, and the role 2 of 3 holders (precision
		// 9/10 = 90% < 95%).
		"SVC_DEPLOY": {2, 2, true},
	}
	for _, h := range res.Health {
		w := want[h.RoleID]
		if h.Support != w.support || h.TP != w.tp || h.Degraded != w.degraded {
			t.Errorf("%s: support %d tp %d degraded %v (%v), want %d %d %v", h.RoleID, h.Support, h.TP, h.Degraded, h.Failures, w.support, w.tp, w.degraded)
		}
	}
	svc := res.Health[3]
	if svc.Role.N != 3 || svc.Role.FN != 1 || svc.Role.TN != 0 || svc.Role.PrecisionPct != 66.6667 {
		t.Errorf("SVC_DEPLOY role health %+v (scope nhi: 3 identities)", svc.Role)
	}
}

func TestChurn(t *testing.T) {
	r := func(id, role, crit string) ChurnRule { return ChurnRule{RuleID: id, RoleID: role, Criterion: crit} }
	prev := []ChurnRule{r("a", "R1", "x=1"), r("b", "R1", "y=1"), r("c", "R2", "z=1")}
	cur := []ChurnRule{r("a", "R1", "x=1"), r("d", "R1", "y=2"), r("e", "R3", "w=1")}
	for _, tc := range []struct {
		name                 string
		prev, cur            []ChurnRule
		added, removed, kept int
		jaccard              float64
		rolesChanged, roles  int
	}{
		{"against nothing: all new", nil, cur, 3, 0, 0, 0, 2, 2},
		{"same rules: no churn", cur, cur, 0, 0, 3, 1, 0, 2},
		{"mixed", prev, cur, 2, 2, 1, 0.2, 3, 3},
		{"both empty", nil, nil, 0, 0, 0, 1, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := ComputeChurn("", tc.prev, tc.cur, 1)
			o := ch.Overall
			if o.Added != tc.added || o.Removed != tc.removed || o.Kept != tc.kept || o.Jaccard != tc.jaccard || o.RolesChanged != tc.rolesChanged || o.Roles != tc.roles {
				t.Fatalf("overall %+v", o)
			}
		})
	}
	ch := ComputeChurn("prev", prev, cur, 1)
	if ch.Roles[0].RoleID != "R1" || ch.Roles[0].Jaccard != 0.3333 || len(ch.Roles[0].Kept) != 1 {
		t.Fatalf("role R1 churn %+v", ch.Roles[0])
	}
}

// TestImplicitBoundsOfOlderModel: a summary.json written before the mining rules' bounds
// were recorded (no precision_min_pct, ...) holds the implicit mining rule's rules to its
// defaults, and bounds_source asks for --config (docs/semantics.md#drift-bounds).
func TestImplicitBoundsOfOlderModel(t *testing.T) {
	for _, mrs := range [][]ondisk.MiningRuleSummary{nil, {{Index: 0, EntityType: "*"}}} {
		cfg, source, err := implicitBounds(mrs)
		if err != nil || cfg != nil || !strings.Contains(source, "PrecisionMinPercentage 95, FalsePositiveMaxPercentage 5, MinIdentitiesCount 3); pass --config") {
			t.Errorf("%+v: config %+v, source %q, error %v; want the defaults, asking for --config", mrs, cfg, source, err)
		}
	}
}
