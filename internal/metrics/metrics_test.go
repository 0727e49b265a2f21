package metrics

import "testing"

// TestCounts: the counts of worked example SALES (docs/semantics.md): 16 identities in
// scope, 6 holders, a rule set matching 5 of them and 1 other identity.
func TestCounts(t *testing.T) {
	c := Of(16, 6, 5, 1)
	if c != (Counts{N: 16, TP: 5, FP: 1, FN: 1, TN: 9}) {
		t.Fatalf("Of(16, 6, 5, 1) = %+v", c)
	}
	if got := c.Precision(); got != 87.5 { // 100*(5+9)/16
		t.Errorf("Precision = %v, want 87.5", got)
	}
	if got := c.FalsePositivePct(); got != 100.0/6 { // 100*1/6
		t.Errorf("FalsePositivePct = %v, want %v", got, 100.0/6)
	}
	if z := (Counts{}); z.Precision() != 0 || z.FalsePositivePct() != 0 {
		t.Errorf("empty counts: precision %v, fp%% %v; want 0 and 0", z.Precision(), z.FalsePositivePct())
	}
	if HitRate(3, 4) != 75 || HitRate(0, 0) != 0 {
		t.Errorf("HitRate(3, 4) = %v, HitRate(0, 0) = %v; want 75 and 0", HitRate(3, 4), HitRate(0, 0))
	}
}

func TestBounds(t *testing.T) {
	b := Bounds{PrecisionMin: 90, FalsePositiveMax: 20, MinIdentities: 3}
	for _, tc := range []struct {
		tp, support int64
		want        string
		candidate   bool
	}{
		{3, 3, "", true},
		{0, 5, "explains no holder", false},
		{0, 3, "explains no holder", false},
		{2, 2, "support 2 < 3", false},
		{3, 4, "fp% 25.00 > 20", false},
		{4, 5, "", true}, // exactly 20%
	} {
		if got := b.RuleFails(tc.tp, tc.support); got != tc.want {
			t.Errorf("RuleFails(%d, %d) = %q, want %q", tc.tp, tc.support, got, tc.want)
		}
		if got := b.RuleCandidate(tc.support-tc.tp, tc.support); got != tc.candidate {
			t.Errorf("RuleCandidate(fp %d, support %d) = %v, want %v", tc.support-tc.tp, tc.support, got, tc.candidate)
		}
	}
	for _, tc := range []struct {
		c    Counts
		want string
	}{
		{Of(20, 4, 4, 0), ""},
		{Of(20, 4, 0, 0), "matches nobody"},
		{Of(20, 4, 4, 2), "fp% 33.33 > 20"},
		{Of(20, 6, 4, 1), "precision 85.00% < 90%"},
		{Of(10, 5, 4, 1), "precision 80.00% < 90%"},
	} {
		if got := b.RoleFails(tc.c); got != tc.want {
			t.Errorf("RoleFails(%+v) = %q, want %q", tc.c, got, tc.want)
		}
		if ok, p := b.RoleMeets(tc.c); ok != (tc.want == "") || p != tc.c.Precision() {
			t.Errorf("RoleMeets(%+v) = %v, %v", tc.c, ok, p)
		}
	}
}
