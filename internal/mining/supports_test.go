package mining

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
)

// TestSupportCursor checks supportCursor against supportTable.get on random tables, for
// criteria in ascending order (as a role's counts come) and shuffled, with second values
// missing from the table, single terms between the pairs, and long and short runs.
func TestSupportCursor(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 23))
	const nd, cardA, cardB = 3, 5, 200
	for iter := range 1000 {
		tab := &supportTable{pos: []int{0, 1, 2}, nd: nd, one: make([][]int32, nd), pairs: make([]pairSupports, nd*nd)}
		for a := range nd {
			tab.one[a] = make([]int32, cardB)
			for v := range tab.one[a] {
				tab.one[a][v] = rng.Int32N(100)
			}
			for b := a + 1; b < nd; b++ {
				p := pairSupports{off: make([]int64, cardA+1)}
				dense := rng.Float64()
				for v := range cardA {
					for w := range cardB {
						if rng.Float64() < dense*dense {
							p.ent = append(p.ent, pairEnt{int32(w), 1 + rng.Int32N(50)})
						}
					}
					p.off[v+1] = int64(len(p.ent))
				}
				tab.pairs[a*nd+b] = p
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
		cur := supportCursor{s: &supports{table: tab}}
		for k := range cs {
			if got, want := cur.get(&cs[k]), tab.get(&cs[k]); got != want {
				t.Fatalf("iteration %d, criterion %d %+v: cursor %d, table %d", iter, k, cs[k], got, want)
			}
		}
	}
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
