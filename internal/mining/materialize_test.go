package mining

import (
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
)

// TestScanStopsAfterLastMatch checks that scan's early stop (once the counts' holders and
// false positives are found) counts an identity its posting list names twice only once.
// Holders are identities 1, 2 and 3; p=y matches them and the false positives.
func TestScanStopsAfterLastMatch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		codes []int32 // p's code by identity (1: y)
		// multiOff and multiCodes repeat p=y for some identities.
		multiOff, multiCodes []int32
		fps                  int64
	}{
		// p=y lists 0 1 1 2 3: counting holder 1 twice would stop before holder 3.
		{"repeated holder", []int32{1, 1, 1, 1, 0, 0}, []int32{0, 0, 1, 1, 1, 1, 1}, []int32{1}, 1},
		// p=y lists 0 0 1 2 3 5: counting identity 0 twice would stop before identity 5.
		{"repeated false positive", []int32{1, 1, 1, 1, 0, 1}, []int32{0, 1, 1, 1, 1, 1, 1}, []int32{1}, 2},
	} {
		snap := &columnar.Snapshot{
			IdentityIDs: []string{"i0", "i1", "i2", "i3", "i4", "i5"},
			Dims: []columnar.Dimension{{Name: "p", Values: []string{"x", "y"}, Codes: tc.codes,
				MultiOff: tc.multiOff, MultiCodes: tc.multiCodes}},
		}
		all := []uint64{1<<6 - 1}
		sc := &ruleScope{bits: all, n: 6, dims: []int32{0}, ix: buildIndex(snap, all, []int32{0})}
		s := newSelector(snap, sc)
		s.hs = []int32{1, 2, 3}
		c := kernels.Criterion{N: 1, T: [kernels.MaxTerms]kernels.Term{{Dim: 0, Val: 1}}}
		cs := []cand{{c: c, tp: 3, sup: 3 + tc.fps}}
		s.materialize(cs, nil)
		if got := cs[0].appendMissing(nil, nil); len(got) != 3 || got[2] != 2 {
			t.Errorf("%s: holders %v, want [0 1 2]", tc.name, got)
		}
		if got := count(cs[0].fpb); got != tc.fps {
			t.Errorf("%s: %d false positives, want %d", tc.name, got, tc.fps)
		}
	}
}
