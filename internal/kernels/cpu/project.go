package cpu

import (
	"context"
	"slices"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/parallel"
)

// layout numbers the values of a query's single-valued dimensions globally, so that one
// counter array serves them all. Single-valued dimension s (0..w-1, in q.Dims order) is
// q.Dims[pos[s]]; its term ids are off[s] (no value) and off[s]+1+code for each code.
type layout struct {
	w      int
	pos    []int   // by single-valued dimension: its position in q.Dims
	off    []int32 // by single-valued dimension: its no-value term id
	single []int   // by position in q.Dims: its single-valued index, or -1 (multi-valued)
	first  []int   // by position in q.Dims (and len(q.Dims)): the first single index at or after it
	// lastMulti is the position in q.Dims of the last multi-valued dimension (-1: none).
	lastMulti int
	terms     int32
	// tab holds every identity's term ids row-major (tab[i*w+s]), so that gathering a
	// holder's row reads one or two cache lines instead of one per dimension; tab16, used
	// instead when every dictionary has fewer than 65,535 values, holds code+1 (0: no
	// value) in half the space.
	tab   []int32
	tab16 []uint16
	// stride is the width of a row of tab or tab16: w, then in tab16, for a two-term query
	// with one multi-valued dimension, slotCols more columns holding that dimension's
	// slots (slotColumns, multi.go), read with the row they share.
	stride, slotCols int
	// slots holds, by position in q.Dims, a multi-valued dimension's slot table (multi.go).
	slots []*slotTable
}

func newLayout(m *kernels.Matrix, q *kernels.Query) *layout {
	l := &layout{single: make([]int, len(q.Dims)), first: make([]int, len(q.Dims)+1), lastMulti: -1}
	for j, d := range q.Dims {
		l.first[j] = l.w
		if isMulti(m, d) {
			l.single[j] = -1
			l.lastMulti = j
			if l.slots == nil {
				l.slots = make([]*slotTable, len(q.Dims))
			}
			l.slots[j] = newSlotTable(m, d)
			continue
		}
		l.single[j] = l.w
		l.pos = append(l.pos, j)
		l.off = append(l.off, l.terms)
		l.terms += 1 + m.Cards[d]
		l.w++
	}
	l.first[len(q.Dims)] = l.w
	l.stride = l.w
	return l
}

// buildTable fills the table from the matrix, identities split among workers: tab16
// (code+1, 0 for no value) when every dictionary fits and wide is false, else tab (term
// ids).
func (l *layout) buildTable(ctx context.Context, m *kernels.Matrix, q *kernels.Query, workers int, wide bool) error {
	narrow := !wide && l.narrow(m, q)
	if narrow {
		l.slotCols = l.slotColumns(m, q)
		l.stride = l.w + l.slotCols
		l.tab16 = make([]uint16, m.N*l.stride)
	} else {
		l.tab = make([]int32, m.N*l.w)
	}
	w := l.stride
	const chunk = 1 << 16
	return parallel.Each(ctx, (m.N+chunk-1)/chunk, workers, func(_, k int) error {
		lo, hi := k*chunk, min(m.N, (k+1)*chunk)
		if l.slotCols > 0 {
			l.slots[l.lastMulti].fill16(l.tab16, w, l.w, lo, hi)
		}
		for s, j := range l.pos {
			codes := m.Codes[q.Dims[j]][lo:hi]
			if narrow {
				row := l.tab16[lo*w+s:]
				for i, c := range codes {
					row[i*w] = uint16(c + 1)
				}
				continue
			}
			o, row := l.off[s]+1, l.tab[lo*w+s:]
			for i, c := range codes {
				row[i*w] = o + c
			}
		}
		return nil
	})
}

// narrow reports whether every single-valued dimension's dictionary has fewer than 65,535
// values, so that code+1 fits 16 bits.
func (l *layout) narrow(m *kernels.Matrix, q *kernels.Query) bool {
	for _, j := range l.pos {
		if m.Cards[q.Dims[j]] >= 1<<16-1 {
			return false
		}
	}
	return true
}

