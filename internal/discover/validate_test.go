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
