package cpu

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
)

// TestNumberRows checks the numbering of a table's rows against a map of the rows, on
// tables of narrow and wide values, with one to three workers, over every row and over
// a scope of every third: rows in scope with the same values get the same number, others
// different ones, each number's row is the rows', no number is given to a row out of
// scope (-1) and none is left without a row in scope. It also checks that the numbering
// gives up, unless told not to, where the rows are mostly distinct.
func TestNumberRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	for _, n := range []int{0, 1, 7, 5000, 40_000} {
		for _, w := range []int{1, 3, 8} {
			distinct := 1 + n/10
			tab := make([]int32, n*w)
			for i := range n {
				r := rng.IntN(distinct) // row i is a copy of "row r", values drawn from r
				for j := range w {
					tab[i*w+j] = int32(r*31+j*7) % int32(1+rng.IntN(2)*60_000+r%5)
				}
			}
			narrow := make([]uint16, len(tab))
			for k, v := range tab {
				narrow[k] = uint16(v)
			}
			for workers := 1; workers <= 3; workers++ {
				for _, in := range [][]uint64{nil, everyKth(n, 3)} {
					checkNumbering(t, tab, w, n, in, workers)
					checkNumbering(t, narrow, w, n, in, workers)
				}
			}
		}
	}
	// Every row of one hash: rows are told apart by their values alone.
	tab := make([]uint16, 1000)
	for i := range tab {
		tab[i] = uint16(i % 300)
	}
	hs, of, rows := make([]uint64, 500), make([]int32, 500), make([]int32, 500)
	for i := range rows {
		rows[i] = int32(i)
	}
	firsts := numberShare(tab, 2, 2, hs, rows, of, 500)
	for i := range 500 {
		if want := int32(i % 150); of[i] != want || firsts[want] != want {
			t.Fatalf("rows of one hash: row %d numbered %d (first row %d), want %d", i, of[i], firsts[of[i]], want)
		}
	}
	for i := range tab {
		tab[i] = uint16(i)
	}
	if of, _, err := numberRows(context.Background(), tab, 2, 2, 2, 500, nil, 250, 2); err != nil || of != nil {
		t.Fatalf("500 distinct rows of 500, at most 250: numbered anyway (err %v)", err)
	}
	// The limit counts distinct rows in scope against all rows: 250 of 500 in scope, all
	// distinct, fit a limit of 250 but not one of 249.
	if of, _, err := numberRows(context.Background(), tab, 2, 2, 2, 500, everyKth(500, 2), 250, 2); err != nil || of == nil {
		t.Fatalf("250 distinct rows in scope, at most 250: not numbered (err %v)", err)
	}
	if of, _, err := numberRows(context.Background(), tab, 2, 2, 2, 500, everyKth(500, 2), 249, 2); err != nil || of != nil {
		t.Fatalf("250 distinct rows in scope, at most 249: numbered anyway (err %v)", err)
	}
}

func checkNumbering[E uint16 | int32](t *testing.T, tab []E, w, n int, in []uint64, workers int) {
	t.Helper()
	of, rows, err := numberRows(context.Background(), tab, w, w, w, n, in, n, workers)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int32{}
	for i := range n {
		if !inScope(in, int32(i)) {
			if of[i] != -1 {
				t.Fatalf("n %d w %d workers %d: row %d out of scope numbered %d", n, w, workers, i, of[i])
			}
			continue
		}
		key := fmt.Sprint(tab[i*w : i*w+w])
		id, ok := seen[key]
		if !ok {
			id = of[i]
			seen[key] = id
		}
		if of[i] != id {
			t.Fatalf("n %d w %d workers %d: row %d numbered %d, an equal row %d", n, w, workers, i, of[i], id)
		}
		if !slices.Equal(rows[int(id)*w:int(id)*w+w], tab[i*w:i*w+w]) {
			t.Fatalf("n %d w %d workers %d: row %d is %v, its number %d's row %v", n, w, workers, i, tab[i*w:i*w+w], id, rows[int(id)*w:int(id)*w+w])
		}
	}
	if len(rows) != len(seen)*w {
		t.Fatalf("n %d w %d workers %d: %d numbers for %d distinct rows", n, w, workers, len(rows)/w, len(seen))
	}
}

