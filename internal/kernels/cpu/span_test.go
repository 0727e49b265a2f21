package cpu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
)

// rangeScope is a scope of the identities lo..hi-1 but every k-th (k 0: none left out).
func rangeScope(n, lo, hi, k int) []uint64 {
	scope := make([]uint64, (n+63)/64)
	for i := lo; i < hi; i++ {
		if k == 0 || i%k != 0 {
			scope[i/64] |= 1 << (i % 64)
		}
	}
	return scope
}

// TestScopeSpan checks a scope's span (its first identity to one past its last) and the
// holders within it, at word edges, for one identity, none and every one.
func TestScopeSpan(t *testing.T) {
	for _, c := range []struct {
		n, lo, hi int
		want      span
	}{{200, 0, 200, span{0, 200}}, {200, 63, 64, span{63, 64}}, {200, 64, 65, span{64, 65}}, {200, 5, 128, span{5, 128}},
		{200, 127, 199, span{127, 199}}, {200, 50, 50, span{0, 0}}, {1, 0, 1, span{0, 1}}} {
		if got := scopeSpan(rangeScope(c.n, c.lo, c.hi, 0), c.n); got != c.want {
			t.Errorf("%d identities, scope %d..%d: span %v, want %v", c.n, c.lo, c.hi-1, got, c.want)
		}
	}
	if got := scopeSpan(nil, 70); got != (span{0, 70}) {
		t.Errorf("no scope: span %v, want all 70", got)
	}
	holders := []int32{0, 3, 63, 64, 65, 127, 128, 199}
	for _, c := range []struct {
		s    span
		want []int32
	}{{span{0, 200}, holders}, {span{63, 128}, []int32{63, 64, 65, 127}}, {span{64, 65}, []int32{64}}, {span{4, 63}, []int32{}},
		{span{0, 0}, []int32{}}, {span{128, 200}, []int32{128, 199}}, {span{1, 199}, []int32{3, 63, 64, 65, 127, 128}}} {
		if got := c.s.of(holders); !slices.Equal(got, c.want) {
			t.Errorf("span %v: holders %v, want %v", c.s, got, c.want)
		}
	}
}

// TestSpanCounts checks the two-term path (every way of counting: by pattern, through the
// scope's complement, through unions) over scopes whose identities lie together (a prefix,
// a suffix, a middle range with holes) against the projector, which tests every holder's
// bit: a role's holders outside the span must be left out, and none inside it.
func TestSpanCounts(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(0); seed < 3; seed++ {
		rng := rand.New(rand.NewPCG(seed, 19))
		m := unionMatrix(rng, 5000+rng.IntN(2000))
		plantRoles(rng, m, 1500+rng.IntN(1000), []planted{{3, 0.01}, {2, 0.02}}, 3)
		roles := allRoles(m)
		n := m.N
		for _, in := range [][]uint64{rangeScope(n, 0, n*4/5, 0), rangeScope(n, n*4/5, n, 0), rangeScope(n, n/5, n*3/5+1, 9)} {
			for _, minTP := range []int32{1, 3} {
				q := kernels.Query{Dims: []int32{0, 1, 2}, MaxTerms: 2, MinTP: minTP, InScope: in}
				label := fmt.Sprintf("seed %d minTP %d", seed, minTP)
				checkAgainstRows(t, ctx, label, m, q, roles, []*Backend{{workers: 2}, {workers: 1, patterns: 1}, {workers: 2, patterns: -1},
					{workers: 2, union: 1}, {workers: 2, complement: 1}, {workers: 3, complement: 1, patterns: 1}})
			}
		}
	}
}
