package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/discover"
)

// TestDiscoveredSection checks LoadDiscovered (missing file: nil; wrong format: error) and
// that the section lists the roles with their criteria and flags.
func TestDiscoveredSection(t *testing.T) {
	dir := t.TempDir()
	if d, err := LoadDiscovered(dir, "", nil); err != nil || d != nil {
		t.Fatalf("missing file: %v, %v; want nil, nil", d, err)
	}
	p, r := 0.95, 0.9
	lb := 2
	doc := &discover.Document{Format: discover.Format, Mode: "exact", Roles: []discover.RoleOutput{
		{RoleID: "DR0001", Identities: []string{"u1", "u2", "u3"}, Entitlements: []string{"A"},
			Criterion: []discover.Term{{Attribute: "dept", Value: "Sales & Ops"}}, CriterionPrecision: &p, CriterionRecall: &r},
		{RoleID: "DR0002", Identities: []string{"u4"}, Entitlements: []string{"B"}, Criterion: []discover.Term{}, Flag: discover.NoMeaningFlag},
	}, Stats: discover.Stats{Roles: 2, WSC: 8, LowerBound: &lb, Assignments: 4, CoveredAssignments: 4}, DataFingerprint: "f1"}
	if err := discover.Write(context.Background(), dir, doc); err != nil {
		t.Fatal(err)
	}
	got, err := LoadDiscovered(dir, "f1", nil)
	if err != nil || got == nil {
		t.Fatalf("LoadDiscovered: %v, %v", got, err)
	}
	// Discovered from other data: left out of the report (issue 16).
	if other, err := LoadDiscovered(dir, "f2", nil); err != nil || other != nil {
		t.Fatalf("LoadDiscovered of other data: %v, %v; want nil, nil", other, err)
	}
	var h htmlWriter
	writeDiscovered(&h, got)
	page := h.String()
	for _, want := range []string{`id="discovered"`, "DR0001", "DR0002", "dept=Sales &amp; Ops", "95.00%", "no exact cover has fewer than 2 roles (lower bound)", "WSC: roles + user-role links + role-entitlement links", "1 flagged", discover.NoMeaningFlag} {
		if !strings.Contains(page, want) {
			t.Errorf("section lacks %q:\n%s", want, page)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, discover.FileName), []byte(`{"format":"other"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDiscovered(dir, "f1", nil); err == nil {
		t.Error("wrong format accepted")
	}
}