// sel is one value selected at a projection level: its code, count and bucket start.
type sel struct {
	val, count, start int32
}

// projector holds one worker's scratch for Cooccur. A role's in-scope holders are its
// local rows: base maps a local row to its identity, and local holds, row-major, the term
// ids (layout) of each local row's single-valued dimensions, gathered once per role so
// that every histogram reads one short dense row per holder and increments one counter
// array. Multi-valued dimensions have local columns of their own (multi.go). Invariants: every
// counter array is all zero between uses; level k's row buffer holds the local rows of
// the prefix being extended at depth k, grouped by value.
type projector struct {
	m     *kernels.Matrix
	q     *kernels.Query
	lay   *layout
	multi []bool // by position in q.Dims
	// hist[level] counts term ids of single-valued dimensions; counts[level][j] counts the
	// values (code+1) of multi-valued dimension position j.
	hist   [kernels.MaxTerms][]int32
	counts [kernels.MaxTerms][][]int32
	sels   [kernels.MaxTerms][]sel
	rows   [kernels.MaxTerms][]int32
	// part[level] holds the level's buckets as copied rows when its children are split
	// (split); the children read them as their own tables.
	part  [kernels.MaxTerms][]int32
	base  []int32
	local []int32
	mc    []multiCol // by position in q.Dims: multi-valued dimensions' local tables (multi.go)
	// mpart[level][j] holds the slots of multi-valued dimension position j of level's
	// split blocks (copySlots), views[level] their local tables; splitCols lists the
	// copies of the current split.
	mpart     [kernels.MaxTerms][][]int32
	views     [kernels.MaxTerms][]multiCol
	splitCols []slotCopy
	mark      []uint64 // selectMulti's bitset of values, all zero between uses
	all       []int32  // 0..len(base)-1
	keys      []uint64 // selectSingle's values of a large dictionary, to sort
	out       []kernels.Count
	// splitAt is the smallest table, in terms, whose buckets split copies.
	splitAt int
}

func newProjector(m *kernels.Matrix, q *kernels.Query, lay *layout) *projector {
	n := len(q.Dims)
	p := &projector{m: m, q: q, lay: lay, multi: make([]bool, n), mc: make([]multiCol, n), splitAt: splitTerms}
	for j := range q.Dims {
		p.multi[j] = lay.single[j] < 0
	}
	for l := 0; l < q.MaxTerms; l++ {
		p.counts[l] = make([][]int32, len(q.Dims))
		if lay.w > 0 {
			p.hist[l] = make([]int32, lay.terms)
		}
	}
	return p
}

func (p *projector) counter(level, j int) []int32 {
	c := p.counts[level][j]
	if c == nil {
		c = make([]int32, p.m.Cards[p.q.Dims[j]]+1)
		p.counts[level][j] = c
	}
	return c
}

// gather sets the role's local rows: base (the in-scope holders), their term ids, and the
// local columns of multi-valued dimensions.
func (p *projector) gather(holders []int32) {
	q, w := p.q, p.lay.w
	base := p.base[:0]
	for _, i := range holders {
		if inScope(q.InScope, i) {
			base = append(base, i)
		}
	}
	p.base = base
	loc := slices.Grow(p.local[:0], len(base)*w)[:len(base)*w]
	if tab := p.lay.tab16; tab != nil {
		off, stride := p.lay.off, p.lay.stride
		for k, i := range base {
			dst, src := loc[k*w:k*w+w], tab[int(i)*stride:int(i)*stride+w]
			for t := range dst {
				dst[t] = off[t] + int32(src[t])
			}
		}
	} else {
		tab := p.lay.tab
		for k, i := range base {
			dst, src := loc[k*w:k*w+w], tab[int(i)*w:int(i)*w+w]
			for t := range dst {
				dst[t] = src[t]
			}
		}
	}
	p.local = loc
	for j := range q.Dims {
		if p.multi[j] {
			p.gatherMulti(j)
		}
	}
	for k := len(p.all); k < len(base); k++ {
		p.all = append(p.all, int32(k))
	}
}