// TestPairsByPattern compares the two-term path counting by pattern with the projector on a
// matrix whose identities have few distinct rows, so that a role's holders share patterns
// and counts are weighted: small dictionaries, one that every identity shares (whole), a
// large one whose values are a function of two others (listed through the rows, and
// bucketed), and one that is a function of one of the two, with no value for some; with
// and without a scope, at MinTP 1 to 3, densely and with every pair bucketed, from the
// narrow table and the table of term ids. The rule picks patterns for this matrix.
func TestPairsByPattern(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	const n = 6000
	cards := []int32{1, 2, 4, 9, 30, 3000, 8}
	m := &kernels.Matrix{N: n, Cards: cards, Codes: make([][]int32, len(cards))}
	for d := range cards {
		m.Codes[d] = make([]int32, n)
	}
	for i := range n {
		m.Codes[0][i] = 0
		for d := 1; d <= 4; d++ {
			m.Codes[d][i] = int32(rng.IntN(int(cards[d])+1)) - 1
			if d >= 3 && rng.IntN(3) > 0 { // skewed: many rows alike
				m.Codes[d][i] = int32(rng.IntN(2))
			}
		}
		m.Codes[5][i] = (m.Codes[3][i]+1)*100 + m.Codes[4][i] + 1 // a function of dimensions 3 and 4
		m.Codes[6][i] = max(m.Codes[3][i]-1, -1)                  // a function of 3; none where 3 has value 0
	}
	roles := randomRoles(rng, m, 25, 1)
	q := kernels.Query{Dims: []int32{0, 1, 2, 3, 4, 5, 6}, MaxTerms: 2}
	lay := newLayout(m, &q)
	if err := lay.buildTable(context.Background(), m, &q, 1, false); err != nil {
		t.Fatal(err)
	}
	if pt, err := newPatterns(context.Background(), lay, m.N, nil, 2, false, true); err != nil || pt == nil {
		t.Fatalf("the rule does not count this matrix by pattern (err %v)", err)
	}
	for _, in := range [][]uint64{nil, everyKth(n, 3)} {
		for q.MinTP = 1; q.MinTP <= 3; q.MinTP++ {
			q.InScope = in
			want := collectCounts(t, &Backend{workers: 2, rows: true}, m, q, roles)
			for _, b := range []*Backend{{workers: 2}, {workers: 2, dense: 1}, {workers: 3, wide: true, patterns: 1}, {workers: 2, patterns: 1, complement: 1}, {workers: 2, noOrder: true}, {workers: 2, patterns: 1, union: 1}} {
				got := collectCounts(t, b, m, q, roles)
				for _, r := range roles {
					if !slices.Equal(got[r], want[r]) {
						t.Fatalf("scope %v minTP %d dense %d wide %v role %d:\n got %v\nwant %v", in != nil, q.MinTP, b.dense, b.wide, r, got[r], want[r])
					}
				}
			}
		}
	}
}

