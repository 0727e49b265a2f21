package cooccur

import (
	"cmp"
	"slices"
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
	return c.planScopes()
}

// planScopes prepares, with Options.EarlyPlan, the CPU backend's count of each scope
// (cpu.PreparePairs: the table of the identities' codes and their patterns), so that
// Prepare, while the assignments are still being read, does that part of the kernel's
// work too. Another backend is not planned.
func (c *computer) planScopes() error {
	b, ok := c.o.Backend.(*cpu.Backend)
	if !ok || !c.o.EarlyPlan {
		return nil
	}
	start := time.Now()
	c.plans = make([]*cpu.PairsPlan, len(c.scopes))
	for k, sc := range c.scopes {
		var err error
		if c.plans[k], err = b.PreparePairs(c.ctx, c.m, c.query(sc)); err != nil {
			return err
		}
	}
	c.phase("kernel plan", start)
	return nil
}

// query is the kernel's query of scope sc.
func (c *computer) query(sc scope) kernels.Query {
	return kernels.Query{Dims: sc.dims, InScope: sc.in, MaxTerms: 2, MinTP: Depth2MinTP}
}

// depth2 runs the kernel once per scope and hashes each role's rows as the kernel emits
// them, on the kernel's workers: no row is kept.
func (c *computer) depth2() error {
	sup := c.sup2
	start := time.Now()
	var total Digest
	for k, sc := range c.scopes {
		count := func(emit func(int32, []cpu.Pair) error) error { return c.countPairs(k, c.query(sc), emit) }
		dg, err := digestRoles(count, func(r int32, pairs []cpu.Pair) Digest { return c.hashRole(r, pairs, sup) })
		if err != nil {
			return err
		}
		total.Merge(dg)
	}
	c.phase("count+hash", start)
	c.res.Digest = total
	return nil
}

// countPairs runs the kernel's two-term count of scope k (query q): the CPU backend hands
// out the two-term rows alone (CooccurPlanned with the scope's plan, or CooccurPairs
// without plans); from another backend they are taken out of its counts and put in
// CooccurPairs' order.
func (c *computer) countPairs(k int, q kernels.Query, emit func(r int32, pairs []cpu.Pair) error) error {
	if b, ok := c.o.Backend.(*cpu.Backend); ok {
		if c.plans == nil {
			return b.CooccurPairs(c.ctx, c.m, q, c.roles, emit)
		}
		return b.CooccurPlanned(c.ctx, c.m, c.plans[k], c.roles, emit)
	}
	return c.o.Backend.Cooccur(c.ctx, c.m, q, c.roles, func(r int32, counts []kernels.Count) error {
		var pairs []cpu.Pair
		for k := range counts {
			if cr := &counts[k].C; cr.N == 2 {
				pairs = append(pairs, cpu.Pair{A: cr.T[0], B: cr.T[1], TP: counts[k].TP})
			}
		}
		slices.SortFunc(pairs, func(x, y cpu.Pair) int {
			return cmp.Or(cmp.Compare(x.A.Dim, y.A.Dim), cmp.Compare(x.B.Dim, y.B.Dim), cmp.Compare(x.A.Val, y.A.Val), cmp.Compare(x.B.Val, y.B.Val))
		})
		return emit(r, pairs)
	})
}

// pairScratch is one role's scratch for hashing: the supports of a run of its rows.
type pairScratch struct {
	sups []int32
	hr   uint64 // the role's hash state
}

// hashRole returns the digest of role r's two-term rows, in CooccurPairs' order: each
// run of rows on one pair of dimensions is hashed with that pair's support table.
func (c *computer) hashRole(r int32, pairs []cpu.Pair, sup *pairSupports) Digest {
	w := c.scratch.Get().(*pairScratch)
	w.hr = Fold(RowSeed, Text(c.h.Roles[r]))
	var dg Digest
	for len(pairs) > 0 {
		n := 1
		for n < len(pairs) && pairs[n].A.Dim == pairs[0].A.Dim && pairs[n].B.Dim == pairs[0].B.Dim {
			n++
		}
		dg.Merge(c.hashPairs(w, r, pairs[:n], sup))
		pairs = pairs[n:]
	}
	c.scratch.Put(w)
	return dg
}

// hashPairs returns the digest of pairs, role r's two-term rows on one pair of dimensions
// (sorted by first value), each with its support read from sup, and passes each row to
// Options.Each when set. Each row folds its first term afresh: keeping the state after
// the first term per run of a first value cost a mispredicted branch at each new value,
// more than the fold.
func (c *computer) hashPairs(w *pairScratch, r int32, pairs []cpu.Pair, sup *pairSupports) Digest {
	d, e := pairs[0].A.Dim, pairs[0].B.Dim
	w.sups = sup.table(d, e).of(pairs, w.sups[:0])
	sups := w.sups[:len(pairs)]
	hd, he := c.t.hash[c.t.off[d]:c.t.off[d+1]], c.t.hash[c.t.off[e]:c.t.off[e+1]]
	hr, sum := w.hr, uint64(0)
	for k := range pairs {
		p := &pairs[k]
		sum += Finish(Fold(Fold(Fold(Fold(hr, hd[p.A.Val]), he[p.B.Val]), uint64(p.TP)), uint64(sups[k])))
	}
	if c.o.Each != nil {
		c.eachRow(r, pairs, sups)
	}
	return Digest{Rows: int64(len(pairs)), Sum: sum}
}

// eachRow passes role r's rows of pairs, with their supports, to Options.Each.
func (c *computer) eachRow(r int32, pairs []cpu.Pair, sups []int32) {
	for k, p := range pairs {
		da, db := &c.h.Dims[p.A.Dim], &c.h.Dims[p.B.Dim]
		c.each(Row{Role: c.h.Roles[r], Attrs: [2]string{da.Name, db.Name}, Values: [2]string{da.Values[p.A.Val], db.Values[p.B.Val]},
			N: 2, TP: int64(p.TP), Support: int64(sups[k])})
	}
}
