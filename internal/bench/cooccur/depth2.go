package cooccur

import (
	"time"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
)

// prepareDepth2 splits the count into kernel calls (pairScopes) and counts the support
// of every two-term criterion they can emit (newPairSupports), for Prepare.
func (c *computer) prepareDepth2() error {
	start := time.Now()
	c.scopes = c.pairScopes()
	sup, err := c.newPairSupports(c.scopes)
	if err != nil {
		return err
	}
	c.sup2 = sup
	c.phase("supports", start)
	return nil
}

// depth2 runs the kernel once per scope and hashes each role's rows as the kernel emits
// them, on the kernel's workers: no row is kept.
func (c *computer) depth2() error {
	sup := c.sup2
	start := time.Now()
	var total Digest
	for _, sc := range c.scopes {
		q := kernels.Query{Dims: sc.dims, InScope: sc.in, MaxTerms: 2, MinTP: Depth2MinTP}
		count := func(emit func(int32, []cpu.Pair) error) error { return c.countPairs(q, emit) }
		dg, err := digestRoles(count, func(r int32, pairs []cpu.Pair) Digest { return c.hashPairs(r, pairs, sup) })
		if err != nil {
			return err
		}
		total.Merge(dg)
	}
	c.phase("count+hash", start)
	c.res.Digest = total
	return nil
}

// countPairs runs the kernel's two-term count: the CPU backend hands out the two-term
// rows alone (CooccurPairs); from another backend they are taken out of its counts.
func (c *computer) countPairs(q kernels.Query, emit func(r int32, pairs []cpu.Pair) error) error {
	if b, ok := c.o.Backend.(*cpu.Backend); ok {
		return b.CooccurPairs(c.ctx, c.m, q, c.roles, emit)
	}
	return c.o.Backend.Cooccur(c.ctx, c.m, q, c.roles, func(r int32, counts []kernels.Count) error {
		var pairs []cpu.Pair
		for k := range counts {
			if cr := &counts[k].C; cr.N == 2 {
				pairs = append(pairs, cpu.Pair{A: cr.T[0], B: cr.T[1], TP: counts[k].TP})
			}
		}
		return emit(r, pairs)
	})
}

// hashPairs returns the digest of role r's two-term rows, each with its support read
// from sup, and passes each row to Options.Each when set. The kernel hands a role's rows
// out sorted by first term, so the state after the first term is folded once per first
// term.
func (c *computer) hashPairs(r int32, pairs []cpu.Pair, sup *pairSupports) Digest {
	bp := c.supBufs.Get().(*[]int32)
	sups := sup.of(pairs, (*bp)[:0])
	var dg Digest
	role := c.h.Roles[r]
	hr := Fold(RowSeed, Text(role))
	ha, lastA := hr, kernels.Term{Dim: -1}
	for k := range pairs {
		a, b := pairs[k].A, pairs[k].B
		if a != lastA {
			ha, lastA = Fold(hr, c.t.hash[c.t.id(a)]), a
		}
		dg.Add(Finish(Fold(Fold(Fold(ha, c.t.hash[c.t.id(b)]), uint64(pairs[k].TP)), uint64(sups[k]))))
		if c.o.Each != nil {
			da, db := &c.h.Dims[a.Dim], &c.h.Dims[b.Dim]
			c.each(Row{Role: role, Attrs: [2]string{da.Name, db.Name}, Values: [2]string{da.Values[a.Val], db.Values[b.Val]},
				N: 2, TP: int64(pairs[k].TP), Support: int64(sups[k])})
		}
	}
	*bp = sups
	c.supBufs.Put(bp)
	return dg
}
