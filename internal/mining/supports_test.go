package mining

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
)

// TestSupportCursor checks supportCursor against supportTable.get on random tables, for
// criteria in ascending order (as a role's counts come) and shuffled, with second values
// missing from the table, single terms between the pairs, and long and short runs; and
// both against the same tables compacted into their dense and partner forms.
func TestSupportCursor(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 23))
	const nd, cardA, cardB = 3, 5, 200
	var forms [3]int
	for iter := range 1000 {
		tab := &supportTable{pos: []int{0, 1, 2}, nd: nd, one: make([][]int32, nd), pairs: make([]pairSupports, nd*nd)}
		for a := range nd {
			tab.one[a] = make([]int32, cardB)
			for v := range tab.one[a] {
				tab.one[a][v] = rng.Int32N(100)
			}
		}
		for a := range nd {
			for b := a + 1; b < nd; b++ {
				tab.pairs[a*nd+b] = randomPairs(rng, cardA, tab.one[b])
			}
		}
		var cs []kernels.Criterion
		for range 1 + rng.IntN(400) {
			a := rng.IntN(nd)
			c := kernels.Criterion{N: 1, T: [kernels.MaxTerms]kernels.Term{{Dim: int32(a), Val: rng.Int32N(cardA)}}}
			if a == nd-1 || rng.IntN(5) == 0 {
				c.T[0].Val = rng.Int32N(cardB) // a single term
				cs = append(cs, c)
				continue
			}
			c.T[1] = kernels.Term{Dim: int32(a + 1 + rng.IntN(nd-a-1)), Val: rng.Int32N(cardB)}
			c.N = 2
			cs = append(cs, c)
		}
		slices.SortFunc(cs, kernels.Criterion.Compare)
		if iter%3 == 2 {
			rng.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
		}
		// The same supports with some pair tables compacted (dense, or by partner where
		// every value of b has one).
		comp := *tab
		comp.pairs = slices.Clone(tab.pairs)
		for a := range nd {
			for b := a + 1; b < nd; b++ {
				p := &comp.pairs[a*nd+b]
				if rng.IntN(3) > 0 {
					var table []int32
					if rng.IntN(2) == 0 {
						table = make([]int32, len(tab.one[a])*len(tab.one[b]))
					}
					p.compact(tab.one[b], table)
				}
				forms[form(p)]++
			}
		}
		cur := supportCursor{s: &supports{table: tab}}
		curComp := supportCursor{s: &supports{table: &comp}}
		for k := range cs {
			want := tab.get(&cs[k])
			if got := cur.get(&cs[k]); got != want {
				t.Fatalf("iteration %d, criterion %d %+v: cursor %d, table %d", iter, k, cs[k], got, want)
			}
			if got := curComp.get(&cs[k]); got != want {
				t.Fatalf("iteration %d, criterion %d %+v: cursor over compacted tables %d, table %d", iter, k, cs[k], got, want)
			}
			if got := comp.get(&cs[k]); got != want {
				t.Fatalf("iteration %d, criterion %d %+v: compacted table %d, table %d", iter, k, cs[k], got, want)
			}
		}
	}
	for f, n := range forms {
		if n == 0 {
			t.Errorf("no pair table took form %d (sparse, dense, partner)", f)
		}
	}
}

// randomPairs returns a sparse pair table over cardA values of a and the values of b
// (whose single-term supports are one): of random density, or, one time in three, with
// each value of b co-occurring with at most one value of a on all its identities (the
// partner form's condition), broken for one value one time in two.
func randomPairs(rng *rand.Rand, cardA int, one []int32) pairSupports {
	p := pairSupports{off: make([]int64, cardA+1)}
	byPartner := rng.IntN(3) == 0
	partner := make([]int, len(one))
	for w := range partner {
		partner[w] = rng.IntN(cardA + 1) // cardA: none
	}
	broken := -1
	if rng.IntN(2) == 0 {
		broken = rng.IntN(len(one))
	}
	dense := rng.Float64()
	for v := range cardA {
		for w := range one {
			switch {
			case !byPartner && rng.Float64() < dense*dense:
				p.ent = append(p.ent, pairEnt{int32(w), 1 + rng.Int32N(50)})
			case byPartner && one[w] > 0 && (partner[w] == v || w == broken && v == 0):
				p.ent = append(p.ent, pairEnt{int32(w), one[w]})
			}
		}
		p.off[v+1] = int64(len(p.ent))
	}
	return p
}

