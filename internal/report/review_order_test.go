package report

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestReviewOrderInParts: the counting sort gives the stable sort's order by review.csv's
// comparison, ties in walk order, whatever the number of parts the rows are cut into (1
// to 7, more parts than some groups have rows, parts with no rows), and declines rows
// with validations outside int8's range. It fails when a part's rows are placed before
// those of an earlier part in the same group, or a group's bits are out of order.
func TestReviewOrderInParts(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{0, 1, 3, 50, 5000} {
		rows := make([]effectiveReviewRow, n)
		for k := range rows {
			validations, nonHuman := rng.IntN(256)-128, rng.IntN(2) == 0
			if rng.IntN(2) == 0 {
				validations = rng.IntN(4)
			}
			rows[k] = testReviewRow(k, validations, nonHuman, rng.IntN(2) == 0, rng.IntN(3) == 0)
		}
		want := slices.Clone(rows)
		slices.SortStableFunc(want, rankEffectiveReviewRows)
		for parts := 1; parts <= 7; parts++ {
			order, ok := reviewOrderIn(rows, parts)
			if !ok || len(order) != n {
				t.Fatalf("n=%d parts=%d: ok %v, %d indices", n, parts, ok, len(order))
			}
			for k, x := range order {
				if rows[x].ident != want[k].ident {
					t.Fatalf("n=%d parts=%d: rank %d is row %d, want row %d", n, parts, k+1, x, want[k].ident)
				}
			}
		}
		if n > 0 {
			rows[n-1].validations = 128
			if _, ok := reviewOrderIn(rows, 2); ok {
				t.Fatalf("n=%d: validations 128 accepted", n)
			}
		}
	}
}

// refReviewOrderKeys is reviewOrder as the tenth session left it: one 64-bit key a row
// (the group's bits over the row's index), sorted in parts on every core and merged.
func refReviewOrderKeys(rows []effectiveReviewRow, workers int) []int32 {
	keys := make([]uint64, len(rows))
	for k := range rows {
		keys[k] = uint64(reviewGroup(&rows[k]))<<32 | uint64(k)
	}
	keys = sortKeysParallel(keys, workers)
	order := make([]int32, len(rows))
	for k, key := range keys {
		order[k] = int32(key & (1<<32 - 1))
	}
	return order
}

// BenchmarkReviewOrder ranks the review rows of the universe in ROLEMINE_BENCH_DATA by
// the counting sort and by the former keys, in one process.
func BenchmarkReviewOrder(b *testing.B) {
	snap, _, cls, info := benchUniverse(b)
	walk, err := walkPairs(b.Context(), snap, cls, info)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("groups", func(b *testing.B) {
		for b.Loop() {
			reviewOrder(walk.review)
		}
	})
	b.Run("keys", func(b *testing.B) {
		for b.Loop() {
			refReviewOrderKeys(walk.review, 2)
		}
	})
}
