// Package cpu is the pure-Go counting backend: per role, a depth-first projection over the
// role's in-scope holders with dense per-dimension histograms (Eclat-style), and supports
// computed by scanning per-value posting lists once per (prefix, next dimension). It is
// parallel over roles and allocation-free in its hot loops.
package cpu

import (
	"context"
	"runtime"
	"slices"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/parallel"
)

// Backend is the CPU implementation of kernels.Backend.
type Backend struct {
	workers int
}

// New returns a CPU backend using GOMAXPROCS workers.
func New() *Backend { return &Backend{} }

// NewWorkers returns a CPU backend using n workers (n <= 0: GOMAXPROCS).
func NewWorkers(n int) *Backend { return &Backend{workers: n} }

// Name returns "cpu".
func (b *Backend) Name() string { return "cpu" }

func (b *Backend) nworkers() int {
	if b.workers > 0 {
		return b.workers
	}
	return runtime.GOMAXPROCS(0)
}

var _ kernels.Backend = (*Backend)(nil)

// inScope reports whether bit i is set (nil bitset: everything is in scope).
func inScope(bs []uint64, i int32) bool {
	return bs == nil || bs[uint32(i)>>6]&(1<<(uint32(i)&63)) != 0
}

// values appends the value codes identity i has on dimension d to buf (at most one for a
// single-valued dimension).
func values(m *kernels.Matrix, d int32, i int32, buf []int32) []int32 {
	if c := m.Codes[d][i]; c >= 0 {
		buf = append(buf, c)
	}
	if m.MultiOff != nil && m.MultiOff[d] != nil {
		off := m.MultiOff[d]
		buf = append(buf, m.MultiCodes[d][off[i]:off[i+1]]...)
	}
	return buf
}

func isMulti(m *kernels.Matrix, d int32) bool {
	return m.MultiOff != nil && int(d) < len(m.MultiOff) && m.MultiOff[d] != nil
}

// sel is one value selected at a projection level: its code, count and bucket start.
type sel struct {
	val, count, start int32
}

// projector holds one worker's scratch for Cooccur. A role's in-scope holders are its
// local rows: base maps a local row to its identity, and local[j] holds the codes of
// dimension q.Dims[j] by local row (encoded as multi.go says for a multi-valued one),
// gathered once per role so that every histogram reads a small dense column instead of
// the identities' full columns. Invariants: every counter array is all zero between uses; level k's row buffer
// holds the local rows of the prefix being extended at depth k, grouped by value.
type projector struct {
	m       *kernels.Matrix
	q       *kernels.Query
	multi   []bool                      // by position in q.Dims
	counts  [kernels.MaxTerms][][]int32 // [level][position in q.Dims] histogram
	touched [kernels.MaxTerms][]int32
	sels    [kernels.MaxTerms][]sel
	rows    [kernels.MaxTerms][]int32
	base    []int32
	local   [][]int32
	mOff    [][]int32 // multi-valued positions: the per-role table of gatherMulti
	mVal    [][]int32
	all     []int32 // 0..len(base)-1
	out     []kernels.Count
}

func newProjector(m *kernels.Matrix, q *kernels.Query) *projector {
	p := &projector{m: m, q: q, multi: make([]bool, len(q.Dims)), local: make([][]int32, len(q.Dims)),
		mOff: make([][]int32, len(q.Dims)), mVal: make([][]int32, len(q.Dims))}
	for j, d := range q.Dims {
		p.multi[j] = isMulti(m, d)
	}
	for l := 0; l < q.MaxTerms; l++ {
		p.counts[l] = make([][]int32, len(q.Dims))
	}
	return p
}

func (p *projector) counter(level, j int) []int32 {
	c := p.counts[level][j]
	if c == nil {
		c = make([]int32, p.m.Cards[p.q.Dims[j]])
		p.counts[level][j] = c
	}
	return c
}

// gather sets the role's local rows: base (the in-scope holders), and for each
// dimension its codes by local row (multi.go for multi-valued ones).
func (p *projector) gather(holders []int32) {
	q, m := p.q, p.m
	base := p.base[:0]
	for _, i := range holders {
		if inScope(q.InScope, i) {
			base = append(base, i)
		}
	}
	p.base = base
	for j, d := range q.Dims {
		if p.multi[j] {
			p.gatherMulti(j, d)
			continue
		}
		col := slices.Grow(p.local[j][:0], len(base))[:len(base)]
		codes := m.Codes[d]
		for k, i := range base {
			col[k] = codes[i]
		}
		p.local[j] = col
	}
	for k := len(p.all); k < len(base); k++ {
		p.all = append(p.all, int32(k))
	}
}

