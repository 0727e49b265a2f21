package report

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/effective"
)

// naiveMedianOfOthers is the literal definition of the median the flag compares with:
// the SuggestedPercent of every other system on which the rules make grants, sorted.
func naiveMedianOfOthers(systems map[string]*systemSummary, name string) (float64, bool) {
	var ps []float64
	for n, s := range systems {
		if n != name && n != noSystem && s.DirectExplained+s.Suggestions > 0 {
			ps = append(ps, s.SuggestedPercent)
		}
	}
	if len(ps) == 0 {
		return 0, false
	}
	slices.Sort(ps)
	if len(ps)%2 == 1 {
		return ps[len(ps)/2], true
	}
	return (ps[len(ps)/2-1] + ps[len(ps)/2]) / 2, true
}

// TestMedianOfOthersMatchesDefinition: the median read from the shares sorted once equals
// the definition's, sorted again for each system, on random systems with tied shares,
// systems without grants and the pairs without a system.
func TestMedianOfOthersMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		systems := map[string]*systemSummary{}
		for k := range rng.IntN(9) {
			systems[fmt.Sprintf("S%d", k)] = &systemSummary{DirectExplained: int64(rng.IntN(4) * 50), Suggestions: int64(rng.IntN(3) * 10)}
		}
		if rng.IntN(2) == 0 {
			systems[noSystem] = &systemSummary{DirectExplained: 100, Suggestions: int64(rng.IntN(40))}
		}
		flagIncomplete(systems)
		shares := systemShares(systems)
		for name, s := range systems {
			wm, wok := naiveMedianOfOthers(systems, name)
			if m, ok := shares.medianOfOthers(name, s); m != wm || ok != wok {
				t.Fatalf("round %d, system %s: median %v %v, want %v %v", round, name, m, ok, wm, wok)
			}
		}
	}
}

// TestFlagIncompleteManySystems: flagging 5,000 systems sorts their shares once, not
// once a system (a run with 100,000 systems of one account each spent minutes there):
// the allocations do not grow with the systems beyond the one sorted slice's growth.
func TestFlagIncompleteManySystems(t *testing.T) {
	systems := map[string]*systemSummary{}
	for k := range 5000 {
		systems[fmt.Sprintf("S%05d", k)] = &systemSummary{DirectExplained: 100, Suggestions: int64(k % 3)}
	}
	allocs := testing.AllocsPerRun(1, func() { flagIncomplete(systems) })
	if allocs > 64 {
		t.Errorf("flagIncomplete of 5,000 systems: %v allocations, want a few (one sorted slice)", allocs)
	}
	for name, s := range systems {
		if s.PossiblyIncomplete {
			t.Fatalf("%s flagged: %s", name, s.Reason)
		}
	}
}

