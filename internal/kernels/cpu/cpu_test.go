package cpu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
)

// randomMatrix builds a small random matrix; some dimensions are multi-valued when multi,
// some have up to 56 values, more than the rows of some matrices, and in matrices of one
// or two dimensions some have over 320, more than four times the rows of any.
func randomMatrix(rng *rand.Rand, multi bool) *kernels.Matrix {
	n := 1 + rng.IntN(60)
	dims := 1 + rng.IntN(4)
	m := &kernels.Matrix{N: n, Codes: make([][]int32, dims), Cards: make([]int32, dims),
		MultiOff: make([][]int32, dims), MultiCodes: make([][]int32, dims)}
	for d := 0; d < dims; d++ {
		card := 1 + rng.IntN(5)
		switch k := rng.IntN(6); {
		case k < 2:
			// Larger dictionaries, sometimes larger than the rows.
			card = 17 + rng.IntN(40)
		case k == 2 && dims <= 2:
			// Dictionaries large against every role's rows: their values are listed
			// through the rows rather than by reading every counter (few dimensions, so
			// that the brute force stays quick).
			card = 320 + rng.IntN(200)
		}
		m.Cards[d] = int32(card)
		m.Codes[d] = make([]int32, n)
		for i := range m.Codes[d] {
			m.Codes[d][i] = int32(rng.IntN(card+1)) - 1
		}
		if multi && rng.IntN(2) == 0 {
			off := make([]int32, n+1)
			var codes []int32
			for i := 0; i < n; i++ {
				for c := int32(0); c < int32(card); c++ {
					if c != m.Codes[d][i] && rng.IntN(4) == 0 {
						codes = append(codes, c)
					}
				}
				off[i+1] = int32(len(codes))
			}
			m.MultiOff[d], m.MultiCodes[d] = off, codes
		}
	}
	roles := 1 + rng.IntN(8)
	m.RoleOff = make([]int64, roles+1)
	for r := 0; r < roles; r++ {
		p := rng.Float64()
		for i := 0; i < n; i++ {
			if rng.Float64() < p {
				m.RoleIdx = append(m.RoleIdx, int32(i))
			}
		}
		m.RoleOff[r+1] = int64(len(m.RoleIdx))
	}
	return m
}

// allCriteria enumerates every criterion on dims with 1..maxTerms terms (brute force).
func allCriteria(m *kernels.Matrix, dims []int32, maxTerms int) []kernels.Criterion {
	var out []kernels.Criterion
	var rec func(c kernels.Criterion, from int)
	rec = func(c kernels.Criterion, from int) {
		for di := from; di < len(dims); di++ {
			for v := int32(0); v < m.Cards[dims[di]]; v++ {
				e := c
				e.T[e.N] = kernels.Term{Dim: dims[di], Val: v}
				e.N++
				out = append(out, e)
				if int(e.N) < maxTerms {
					rec(e, di+1)
				}
			}
		}
	}
	rec(kernels.Criterion{}, 0)
	return out
}

func matches(m *kernels.Matrix, c kernels.Criterion, i int32) bool {
	for _, t := range c.Terms() {
		if !has(m, t.Dim, i, t.Val) {
			return false
		}
	}
	return true
}