// form names a pair table's form: 0 sparse, 1 dense, 2 by partner.
func form(p *pairSupports) int {
	switch {
	case p.dense != nil:
		return 1
	case p.partner != nil:
		return 2
	}
	return 0
}

// TestLowerBound checks lowerBound against a linear scan.
func TestLowerBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 29))
	for range 2000 {
		a := make([]pairEnt, rng.IntN(70))
		for k := range a {
			a[k] = pairEnt{rng.Int32N(100), int32(k)}
		}
		slices.SortFunc(a, func(x, y pairEnt) int { return cmp.Compare(x.val, y.val) })
		v := rng.Int32N(110) - 5
		want := 0
		for want < len(a) && a[want].val < v {
			want++
		}
		if got := lowerBound(a, v); got != want {
			t.Fatalf("lowerBound(%v, %d) = %d, want %d", a, v, got, want)
		}
	}
}

// TestDenseBudget checks which pair tables turn dense: those filled at least one cell in
// denseFill, smallest first, within the budget, whatever their order.
func TestDenseBudget(t *testing.T) {
	// Dimensions of 4, 8, 16 and 1,000 values; the pairs' entries decide their fill.
	tab := &supportTable{nd: 4, one: [][]int32{make([]int32, 4), make([]int32, 8), make([]int32, 16), make([]int32, 1000)},
		pairs: make([]pairSupports, 16)}
	todo := []struct{ a, b int }{{0, 1}, {0, 2}, {1, 2}, {0, 3}, {2, 3}}
	ents := []int{32, 4, 8, 250, 999} // cells 32, 64, 128, 4,000, 16,000
	for k, p := range todo {
		tab.pairs[p.a*tab.nd+p.b].ent = make([]pairEnt, ents[k])
	}
	for _, tc := range []struct {
		budget int64
		want   []bool
	}{
		// (0,2) is 4 of 64 cells: exactly one in 16. (2,3) is 999 of 16,000: under it.
		{1 << 20, []bool{true, true, true, true, false}},
		{32 + 64 + 128, []bool{true, true, true, false, false}},
		{100, []bool{true, true, false, false, false}},
		{32 + 64 + 128 + 4000, []bool{true, true, true, true, false}},
		{32 + 64 + 128 + 3999, []bool{true, true, true, false, false}},
		{31, []bool{false, false, false, false, false}},
	} {
		if got := tab.denseBudget(todo, tc.budget); !slices.Equal(got, tc.want) {
			t.Errorf("budget %d: dense %v, want %v", tc.budget, got, tc.want)
		}
	}
}

// TestRoleNeutralMatched checks a role's neutral counts, packed or not, against a search
// of the counts themselves: random sorted counts of one and two terms (some with codes
// too large to pack, some of three terms), asked for ascending criteria, some absent.
func TestRoleNeutralMatched(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 11))
		maxVal := int32(6)
		if seed%3 == 0 {
			maxVal = 1 << 25 // beyond pack's 24 bits: the counts stay whole
		}
		term := func() kernels.Term {
			return kernels.Term{Dim: int32(rng.IntN(4)), Val: rng.Int32N(maxVal)}
		}
		seen := map[kernels.Criterion]bool{}
		var all []kernels.Criterion
		for range 40 {
			c := kernels.Criterion{N: uint8(1 + rng.IntN(2))}
			if seed%5 == 0 && rng.IntN(8) == 0 {
				c.N = 3
			}
			for k := range int(c.N) {
				c.T[k] = term()
			}
			if c.N >= 2 && !c.T[0].Less(c.T[1]) || c.N == 3 && !c.T[1].Less(c.T[2]) {
				continue
			}
			if !seen[c] {
				seen[c] = true
				all = append(all, c)
			}
		}
		slices.SortFunc(all, kernels.Criterion.Compare)
		var counts []kernels.Count
		for _, c := range all {
			if rng.IntN(2) == 0 {
				counts = append(counts, kernels.Count{C: c, TP: 1 + rng.Int32N(9)})
			}
		}
		n := newRoleNeutral(counts)
		k, want := 0, 0
		for _, c := range all {
			if rng.IntN(4) == 0 {
				continue // not asked for
			}
			if got, exp := n.matched(-1, &k, &c), matched(counts, &want, c); got != exp {
				t.Fatalf("seed %d: %v: %d, want %d (packed %v)", seed, c, got, exp, n.full == nil)
			}
		}
		if n.empty() != (len(counts) == 0) {
			t.Fatalf("seed %d: empty %v with %d counts", seed, n.empty(), len(counts))
		}
	}
}