// TestMissingAccountsManySystems: missing accounts counted from the peer groups each
// system's accounts touch equal the definition (per system, every identity without an
// account whose group of 5 or more mostly has one), on 3,000 systems over 2,000
// identities in 200 peer groups of 10: systems of one account, systems 7 to 10 of a
// group have (8 of 10 is exactly 80%, not over it), an identity with two accounts in a
// system, scattered and uncorrelated accounts. The memory the count allocates is linear
// in the identities, accounts and systems together; a flag for each (system, identity),
// as counting every identity of every system had, is 6 MB here.
func TestMissingAccountsManySystems(t *testing.T) {
	const n, groups, nsys = 2000, 200, 3000
	snap := manySystemsSnapshot(t, n, groups, nsys)
	want := naiveMissingAccounts(snap)
	got := make(map[string]*systemSummary, len(snap.Universe.Accounts.Systems))
	for _, name := range snap.Universe.Accounts.Systems {
		got[name] = &systemSummary{}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	missingAccounts(snap, func(name string) *systemSummary { return got[name] })
	runtime.ReadMemStats(&after)
	flagged := 0
	for name, s := range got {
		if s.MissingAccounts != want[name] {
			t.Errorf("%s: %d missing accounts, want %d", name, s.MissingAccounts, want[name])
		}
		if s.MissingAccounts > 0 {
			flagged++
		}
	}
	if flagged < nsys/20 {
		t.Errorf("only %d systems have missing accounts: the case tests little", flagged)
	}
	accounts := len(snap.Universe.Accounts.System)
	if grew, limit := after.TotalAlloc-before.TotalAlloc, uint64(16*(n+accounts+nsys)+1<<16); grew > limit {
		t.Errorf("missingAccounts allocated %d bytes, want at most %d (linear in %d identities, %d accounts, %d systems)", grew, limit, n, accounts, nsys)
	}
}

// manySystemsSnapshot loads the universe TestMissingAccountsManySystems describes.
func manySystemsSnapshot(t *testing.T, n, groups, nsys int) *columnar.Snapshot {
	t.Helper()
	var ids, accts, asg strings.Builder
	ids.WriteString("identity_id,kind,dept,title\n")
	accts.WriteString("system,account_id,identity_id\n")
	asg.WriteString("identity_id,role_id\n")
	for i := range n {
		fmt.Fprintf(&ids, "u%04d,human,D%03d,T\n", i, i%groups)
		fmt.Fprintf(&asg, "u%04d,R\n", i)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for s := range nsys {
		switch s % 3 {
		case 0:
			fmt.Fprintf(&accts, "SYS%04d,a,u%04d\n", s, rng.IntN(n))
		case 1:
			g, take := rng.IntN(groups), 7+rng.IntN(4)
			for m := range take {
				fmt.Fprintf(&accts, "SYS%04d,a%d,u%04d\n", s, m, m*groups+g)
			}
			fmt.Fprintf(&accts, "SYS%04d,again,u%04d\n", s, g)
		default:
			for m := range 1 + rng.IntN(30) {
				owner := fmt.Sprintf("u%04d", rng.IntN(n))
				if m%7 == 3 {
					owner = ""
				}
				fmt.Fprintf(&accts, "SYS%04d,x%d,%s\n", s, m, owner)
			}
		}
	}
	dir := t.TempDir()
	for name, body := range map[string]string{"identities.csv": ids.String(), "accounts.csv": accts.String(), "assignments.csv": asg.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := columnar.Load(context.Background(), dir, columnar.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// naiveMissingAccounts is the literal definition missingAccounts counts by: for each
// system, each identity without an account in it whose peer group has 5 or more
// identities, over 80% of them with an account in it.
func naiveMissingAccounts(snap *columnar.Snapshot) map[string]int64 {
	a := snap.Universe.Accounts
	group, size := accountPeerGroups(snap, peerDims(snap))
	out := map[string]int64{}
	for s, name := range a.Systems {
		has := map[int32]bool{}
		for k, ks := range a.System {
			if int(ks) == s && a.Identity[k] >= 0 {
				has[a.Identity[k]] = true
			}
		}
		with := make([]int64, len(size))
		for i := range has {
			with[group[i]]++
		}
		for i := range int32(snap.NumIdentities()) {
			g := group[i]
			if !has[i] && size[g] >= 5 && with[g]*5 > size[g]*4 {
				out[name]++
			}
		}
	}
	return out
}

// TestChainSystemsDeepChain: on a chain of 400 roles, with a system only on the tenth,
// each closure step's system is found from its parent step's, at most one lookup a step
// (walking each step's chain back anew was 10 million lookups here, a 2,000-role chain
// 30 s of a run), and every step past the tenth role takes its system.
func TestChainSystemsDeepChain(t *testing.T) {
	const n = 400
	var edges []effective.Edge
	for r := range int32(n - 1) {
		edges = append(edges, effective.Edge{From: r, To: r + 1})
	}
	c, err := effective.NewClosure(context.Background(), effective.NewGraph(n, edges))
	if err != nil {
		t.Fatal(err)
	}
	roleSystem := make([]int32, n)
	for r := range roleSystem {
		roleSystem[r] = -1
	}
	roleSystem[10] = 3
	got, lookups := chainSystemsCounted(c, roleSystem)
	if lookups > int64(c.NumSteps()) {
		t.Errorf("%d parent lookups for %d steps, want at most one a step", lookups, c.NumSteps())
	}
	for s := range int32(n) {
		for _, st := range c.Reach(s) {
			want := int32(-1)
			if s < 10 && st.Role >= 10 {
				want = 3
			}
			if g := got[c.StepIndex(s, st.Role)]; g != want {
				t.Fatalf("step %d > %d: system %d, want %d", s, st.Role, g, want)
			}
		}
	}
}

// TestReviewChunkBounded: review.csv's chunks keep 2^14 rows while no via cell is over
// 768 bytes, and otherwise hold at most 16 MiB of rows with the longest cell (at least 64
// rows): a 2,000-role chain's cells of about 18 KB held 1.5 GB in four chunks of 2^14
// rows. Chunks of any size write the same rows in the same order.
func TestReviewChunkBounded(t *testing.T) {
	for _, c := range []struct{ longest, want int }{{0, 1 << 14}, {768, 1 << 14}, {769, 16368}, {18000, 918}, {1 << 30, 64}} {
		got := reviewChunk(c.longest)
		if got != c.want {
			t.Errorf("longest via %d bytes: chunks of %d rows, want %d", c.longest, got, c.want)
		}
		if got > 64 && got*(c.longest+256) > reviewChunkBytes {
			t.Errorf("longest via %d bytes: %d rows can hold %d bytes", c.longest, got, got*(c.longest+256))
		}
	}
	line := func(buf *bytes.Buffer, lo, hi int) error {
		for k := lo; k < hi; k++ {
			fmt.Fprintf(buf, "%d\n", k)
		}
		return nil
	}
	var want bytes.Buffer
	line(&want, 0, 5000)
	for _, chunk := range []int{64, 918, 1 << 14} {
		var got bytes.Buffer
		if err := writeChunksOf(context.Background(), &got, 5000, chunk, line); err != nil || !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("chunks of %d rows: err %v, %d bytes, want %d", chunk, err, got.Len(), want.Len())
		}
	}
}
