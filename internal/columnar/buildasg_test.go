package columnar

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// TestBuildAssignmentsParallel checks the three passes of buildAssignments, run on 1 to
// 8 processors, against their definition on random assignments with repeated pairs,
// orphans and identities or roles without pairs: each role's holders and each identity's
// roles ascending and distinct, the duplicates counted, the orphans merged; with pairs'
// accounts and last uses, the rows written in a spare array of garbage at times.
func TestBuildAssignmentsParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	rng := rand.New(rand.NewPCG(3, 11))
	for iter := range 60 {
		n, nr := 1+rng.IntN(300), 1+rng.IntN(40)
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("u%04d", i)
		}
		// Identity codes: the known ids, then a few unknown ones.
		codes := append(slices.Clone(ids), "ghost1", "ghost2", "ghost3")
		rows := rng.IntN(40 * n)
		ic := &column{name: "identity_id", vals: codes}
		rc := &column{name: "role_id", vals: make([]string, nr)}
		asgRole := make([]int32, nr)
		for r := range nr {
			rc.vals[r] = fmt.Sprintf("R%03d", r)
			asgRole[r] = int32(nr - 1 - r) // role codes need not be role indices
		}
		want := map[[2]int32]bool{}
		wantOrphans := map[Orphan]bool{}
		// Every other iteration, each row names an account and a last use (either -1 at
		// times): a pair keeps the smallest account and the latest use of its rows.
		var pr *pairRows
		if iter%2 == 1 {
			// Accounts 0 to 6 are in systems 0, 1 and 2, in turn.
			pr = &pairRows{acct: make([]int32, rows), used: make([]int32, rows),
				acctSystem: []int32{0, 1, 2, 0, 1, 2, 0}, systems: 3}
			if iter%6 == 1 {
				pr.used = nil
			}
			if iter%4 == 3 {
				// A dead array of codes to write the pairs' rows in, holding garbage.
				pr.spare = make([]int32, rows, rows+rng.IntN(3))
				for k := range pr.spare {
					pr.spare[k] = int32(rng.IntN(1 << 30))
				}
			}
		}
		wantAcct, wantUsed := map[[2]int32]int32{}, map[[2]int32]int32{}
		// Where a known identity's row has a date: by account system, else by role.
		wantSystems, wantDatedRoles := make([]bool, 3), make([]bool, nr)
		for row := range rows {
			i := rng.IntN(len(codes))
			if rng.IntN(3) > 0 {
				i = rng.IntN(min(n, 1+rng.IntN(n))) // skewed: low identities hold more
			}
			r := rng.IntN(nr)
			ic.codes = append(ic.codes, int32(i))
			rc.codes = append(rc.codes, int32(r))
			if i < n {
				p := [2]int32{int32(i), asgRole[r]}
				if !want[p] {
					wantAcct[p], wantUsed[p] = -1, -1
				}
				want[p] = true
				if pr != nil {
					a, u := int32(rng.IntN(9))-2, int32(rng.IntN(9))-2
					a, u = max(a, -1), max(u, -1)
					pr.acct[row] = a
					if a >= 0 && (wantAcct[p] < 0 || a < wantAcct[p]) {
						wantAcct[p] = a
					}
					if pr.used != nil {
						pr.used[row] = u
						wantUsed[p] = max(wantUsed[p], u)
						switch {
						case u >= 0 && a >= 0:
							wantSystems[pr.acctSystem[a]] = true
						case u >= 0:
							wantDatedRoles[asgRole[r]] = true
						}
					}
				}
			} else {
				wantOrphans[Orphan{IdentityID: codes[i], Role: asgRole[r]}] = true
			}
		}
		procs := []int{1, 2, 3, 8}[iter%4]
		runtime.GOMAXPROCS(procs)
		s := &Snapshot{IdentityIDs: ids, Roles: Roles{IDs: make([]string, nr)}}
		tb := &table{rows: rows, cols: []*column{ic, rc}}
		if err := buildAssignments(context.Background(), s, tb, newIdentityIndex(ids), asgRole, pr); err != nil {
			t.Fatal(err)
		}
		var wantHolders, wantRoles [][]int32
		wantHolders, wantRoles = make([][]int32, nr), make([][]int32, n)
		for p := range want {
			wantHolders[p[1]] = append(wantHolders[p[1]], p[0])
			wantRoles[p[0]] = append(wantRoles[p[0]], p[1])
		}
		for r := range nr {
			slices.Sort(wantHolders[r])
			if got := s.Holders(r); !slices.Equal(got, wantHolders[r]) && len(got)+len(wantHolders[r]) > 0 {
				t.Fatalf("iteration %d (%d procs): role %d holders %v, want %v", iter, procs, r, got, wantHolders[r])
			}
		}
		for i := range n {
			slices.Sort(wantRoles[i])
			if got := s.RolesOf(i); !slices.Equal(got, wantRoles[i]) && len(got)+len(wantRoles[i]) > 0 {
				t.Fatalf("iteration %d (%d procs): identity %d roles %v, want %v", iter, procs, i, got, wantRoles[i])
			}
		}
		if pr != nil {
			checkPairRows(t, s, pr, wantAcct, wantUsed)
			if pr.used != nil && (!slices.Equal(pr.datedSystems, wantSystems) || !slices.Equal(pr.datedRoles, wantDatedRoles)) {
				t.Fatalf("iteration %d: dated systems %v and roles %v, want %v and %v", iter, pr.datedSystems, pr.datedRoles, wantSystems, wantDatedRoles)
			}
		}
		if len(s.Orphans) != len(wantOrphans) {
			t.Fatalf("iteration %d: %d orphans, want %d", iter, len(s.Orphans), len(wantOrphans))
		}
		for _, o := range s.Orphans {
			if !wantOrphans[o] {
				t.Fatalf("iteration %d: orphan %+v not in the input", iter, o)
			}
		}
		if got, wantDup := s.Findings.DuplicateAssignments, rows-len(want)-len(wantOrphans); got != wantDup {
			t.Fatalf("iteration %d (%d procs): %d duplicates, want %d", iter, procs, got, wantDup)
		}
	}
}