// rowTable is a row-major table of term ids of the single-valued dimensions from lo on:
// row k's term of dimension s is v[k*w+s-lo]. The role's local rows are one (lo 0); a
// bucket whose rows were copied for its children (split) is another, with the copies of
// its rows' multi-valued slots in mc (nil: the role's, p.mc).
type rowTable struct {
	v        []int32
	w, lo, n int
	mc       []multiCol
}

// at returns the term of single-valued dimension s in row k.
func (t *rowTable) at(k int32, s int) int32 { return t.v[int(k)*t.w+s-t.lo] }

// rowsOr returns rows, or for nil every row of t (all lists 0..n-1 at least).
func (t *rowTable) rowsOr(rows, all []int32) []int32 {
	if rows == nil {
		return all[:t.n]
	}
	return rows
}

// histogramSingles counts, into hist[level], the term ids of the single-valued dimensions
// from index s on over the rows of t (nil: every row).
func (p *projector) histogramSingles(level, s int, rows []int32, t *rowTable) {
	if s == p.lay.w {
		return
	}
	h, v, w, o := p.hist[level], t.v, t.w, s-t.lo
	if rows == nil {
		for k := 0; k < t.n; k++ {
			for _, c := range v[k*w+o : k*w+w] {
				h[c]++
			}
		}
		return
	}
	for _, k := range rows {
		for _, c := range v[int(k)*w+o : int(k)*w+w] {
			h[c]++
		}
	}
}

// selectSingle returns the values of single-valued dimension s counted at least q.MinTP
// times over rows, ascending, with their counts and bucket starts, and clears the
// dimension's counters. A dictionary small against the rows is read in code order; a
// large one through the rows' own values, then sorted.
func (p *projector) selectSingle(level, s int, rows []int32, t *rowTable) []sel {
	h, lo := p.hist[level], p.lay.off[s]
	card := p.m.Cards[p.q.Dims[p.lay.pos[s]]]
	cnt := h[lo+1 : lo+1+card]
	h[lo] = 0
	sels := p.sels[level][:0]
	n := len(rows)
	if rows == nil {
		n = t.n
	}
	if int(card) <= 4*n+64 {
		for c, v := range cnt {
			if v >= p.q.MinTP {
				sels = append(sels, sel{val: int32(c), count: v})
			}
		}
		clear(cnt)
	} else {
		// The values as val<<32|count, sorted as integers (no comparison function).
		keys := p.keys[:0]
		for _, k := range t.rowsOr(rows, p.all) {
			c := t.at(k, s)
			if v := h[c]; v != 0 {
				if v >= p.q.MinTP {
					keys = append(keys, uint64(c-lo-1)<<32|uint64(v))
				}
				h[c] = 0
			}
		}
		slices.Sort(keys)
		for _, x := range keys {
			sels = append(sels, sel{val: int32(x >> 32), count: int32(x)})
		}
		p.keys = keys
	}
	return p.keepSels(level, sels)
}

// bucketSingle groups the rows of t by the selected values of single-valued dimension s
// into level's row buffer, using the dimension's (all zero) counters as write positions.
func (p *projector) bucketSingle(level, s int, rows []int32, t *rowTable, sels []sel) {
	h, lo := p.hist[level], p.lay.off[s]
	for _, x := range sels {
		h[lo+1+x.val] = x.start + 1
	}
	buf := p.rowBuffer(level, sels)
	for _, k := range t.rowsOr(rows, p.all) {
		c := t.at(k, s)
		if v := h[c]; v > 0 {
			buf[v-1] = k
			h[c] = v + 1
		}
	}
	for _, x := range sels {
		h[lo+1+x.val] = 0
	}
}

// splitTerms is the smallest table (in terms) whose buckets are split: a smaller one
// stays in the core's cache, where reading a bucket's rows one by one costs less than
// copying them.
const splitTerms = 1 << 20

