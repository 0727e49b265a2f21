package cooccur

import (
	"time"

	"github.com/rolemine/rolemine/internal/kernels"
)

// depth2 counts the support of every two-term criterion first (newPairSupports), then
// runs the kernel once per scope (pairScopes) and hashes each role's rows as the kernel
// emits them, on the kernel's workers: no row is kept.
func (c *computer) depth2() error {
	start := time.Now()
	scopes := c.pairScopes()
	sup, err := c.newPairSupports(scopes)
	if err != nil {
		return err
	}
	c.phase("supports", start)

	start = time.Now()
	var total Digest
	for _, sc := range scopes {
		q := kernels.Query{Dims: sc.dims, InScope: sc.in, MaxTerms: 2, MinTP: Depth2MinTP}
		dg, err := c.digestRoles(q, func(r int32, counts []kernels.Count) Digest { return c.hashPairs(r, counts, sup) })
		if err != nil {
			return err
		}
		total.Merge(dg)
	}
	c.phase("count+hash", start)
	c.res.Digest = total
	return nil
}

// hashPairs returns the digest of role r's two-term rows, each with its support read
// from sup, and passes each row to Options.Each when set. The kernel emits a role's
// criteria sorted by first term, so the state after the first term is folded once per
// first term.
func (c *computer) hashPairs(r int32, counts []kernels.Count, sup *pairSupports) Digest {
	bp := c.supBufs.Get().(*[]int32)
	sups := sup.of(counts, (*bp)[:0])
	var dg Digest
	role := c.h.Roles[r]
	hr := Fold(RowSeed, Text(role))
	ha, lastA := hr, kernels.Term{Dim: -1}
	for k := range counts {
		cr := &counts[k].C
		if cr.N != 2 {
			continue
		}
		a, b := cr.T[0], cr.T[1]
		if a != lastA {
			ha, lastA = Fold(hr, c.t.hash[c.t.id(a)]), a
		}
		dg.Add(Finish(Fold(Fold(Fold(ha, c.t.hash[c.t.id(b)]), uint64(counts[k].TP)), uint64(sups[k]))))
		if c.o.Each != nil {
			da, db := &c.h.Dims[a.Dim], &c.h.Dims[b.Dim]
			c.each(Row{Role: role, Attrs: [2]string{da.Name, db.Name}, Values: [2]string{da.Values[a.Val], db.Values[b.Val]},
				N: 2, TP: int64(counts[k].TP), Support: int64(sups[k])})
		}
	}
	*bp = sups
	c.supBufs.Put(bp)
	return dg
}