// checkPairRows checks each pair's account and last use after buildAssignments.
func checkPairRows(t *testing.T, s *Snapshot, pr *pairRows, wantAcct, wantUsed map[[2]int32]int32) {
	t.Helper()
	if len(pr.pairAcct) != len(s.IdentIdx) || pr.used != nil && len(pr.pairUsed) != len(s.IdentIdx) {
		t.Fatalf("%d pair accounts, %d pair uses for %d pairs", len(pr.pairAcct), len(pr.pairUsed), len(s.IdentIdx))
	}
	for i := range s.NumIdentities() {
		for k := s.IdentOff[i]; k < s.IdentOff[i+1]; k++ {
			p := [2]int32{int32(i), s.IdentIdx[k]}
			if got := pr.pairAcct[k]; got != wantAcct[p] {
				t.Fatalf("pair %v: account %d, want %d", p, got, wantAcct[p])
			}
			if pr.used != nil && pr.pairUsed[k] != wantUsed[p] {
				t.Fatalf("pair %v: last use %d, want %d", p, pr.pairUsed[k], wantUsed[p])
			}
		}
	}
}

// TestSortAfterAscending holds sortAfterAscending to slices.Sort on distinct keys made of
// an ascending prefix and a tail of 0 to 40 keys in random order (the tail inserted one
// at a time up to maxInsertedTail, sorted whole past it), including tails whose keys go
// below the prefix's first and above its last.
func TestSortAfterAscending(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	for iter := range 2000 {
		prefix, tail := rng.IntN(40), rng.IntN(41)
		seen := map[uint64]bool{}
		var s []uint64
		for len(s) < prefix+tail {
			v := uint64(rng.IntN(200)) << 32
			if iter%3 == 0 {
				v |= uint64(rng.IntN(4))
			}
			if !seen[v] {
				seen[v] = true
				s = append(s, v)
			}
		}
		slices.Sort(s[:prefix])
		want := slices.Sorted(slices.Values(s))
		sortAfterAscending(s)
		if !slices.Equal(s, want) {
			t.Fatalf("iteration %d (prefix %d, tail %d): %v, want %v", iter, prefix, tail, s, want)
		}
	}
}
