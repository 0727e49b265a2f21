package discover

import (
	"context"
	"fmt"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
)

// multiGroups is a snapshot of 6 identities with a multi-valued dimension group (as the
// attributes file or a plugin makes it) and a single-valued site:
//
//	identity  group    site
//	0         G1, G2   Nice
//	1         G2       Rome
//	2         G0, G2   Lyon
//	3         G1       Nice
//	4         G0       Rome
//	5         (none)   Lyon
func multiGroups() *columnar.Snapshot {
	return &columnar.Snapshot{
		IdentityIDs: []string{"i0", "i1", "i2", "i3", "i4", "i5"},
		Dims: []columnar.Dimension{
			{Name: "group", Values: []string{"G0", "G1", "G2"}, Codes: []int32{1, 2, 0, 1, 0, -1},
				MultiOff: []int32{0, 1, 1, 2, 2, 2, 2}, MultiCodes: []int32{2, 2}},
			{Name: "kind", Values: []string{"human"}, Codes: make([]int32, 6)},
			{Name: "site", Values: []string{"Lyon", "Nice", "Rome"}, Codes: []int32{1, 2, 0, 1, 2, 0}},
		},
		KindDim: 1,
	}
}

// TestDescribeMultiValued: a term matches an identity when any of its values equals
// (docs/effective-privilege.md#matching), in single terms and in pairs; found by the
// semantic audit: only each identity's first value was seen, so group=G2 described one
// of its three holders.
func TestDescribeMultiValued(t *testing.T) {
	cases := []struct {
		members []int32
		want    string
	}{
		{[]int32{0, 1, 2}, "[group=G2] p=1 r=1"},
		{[]int32{0, 2}, "[group=G2] p=0.6667 r=1"},
		{[]int32{0}, "[group=G2 site=Nice] p=1 r=1"}, // G2 is i0's second value
		{[]int32{0, 3}, "[group=G1] p=1 r=1"},        // ties with site=Nice: lesser attribute
	}
	// Described twice in one call, so that the second time pairs come from the cache.
	var members [][]int32
	for range 2 {
		for _, tc := range cases {
			members = append(members, tc.members)
		}
	}
	d, err := Describe(context.Background(), multiGroups(), members, 2)
	if err != nil {
		t.Fatal(err)
	}
	for k, mem := range members {
		if got, want := descString(d[k]), cases[k%len(cases)].want; got != want {
			t.Errorf("members %v (pass %d): got %s, want %s", mem, k/len(cases)+1, got, want)
		}
	}
}

// descString renders a description as "[attr=value ...] p=P r=R".
func descString(d Description) string {
	s := "["
	for k, t := range d.Criterion {
		if k > 0 {
			s += " "
		}
		s += t.Attribute + "=" + t.Value
	}
	return fmt.Sprintf("%s] p=%.4g r=%.4g", s, d.Precision, d.Recall)
}

// TestDescribeMeaningfulFirst: a criterion with precision and recall both >= 0.9 is
// preferred to one of higher F1 below 0.9 in either, so a role is flagged only when no
// criterion reaches the threshold; found by the semantic audit: department=D (0.9, 0.9,
// F1 0.9) lost to site=S (0.83, 1, F1 0.91) and the role was flagged as without business
// meaning. Exactly 0.9 counts as reaching it.
func TestDescribeMeaningfulFirst(t *testing.T) {
	// Members 0-9: 0-8 in department D, 9 in E, all at site S. Non-members: 10 (D, S),
	// 11 (F, S), 12-17 (F, T).
	dept := []int32{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 2, 2, 2, 2, 2, 2}
	site := []int32{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1}
	snap := &columnar.Snapshot{
		IdentityIDs: make([]string, 18),
		Dims: []columnar.Dimension{
			{Name: "department", Values: []string{"D", "E", "F"}, Codes: dept},
			{Name: "kind", Values: []string{"human"}, Codes: make([]int32, 18)},
			{Name: "site", Values: []string{"S", "T"}, Codes: site},
		},
		KindDim: 1,
	}
	members := [][]int32{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {9, 10, 11}}
	d, err := Describe(context.Background(), snap, members, 2)
	if err != nil {
		t.Fatal(err)
	}
	// The second set has no meaningful criterion: the best F1 (department=E, 1 and 1/3) stands.
	for k, want := range []string{"[department=D] p=0.9 r=0.9", "[department=E] p=1 r=0.3333"} {
		if got := descString(d[k]); got != want {
			t.Errorf("members %v: got %s, want %s", members[k], got, want)
		}
	}
	if !d[0].Meaningful() || d[1].Meaningful() {
		t.Errorf("meaningful: %v and %v, want true and false", d[0].Meaningful(), d[1].Meaningful())
	}
}
