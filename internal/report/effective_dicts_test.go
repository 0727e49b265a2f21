package report

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/parquetenc"
)

// TestAccountDictCodes: accountDict gives equal account ids, of accounts and of orphans,
// equal codes and distinct ids distinct codes, each code naming its id (what parquetenc
// needs of a dictionary), and ranks in the ids' order, on random accounts sorted by
// (system, id) as the loader keeps them, with ids shared between systems, and on
// unsorted ones (the fallback).
func TestAccountDictCodes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for round := range 400 {
		systems := 1 + rng.IntN(5)
		a := &columnar.Accounts{}
		for s := range systems {
			a.Systems = append(a.Systems, fmt.Sprintf("sys%d", s))
			ids := map[string]bool{}
			for range rng.IntN(30) {
				ids[fmt.Sprintf("acct%d", rng.IntN(40))] = true
			}
			sorted := make([]string, 0, len(ids))
			for id := range ids {
				sorted = append(sorted, id)
			}
			slices.Sort(sorted)
			for _, id := range sorted {
				a.System = append(a.System, int32(s))
				a.ID = append(a.ID, id)
			}
		}
		unsorted := round%4 == 3 && len(a.ID) > 1
		if unsorted {
			rng.Shuffle(len(a.ID), func(i, j int) { a.ID[i], a.ID[j] = a.ID[j], a.ID[i] })
		}
		var orphans []columnar.Orphan
		// Every tenth round has enough orphans' ids, in random order, that ranking all
		// the values afresh would be refused (parquetenc.Ranks: over 256 runs).
		nOrphans, idRange := rng.IntN(10), 60
		if round%10 == 5 {
			nOrphans, idRange = 2000, 4000
		}
		for range nOrphans {
			id := ""
			if rng.IntN(4) > 0 {
				id = fmt.Sprintf("acct%d", rng.IntN(idRange))
			}
			orphans = append(orphans, columnar.Orphan{AccountID: id})
		}
		values, acct, orphan, rank := accountDict(a, orphans)
		if rank != nil {
			sorted := slices.Clone(values)
			slices.SortStableFunc(sorted, func(x, y string) int { return strings.Compare(x, y) })
			for x := range values {
				// equal ids may take either of their ranks
				lo, _ := slices.BinarySearch(sorted, values[x])
				hi := lo
				for hi < len(sorted) && sorted[hi] == values[x] {
					hi++
				}
				if int(rank[x]) < lo || int(rank[x]) >= hi {
					t.Fatalf("round %d: %q has rank %d, want %d..%d", round, values[x], rank[x], lo, hi-1)
				}
			}
			for x := range min(len(values), 60) {
				for y := range min(len(values), 60) {
					if (values[x] < values[y]) != (rank[x] < rank[y]) && values[x] != values[y] {
						t.Fatalf("round %d: %q has rank %d, %q rank %d", round, values[x], rank[x], values[y], rank[y])
					}
				}
			}
		} else if !unsorted {
			t.Fatalf("round %d: no ranks for sorted accounts", round)
		}
		codeOf := map[string]int32{}
		check := func(what, id string, c int32) {
			if id == "" {
				if c != -1 {
					t.Fatalf("round %d: %s with no account has code %d, want -1", round, what, c)
				}
				return
			}
			if c < 0 || int(c) >= len(values) || values[c] != id {
				t.Fatalf("round %d: %s %q has code %d, which names something else", round, what, id, c)
			}
			if prev, ok := codeOf[id]; ok && prev != c {
				t.Fatalf("round %d: %s %q has code %d, and %d elsewhere", round, what, id, c, prev)
			}
			codeOf[id] = c
		}
		for k, id := range a.ID {
			check("account", id, acct[k])
		}
		for j, o := range orphans {
			check("orphan", o.AccountID, orphan[j])
		}
	}
}

// refMergeRunsHeap is parquetenc.MergeRuns as the eleventh session left it: a heap of the
// runs' heads, two comparisons or more a value.
func refMergeRunsHeap(values []string, runs [][2]int32, visit func(k, r int32)) {
	heap := make([][2]int32, 0, len(runs))
	for _, r := range runs {
		if r[0] < r[1] {
			heap = append(heap, r)
		}
	}
	less := func(x, y [2]int32) bool {
		if values[x[0]] != values[y[0]] {
			return values[x[0]] < values[y[0]]
		}
		return x[0] < y[0]
	}
	down := func(i int) {
		for {
			c := 2*i + 1
			if c >= len(heap) {
				return
			}
			if c+1 < len(heap) && less(heap[c+1], heap[c]) {
				c++
			}
			if !less(heap[c], heap[i]) {
				return
			}
			heap[i], heap[c] = heap[c], heap[i]
			i = c
		}
	}
	for i := len(heap)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for r := int32(0); len(heap) > 0; r++ {
		visit(heap[0][0], r)
		if heap[0][0]++; heap[0][0] == heap[0][1] {
			heap[0] = heap[len(heap)-1]
			heap = heap[:len(heap)-1]
		}
		down(0)
	}
}

// BenchmarkMergeAccountIDs merges the account ids of the universe in ROLEMINE_BENCH_DATA
// (its systems' runs, as mergeAccountIDs does) with parquetenc.MergeRuns and with the
// former heap merge, in one process, and checks they agree.
func BenchmarkMergeAccountIDs(b *testing.B) {
	dir := os.Getenv("ROLEMINE_BENCH_DATA")
	if dir == "" {
		b.Skip("ROLEMINE_BENCH_DATA names no data directory")
	}
	snap, err := columnar.Load(b.Context(), dir, columnar.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	a := snap.Universe.Accounts
	_, _, runs, ok := mergeAccountIDs(a)
	if !ok {
		b.Skip("the accounts are not in runs of ascending ids")
	}
	rank, want := make([]int32, len(a.ID)), make([]int32, len(a.ID))
	refMergeRunsHeap(a.ID, runs, func(k, r int32) { want[k] = r })
	for name, merge := range map[string]func([]string, [][2]int32, func(k, r int32)){
		"galloping": parquetenc.MergeRuns, "heap": refMergeRunsHeap,
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				merge(a.ID, runs, func(k, r int32) { rank[k] = r })
			}
			if !slices.Equal(rank, want) {
				b.Fatal("the merges differ")
			}
		})
	}
}
