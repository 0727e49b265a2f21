package parquetenc

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestMergeRunsStretches: MergeRuns visits the values of its runs in the order of a
// stable sort by value, ranks counting up, on runs of distinct ranges (a prefix a run),
// runs that interleave value by value, runs that share values (ties in index order) and
// mixes of them, with long stretches of one run ahead of the others. It fails when a
// stretch ends one value early or late, or ties leave index order.
func TestMergeRunsStretches(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 7))
	for round := range 500 {
		var values []string
		var runs [][2]int32
		for range 1 + rng.IntN(8) {
			prefix := ""
			switch rng.IntN(3) {
			case 0:
				prefix = fmt.Sprintf("p%d-", rng.IntN(4)) // its own range, unless drawn twice
			case 1:
				prefix = "u" // interleaves with every other "u" run
			}
			n, spread := rng.IntN(300), 1+rng.IntN(1000)
			run := make([]string, n)
			for k := range run {
				run[k] = fmt.Sprintf("%s%04d", prefix, rng.IntN(spread))
			}
			slices.Sort(run)
			runs = append(runs, [2]int32{int32(len(values)), int32(len(values) + n)})
			values = append(values, run...)
		}
		want := make([]int32, len(values))
		for k := range want {
			want[k] = int32(k)
		}
		slices.SortStableFunc(want, func(a, b int32) int { return strings.Compare(values[a], values[b]) })
		got := make([]int32, 0, len(values))
		MergeRuns(values, runs, func(k, r int32) {
			if r != int32(len(got)) {
				t.Fatalf("round %d: rank %d visited as %d", round, len(got), r)
			}
			got = append(got, k)
		})
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: %d runs merged as %v, want %v", round, len(runs), got, want)
		}
	}
}