// split is bucketSingle for children that extend no further: it copies each row of a
// selected value's bucket, from dimension s+1 on, into level's part buffer (bucket after
// bucket, rows in order), so that each child histograms a dense block instead of
// reading its rows one by one across the role's table; the rows' slots of the
// multi-valued dimensions after s are copied alongside (copySlots). It returns the width
// of the copied rows.
func (p *projector) split(level, s int, rows []int32, t *rowTable, sels []sel) int {
	h, lo := p.hist[level], p.lay.off[s]
	ws := t.w - (s - t.lo) - 1
	for _, x := range sels {
		h[lo+1+x.val] = x.start + 1
	}
	last := sels[len(sels)-1]
	total := int(last.start+last.count) * ws
	buf := p.part[level]
	if cap(buf) < total {
		buf = make([]int32, total, total+total/4)
	}
	buf = buf[:total]
	p.part[level] = buf
	v, w, o := t.v, t.w, s-t.lo
	slots := p.splitSlots(level, p.lay.pos[s], int(last.start+last.count), t)
	for _, k := range t.rowsOr(rows, p.all) {
		row := v[int(k)*w+o : int(k)*w+w]
		if n := h[row[0]]; n > 0 {
			dst := buf[int(n-1)*ws : int(n)*ws]
			for i := range dst {
				dst[i] = row[1+i]
			}
			if slots {
				p.copySlots(k, n-1)
			}
			h[row[0]] = n + 1
		}
	}
	for _, x := range sels {
		h[lo+1+x.val] = 0
	}
	return ws
}

// rowBuffer returns level's row buffer sized for the selected values' rows.
func (p *projector) rowBuffer(level int, sels []sel) []int32 {
	last := sels[len(sels)-1]
	total := last.start + last.count
	buf := p.rows[level]
	if cap(buf) < int(total) {
		buf = make([]int32, total, total+total/4)
	}
	buf = buf[:total]
	p.rows[level] = buf
	return buf
}

// extend emits every extension of prefix by one term on a dimension at position >= from
// in q.Dims, over rows of t (the rows matching prefix; nil: all), recursing while terms
// remain. The single-valued dimensions' histograms are taken together in one pass. When
// the children extend no further, a single-valued dimension's buckets are copied out
// (split), with the slots of the multi-valued dimensions after it, and each child counts
// its own block.
func (p *projector) extend(prefix kernels.Criterion, rows []int32, from, level int, t rowTable) {
	q := p.q
	p.histogramSingles(level, p.lay.first[from], rows, &t)
	for di := from; di < len(q.Dims); di++ {
		deeper := level+1 < q.MaxTerms && di+1 < len(q.Dims)
		ws := 0 // > 0: the children's rows are copied, ws terms wide
		var sels []sel
		if s := p.lay.single[di]; s >= 0 {
			sels = p.selectSingle(level, s, rows, &t)
			switch {
			case !deeper || len(sels) == 0:
			case level+2 >= q.MaxTerms && s+1 < p.lay.w && t.n*t.w >= p.splitAt:
				ws = p.split(level, s, rows, &t, sels)
			default:
				p.bucketSingle(level, s, rows, &t, sels)
			}
		} else {
			sels = p.projectMulti(level, di, rows, &t, deeper)
		}
		d := q.Dims[di]
		for k := range sels {
			s := p.sels[level][k]
			c := prefix
			c.T[c.N] = kernels.Term{Dim: d, Val: s.val}
			c.N++
			p.out = append(p.out, kernels.Count{C: c, TP: s.count})
			switch {
			case ws > 0:
				lo := p.lay.single[di] + 1
				blk := p.part[level][int(s.start)*ws : int(s.start+s.count)*ws]
				p.extend(c, nil, di+1, level+1, rowTable{v: blk, w: ws, lo: lo, n: int(s.count), mc: p.splitView(level, s)})
			case deeper:
				p.extend(c, p.rows[level][s.start:s.start+s.count], di+1, level+1, t)
			}
		}
	}
}

// keepSels gives each selected value the offset of its rows in the level's row buffer (the
// values in ascending order, each after the counts of the ones before) and keeps the list as
// the level's selection.
func (p *projector) keepSels(level int, sels []sel) []sel {
	var total int32
	for k := range sels {
		sels[k].start = total
		total += sels[k].count
	}
	p.sels[level] = sels
	return sels
}
