package cpu

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
)

// TestMultiPath checks the multi-valued path's three steps on one dimension against
// literal counting: the counts of every value over a subset of a role's rows, the values
// selected (the three ways of listing them: reading every counter of a small dictionary,
// a bitset of the rows' values for a larger one, the rows' values sorted for the
// largest), and the bucket of each selected value (its rows, in row order). Rows hold 0
// to 9 values, so some overflow maxSlots.
func TestMultiPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for iter := 0; iter < 2000; iter++ {
		n := 1 + rng.IntN(80)
		card := 1 + rng.IntN(600)
		if rng.IntN(4) == 0 {
			card = 5000 + rng.IntN(20000) // more bitset words than four per row
		}
		m := &kernels.Matrix{N: n, Codes: [][]int32{make([]int32, n)}, Cards: []int32{int32(card)},
			MultiOff: [][]int32{make([]int32, n+1)}, MultiCodes: [][]int32{nil}}
		many := rng.IntN(3) == 0 // some matrices with rows over maxSlots values
		vals := make([][]int32, n)
		for i := range n {
			k := rng.IntN(3)
			if many {
				k = rng.IntN(10)
			}
			for len(vals[i]) < min(k, card) {
				if v := int32(rng.IntN(card)); !slices.Contains(vals[i], v) {
					vals[i] = append(vals[i], v)
				}
			}
			m.Codes[0][i] = -1
			rest := vals[i]
			if len(rest) > 0 && rng.IntN(2) == 0 {
				m.Codes[0][i], rest = rest[0], rest[1:]
			}
			m.MultiCodes[0] = append(m.MultiCodes[0], rest...)
			m.MultiOff[0][i+1] = int32(len(m.MultiCodes[0]))
		}
		q := &kernels.Query{Dims: []int32{0}, MaxTerms: 2, MinTP: int32(1 + rng.IntN(3))}
		p := newProjector(m, q, newLayout(m, q))
		var holders []int32
		for i := range int32(n) {
			if rng.IntN(4) > 0 {
				holders = append(holders, i)
			}
		}
		p.gather(holders)
		var rows []int32 // nil: every local row
		if rng.IntN(2) == 0 {
			rows = []int32{}
			for k := range int32(len(p.base)) {
				if rng.IntN(2) == 0 {
					rows = append(rows, k)
				}
			}
		}
		tab := rowTable{v: p.local, w: p.lay.w, n: len(p.base)}
		sels := slices.Clone(p.projectMulti(0, 0, rows, &tab, true))
		want, bucket := literalMulti(tab.rowsOr(rows, p.all), p.base, vals, q.MinTP)
		if !slices.Equal(sels, want) {
			t.Fatalf("iteration %d (card %d, %d rows, MinTP %d): selected %v, want %v", iter, card, len(tab.rowsOr(rows, p.all)), q.MinTP, sels, want)
		}
		for _, s := range sels {
			got := p.rows[0][s.start : s.start+s.count]
			if !slices.Equal(got, bucket[s.val]) {
				t.Fatalf("iteration %d: bucket of value %d: %v, want %v", iter, s.val, got, bucket[s.val])
			}
		}
		if slices.ContainsFunc(p.counts[0][0], func(c int32) bool { return c != 0 }) {
			t.Fatalf("iteration %d: counters not left zero", iter)
		}
	}
}

// literalMulti counts each value over rows (local rows, base[r] their identities, vals an
// identity's values) and returns the values counted at least minTP times, ascending, with
// bucket starts, and each value's rows in order.
func literalMulti(rows, base []int32, vals [][]int32, minTP int32) ([]sel, map[int32][]int32) {
	bucket := map[int32][]int32{}
	for _, r := range rows {
		for _, v := range vals[base[r]] {
			bucket[v] = append(bucket[v], r)
		}
	}
	var want []sel
	var start int32
	for _, v := range slices.Sorted(func(yield func(int32) bool) {
		for v := range bucket {
			if !yield(v) {
				return
			}
		}
	}) {
		if c := int32(len(bucket[v])); c >= minTP {
			want = append(want, sel{val: v, count: c, start: start})
			start += c
		}
	}
	return want, bucket
}