// TestAgainstBruteForce checks Cooccur and Supports against literal counting on random
// matrices, scopes, dimension subsets, depths and thresholds.
func TestAgainstBruteForce(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		m := randomMatrix(rng, seed%3 == 0)
		q := kernels.Query{MaxTerms: 1 + rng.IntN(kernels.MaxTerms), MinTP: int32(1 + rng.IntN(3))}
		for d := range m.Cards {
			if rng.IntN(4) > 0 {
				q.Dims = append(q.Dims, int32(d))
			}
		}
		if rng.IntN(2) == 0 {
			q.InScope = make([]uint64, (m.N+63)/64)
			for i := 0; i < m.N; i++ {
				if rng.IntN(3) > 0 {
					q.InScope[i/64] |= 1 << (i % 64)
				}
			}
		}
		crits := allCriteria(m, q.Dims, q.MaxTerms)
		roles := make([]int32, len(m.RoleOff)-1)
		for r := range roles {
			roles[r] = int32(r)
		}
		for _, workers := range []int{1, 2, 3, 4} {
			// One worker reads the narrow table of codes, three the table of term ids; two
			// split every table whose children extend no further, however small. Three
			// count one- and two-term queries as the projector does, the others by column;
			// two count every pair of dimensions by buckets (no dense pair table). One
			// counts two-term queries by holder, two by pattern (patterns.go). Four count
			// every role of a two-term query through its complement (complement.go), by
			// pattern on odd seeds; two through one union of them all (union.go).
			b := &Backend{workers: workers, wide: workers == 3, rows: workers == 3, patterns: -1, complement: -1}
			switch workers {
			case 2:
				b.split, b.dense, b.patterns, b.union = 1, 1, 1, 1
			case 4:
				b.complement, b.patterns = 1, int(seed%2)*2-1
			}
			var mu sync.Mutex
			got := map[int32][]kernels.Count{}
			err := b.Cooccur(context.Background(), m, q, roles, func(r int32, cs []kernels.Count) error {
				mu.Lock()
				defer mu.Unlock()
				if _, dup := got[r]; dup {
					return fmt.Errorf("role %d emitted twice", r)
				}
				got[r] = slices.Clone(cs)
				return nil
			})
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			for _, r := range roles {
				var want []kernels.Count
				for _, c := range crits {
					var tp int32
					for _, i := range m.RoleIdx[m.RoleOff[r]:m.RoleOff[r+1]] {
						if inScope(q.InScope, i) && matches(m, c, i) {
							tp++
						}
					}
					if tp >= q.MinTP {
						want = append(want, kernels.Count{C: c, TP: tp})
					}
				}
				slices.SortFunc(want, func(a, b kernels.Count) int { return a.C.Compare(b.C) })
				if !slices.Equal(got[r], want) {
					t.Fatalf("seed %d workers %d role %d: Cooccur\n got %v\nwant %v", seed, workers, r, got[r], want)
				}
			}
			sup, err := b.Supports(context.Background(), m, q, crits)
			if err != nil {
				t.Fatal(err)
			}
			for k, c := range crits {
				var want int32
				for i := int32(0); i < int32(m.N); i++ {
					if inScope(q.InScope, i) && matches(m, c, i) {
						want++
					}
				}
				if sup[k] != want {
					t.Fatalf("seed %d: support of %v = %d, want %d", seed, c, sup[k], want)
				}
			}
		}
	}
}

// TestSinglesByColumn compares the one-term path (single.go) with the projector on
// dimensions whose codes take a byte, two and four bytes, with and without a scope: the
// widest dictionary is large against every role, so its values are listed through the
// holders and sorted.
func TestSinglesByColumn(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 3000
	cards := []int32{3, 300, 70_000}
	m := &kernels.Matrix{N: n, Cards: cards, Codes: make([][]int32, len(cards))}
	for d, card := range cards {
		m.Codes[d] = make([]int32, n)
		for i := range m.Codes[d] {
			// Few distinct values, so that some reach MinTP in every dictionary, and a
			// quarter of the identities without one.
			m.Codes[d][i] = -1
			if rng.IntN(4) > 0 {
				m.Codes[d][i] = int32(rng.IntN(min(int(card), 40))) + card - min(card, 40)
			}
		}
	}
	roles := randomRoles(rng, m, 40, 0.3)
	scope := everyKth(n, 3)
	for _, in := range [][]uint64{nil, scope} {
		for minTP := int32(1); minTP <= 3; minTP++ {
			q := kernels.Query{Dims: []int32{0, 1, 2}, MaxTerms: 1, MinTP: minTP, InScope: in}
			want := collectCounts(t, &Backend{workers: 2, rows: true}, m, q, roles)
			got := collectCounts(t, &Backend{workers: 2}, m, q, roles)
			for _, r := range roles {
				if len(want[r]) == 0 {
					t.Fatalf("role %d: no counts (the test's data)", r)
				}
				if !slices.Equal(got[r], want[r]) {
					t.Fatalf("scope %v minTP %d role %d:\n got %v\nwant %v", in != nil, minTP, r, got[r], want[r])
				}
			}
		}
	}
}

// TestPairsByColumn compares the two-term path (pairs.go) with the projector on a matrix
// where every way of counting a pair of dimensions is taken: dense tables, buckets whose
// second dimension's counters are read in order or listed through the rows, a dimension whose one value every holder has (kind in a scope of one
// kind), and a dictionary of values listed through the holders; with and without a scope,
// at MinTP 1 to 3, with every pair bucketed, and from the table of term ids (32-bit
// columns, as where a dictionary has 65,535 values or more); each of those by holder and
// by pattern (patterns.go).
func TestPairsByColumn(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	const n = 4000
	cards := []int32{1, 3, 40, 700, 2500, 30_000, 1}
	m := &kernels.Matrix{N: n, Cards: cards, Codes: make([][]int32, len(cards))}
	for d, card := range cards {
		m.Codes[d] = make([]int32, n)
		for i := range m.Codes[d] {
			switch {
			case card == 1:
				m.Codes[d][i] = 0 // every identity: whole in every role
			case rng.IntN(5) == 0:
				m.Codes[d][i] = -1
			default:
				// Skewed, so that some values reach MinTP in every dictionary.
				u := rng.Float64()
				m.Codes[d][i] = int32(u * u * u * float64(card))
			}
		}
	}
	roles := randomRoles(rng, m, 30, 1)
	scope := everyKth(n, 2)
	for _, in := range [][]uint64{nil, scope} {
		for minTP := int32(1); minTP <= 3; minTP++ {
			q := kernels.Query{Dims: []int32{0, 1, 2, 3, 4, 5, 6}, MaxTerms: 2, MinTP: minTP, InScope: in}
			want := collectCounts(t, &Backend{workers: 2, rows: true}, m, q, roles)
			for _, b := range []*Backend{{workers: 2}, {workers: 2, dense: 1}, {workers: 2, wide: true}, {workers: 2, complement: 1}, {workers: 2, union: 1}} {
				for _, b.patterns = range []int{-1, 1} {
					got := collectCounts(t, b, m, q, roles)
					for _, r := range roles {
						if !slices.Equal(got[r], want[r]) {
							t.Fatalf("scope %v minTP %d dense %d wide %v patterns %d role %d:\n got %v\nwant %v",
								in != nil, minTP, b.dense, b.wide, b.patterns, r, got[r], want[r])
						}
					}
				}
			}
		}
	}
}

