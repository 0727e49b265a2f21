package report

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
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
