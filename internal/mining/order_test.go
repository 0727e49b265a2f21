package mining

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels/cpu"
)

// TestRunPriorityExtremes checks that Run takes mining rules in SortedForRun's order for
// every priority an int holds: two mining rules that would both cover role R, told apart
// by the policy they write on R's rule. A comparison by subtraction overflows on these
// pairs and runs the lower priority first.
func TestRunPriorityExtremes(t *testing.T) {
	e, err := parseWorkedData(`
identities:
identity_id,kind,dept
u1,human,A
u2,human,A
u3,human,A
u4,human,B
roles:
role_id,category,validations
R,,0
assignments:
R: u1 u2 u3
`)
	if err != nil {
		t.Fatal(err)
	}
	snap := mustSnapshot(t, e)
	for _, tc := range []struct{ first, second int }{
		{-2, math.MaxInt},
		{math.MinInt, 1},
		{math.MinInt, math.MaxInt},
		{math.MaxInt, math.MinInt},
		{-1, 0},
		{5, 5},
	} {
		doc := fmt.Sprintf(`<Rules>
<MiningRule Priority="%d" RulePolicy="first"/>
<MiningRule Priority="%d" RulePolicy="second"/>
</Rules>`, tc.first, tc.second)
		cfg, err := ParseConfig("mining.xml", []byte(doc))
		if err != nil {
			t.Fatalf("priorities %d, %d: %v", tc.first, tc.second, err)
		}
		want := SortedForRun(cfg.MiningRules)[0].RulePolicy
		if tc.second > tc.first && want != "second" || tc.second <= tc.first && want != "first" {
			t.Fatalf("priorities %d, %d: SortedForRun puts %q first", tc.first, tc.second, want)
		}
		m, err := Run(context.Background(), snap, cfg, Options{Backend: cpu.New(), Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		rules := m.RulesOf(0)
		if len(rules) != 1 {
			t.Fatalf("priorities %d, %d: %d rules for R, want 1", tc.first, tc.second, len(rules))
		}
		if got := rules[0].Policy; got != want {
			t.Errorf("priorities %d, %d: R covered by the %q mining rule, want %q (the higher priority)",
				tc.first, tc.second, got, want)
		}
	}
}

// TestLargestFirst checks the order roles are handed to the counting backend in: by
// holders (in one CSR or the sum of two), largest first, ties in the given order, the
// input left as it was.
func TestLargestFirst(t *testing.T) {
	off := []int64{0, 2, 2, 7, 9, 14} // holders: 2, 0, 5, 2, 5
	roles := []int32{0, 1, 2, 3, 4}
	got := largestFirst(roles, off)
	if want := []int32{2, 4, 0, 3, 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("largestFirst = %v, want %v", got, want)
	}
	if fmt.Sprint(roles) != "[0 1 2 3 4]" {
		t.Fatalf("largestFirst changed its input: %v", roles)
	}
	neutral := []int64{0, 0, 4, 4, 4, 5} // neutral: 0, 4, 0, 0, 1
	if got, want := largestFirst(roles, off, neutral), []int32{4, 2, 1, 0, 3}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("largestFirst with neutral identities = %v, want %v", got, want)
	}
}
