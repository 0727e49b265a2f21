package cpu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
)

// Dimensions of dependMatrix.
const (
	depY = iota // f(x): its values in x's order (ordered), none for some x
	depW        // g(x), in no order of x
	depZ        // independent
	depX        // 40 values; some identities have none
	depT        // t(x)
	depV        // h(x) but for one identity
	depU        // k(x) in the scope (every other identity), random outside it
	depM        // k(x) too, and further values: multi-valued
	depDims
)

// dependMatrix plants functional dependencies among n identities: X determines Y and W
// (dimensions before it), T and (in the scope of every other identity) U (after it); V would be determined but for one identity;
// M is multi-valued. Roles are drawn around X's values, plus one held by everyone (so that
// the identity breaking V's dependency is counted) and one by almost everyone (counted
// through its complement).
func dependMatrix(rng *rand.Rand, n int, multi bool) *kernels.Matrix {
	cards := []int32{12, 9, 5, 40, 11, 10, 7, 7}
	m := &kernels.Matrix{N: n, Cards: cards, Codes: make([][]int32, depDims), MultiOff: make([][]int32, depDims), MultiCodes: make([][]int32, depDims)}
	f, g, tx, h, k := make([]int32, 40), make([]int32, 40), make([]int32, 40), make([]int32, 40), make([]int32, 40)
	for x := range f {
		f[x] = int32(x * 12 / 40)
		if x%13 == 5 {
			f[x] = -1 // every identity with this x lacks Y
		}
		g[x], tx[x], h[x], k[x] = int32(rng.IntN(9)), int32(rng.IntN(11)), int32(rng.IntN(10)), int32(rng.IntN(7))
	}
	for d := range m.Codes {
		m.Codes[d] = make([]int32, n)
	}
	for i := range n {
		x := int32(rng.IntN(40))
		// Skewed towards low values, so that some pairs reach MinTP in small roles.
		x = min(x, int32(rng.IntN(40)))
		if rng.IntN(15) == 0 {
			x = -1
		}
		var row [depDims]int32
		for d := range row {
			row[d] = int32(rng.IntN(int(cards[d])+1)) - 1
		}
		row[depX] = x
		if x >= 0 {
			row[depY], row[depW], row[depT], row[depV] = f[x], g[x], tx[x], h[x]
			if i%2 == 0 {
				row[depU], row[depM] = k[x], k[x]
			}
		}
		for d := range row {
			m.Codes[d][i] = row[d]
		}
	}
	// The last identity of the scope whose x another has breaks V's dependency (after the
	// first screenRows in-scope identities, where there are more).
	for i := (n - 1) &^ 1; i > 0; i -= 2 {
		if x := m.Codes[depX][i]; x >= 0 && slices.Contains(m.Codes[depX][:i], x) {
			m.Codes[depV][i] = (h[x] + 1) % 10
			break
		}
	}
	if multi {
		off := make([]int32, n+1)
		var codes []int32
		for i := range n {
			if c := m.Codes[depM][i]; rng.IntN(3) == 0 {
				codes = append(codes, (c+1+int32(rng.IntN(6)))%7)
			}
			off[i+1] = int32(len(codes))
		}
		m.MultiOff[depM], m.MultiCodes[depM] = off, codes
	}
	dependRoles(rng, m)
	return m
}

// dependRoles gives m roles around X's values, one held by everyone and one by all but
// every twentieth identity.
func dependRoles(rng *rand.Rand, m *kernels.Matrix) {
	m.RoleOff, m.RoleIdx = []int64{0}, nil
	for r := range 24 {
		p, xs := rng.Float64()*0.3, map[int32]bool{int32(rng.IntN(40)): true, int32(rng.IntN(20)): true}
		for i := range int32(m.N) {
			switch {
			case r == 0, r == 1 && i%20 != 0, xs[m.Codes[depX][i]] && rng.IntN(10) > 0, rng.Float64() < p:
				m.RoleIdx = append(m.RoleIdx, i)
			}
		}
		m.RoleOff = append(m.RoleOff, int64(len(m.RoleIdx)))
	}
}

// depPairs lists the dependencies found for q as "from>to" by dimension.
func depPairs(m *kernels.Matrix, q *kernels.Query) []string {
	ds := findDependencies(m, q, newLayout(m, q))
	var got []string
	if ds == nil {
		return got
	}
	for a := range ds.w {
		for b := a + 1; b < ds.w; b++ {
			if d := ds.of(a, b); d != nil {
				from, to := q.Dims[a], q.Dims[b]
				if d.second {
					from, to = to, from
				}
				got = append(got, fmt.Sprintf("%d>%d", from, to))
			}
		}
	}
	return got
}