// histogram counts the values of dimension position j over the local rows (nil: every
// local row) into cnt and returns the values counted, in first-seen order.
func (p *projector) histogram(level, j int, rows []int32, cnt []int32) []int32 {
	touched := p.touched[level][:0]
	if !p.multi[j] {
		col := p.local[j]
		if rows == nil {
			for _, c := range col {
				if c >= 0 {
					if cnt[c] == 0 {
						touched = append(touched, c)
					}
					cnt[c]++
				}
			}
		} else {
			for _, k := range rows {
				if c := col[k]; c >= 0 {
					if cnt[c] == 0 {
						touched = append(touched, c)
					}
					cnt[c]++
				}
			}
		}
	} else {
		touched = p.histogramMulti(j, rows, cnt, touched)
	}
	p.touched[level] = touched
	return touched
}

// selectValues returns the touched values counted at least q.MinTP times, ascending, with
// their counts and bucket starts. Filtering before sorting keeps the sort small: most
// values of a large dictionary are held by one or two of a role's holders.
func (p *projector) selectValues(level int, touched, cnt []int32) []sel {
	sels := p.sels[level][:0]
	if len(cnt) <= 4*len(touched)+64 {
		// A small dictionary: reading every counter in code order is cheaper than sorting.
		for c, n := range cnt {
			if n >= p.q.MinTP {
				sels = append(sels, sel{val: int32(c), count: n})
			}
		}
	} else {
		for _, c := range touched {
			if n := cnt[c]; n >= p.q.MinTP {
				sels = append(sels, sel{val: c, count: n})
			}
		}
		if len(sels) > 1 {
			slices.SortFunc(sels, func(a, b sel) int { return int(a.val) - int(b.val) })
		}
	}
	var total int32
	for k := range sels {
		sels[k].start = total
		total += sels[k].count
	}
	p.sels[level] = sels
	return sels
}

func (p *projector) rowsOrAll(rows []int32) []int32 {
	if rows == nil {
		return p.all[:len(p.base)]
	}
	return rows
}

// extend emits every extension of prefix by one term on a dimension at position >= from
// in q.Dims, over rows (the local rows matching prefix; nil: all), recursing while terms
// remain.
func (p *projector) extend(prefix kernels.Criterion, rows []int32, from, level int) {
	q := p.q
	for di := from; di < len(q.Dims); di++ {
		d := q.Dims[di]
		cnt := p.counter(level, di)
		touched := p.histogram(level, di, rows, cnt)
		sels := p.selectValues(level, touched, cnt)
		deeper := level+1 < q.MaxTerms && di+1 < len(q.Dims)
		if deeper && len(sels) > 0 {
			// cnt[c] becomes the next write position of each selected value and -1 for
			// the others.
			for _, c := range touched {
				cnt[c] = -1
			}
			for _, s := range sels {
				cnt[s.val] = s.start
			}
			p.bucket(di, rows, cnt, level, sels)
		}
		for _, c := range touched {
			cnt[c] = 0
		}
		for k := range sels {
			s := p.sels[level][k]
			c := prefix
			c.T[c.N] = kernels.Term{Dim: d, Val: s.val}
			c.N++
			p.out = append(p.out, kernels.Count{C: c, TP: s.count})
			if deeper {
				p.extend(c, p.rows[level][s.start:s.start+s.count], di+1, level+1)
			}
		}
	}
}

// bucket groups rows by the selected values of dimension position j into level's row
// buffer; cnt holds each selected value's next write position and -1 for the others.
func (p *projector) bucket(j int, rows []int32, cnt []int32, level int, sels []sel) {
	last := sels[len(sels)-1]
	total := last.start + last.count
	buf := p.rows[level]
	if cap(buf) < int(total) {
		buf = make([]int32, total, total+total/4)
	}
	buf = buf[:total]
	all := p.rowsOrAll(rows)
	if !p.multi[j] {
		col := p.local[j]
		for _, k := range all {
			if c := col[k]; c >= 0 && cnt[c] >= 0 {
				buf[cnt[c]] = k
				cnt[c]++
			}
		}
	} else {
		p.bucketMulti(j, all, cnt, buf)
	}
	p.rows[level] = buf
}

// Cooccur implements kernels.Backend.
func (b *Backend) Cooccur(ctx context.Context, m *kernels.Matrix, q kernels.Query, roles []int32, emit func(role int32, counts []kernels.Count) error) error {
	if q.MinTP < 1 {
		q.MinTP = 1
	}
	if q.MaxTerms > kernels.MaxTerms {
		q.MaxTerms = kernels.MaxTerms
	}
	w := b.nworkers()
	if w > len(roles) {
		w = len(roles)
	}
	projs := make([]*projector, max(w, 1))
	for i := range projs {
		projs[i] = newProjector(m, &q)
	}
	return parallel.Each(ctx, len(roles), w, func(g, k int) error {
		p := projs[g]
		r := roles[k]
		p.gather(m.RoleIdx[m.RoleOff[r]:m.RoleOff[r+1]])
		p.out = p.out[:0]
		if len(p.base) >= int(q.MinTP) && q.MaxTerms > 0 {
			p.extend(kernels.Criterion{}, nil, 0, 0)
		}
		return emit(r, p.out)
	})
}
