package mining

import (
	"context"
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/parallel"
)

// ruleIndex is what suggest scans for each rule: for every dimension the rules use, the
// identities holding each value (single), and for some pairs of single-valued dimensions
// the identities holding each pair of values (pairs). A pair is indexed when its two-term
// rules would otherwise scan at least compiledRules.pairMin identities, most of them
// missing the other term (at tier L, department and location: 7.6M entries scanned for
// 0.8M matches).
type ruleIndex struct {
	single *index
	pairs  map[[2]int32]*pairIndex
}

// pairIndex lists the identities holding codes a and b of two dimensions, ascending, as
// idx[off[a*cardB+b]:off[a*cardB+b+1]].
type pairIndex struct {
	cardB    int
	off, idx []int32
}

// maxPairCells bounds a pair index's table of value pairs.
const maxPairCells = 1 << 20

// newRuleIndex indexes the dimensions of cr's rules, and the pairs worth it, on every
// worker.
func newRuleIndex(ctx context.Context, snap *columnar.Snapshot, cr *compiledRules, workers int) (*ruleIndex, error) {
	ix := &ruleIndex{single: &index{off: make([][]int32, len(snap.Dims)), idx: make([][]int32, len(snap.Dims))},
		pairs: map[[2]int32]*pairIndex{}}
	err := parallel.Each(ctx, len(cr.dims), workers, func(_, k int) error {
		d := cr.dims[k]
		one := buildIndex(snap, nil, []int32{d})
		ix.single.off[d], ix.single.idx[d] = one.off[d], one.idx[d]
		return nil
	})
	if err != nil {
		return nil, err
	}
	scanned := map[[2]int32]int64{}
	for j := range cr.crit {
		c := &cr.crit[j]
		a, b := c.T[0].Dim, c.T[1].Dim
		if c.N != 2 || cr.multi[a] || cr.multi[b] || len(snap.Dims[a].Values)*len(snap.Dims[b].Values) > maxPairCells {
			continue
		}
		scanned[[2]int32{a, b}] += int64(len(ix.single.posting(ix.single.rarest(c))))
	}
	var keys [][2]int32
	for key, s := range scanned {
		if s >= cr.pairMin {
			keys = append(keys, key)
		}
	}
	pairs := make([]*pairIndex, len(keys))
	err = parallel.Each(ctx, len(keys), workers, func(_, k int) error {
		pairs[k] = buildPairIndex(snap, keys[k][0], keys[k][1])
		return nil
	})
	for k, key := range keys {
		ix.pairs[key] = pairs[k]
	}
	return ix, err
}

// buildPairIndex indexes the pairs of values of the single-valued dimensions a and b.
func buildPairIndex(snap *columnar.Snapshot, a, b int32) *pairIndex {
	ca, cb := snap.Dims[a].Codes, snap.Dims[b].Codes
	p := &pairIndex{cardB: len(snap.Dims[b].Values)}
	p.off = make([]int32, len(snap.Dims[a].Values)*p.cardB+1)
	for i := range ca {
		if ca[i] >= 0 && cb[i] >= 0 {
			p.off[int(ca[i])*p.cardB+int(cb[i])+1]++
		}
	}
	for k := 1; k < len(p.off); k++ {
		p.off[k] += p.off[k-1]
	}
	p.idx = make([]int32, p.off[len(p.off)-1])
	pos := slices.Clone(p.off[:len(p.off)-1])
	for i := range ca {
		if ca[i] >= 0 && cb[i] >= 0 {
			cell := int(ca[i])*p.cardB + int(cb[i])
			p.idx[pos[cell]] = int32(i)
			pos[cell]++
		}
	}
	return p
}

// source returns the identities suggest scans for criterion c, a superset of those
// matching it, and the terms (bit t for term t) each of them must still be checked for.
func (ix *ruleIndex) source(c *kernels.Criterion) (posting []int32, rest uint32) {
	if c.N == 2 {
		if p := ix.pairs[[2]int32{c.T[0].Dim, c.T[1].Dim}]; p != nil {
			cell := int(c.T[0].Val)*p.cardB + int(c.T[1].Val)
			return p.idx[p.off[cell]:p.off[cell+1]], 0
		}
	}
	best := 0
	for t := 1; t < int(c.N); t++ {
		if len(ix.single.posting(c.T[t])) < len(ix.single.posting(c.T[best])) {
			best = t
		}
	}
	return ix.single.posting(c.T[best]), (uint32(1)<<c.N - 1) &^ (1 << best)
}
