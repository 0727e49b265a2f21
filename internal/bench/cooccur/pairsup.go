package cooccur

import "github.com/rolemine/rolemine/internal/parallel"

// rowRef locates one depth-2 row: its chunk and its index in the chunk.
type rowRef struct{ ch, k int32 }

// pairSupports sets the support of every depth-2 row. The rows are grouped by their first
// term (a counting sort of references); each group's supports are read from one
// histogram, over the identities holding the first term, of the dimensions after the
// first term's. The histograms cost at most the identities times the pairs of
// dimensions, however many rows and distinct criteria there are.
func (c *computer) pairSupports(chunks []pairChunk) error {
	nt := len(c.t.dim)
	start, refs, err := c.refsByFirst(chunks, nt)
	if err != nil {
		return err
	}
	var firsts []uint32
	for a := 0; a < nt; a++ {
		if start[a+1] > start[a] {
			firsts = append(firsts, uint32(a))
		}
	}
	post := c.postings()
	hist := make([][]int32, c.o.Workers)
	return parallel.Each(c.ctx, len(firsts), c.o.Workers, func(g, k int) error {
		if hist[g] == nil {
			hist[g] = make([]int32, nt)
		}
		a := firsts[k]
		d := c.t.dim[a]
		p := &post[d]
		ids := p.idx[p.off[c.t.val[a]]:p.off[c.t.val[a]+1]]
		c.countAfter(hist[g], d, ids, true)
		for _, r := range refs[start[a]:start[a+1]] {
			row := &chunks[r.ch].rows[r.k]
			row.sup = hist[g][uint32(row.key)]
		}
		c.countAfter(hist[g], d, ids, false)
		return nil
	})
}

// refsByFirst returns the references of every row grouped by first term (those of term a
// are refs[start[a]:start[a+1]]): a counting sort over parts of the chunks in parallel,
// each part counting its own rows per term, then writing from where the parts before it
// end within each term.
func (c *computer) refsByFirst(chunks []pairChunk, nt int) (start []int32, refs []rowRef, err error) {
	parts := min(c.o.Workers, len(chunks))
	total := 0
	for _, ch := range chunks {
		total += len(ch.rows)
	}
	bounds := make([]int, 0, parts+1) // chunks bounds[p]:bounds[p+1] are part p, of about equal rows
	bounds = append(bounds, 0)
	for ci, seen := 0, 0; ci < len(chunks); ci++ {
		seen += len(chunks[ci].rows)
		if len(bounds) < parts && seen*parts >= total*len(bounds) {
			bounds = append(bounds, ci+1)
		}
	}
	bounds = append(bounds, len(chunks))
	parts = len(bounds) - 1
	counts := make([][]int32, parts) // per part, per term: its rows, then its next slot
	if err := parallel.Each(c.ctx, parts, parts, func(_, p int) error {
		cnt := make([]int32, nt)
		for _, ch := range chunks[bounds[p]:bounds[p+1]] {
			for k := range ch.rows {
				cnt[ch.rows[k].key>>32]++
			}
		}
		counts[p] = cnt
		return nil
	}); err != nil {
		return nil, nil, err
	}
	start = make([]int32, nt+1)
	for a := range nt {
		pos := start[a]
		for _, cnt := range counts {
			pos, cnt[a] = pos+cnt[a], pos
		}
		start[a+1] = pos
	}
	refs = make([]rowRef, start[nt])
	err = parallel.Each(c.ctx, parts, parts, func(_, p int) error {
		pos := counts[p]
		for ci := bounds[p]; ci < bounds[p+1]; ci++ {
			for k, row := range chunks[ci].rows {
				a := row.key >> 32
				refs[pos[a]] = rowRef{int32(ci), int32(k)}
				pos[a]++
			}
		}
		return nil
	})
	return start, refs, err
}

// countAfter adds 1 to h at the term id of every value identities ids have on the
// criteria's dimensions after d (add), or sets those counters back to zero (!add).
func (c *computer) countAfter(h []int32, d int32, ids []int32, add bool) {
	for _, e := range c.dims {
		if e > d {
			c.countTerms(h, e, ids, add)
		}
	}
}

// countTerms adds 1 to h at the term id of every value identities ids (nil: every
// identity, with add only) have on dimension e (add), or sets those counters back to
// zero (!add).
func (c *computer) countTerms(h []int32, e int32, ids []int32, add bool) {
	codes, off := c.m.Codes[e], int32(c.t.off[e])
	if c.m.MultiOff == nil || c.m.MultiOff[e] == nil {
		switch {
		case ids == nil && add:
			for _, v := range codes {
				if v >= 0 {
					h[off+v]++
				}
			}
		case add:
			for _, i := range ids {
				if v := codes[i]; v >= 0 {
					h[off+v]++
				}
			}
		default:
			for _, i := range ids {
				if v := codes[i]; v >= 0 {
					h[off+v] = 0
				}
			}
		}
		return
	}
	moff, mcodes := c.m.MultiOff[e], c.m.MultiCodes[e]
	bump := func(v int32) {
		switch {
		case v < 0:
		case add:
			h[off+v]++
		default:
			h[off+v] = 0
		}
	}
	each := func(i int32) {
		bump(codes[i])
		for _, v := range mcodes[moff[i]:moff[i+1]] {
			bump(v)
		}
	}
	if ids == nil {
		for i := range int32(c.m.N) {
			each(i)
		}
		return
	}
	for _, i := range ids {
		each(i)
	}
}

// postingList is, for one dimension, the identities holding each value (CSR, ascending).
type postingList struct{ off, idx []int32 }

// postings indexes the criteria's dimensions (other dimensions are left empty).
func (c *computer) postings() []postingList {
	post := make([]postingList, len(c.m.Cards))
	_ = parallel.Each(c.ctx, len(c.dims), c.o.Workers, func(_, k int) error {
		post[c.dims[k]] = c.postingsOf(c.dims[k])
		return nil
	})
	return post
}

func (c *computer) postingsOf(d int32) postingList {
	m := c.m
	each := func(fn func(i, v int32)) {
		multi := m.MultiOff != nil && m.MultiOff[d] != nil
		for i := int32(0); i < int32(m.N); i++ {
			if v := m.Codes[d][i]; v >= 0 {
				fn(i, v)
			}
			if multi {
				for _, v := range m.MultiCodes[d][m.MultiOff[d][i]:m.MultiOff[d][i+1]] {
					fn(i, v)
				}
			}
		}
	}
	off := make([]int32, m.Cards[d]+1)
	each(func(_, v int32) { off[v+1]++ })
	for v := range m.Cards[d] {
		off[v+1] += off[v]
	}
	idx := make([]int32, off[m.Cards[d]])
	pos := append([]int32(nil), off...)
	each(func(i, v int32) { idx[pos[v]] = i; pos[v]++ })
	return postingList{off: off, idx: idx}
}