// TestCountPairs compares countPairs with a literal count over random identities (single-
// and multi-valued dimensions of up to 60 values, some codes missing, a random scope):
// for each value of the first dimension, the values of the second held with it by an
// in-scope identity, ascending, each with the number of such identities. The dictionaries
// are large enough for values read both ways (sorted, or every count read in order).
func TestCountPairs(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 11))
		snap, _ := randomTallySnapshot(rng)
		for d := range snap.Dims {
			if rng.IntN(2) == 0 { // widen the dictionary, leaving most values unheld
				snap.Dims[d].Values = make([]string, len(snap.Dims[d].Values)+rng.IntN(60))
			}
		}
		n := len(snap.Dims[0].Codes)
		scope := make([]uint64, (n+63)/64)
		for i := range n {
			if rng.IntN(4) > 0 {
				scope[i>>6] |= 1 << (i & 63)
			}
		}
		dims := make([]int32, len(snap.Dims))
		for d := range dims {
			dims[d] = int32(d)
		}
		ix := buildIndex(snap, scope, dims)
		for a := range dims {
			for b := range dims {
				if a == b {
					continue
				}
				da, db := &snap.Dims[a], &snap.Dims[b]
				ps := countPairs(snap, ix, int32(a), int32(b), nil)
				if db.MultiOff != nil {
					if seed%2 == 0 { // the values packed by identity, or else read from the dimension
						ps = countPairs(snap, ix, int32(a), int32(b), mustPack(t, db))
					}
				}
				for va := range int32(len(da.Values)) {
					var want []pairEnt
					for vb := range int32(len(db.Values)) {
						cnt := int32(0)
						for i := range n {
							if scope[i>>6]&(1<<(i&63)) != 0 && da.Has(i, va) && db.Has(i, vb) {
								cnt++
							}
						}
						if cnt > 0 {
							want = append(want, pairEnt{vb, cnt})
						}
					}
					if got := ps.ent[ps.off[va]:ps.off[va+1]]; !slices.Equal(got, want) {
						t.Fatalf("seed %d: dims %d, %d, value %d: %v, want %v", seed, a, b, va, got, want)
					}
				}
			}
		}
	}
}

// TestPackValues checks each identity's packed word against its values: up to four
// codes+1 in order, or the mark to read them from the dimension for more values or a code
// too large for a slot.
func TestPackValues(t *testing.T) {
	big := int32(packedSlot - 1) // the first code without a slot
	dim := &columnar.Dimension{
		Codes:      []int32{-1, 3, -1, 0, 5, big - 1, big - 1, 1},
		MultiOff:   []int32{0, 0, 2, 3, 6, 10, 11, 11, 11},
		MultiCodes: []int32{4, 7, 9, 1, 2, 3, 1, 2, 3, 4, big},
	}
	want := []uint64{
		0,                         // no value
		4 | 5<<16 | 8<<32,         // 3, then 4 and 7
		10,                        // 9 alone, from the extra codes
		1 | 2<<16 | 3<<32 | 4<<48, // four values fill the word
		packedSlot,                // five values do not fit
		packedSlot,                // big - 1 fits, big does not
		uint64(big),               // big - 1 alone
		2,
	}
	got := mustPack(t, dim)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("identity %d: %#x, want %#x", i, got[i], want[i])
		}
	}
}

// mustPack is packValues on two workers, failing tb on its error (a worker's panic).
func mustPack(tb testing.TB, dim *columnar.Dimension) []uint64 {
	tb.Helper()
	packed, err := packValues(dim, 2)
	if err != nil {
		tb.Fatal(err)
	}
	return packed
}
