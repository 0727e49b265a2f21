package cpu

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
)

// benchMatrix is a tier-M-shaped matrix: 100k identities, 12 dimensions of skewed
// cardinality, 500 roles whose holders cluster on one dimension value (as planted roles do).
func benchMatrix() (*kernels.Matrix, []int32) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, dims, roles = 100_000, 12, 500
	cards := []int32{4, 20, 300, 150, 30, 5, 200, 100, 4, 60, 12, 1000}
	m := &kernels.Matrix{N: n, Codes: make([][]int32, dims), Cards: cards}
	for d := 0; d < dims; d++ {
		m.Codes[d] = make([]int32, n)
		for i := range m.Codes[d] {
			// Zipf-like skew: square a uniform draw.
			u := rng.Float64()
			m.Codes[d][i] = int32(u * u * float64(cards[d]))
		}
	}
	m.RoleOff = make([]int64, roles+1)
	for r := 0; r < roles; r++ {
		d := rng.IntN(dims)
		v := int32(rng.IntN(int(cards[d])))
		for i := 0; i < n; i++ {
			if m.Codes[d][i] == v && rng.IntN(100) < 95 || rng.IntN(10000) == 0 {
				m.RoleIdx = append(m.RoleIdx, int32(i))
			}
		}
		m.RoleOff[r+1] = int64(len(m.RoleIdx))
	}
	all := make([]int32, roles)
	for r := range all {
		all[r] = int32(r)
	}
	return m, all
}

// withProjects adds a project-like multi-valued dimension to m: card values, each
// identity in 0 to 3 of them (half of them in several).
func withProjects(m *kernels.Matrix, card int) {
	rng := rand.New(rand.NewPCG(3, 4))
	codes, off := make([]int32, m.N), make([]int32, m.N+1)
	var extra []int32
	for i := range codes {
		k := []int{0, 1, 1, 2, 2, 3}[rng.IntN(6)]
		vals := rng.Perm(card)[:k]
		slices.Sort(vals)
		codes[i] = -1
		for n, v := range vals {
			if n == 0 {
				codes[i] = int32(v)
			} else {
				extra = append(extra, int32(v))
			}
		}
		off[i+1] = int32(len(extra))
	}
	dims := len(m.Codes)
	m.MultiOff, m.MultiCodes = make([][]int32, dims+1), make([][]int32, dims+1)
	m.Codes, m.Cards = append(m.Codes, codes), append(m.Cards, int32(card))
	m.MultiOff[dims], m.MultiCodes[dims] = off, extra
}

// benchCooccur times Cooccur at depth over benchMatrix, with a multi-valued dimension of
// projects values when projects > 0.
func benchCooccur(b *testing.B, depth int, projects int) {
	m, roles := benchMatrix()
	q := kernels.Query{Dims: []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, MaxTerms: depth, MinTP: 3}
	if projects > 0 {
		withProjects(m, projects)
		q.Dims = append(q.Dims, 12)
	}
	be := New()
	b.ResetTimer()
	for b.Loop() {
		var cells int64
		err := be.Cooccur(context.Background(), m, q, roles, func(_ int32, cs []kernels.Count) error {
			cells += int64(len(cs))
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(cells), "cells")
	}
	b.ReportMetric(float64(len(m.RoleIdx)), "assignments")
}

// BenchmarkCooccurDepth1 and BenchmarkCooccurDepth2 time the per-role histograms over
// every role of a tier-M-shaped matrix.
func BenchmarkCooccurDepth1(b *testing.B) { benchCooccur(b, 1, 0) }
func BenchmarkCooccurDepth2(b *testing.B) { benchCooccur(b, 2, 0) }

// BenchmarkCooccurMultiDepth2 is BenchmarkCooccurDepth2 with a thirteenth, multi-valued
// dimension of 50 values (withProjects; a tier M universe's project attribute), and
// BenchmarkCooccurMultiWideDepth2 with 500 (tier L's: many values for the rows of a
// role's narrower criteria).
func BenchmarkCooccurMultiDepth2(b *testing.B)     { benchCooccur(b, 2, 50) }
func BenchmarkCooccurMultiWideDepth2(b *testing.B) { benchCooccur(b, 2, 500) }

// BenchmarkSupportsDepth2 times the supports of every two-term criterion over the first
// two hundred values of each dimension pair.
func BenchmarkSupportsDepth2(b *testing.B) {
	m, _ := benchMatrix()
	var crits []kernels.Criterion
	for d1 := int32(0); d1 < 12; d1++ {
		for d2 := d1 + 1; d2 < 12; d2++ {
			for v1 := int32(0); v1 < min(m.Cards[d1], 20); v1++ {
				for v2 := int32(0); v2 < min(m.Cards[d2], 10); v2++ {
					crits = append(crits, kernels.Criterion{T: [4]kernels.Term{{Dim: d1, Val: v1}, {Dim: d2, Val: v2}}, N: 2})
				}
			}
		}
	}
	be := New()
	q := kernels.Query{Dims: []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, MaxTerms: 2, MinTP: 1}
	b.ResetTimer()
	for b.Loop() {
		if _, err := be.Supports(context.Background(), m, q, crits); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(crits)), "criteria")
}