// TestOrderByWide checks the patterns' order on a matrix with two wide dimensions (2,000
// and 1,100 values) and a narrow one, from the narrow table and the table of term ids:
// the pattern rows ascend by the wide dimensions, the one of fewer values first, and
// every identity's pattern is its own row. Without order (or without a wide dimension)
// the patterns are not marked ordered, and large roles keep the order of first appearance.
func TestOrderByWide(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 17))
	const n = 5000
	cards := []int32{2000, 6, 1100}
	m := &kernels.Matrix{N: n, Cards: cards, Codes: make([][]int32, len(cards))}
	for d, c := range cards {
		m.Codes[d] = make([]int32, n)
		for i := range n {
			m.Codes[d][i] = int32(rng.IntN(int(c)/40+1)) - 1 // no value for some; rows repeat
		}
	}
	for _, wide := range []bool{false, true} {
		q := kernels.Query{Dims: []int32{0, 1, 2}, MaxTerms: 2}
		lay := newLayout(m, &q)
		if err := lay.buildTable(context.Background(), m, &q, 2, wide); err != nil {
			t.Fatal(err)
		}
		if pt, err := newPatterns(context.Background(), lay, n, nil, 2, true, false); err != nil || pt.ordered {
			t.Fatalf("wide %v: patterns not to order marked ordered (err %v)", wide, err)
		}
		pt, err := newPatterns(context.Background(), lay, n, nil, 2, true, true)
		if err != nil || !pt.ordered {
			t.Fatalf("wide %v: patterns not ordered (err %v)", wide, err)
		}
		row := func(k int) []int32 { // pattern k's codes+1
			r := make([]int32, lay.w)
			for s := range r {
				if wide {
					r[s] = pt.tab[k*pt.stride+s] - lay.off[s]
				} else {
					r[s] = int32(pt.tab16[k*pt.stride+s])
				}
			}
			return r
		}
		for k := 1; k < pt.count; k++ {
			x, y := row(k-1), row(k)
			if c := cmp.Or(cmp.Compare(x[2], y[2]), cmp.Compare(x[0], y[0])); c > 0 {
				t.Fatalf("wide %v: pattern %d %v before pattern %d %v", wide, k-1, x, k, y)
			}
		}
		for i := range n {
			want := []int32{m.Codes[0][i] + 1, m.Codes[1][i] + 1, m.Codes[2][i] + 1}
			if got := row(int(pt.of[i])); !slices.Equal(got, want) {
				t.Fatalf("wide %v: identity %d has pattern %d %v, its row is %v", wide, i, pt.of[i], got, want)
			}
		}
	}
	lay := newLayout(m, &kernels.Query{Dims: []int32{1}, MaxTerms: 2})
	if len(wideDims(lay)) != 0 {
		t.Fatalf("a dimension of 6 values is wide")
	}
}

// TestPatternsRowWidth checks what a pattern is made of where a query has a multi-valued
// dimension: the single-valued dimensions' codes alone (identities that differ only in
// their multi-valued values share a pattern, which the entry table completes), and that
// newPatterns refuses a query with two multi-valued dimensions, whose second one neither
// the pattern nor the entry table would carry.
func TestPatternsRowWidth(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 17))
	const n = 2000
	m := pairsMultiMatrix(rng, n, []int32{3, 40}, 50, 1, false)
	q := kernels.Query{Dims: []int32{0, 1, 2}, MaxTerms: 2}
	lay := newLayout(m, &q)
	if err := lay.buildTable(context.Background(), m, &q, 1, false); err != nil {
		t.Fatal(err)
	}
	pt, err := newPatterns(context.Background(), lay, m.N, nil, 2, true, true)
	if err != nil || pt == nil {
		t.Fatalf("one multi-valued dimension: no patterns (err %v)", err)
	}
	singles := map[[2]int32]bool{}
	for i := range n {
		singles[[2]int32{m.Codes[0][i], m.Codes[2][i]}] = true
	}
	if pt.count != len(singles) {
		t.Fatalf("one multi-valued dimension: %d patterns, want %d (the distinct rows of the single-valued dimensions)", pt.count, len(singles))
	}
	m.MultiOff[0], m.MultiCodes[0] = make([]int32, n+1), []int32{} // dimension 0 multi-valued too
	lay = newLayout(m, &q)
	if err := lay.buildTable(context.Background(), m, &q, 1, false); err != nil {
		t.Fatal(err)
	}
	if pt, err := newPatterns(context.Background(), lay, m.N, nil, 2, true, true); err == nil {
		t.Fatalf("two multi-valued dimensions: %d patterns, want an error", pt.count)
	}
}

// projectionMatrix is an org-chart-shaped matrix of n identities: cost centres (1,100,
// wide), a department each centre determines (a range of centres), two managers per centre and two teams per
// manager (wide, nested), and location and title drawn apart from them (mostly one value);
// a few identities have no centre, manager or team, or no location. Patterns are ordered
// by centre, manager and team, whose projections are few against the patterns. The
// dimensions are centre, location, department, manager, title, team: those outside the
// projection lie between those in it.
func projectionMatrix(rng *rand.Rand, n int) *kernels.Matrix {
	cards := []int32{1100, 6, 15, 2200, 20, 4400}
	m := &kernels.Matrix{N: n, Cards: cards, Codes: make([][]int32, len(cards))}
	for d := range cards {
		m.Codes[d] = make([]int32, n)
	}
	skewed := func(card int) int32 {
		if rng.IntN(10) < 7 {
			return 0
		}
		return int32(rng.IntN(card))
	}
	for i := range n {
		cc := int32(rng.IntN(1100))
		mgr := 2*cc + int32(rng.IntN(2))
		team := 2*mgr + int32(rng.IntN(2))
		if rng.IntN(50) == 0 {
			cc, mgr, team = -1, -1, -1
		}
		m.Codes[0][i], m.Codes[2][i], m.Codes[3][i], m.Codes[5][i] = cc, max(cc/74, -1), mgr, team
		m.Codes[1][i], m.Codes[4][i] = skewed(6), skewed(20)
		if rng.IntN(40) == 0 {
			m.Codes[1][i] = -1
		}
	}
	return m
}