// TestDependencies checks that exactly the planted dependencies are found: over every
// identity X determines Y, W and T; in the scope of every other identity U too; V, broken
// by one identity, never; M, multi-valued, never.
func TestDependencies(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 13))
		m := dependMatrix(rng, 300+rng.IntN(12000), true)
		q := kernels.Query{Dims: []int32{depY, depW, depZ, depX, depT, depV, depU, depM}, MaxTerms: 2, MinTP: 1}
		if got, want := depPairs(m, &q), []string{"3>0", "3>1", "3>4"}; !slices.Equal(got, want) {
			t.Fatalf("seed %d, every identity: got %v, want %v", seed, got, want)
		}
		q.InScope = everyKth(m.N, 2)
		if got, want := depPairs(m, &q), []string{"3>0", "3>1", "3>4", "3>6"}; !slices.Equal(got, want) {
			t.Fatalf("seed %d, every other identity: got %v, want %v", seed, got, want)
		}
		q.Dims = []int32{depY, depX, depT}
		if got, want := depPairs(m, &q), []string{"3>0", "3>4"}; !slices.Equal(got, want) {
			t.Fatalf("seed %d, X after Y: got %v, want %v", seed, got, want)
		}
	}
}

// TestDependentPairs checks the two-term counts of matrices with planted dependencies
// against the row-wise reference (the projector) and against counting every pair of
// dimensions (depend -1), for Cooccur, CooccurPairs and CooccurPlanned, with and
// without a scope, on several sets of dimensions (X after what it determines and before),
// MinTP 1 to 3, by holder and by pattern, through complements, bucketed and from the
// table of term ids, with M single- and multi-valued.
func TestDependentPairs(t *testing.T) {
	ctx := context.Background()
	sets := [][]int32{{depY, depW, depZ, depX, depT, depV, depU, depM}, {depY, depW, depX, depV, depU, depM}, {depW, depX}, {depX, depT, depU, depM}}
	for seed := uint64(0); seed < 16; seed++ {
		rng := rand.New(rand.NewPCG(seed, 17))
		m := dependMatrix(rng, 200+rng.IntN(3000), seed%2 == 0)
		roles := make([]int32, len(m.RoleOff)-1)
		for r := range roles {
			roles[r] = int32(r)
		}
		q := kernels.Query{Dims: sets[seed%4], MaxTerms: 2, MinTP: int32(1 + seed%3)}
		if seed%3 != 2 {
			q.InScope = everyKth(m.N, 2)
		}
		want := collectCounts(t, &Backend{workers: 2, rows: true}, m, q, roles)
		wantPairs := collectPairs(t, &Backend{workers: 2, depend: -1}, func(b *Backend, emit func(int32, []Pair) error) error {
			return b.CooccurPairs(ctx, m, q, roles, emit)
		})
		for _, b := range []*Backend{{workers: 2}, {workers: 1, patterns: 1}, {workers: 2, patterns: -1}, {workers: 3, complement: 1},
			{workers: 2, dense: 1}, {workers: 2, wide: true, patterns: 1}, {workers: 2, depend: -1}} {
			got := collectCounts(t, b, m, q, roles)
			gotPairs := collectPairs(t, b, func(b *Backend, emit func(int32, []Pair) error) error {
				return b.CooccurPairs(ctx, m, q, roles, emit)
			})
			plan, err := b.PreparePairs(ctx, m, q)
			if err != nil {
				t.Fatal(err)
			}
			planned := collectPairs(t, b, func(b *Backend, emit func(int32, []Pair) error) error {
				return b.CooccurPlanned(ctx, m, plan, roles, emit)
			})
			for _, r := range roles {
				if !slices.Equal(got[r], want[r]) {
					t.Fatalf("seed %d backend %+v role %d: Cooccur\n got %v\nwant %v", seed, *b, r, got[r], want[r])
				}
				if !slices.Equal(gotPairs[r], wantPairs[r]) || !slices.Equal(planned[r], wantPairs[r]) {
					t.Fatalf("seed %d backend %+v role %d: CooccurPairs\n got %v\nplanned %v\nwant %v", seed, *b, r, gotPairs[r], planned[r], wantPairs[r])
				}
			}
		}
	}
}
