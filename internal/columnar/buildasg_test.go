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
// roles ascending and distinct, the duplicates counted, the orphans merged.
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
		for range rows {
			i := rng.IntN(len(codes))
			if rng.IntN(3) > 0 {
				i = rng.IntN(min(n, 1+rng.IntN(n))) // skewed: low identities hold more
			}
			r := rng.IntN(nr)
			ic.codes = append(ic.codes, int32(i))
			rc.codes = append(rc.codes, int32(r))
			if i < n {
				want[[2]int32{int32(i), asgRole[r]}] = true
			} else {
				wantOrphans[Orphan{IdentityID: codes[i], Role: asgRole[r]}] = true
			}
		}
		procs := []int{1, 2, 3, 8}[iter%4]
		runtime.GOMAXPROCS(procs)
		s := &Snapshot{IdentityIDs: ids, Roles: Roles{IDs: make([]string, nr)}}
		tb := &table{rows: rows, cols: []*column{ic, rc}}
		if err := buildAssignments(context.Background(), s, tb, identityIndex(ids), asgRole); err != nil {
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
