package mining

import (
	"math/rand/v2"
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

// TestOthersMatchesCriterion checks scan's reading of a candidate's other terms
// (othersOf, others.match) against matchesCriterion, for every one- and two-term
// criterion of a random snapshot with a single-valued and a multi-valued dimension, asked
// about a random ascending part of the rarest term's posting list (scan asks about some
// identities only): both where the other posting list is walked alongside (merge) and
// where it is too long and the codes are read.
func TestOthersMatchesCriterion(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	const n = 400
	// Value 0 of each dimension is held by most identities, the last by a handful, so
	// that some pairs of terms have posting lists more than mergeRatio times apart.
	skewed := func(card int) int32 {
		switch x := rng.IntN(100); {
		case x < 70:
			return 0
		case x < 71:
			return int32(card - 1)
		default:
			return int32(1 + rng.IntN(card-2))
		}
	}
	a := columnar.Dimension{Name: "a", Values: []string{"a0", "a1", "a2", "a3", "a4"}, Codes: make([]int32, n)}
	p := columnar.Dimension{Name: "p", Values: []string{"p0", "p1", "p2", "p3", "p4", "p5"}, Codes: make([]int32, n),
		MultiOff: make([]int32, n+1)}
	for i := range n {
		a.Codes[i] = skewed(len(a.Values))
		if rng.IntN(10) == 0 {
			a.Codes[i] = -1
		}
		p.Codes[i] = -1
		seen := map[int32]bool{}
		for range rng.IntN(4) {
			v := skewed(len(p.Values))
			if seen[v] {
				continue
			}
			seen[v] = true
			if p.Codes[i] < 0 {
				p.Codes[i] = v
			} else {
				p.MultiCodes = append(p.MultiCodes, v)
			}
		}
		p.MultiOff[i+1] = int32(len(p.MultiCodes))
	}
	snap := &columnar.Snapshot{IdentityIDs: make([]string, n), Dims: []columnar.Dimension{a, p}}
	scope := make([]uint64, (n+63)/64)
	for i := range n {
		if rng.IntN(8) != 0 {
			scope[i>>6] |= 1 << (i & 63)
		}
	}
	dims := []int32{0, 1}
	s := newSelector(snap, &ruleScope{bits: scope, dims: dims, ix: buildIndex(snap, scope, dims)})
	var terms []kernels.Term
	for d, dim := range snap.Dims {
		for v := range dim.Values {
			terms = append(terms, kernels.Term{Dim: int32(d), Val: int32(v)})
		}
	}
	var crits []kernels.Criterion
	for x, t0 := range terms {
		crits = append(crits, kernels.Criterion{N: 1, T: [kernels.MaxTerms]kernels.Term{t0}})
		for _, t1 := range terms[x+1:] {
			crits = append(crits, kernels.Criterion{N: 2, T: [kernels.MaxTerms]kernels.Term{t0, t1}})
		}
	}
	ways := map[bool]int{}
	for _, c := range crits {
		o := s.othersOf(&c)
		if c.N == 2 {
			ways[o.merge]++
		}
		for _, i := range o.posting {
			if rng.IntN(3) == 0 {
				continue // not asked about, as scan skips non-holders of pure candidates
			}
			if got, want := o.match(i), matchesCriterion(snap, &c, int(i)); got != want {
				t.Fatalf("%v, identity %d (merge %v): match %v, matchesCriterion %v", c, i, o.merge, got, want)
			}
		}
	}
	if ways[true] == 0 || ways[false] == 0 {
		t.Fatalf("two-term criteria by way (merge: count): %v, want both", ways)
	}
}
