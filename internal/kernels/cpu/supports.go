package cpu

import (
	"context"
	"slices"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/parallel"
)

// postings is, for one dimension, the in-scope identities holding each value, as CSR:
// identities with value v are idx[off[v]:off[v+1]], ascending.
type postings struct {
	off []int32
	idx []int32
}

// buildPostings indexes dimension d over the in-scope identities with two passes (count,
// then place), so identities stay ascending within each value.
func buildPostings(m *kernels.Matrix, q *kernels.Query, d int32) postings {
	card := m.Cards[d]
	off := make([]int32, card+1)
	var vbuf []int32
	n := int32(m.N)
	for i := int32(0); i < n; i++ {
		if !inScope(q.InScope, i) {
			continue
		}
		vbuf = values(m, d, i, vbuf[:0])
		for _, c := range vbuf {
			off[c+1]++
		}
	}
	for v := int32(0); v < card; v++ {
		off[v+1] += off[v]
	}
	idx := make([]int32, off[card])
	pos := slices.Clone(off[:card])
	for i := int32(0); i < n; i++ {
		if !inScope(q.InScope, i) {
			continue
		}
		vbuf = values(m, d, i, vbuf[:0])
		for _, c := range vbuf {
			idx[pos[c]] = i
			pos[c]++
		}
	}
	return postings{off: off, idx: idx}
}

// has reports whether identity i has value c on dimension d.
func has(m *kernels.Matrix, d, i, c int32) bool {
	if m.Codes[d][i] == c {
		return true
	}
	if isMulti(m, d) {
		off := m.MultiOff[d]
		return slices.Contains(m.MultiCodes[d][off[i]:off[i+1]], c)
	}
	return false
}

// Supports implements kernels.Backend. Criteria are grouped by (all terms but the last, the
// last term's dimension); each group scans the identities matching its prefix once and
// histograms the last dimension, so the work is one pass per distinct prefix and dimension,
// not one per criterion.
func (b *Backend) Supports(ctx context.Context, m *kernels.Matrix, q kernels.Query, crits []kernels.Criterion) ([]int32, error) {
	out := make([]int32, len(crits))
	if len(crits) == 0 {
		return out, nil
	}
	post, err := b.usedPostings(ctx, m, &q, crits)
	if err != nil {
		return nil, err
	}
	order, starts := supportGroups(crits)
	w := b.nworkers()
	scr := make([]supportScratch, w)
	for g := range scr {
		scr[g].cnt = make([][]int32, len(m.Cards))
	}
	err = parallel.Each(ctx, len(starts)-1, w, func(g, k int) error {
		grp := order[starts[k]:starts[k+1]]
		first := &crits[grp[0]]
		if first.N == 1 {
			t := first.T[0]
			p := post[t.Dim]
			for _, ci := range grp {
				out[ci] = p.off[t.Val+1] - p.off[t.Val]
			}
			return nil
		}
		scr[g].countGroup(m, post, crits, grp, out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// usedPostings builds, for every dimension the criteria use, the identities of q holding
// each of its values (nil for the other dimensions).
func (b *Backend) usedPostings(ctx context.Context, m *kernels.Matrix, q *kernels.Query, crits []kernels.Criterion) ([]postings, error) {
	used := make([]bool, len(m.Cards))
	for i := range crits {
		for _, t := range crits[i].Terms() {
			used[t.Dim] = true
		}
	}
	post := make([]postings, len(m.Cards))
	var dims []int32
	for d, u := range used {
		if u {
			dims = append(dims, int32(d))
		}
	}
	if err := parallel.Each(ctx, len(dims), b.nworkers(), func(_, k int) error {
		post[dims[k]] = buildPostings(m, q, dims[k])
		return nil
	}); err != nil {
		return nil, err
	}
	return post, nil
}

// supportGroups orders the criteria by kernels.GroupCompare and returns that order with
// the start of each group in it (and len(crits) last): criteria sharing all terms but the
// last and the last term's dimension, every one-term criterion a group of its own.
func supportGroups(crits []kernels.Criterion) (order, starts []int32) {
	order = make([]int32, len(crits))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return kernels.GroupCompare(&crits[a], &crits[b]) })
	for k := range order {
		if k == 0 || kernels.GroupCompare(&crits[order[k-1]], &crits[order[k]]) != 0 || crits[order[k]].N == 1 {
			starts = append(starts, int32(k))
		}
	}
	starts = append(starts, int32(len(order)))
	return order, starts
}

// supportScratch is one worker's counters per dimension and its buffer of rows.
type supportScratch struct {
	cnt  [][]int32
	rows []int32
}

// countGroup sets the supports of the criteria grp (one group of two or more terms): it
// collects the identities matching the shared prefix, histograms the last dimension over
// them, reads each criterion's last value, and clears the counters it touched.
func (s *supportScratch) countGroup(m *kernels.Matrix, post []postings, crits []kernels.Criterion, grp []int32, out []int32) {
	first := &crits[grp[0]]
	// Identities matching the prefix (terms 0..N-2).
	t0 := first.T[0]
	p := post[t0.Dim]
	rows := p.idx[p.off[t0.Val]:p.off[t0.Val+1]]
	if first.N > 2 {
		s.rows = s.rows[:0]
		for _, i := range rows {
			ok := true
			for _, t := range first.T[1 : first.N-1] {
				if !has(m, t.Dim, i, t.Val) {
					ok = false
					break
				}
			}
			if ok {
				s.rows = append(s.rows, i)
			}
		}
		rows = s.rows
	}
	last := first.T[first.N-1].Dim
	cnt := s.cnt[last]
	if cnt == nil {
		cnt = make([]int32, m.Cards[last])
		s.cnt[last] = cnt
	}
	multi, codes := isMulti(m, last), m.Codes[last]
	if !multi {
		for _, i := range rows {
			if c := codes[i]; c >= 0 {
				cnt[c]++
			}
		}
	} else {
		var vbuf []int32
		for _, i := range rows {
			vbuf = values(m, last, i, vbuf[:0])
			for _, c := range vbuf {
				cnt[c]++
			}
		}
	}
	for _, ci := range grp {
		out[ci] = cnt[crits[ci].T[crits[ci].N-1].Val]
	}
	// Reset: clear the counters the rows touched.
	if !multi {
		for _, i := range rows {
			if c := codes[i]; c >= 0 {
				cnt[c] = 0
			}
		}
	} else {
		clear(cnt)
	}
}
