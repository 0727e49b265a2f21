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
	// 12 identities: 0-3 in A, 4-7 in B, 8-11 in C.
	codes := make([]int32, 12)
	for i := range codes {
		codes[i] = int32(i / 4)
	}
	snap := &columnar.Snapshot{
		IdentityIDs: []string{"a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3", "c0", "c1", "c2", "c3"},
		Dims: []columnar.Dimension{
			{Name: "dept", Values: []string{"A", "B", "C"}, Codes: codes},
			{Name: "kind", Values: []string{"human"}, Codes: make([]int32, 12)},
		},
		KindDim: 1,
	}
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
