package cpu

import (
	"context"
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

// TestPairsMultiByColumn compares the two-term path (pairs.go) with the projector on
// queries with one multi-valued dimension (placed first, among, or last of the single-valued
// ones): its pairs with every other dimension in dense tables and in buckets grouped by
// either side, a multi-valued value every holder has (counted as the other dimension's own
// counts), rows over maxSlots values (the overflow table), columns of 16- and 32-bit
// codes, with and without a scope, at MinTP 1 to 3; by holder and by pattern of the
// single-valued dimensions (patterns.go), whose weights the multi-valued dimension's
// entries must not take. It also checks that the two-term path takes these queries.
func TestPairsMultiByColumn(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 17))
	const n = 3000
	for _, tc := range []struct {
		cards []int32
		mcard int32 // the multi-valued dimension's values
		at    int   // its position among the dimensions
		all   bool  // every identity holds its value 0
	}{
		{[]int32{3, 40, 700}, 50, 1, false},
		{[]int32{1, 2500, 30}, 900, 3, false},
		{[]int32{20, 300}, 6, 0, true},
		{[]int32{4, 3000}, 30_000, 2, false},
		{[]int32{70_000, 12}, 40, 1, false}, // columns of 32-bit codes
	} {
		m := pairsMultiMatrix(rng, n, tc.cards, tc.mcard, tc.at, tc.all)
		q0 := kernels.Query{MaxTerms: 2}
		for d := range m.Cards {
			q0.Dims = append(q0.Dims, int32(d))
		}
		if lay := newLayout(m, &q0); lay.buildTable(context.Background(), m, &q0, 1, false) != nil || !usePairs(m, &q0, lay) {
			t.Fatalf("cards %v: the two-term path does not take a query with one multi-valued dimension", tc.cards)
		}
		roles := make([]int32, len(m.RoleOff)-1)
		for r := range roles {
			roles[r] = int32(r)
		}
		scope := everyKth(n, 3)
		for _, in := range [][]uint64{nil, scope} {
			for minTP := int32(1); minTP <= 3; minTP++ {
				q := q0
				q.MinTP, q.InScope = minTP, in
				want := collectCounts(t, &Backend{workers: 2, rows: true}, m, q, roles)
				for _, dense := range []int{0, 1} {
					for _, pat := range []int{-1, 1} {
						got := collectCounts(t, &Backend{workers: 2, dense: dense, patterns: pat}, m, q, roles)
						for _, r := range roles {
							if !slices.Equal(got[r], want[r]) {
								t.Fatalf("cards %v multi %d at %d, scope %v minTP %d dense %d patterns %d role %d:\n got %v\nwant %v",
									tc.cards, tc.mcard, tc.at, in != nil, minTP, dense, pat, r, got[r], want[r])
							}
						}
					}
				}
			}
		}
	}
}

// pairsMultiMatrix builds a matrix of n identities with single-valued dimensions of the
// given dictionaries (skewed, some identities without a value) and, at position at, a
// multi-valued one of mcard values: 0 to 3 values an identity, one in twenty 5 to 7
// (over maxSlots); with all, every identity also holds its value 0. Roles of random
// density hold them.
func pairsMultiMatrix(rng *rand.Rand, n int, cards []int32, mcard int32, at int, all bool) *kernels.Matrix {
	nd := len(cards) + 1
	m := &kernels.Matrix{N: n, Cards: make([]int32, nd), Codes: make([][]int32, nd),
		MultiOff: make([][]int32, nd), MultiCodes: make([][]int32, nd)}
	s := 0
	for d := range nd {
		m.Codes[d] = make([]int32, n)
		if d == at {
			m.Cards[d] = mcard
			continue
		}
		m.Cards[d] = cards[s]
		for i := range m.Codes[d] {
			u := rng.Float64()
			m.Codes[d][i] = int32(u * u * u * float64(cards[s]))
			if cards[s] > 1 && rng.IntN(5) == 0 {
				m.Codes[d][i] = -1
			}
		}
		s++
	}
	off := make([]int32, n+1)
	var extra []int32
	for i := range n {
		k := rng.IntN(4)
		if rng.IntN(20) == 0 {
			k = 5 + rng.IntN(3)
		}
		var vals []int32
		if all {
			vals = append(vals, 0)
		}
		for len(vals) < min(k, int(mcard)) {
			u := rng.Float64()
			if v := int32(u * u * float64(mcard)); !slices.Contains(vals, v) {
				vals = append(vals, v)
			}
		}
		m.Codes[at][i] = -1
		if len(vals) > 0 && rng.IntN(2) == 0 {
			m.Codes[at][i], vals = vals[0], vals[1:]
		}
		extra = append(extra, vals...)
		off[i+1] = int32(len(extra))
	}
	m.MultiOff[at], m.MultiCodes[at] = off, extra
	randomRoles(rng, m, 25, 1)
	return m
}

