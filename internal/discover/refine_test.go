package discover

import (
	"context"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
)

// TestRefineSplitsMixedGroups: one role held by all of department A and all of B, out of
// A, B and C, is described by no single criterion; Refine splits it into an A role and a
// B role, each described exactly. A remainder below minMembers is dropped.
func TestRefineSplitsMixedGroups(t *testing.T) {
	snap := mixedGroups()
	role := Role{Users: []int32{0, 1, 2, 3, 4, 5, 6, 7}, Perms: []int32{0}}
	roles, descs, err := Refine(context.Background(), snap, []Role{role}, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) != 2 {
		t.Fatalf("%d roles, want 2: %+v", len(roles), roles)
	}
	want := [][]int32{{0, 1, 2, 3}, {4, 5, 6, 7}}
	wantCrit := []string{"A", "B"}
	for k := range roles {
		if !slices.Equal(roles[k].Users, want[k]) {
			t.Errorf("role %d members %v, want %v", k, roles[k].Users, want[k])
		}
		d := descs[k]
		if len(d.Criterion) != 1 || d.Criterion[0].Attribute != "dept" || d.Criterion[0].Value != wantCrit[k] ||
			d.Precision != 1 || d.Recall != 1 {
			t.Errorf("role %d description %+v, want dept=%s with precision and recall 1", k, d, wantCrit[k])
		}
	}
	// With minMembers 5 neither half is large enough to stand alone: nothing is split.
	roles, _, err = Refine(context.Background(), snap, []Role{role}, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) != 1 || len(roles[0].Users) != 8 {
		t.Errorf("minMembers 5: got %+v, want the role unsplit", roles)
	}
}

// mixedGroups is a snapshot of 12 identities: 0-3 in department A, 4-7 in B, 8-11 in C.
func mixedGroups() *columnar.Snapshot {
	codes := make([]int32, 12)
	for i := range codes {
		codes[i] = int32(i / 4)
	}
	return &columnar.Snapshot{
		IdentityIDs: []string{"a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3", "c0", "c1", "c2", "c3"},
		Dims: []columnar.Dimension{
			{Name: "dept", Values: []string{"A", "B", "C"}, Codes: codes},
			{Name: "kind", Values: []string{"human"}, Codes: make([]int32, 12)},
		},
		KindDim: 1,
	}
}

// TestRefineWithinSpentBudget: with the budget spent, no role is described or split (the
// mixed role stays whole) and the cut is reported; ctx itself done is still an error.
func TestRefineWithinSpentBudget(t *testing.T) {
	snap := mixedGroups()
	role := Role{Users: []int32{0, 1, 2, 3, 4, 5, 6, 7}, Perms: []int32{0}}
	roles, _, cut, err := RefineWithin(context.Background(), cancelled(), snap, []Role{role}, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !cut || len(roles) != 1 || len(roles[0].Users) != 8 {
		t.Errorf("spent budget: cut %v, roles %+v; want cut and the role whole", cut, roles)
	}
	roles, _, cut, err = RefineWithin(context.Background(), context.Background(), snap, []Role{role}, 2, 2)
	if err != nil || cut || len(roles) != 2 {
		t.Errorf("ample budget: cut %v, %d roles, err %v; want the role split in 2", cut, len(roles), err)
	}
	if _, _, _, err := RefineWithin(cancelled(), context.Background(), snap, []Role{role}, 2, 2); err == nil {
		t.Error("ctx done: no error")
	}
}