// collectCounts runs Cooccur and returns each role's counts.
func collectCounts(t *testing.T, b *Backend, m *kernels.Matrix, q kernels.Query, roles []int32) map[int32][]kernels.Count {
	t.Helper()
	var mu sync.Mutex
	got := map[int32][]kernels.Count{}
	if err := b.Cooccur(context.Background(), m, q, roles, func(r int32, cs []kernels.Count) error {
		mu.Lock()
		defer mu.Unlock()
		got[r] = slices.Clone(cs)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestCooccurPairs checks that CooccurPairs gives exactly Cooccur's two-term counts, in its
// order (by dimension pair, then by value pair), by the two-term path, by pattern and by
// the projector (a multi-valued dimension, or rows set), and refuses a query of other
// than two terms.
func TestCooccurPairs(t *testing.T) {
	for seed := uint64(0); seed < 60; seed++ {
		rng := rand.New(rand.NewPCG(seed, 11))
		m := randomMatrix(rng, seed%3 == 0)
		q := kernels.Query{MaxTerms: 2, MinTP: int32(1 + rng.IntN(3))}
		for d := range m.Cards {
			q.Dims = append(q.Dims, int32(d))
		}
		roles := make([]int32, len(m.RoleOff)-1)
		for r := range roles {
			roles[r] = int32(r)
		}
		counts := collectCounts(t, &Backend{workers: 2, rows: true}, m, q, roles)
		for _, b := range []*Backend{{workers: 2}, {workers: 2, wide: true, patterns: 1}, {workers: 2, rows: true}, {workers: 3, complement: 1}, {workers: 3, union: 1}} {
			var mu sync.Mutex
			got := map[int32][]Pair{}
			err := b.CooccurPairs(context.Background(), m, q, roles, func(r int32, ps []Pair) error {
				mu.Lock()
				defer mu.Unlock()
				got[r] = slices.Clone(ps)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range roles {
				var want []Pair
				for _, c := range counts[r] {
					if c.C.N == 2 {
						want = append(want, Pair{A: c.C.T[0], B: c.C.T[1], TP: c.TP})
					}
				}
				slices.SortStableFunc(want, func(x, y Pair) int {
					if x.A.Dim != y.A.Dim || x.B.Dim != y.B.Dim {
						return int(x.A.Dim*1000+x.B.Dim) - int(y.A.Dim*1000+y.B.Dim)
					}
					return 0 // Cooccur's order within a dimension pair: by A.Val, then B.Val
				})
				if !slices.Equal(got[r], want) {
					t.Fatalf("seed %d rows %v role %d:\n got %v\nwant %v", seed, b.rows, r, got[r], want)
				}
			}
		}
	}
	q := kernels.Query{Dims: []int32{0}, MaxTerms: 1, MinTP: 1}
	if err := New().CooccurPairs(context.Background(), &kernels.Matrix{}, q, nil, nil); err == nil {
		t.Fatal("CooccurPairs with MaxTerms 1: no error")
	}
}

// randomRoles gives m count roles (0 to count-1), each held by every identity with one
// probability drawn below maxP, and returns their indices.
func randomRoles(rng *rand.Rand, m *kernels.Matrix, count int, maxP float64) []int32 {
	m.RoleOff = []int64{0}
	roles := make([]int32, count)
	for r := range roles {
		roles[r] = int32(r)
		p := rng.Float64() * maxP
		for i := range m.N {
			if rng.Float64() < p {
				m.RoleIdx = append(m.RoleIdx, int32(i))
			}
		}
		m.RoleOff = append(m.RoleOff, int64(len(m.RoleIdx)))
	}
	return roles
}

// everyKth is a scope of every k-th of n identities.
func everyKth(n, k int) []uint64 {
	scope := make([]uint64, (n+63)/64)
	for i := 0; i < n; i += k {
		scope[i/64] |= 1 << (i % 64)
	}
	return scope
}
