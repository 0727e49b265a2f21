package columnar

import (
	"strings"
	"testing"
)

func derivedTestSnapshot() *Snapshot {
	return &Snapshot{
		IdentityIDs: []string{"a", "b", "c"},
		Dims: []Dimension{
			{Name: "department", Values: []string{"Fin", "IT"}, Codes: []int32{0, 1, 0}},
			{Name: "kind", Values: []string{"human"}, Codes: []int32{0, 0, 0}},
		},
		KindDim: 1,
	}
}

func TestAddDimension(t *testing.T) {
	for _, tc := range []struct {
		name    string
		d       Dimension
		wantErr string
		order   []string
		kind    int
		skipped bool
	}{
		{name: "before kind", d: Dimension{Name: "grade", Values: []string{"x"}, Codes: []int32{0, -1, 0}},
			order: []string{"department", "grade", "kind"}, kind: 2},
		{name: "after kind", d: Dimension{Name: "org", Values: []string{"A"}, Codes: []int32{0, 0, -1}},
			order: []string{"department", "kind", "org"}, kind: 1},
		{name: "first", d: Dimension{Name: "app", Values: []string{"x"}, Codes: []int32{-1, -1, 0}},
			order: []string{"app", "department", "kind"}, kind: 2},
		{name: "multi", d: Dimension{Name: "org", Values: []string{"A", "B", "C"}, Codes: []int32{0, 1, -1},
			MultiOff: []int32{0, 2, 2, 2}, MultiCodes: []int32{1, 2}},
			order: []string{"department", "kind", "org"}, kind: 1, skipped: true},
		{name: "clash", d: Dimension{Name: "department", Values: []string{"x"}, Codes: []int32{0, 0, 0}}, wantErr: "already exists"},
		{name: "identity_id", d: Dimension{Name: "identity_id", Values: []string{"x"}, Codes: []int32{0, 0, 0}}, wantErr: "already exists"},
		{name: "empty name", d: Dimension{Codes: []int32{0, 0, 0}}, wantErr: "empty name"},
		{name: "short", d: Dimension{Name: "x", Values: []string{"x"}, Codes: []int32{0}}, wantErr: "1 codes for 3"},
		{name: "unsorted", d: Dimension{Name: "x", Values: []string{"b", "a"}, Codes: []int32{0, 0, 0}}, wantErr: "not sorted"},
		{name: "empty value", d: Dimension{Name: "x", Values: []string{""}, Codes: []int32{0, 0, 0}}, wantErr: "empty value"},
		{name: "code range", d: Dimension{Name: "x", Values: []string{"a"}, Codes: []int32{0, 1, 0}}, wantErr: "outside"},
		{name: "multi offsets", d: Dimension{Name: "x", Values: []string{"a", "b"}, Codes: []int32{0, 0, 0},
			MultiOff: []int32{0, 1}, MultiCodes: []int32{1}}, wantErr: "MultiOff"},
		{name: "multi dup of first", d: Dimension{Name: "x", Values: []string{"a", "b"}, Codes: []int32{0, 0, 0},
			MultiOff: []int32{0, 1, 1, 1}, MultiCodes: []int32{0}}, wantErr: "extra codes"},
		{name: "multi without first", d: Dimension{Name: "x", Values: []string{"a", "b"}, Codes: []int32{-1, 0, 0},
			MultiOff: []int32{0, 1, 1, 1}, MultiCodes: []int32{1}}, wantErr: "no first value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := derivedTestSnapshot()
			err := s.AddDimension(tc.d)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if len(s.Dims) != 2 {
					t.Fatalf("snapshot changed on error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, d := range s.Dims {
				names = append(names, d.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.order, ",") || s.KindDim != tc.kind || s.Dims[s.KindDim].Name != KindDimension {
				t.Fatalf("dims %v kind %d, want %v kind %d", names, s.KindDim, tc.order, tc.kind)
			}
			d := s.Dims[s.DimIndex(tc.d.Name)]
			if d.Skipped != tc.skipped {
				t.Fatalf("skipped = %v, want %v", d.Skipped, tc.skipped)
			}
			if tc.name == "multi" && (!d.Has(0, 1) || !d.Has(0, 2) || d.Has(1, 2) || d.Has(2, 0)) {
				t.Fatalf("Has wrong on multi-valued dimension")
			}
		})
	}
}

// TestExcludeDerived checks that Exclude skips a dimension added after loading, records
// the finding, and leaves kind and unknown names alone.
func TestExcludeDerived(t *testing.T) {
	s := &Snapshot{
		IdentityIDs: []string{"a", "b"},
		Dims: []Dimension{
			{Name: "family", Values: []string{"eng"}, Codes: []int32{0, 0}},
			{Name: "kind", Values: []string{"human"}, Codes: []int32{0, 0}},
		},
		KindDim: 1,
	}
	s.Exclude([]string{"family", "kind", "nope"})
	if !s.Dims[0].Skipped || s.Dims[0].SkipReason != "excluded by user" {
		t.Errorf("family: skipped %v (%q), want excluded by user", s.Dims[0].Skipped, s.Dims[0].SkipReason)
	}
	if s.Dims[1].Skipped {
		t.Error("kind was excluded")
	}
	if len(s.Findings.SkippedDimensions) != 1 || s.Findings.SkippedDimensions[0].Name != "family" {
		t.Errorf("findings %+v, want one for family", s.Findings.SkippedDimensions)
	}
}