// TestPairsByProjection checks the pairs counted over a large role's distinct projections
// (subPatterns): the projection holds the centre, manager and team (the keys) and the
// department the centre determines, not location or title; a large role's paircounter
// takes the projections; and every role's counts equal the projector's and those counted
// without projections, with and without a scope, at MinTP 1 to 3, densely and bucketed,
// from both tables and through the plan.
func TestPairsByProjection(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 19))
	const n = 40_000
	m := projectionMatrix(rng, n)
	roles := randomRoles(rng, m, 12, 1)
	q := kernels.Query{Dims: []int32{0, 1, 2, 3, 4, 5}, MaxTerms: 2, MinTP: 1}
	lay := newLayout(m, &q)
	if err := lay.buildTable(context.Background(), m, &q, 2, false); err != nil {
		t.Fatal(err)
	}
	pt, err := newPatterns(context.Background(), lay, m.N, nil, 2, true, true)
	if err != nil || pt.sub == nil {
		t.Fatalf("no projection (err %v)", err)
	}
	if want := []bool{true, false, true, true, false, true}; !slices.Equal(pt.sub.in, want) {
		t.Fatalf("projection over %v, want %v", pt.sub.in, want)
	}
	taken := 0
	p := newPairCounter[uint16](m, &q, lay, pt, 0)
	for _, r := range roles {
		if p.role(m.RoleIdx[m.RoleOff[r]:m.RoleOff[r+1]]); p.subOn {
			taken++
		}
	}
	if taken == 0 {
		t.Fatalf("no role of %d counted over its projections", len(roles))
	}
	for _, in := range [][]uint64{nil, everyKth(n, 3)} {
		for q.MinTP = 1; q.MinTP <= 3; q.MinTP++ {
			q.InScope = in
			want := collectCounts(t, &Backend{workers: 2, rows: true}, m, q, roles)
			for _, b := range []*Backend{{workers: 2, patterns: 1}, {workers: 2, patterns: 1, noSub: true}, {workers: 2, patterns: 1, dense: 1},
				{workers: 3, patterns: 1, wide: true}, {workers: 2, patterns: 1, complement: 1}, {workers: 2, patterns: 1, union: 1}} {
				got := collectCounts(t, b, m, q, roles)
				for _, r := range roles {
					if !slices.Equal(got[r], want[r]) {
						t.Fatalf("scope %v minTP %d backend %+v role %d:\n got %v\nwant %v", in != nil, q.MinTP, *b, r, got[r], want[r])
					}
				}
			}
			checkPlanned(t, m, q, roles)
		}
	}
}

// checkPlanned checks that CooccurPlanned, by pattern, gives CooccurPairs' pairs without
// patterns.
func checkPlanned(t *testing.T, m *kernels.Matrix, q kernels.Query, roles []int32) {
	t.Helper()
	b := &Backend{workers: 2, patterns: 1}
	plan, err := b.PreparePairs(context.Background(), m, q)
	if err != nil {
		t.Fatal(err)
	}
	got := collectPairs(t, b, func(b *Backend, emit func(int32, []Pair) error) error {
		return b.CooccurPlanned(context.Background(), m, plan, roles, emit)
	})
	want := collectPairs(t, &Backend{workers: 2, patterns: -1}, func(b *Backend, emit func(int32, []Pair) error) error {
		return b.CooccurPairs(context.Background(), m, q, roles, emit)
	})
	for _, r := range roles {
		if !slices.Equal(got[r], want[r]) {
			t.Fatalf("planned, minTP %d role %d:\n got %v\nwant %v", q.MinTP, r, got[r], want[r])
		}
	}
}
