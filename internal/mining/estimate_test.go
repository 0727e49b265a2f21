package mining

import (
	"context"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
)

// TestEstimatePairs: the estimate a run warns from, before the pairs are expanded, worked
// by hand. Grants A > B > C > D and X > Y; u1 holds A, u2 holds B, u3 holds X, u4 holds
// nothing granting. Effective pairs: u1 A B C D, u2 B C D, u3 X Y, u4 Z: 10, of which 4
// direct. Via chains (role ids of one byte, " > " between): u1 "A > B" 5, "A > B > C" 9,
// "A > B > C > D" 13; u2 "B > C" 5, "B > C > D" 9; u3 "X > Y" 5: 46 bytes. No role is
// reached twice, so the bounds are exact. The largest source is A (1 holder, 3 roles).
func TestEstimatePairs(t *testing.T) {
	dir := t.TempDir()
	writeDataFiles(t, dir, `identities.csv:
identity_id,dept
u1,D
u2,D
u3,D
u4,D
assignments.csv:
identity_id,role_id
u1,A
u2,B
u3,X
u4,Z
role_grants.csv:
role_id,grants_role_id
A,B
B,C
C,D
X,Y
`)
	snap, err := columnar.Load(context.Background(), dir, columnar.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got PairsEstimate
	eff, err := EffectiveOfEstimated(context.Background(), snap, 1, func(e PairsEstimate) { got = e })
	if err != nil {
		t.Fatal(err)
	}
	pairs := eff.Pairs.Off[snap.NumIdentities()]
	if got.Direct != 4 || got.Pairs != 10 || pairs != 10 || got.ViaBytes != 46 {
		t.Errorf("estimate %+v (%d pairs expanded), want 4 direct, 10 pairs, 46 via bytes", got, pairs)
	}
	if got.Top < 0 || snap.Roles.IDs[got.Top] != "A" || got.TopHolders != 1 || got.TopReach != 3 {
		t.Errorf("largest source %d (%d holders, %d roles), want A, 1, 3", got.Top, got.TopHolders, got.TopReach)
	}
	if got.Large() {
		t.Errorf("a small universe's estimate is large: %+v", got)
	}
}

// TestPairsEstimateLarge: the warning's thresholds (docs/effective-privilege.md#size),
// each at its bound and one over it.
func TestPairsEstimateLarge(t *testing.T) {
	for _, c := range []struct {
		e     PairsEstimate
		large bool
	}{
		{PairsEstimate{Direct: 1_000_000, Pairs: 100_000_000}, false},    // at 100 million
		{PairsEstimate{Direct: 1_000_000, Pairs: 100_000_001}, true},     // over, 100 times
		{PairsEstimate{Direct: 6_000_000, Pairs: 120_000_000}, false},    // 20 times exactly
		{PairsEstimate{Direct: 6_000_000, Pairs: 120_000_001}, true},     // over 20 times
		{PairsEstimate{Direct: 10, Pairs: 99_000_000}, false},            // a ratio alone
		{PairsEstimate{Direct: 10, Pairs: 10, ViaBytes: 1 << 30}, false}, // 1 GiB of chains
		{PairsEstimate{Direct: 10, Pairs: 10, ViaBytes: 1<<30 + 1}, true},
	} {
		if got := c.e.Large(); got != c.large {
			t.Errorf("%+v: large %v, want %v", c.e, got, c.large)
		}
	}
}