// TestPairsMultiByProjection checks a query with a multi-valued dimension counted by
// pattern where large roles list their patterns in pattern order (dedupEntries) and count
// the pairs inside their projections over its runs (subRuns): the data of
// TestPairsByProjection with a multi-valued dimension among its single-valued ones. Some
// role must take the runs, and every role's counts must equal the projector's and those of
// patterns kept in order of first appearance, with and without a scope, at MinTP 1 to 3,
// densely and bucketed, and through complements.
func TestPairsMultiByProjection(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 29))
	const n = 40_000
	flat := projectionMatrix(rng, n)
	m := &kernels.Matrix{N: n, Cards: slices.Insert(slices.Clone(flat.Cards), 3, 40),
		Codes:    slices.Insert(slices.Clone(flat.Codes), 3, make([]int32, n)),
		MultiOff: make([][]int32, 7), MultiCodes: make([][]int32, 7)}
	off := make([]int32, n+1)
	var extra []int32
	for i := range n {
		var vals []int32
		for k := rng.IntN(4); len(vals) < k; {
			if v := int32(rng.IntN(40)); !slices.Contains(vals, v) {
				vals = append(vals, v)
			}
		}
		m.Codes[3][i] = -1
		if len(vals) > 0 && rng.IntN(2) == 0 {
			m.Codes[3][i], vals = vals[0], vals[1:]
		}
		extra = append(extra, vals...)
		off[i+1] = int32(len(extra))
	}
	m.MultiOff[3], m.MultiCodes[3] = off, extra
	roles := randomRoles(rng, m, 12, 1)
	q := kernels.Query{Dims: []int32{0, 1, 2, 3, 4, 5, 6}, MaxTerms: 2, MinTP: 1}
	lay := newLayout(m, &q)
	if err := lay.buildTable(context.Background(), m, &q, 2, false); err != nil {
		t.Fatal(err)
	}
	pt, err := newPatterns(context.Background(), lay, m.N, nil, 2, true, true)
	if err != nil || pt == nil || pt.sub == nil {
		t.Fatalf("no projection (err %v)", err)
	}
	taken := 0
	p := newPairCounter[uint16](m, &q, lay, pt, 0)
	for _, r := range roles {
		if p.role(m.RoleIdx[m.RoleOff[r]:m.RoleOff[r+1]]); p.ordered && p.subOn {
			taken++
		}
	}
	if taken == 0 {
		t.Fatalf("no role of %d counted in pattern order over its projections", len(roles))
	}
	for _, in := range [][]uint64{nil, everyKth(n, 3)} {
		for q.MinTP = 1; q.MinTP <= 3; q.MinTP++ {
			q.InScope = in
			want := collectCounts(t, &Backend{workers: 2, rows: true}, m, q, roles)
			for _, b := range []*Backend{{workers: 2, patterns: 1}, {workers: 2, patterns: 1, firstSeen: true}, {workers: 2, patterns: 1, dense: 1},
				{workers: 2, patterns: 1, noSub: true}, {workers: 2, patterns: 1, complement: 1}} {
				got := collectCounts(t, b, m, q, roles)
				for _, r := range roles {
					if !slices.Equal(got[r], want[r]) {
						t.Fatalf("scope %v minTP %d backend %+v role %d:\n got %v\nwant %v", in != nil, q.MinTP, *b, r, got[r], want[r])
					}
				}
			}
		}
	}
}
