package effective

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
)

// BenchmarkExpandListingWays expands the identities of the universe in
// $ROLEMINE_BENCH_DATA (a `rolemine gen --universe` directory) and finds the identities
// holding each role with direct holders only through grants, two ways in turn, ABBA:
// ExpandWorkers then InheritedByRoleWorkers (a pass over the pairs, the way before the
// twenty-eighth session), and ExpandListing (the pairs listed as they are written). It
// reports each way's process CPU seconds and wall seconds per op, and fails where the
// two ways' results differ. Skipped when the variable is unset.
func BenchmarkExpandListingWays(b *testing.B) {
	dir := os.Getenv("ROLEMINE_BENCH_DATA")
	if dir == "" {
		b.Skip("set ROLEMINE_BENCH_DATA to a generated universe's directory")
	}
	ctx := context.Background()
	snap, err := columnar.Load(ctx, dir, columnar.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if snap.Universe == nil {
		b.Skip("not a universe")
	}
	edges := make([]Edge, len(snap.Universe.Grants))
	for k, g := range snap.Universe.Grants {
		edges[k] = Edge{From: g.From, To: g.To}
	}
	c, err := NewClosure(ctx, NewGraph(snap.NumRoles(), edges))
	if err != nil {
		b.Fatal(err)
	}
	nr, n := snap.NumRoles(), snap.NumIdentities()
	list := make([]bool, nr)
	for r := range list {
		list[r] = snap.RoleOff[r+1] > snap.RoleOff[r]
	}
	ways := []func() (*Pairs, *ByRole, error){
		func() (*Pairs, *ByRole, error) {
			p, err := ExpandWorkers(ctx, c, n, 0, snap.RolesOf)
			if err != nil {
				return nil, nil, err
			}
			br, err := p.InheritedByRoleWorkers(ctx, nr, 0, list)
			return p, br, err
		},
		func() (*Pairs, *ByRole, error) { return ExpandListing(ctx, c, n, 0, nr, list, snap.RolesOf) },
	}
	names := []string{"scan", "listing"}
	var spent, wall [2]float64
	var pairs [2]*Pairs
	var by [2]*ByRole
	rounds := 0
	for b.Loop() {
		for k := range ways {
			w := (k + rounds) % 2 // ABBA
			pairs[w], by[w] = nil, nil
			runtime.GC()
			c0, t0 := cpuSeconds(), time.Now()
			p, br, err := ways[w]()
			if err != nil {
				b.Fatal(err)
			}
			took, tookWall := cpuSeconds()-c0, time.Since(t0).Seconds()
			spent[w] += took
			wall[w] += tookWall
			fmt.Fprintf(os.Stderr, "round %d %s cpu %.3f wall %.3f\n", rounds, names[w], took, tookWall) // every round, for medians (b.Logf keeps ten lines)
			pairs[w], by[w] = p, br
		}
		if !slices.Equal(pairs[0].Role, pairs[1].Role) || !slices.Equal(pairs[0].Step, pairs[1].Step) ||
			!slices.Equal(pairs[0].Off, pairs[1].Off) || !reflect.DeepEqual(by[0], by[1]) {
			b.Fatal("the two ways' results differ")
		}
		rounds++
	}
	for w := range ways {
		b.ReportMetric(spent[w]/float64(rounds), names[w]+"-cpu-s/op")
		b.ReportMetric(wall[w]/float64(rounds), names[w]+"-wall-s/op")
	}
}

// cpuSeconds is the process's CPU time so far (user and system).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
