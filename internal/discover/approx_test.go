package discover

import "testing"

// TestTakeCoverageReachesThePercentage: roles are kept until at least the percentage of
// assignments is covered, never fewer; found by the semantic audit: the target was
// rounded down, so --coverage 85 over 10 assignments stopped at 8 (80%). Worked by hand:
// one role covers 8 of the 10 assignments, two others 1 each.
func TestTakeCoverageReachesThePercentage(t *testing.T) {
	m := mat(
		"1100",
		"1100",
		"1100",
		"1100",
		"0010",
		"0001",
	)
	roles := []Role{
		{Users: []int32{0, 1, 2, 3}, Perms: []int32{0, 1}},
		{Users: []int32{4}, Perms: []int32{2}},
		{Users: []int32{5}, Perms: []int32{3}},
	}
	for _, tc := range []struct {
		coverage float64
		want     int
	}{{80, 1}, {80.5, 2}, {85, 2}, {90, 2}, {90.01, 3}, {100, 3}} {
		if got := TakeCoverage(m, roles, 1, tc.coverage); len(got) != tc.want {
			t.Errorf("coverage %g: %d roles kept, want %d", tc.coverage, len(got), tc.want)
		}
	}
}
