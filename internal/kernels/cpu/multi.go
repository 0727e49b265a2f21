package cpu

import (
	"context"
	"math/bits"
	"slices"

	"github.com/rolemine/rolemine/internal/hugepage"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/parallel"
)

// The multi-valued path of the projector. A multi-valued dimension's values for a role
// are gathered into a local table of its own (multiCol), k slots per local row, so that
// counting a row reads one short run of slots: no per-row lookup in the identity-wide
// columns and no list of touched counters. A slot holds code+1, or 0 in the slots a row
// does not fill (counter 0 is a sink, never read). A row with more values than k holds
// its first k-1 in slots and, in the last, -1-e: the rest are entry e of the overflow
// table. Counts and buckets do not depend on the order of a row's values, so they are
// those of counting each row's values one by one. The local rows are copied from a
// table of every identity's slots made once per query (slotTable), so that gathering a
// holder reads one short run instead of three identity-wide arrays.

// maxSlots bounds the slots per row: the rare identity with many values of a dimension
// goes to the overflow table instead of widening every row.
const maxSlots = 4

// slotTable holds every identity's values of one multi-valued dimension: k slots per
// identity (k the most values any identity has, at most maxSlots), laid out like a
// multiCol's rows, its values first and its unused slots last (0), so that a role whose
// holders have fewer values than k takes only the first slots.
type slotTable struct {
	k       int
	top     int32 // the largest value in slots
	slots   []int32
	overOff []int32 // entry e: over[overOff[e]:overOff[e+1]]
	over    []int32
}

// newSlotTable fills the slot table of multi-valued dimension d of m.
func newSlotTable(m *kernels.Matrix, d int32) *slotTable {
	codes, off, extra := m.Codes[d], m.MultiOff[d], m.MultiCodes[d]
	nvals := func(i int) int {
		n := int(off[i+1] - off[i])
		if codes[i] >= 0 {
			n++
		}
		return n
	}
	st := &slotTable{k: 1, overOff: []int32{0}}
	for i := range m.N {
		st.k = max(st.k, min(nvals(i), maxSlots))
	}
	k := st.k
	st.slots = make([]int32, m.N*k)
	for i := range m.N {
		row, c, ex := st.slots[i*k:i*k+k], codes[i], extra[off[i]:off[i+1]]
		if nvals(i) > k {
			st.spill(row, c, ex)
			continue
		}
		s := 0
		if c >= 0 {
			row[0], s = c+1, 1
		}
		for _, x := range ex {
			row[s] = x + 1
			s++
		}
	}
	for _, v := range st.slots {
		st.top = max(st.top, v)
	}
	return st
}

// multiCol is one multi-valued dimension's local table for the current role; its
// overflow entries are the slot table's.
type multiCol struct {
	k       int
	slots   []int32 // k per local row
	overOff []int32
	over    []int32
}

// row returns local row r's slots.
func (mc *multiCol) row(r int32) []int32 {
	return mc.slots[int(r)*mc.k : int(r)*mc.k+mc.k]
}

// overflow returns the values of overflow entry -1-v (v < 0).
func (mc *multiCol) overflow(v int32) []int32 {
	e := -1 - v
	return mc.over[mc.overOff[e]:mc.overOff[e+1]]
}

// gatherMulti fills the local table of multi-valued dimension position j for the local
// rows in p.base: k, the most values a holder has (at most the table's), and each
// holder's first k slots. The rows are copied whole in one pass, marking which slots
// some row uses, then packed to k slots when the role's holders need fewer than the
// table has.
func (p *projector) gatherMulti(j int) {
	st, base, mc := p.lay.slots[j], p.base, &p.mc[j]
	src, sk := st.slots, st.k
	slots := slices.Grow(mc.slots[:0], len(base)*sk)[:len(base)*sk]
	var used [maxSlots]int32 // slot t: nonzero when some row uses it
	for r, i := range base {
		// A loop, not copy: a call to memmove per row of a few slots costs more.
		dst, row := slots[r*sk:r*sk+sk], src[int(i)*sk:int(i)*sk+sk]
		for t := range dst {
			dst[t] = row[t]
			used[t] |= row[t]
		}
	}
	k := 1
	for t := range sk {
		if used[t] != 0 {
			k = t + 1
		}
	}
	if k < sk {
		for r := range base {
			dst, row := slots[r*k:r*k+k], slots[r*sk:r*sk+k]
			for t := range dst {
				dst[t] = row[t]
			}
		}
	}
	k = min(k, sk)
	mc.k, mc.overOff, mc.over = k, st.overOff, st.over
	mc.slots = slots[:len(base)*k]
}

// spill sets a row holding more values than its k slots (c, when >= 0, then ex): the
// first k-1 in slots, the rest in a new overflow entry named by the last slot.
func (st *slotTable) spill(row []int32, c int32, ex []int32) {
	k, s := len(row), 0
	add := func(v int32) {
		if s < k-1 {
			row[s] = v + 1
		} else {
			st.over = append(st.over, v+1)
		}
		s++
	}
	if c >= 0 {
		add(c)
	}
	for _, x := range ex {
		add(x)
	}
	row[k-1] = -int32(len(st.overOff))
	st.overOff = append(st.overOff, int32(len(st.over)))
}

// multiOf returns the local table of multi-valued dimension position j for the rows of t:
// the role's, or the copy a split made for t's block.
func (p *projector) multiOf(t *rowTable, j int) *multiCol {
	if t.mc != nil {
		return &t.mc[j]
	}
	return &p.mc[j]
}

// histogramMulti counts, into cnt (indexed by code+1), the values of mc's rows. Only a
// row's last slot can name an overflow entry.
func histogramMulti(mc *multiCol, rows []int32, cnt []int32) {
	k, slots := mc.k, mc.slots
	for _, r := range rows {
		row := slots[int(r)*k : int(r)*k+k]
		for _, v := range row[:k-1] {
			cnt[v]++
		}
		if v := row[k-1]; v >= 0 {
			cnt[v]++
			continue
		}
		for _, x := range mc.overflow(row[k-1]) {
			cnt[x]++
		}
	}
	cnt[0] = 0
}

// projectMulti counts multi-valued dimension position j over rows of t (nil: every row),
// selects its values counted at least q.MinTP times and, when deeper, buckets the rows by
// them; it leaves the dimension's counters zero.
func (p *projector) projectMulti(level, j int, rows []int32, t *rowTable, deeper bool) []sel {
	cnt, mc, all := p.counter(level, j), p.multiOf(t, j), t.rowsOr(rows, p.all)
	histogramMulti(mc, all, cnt)
	sels := p.selectMulti(level, mc, all, cnt)
	if deeper && len(sels) > 0 {
		bucketMulti(mc, all, cnt, sels, p.rowBuffer(level, sels))
	}
	return sels
}

// selectMulti returns the values counted at least q.MinTP times in cnt (indexed by
// code+1) over mc's rows, ascending, with their counts and bucket starts, and clears cnt.
// A dictionary small against the rows is read in code order. Otherwise the rows' own
// values are marked in a bitset, read in code order where it is small against the rows,
// else listed and sorted.
func (p *projector) selectMulti(level int, mc *multiCol, rows []int32, cnt []int32) []sel {
	sels, minTP, n := p.sels[level][:0], p.q.MinTP, len(rows)
	if len(cnt) <= 4*n+64 {
		for c, v := range cnt[1:] {
			if v >= minTP {
				sels = append(sels, sel{val: int32(c), count: v})
			}
		}
		clear(cnt)
		return p.keepSels(level, sels)
	}
	if words := (len(cnt) + 63) / 64; words <= 4*n+64 {
		mark := slices.Grow(p.mark[:0], words)[:words] // all zero between uses
		k := mc.k
		for _, r := range rows {
			row := mc.slots[int(r)*k : int(r)*k+k]
			for _, x := range row[:k-1] {
				mark[x>>6] |= 1 << (x & 63)
			}
			if x := row[k-1]; x >= 0 {
				mark[x>>6] |= 1 << (x & 63)
				continue
			}
			for _, x := range mc.overflow(row[k-1]) {
				mark[x>>6] |= 1 << (x & 63)
			}
		}
		mark[0] &^= 1 // the padding's sink
		for w, bs := range mark {
			for ; bs != 0; bs &= bs - 1 {
				x := int32(w<<6 + bits.TrailingZeros64(bs))
				if v := cnt[x]; v >= minTP {
					sels = append(sels, sel{val: x - 1, count: v})
				}
				cnt[x] = 0
			}
			mark[w] = 0
		}
		p.mark = mark
		cnt[0] = 0
		return p.keepSels(level, sels)
	}
	take := func(x int32) {
		if v := cnt[x]; v != 0 {
			if v >= minTP {
				sels = append(sels, sel{val: x - 1, count: v})
			}
			cnt[x] = 0
		}
	}
	for _, r := range rows {
		row := mc.row(r)
		for _, v := range row[:len(row)-1] {
			take(v)
		}
		if v := row[len(row)-1]; v >= 0 {
			take(v)
			continue
		}
		for _, x := range mc.overflow(row[len(row)-1]) {
			take(x)
		}
	}
	cnt[0] = 0
	if len(sels) > 1 {
		slices.SortFunc(sels, func(a, b sel) int { return int(a.val) - int(b.val) })
	}
	return p.keepSels(level, sels)
}

// bucketMulti groups rows by the selected values of mc into buf, using the dimension's
// (all zero) counters as write positions: a row with several selected values goes into
// each of their buckets.
func bucketMulti(mc *multiCol, rows []int32, cnt []int32, sels []sel, buf []int32) {
	for _, s := range sels {
		cnt[s.val+1] = s.start + 1
	}
	put := func(x, r int32) {
		if w := cnt[x]; w > 0 {
			buf[w-1] = r
			cnt[x] = w + 1
		}
	}
	for _, r := range rows {
		for _, v := range mc.row(r) {
			if v < 0 {
				for _, x := range mc.overflow(v) {
					put(x, r)
				}
				break
			}
			put(v, r)
		}
	}
	for _, s := range sels {
		cnt[s.val+1] = 0
	}
}

// splitSlots prepares a split at level by single-valued dimension position di into rows
// blocks: the slots of the multi-valued dimensions after di are copied alongside each
// copied row (copySlots), into level's blocks of slots. It returns whether any follows.
func (p *projector) splitSlots(level, di, rows int, t *rowTable) bool {
	cs := p.splitCols[:0]
	for j := di + 1; j < len(p.q.Dims); j++ {
		if !p.multi[j] {
			continue
		}
		if p.mpart[level] == nil {
			p.mpart[level] = make([][]int32, len(p.q.Dims))
			p.views[level] = make([]multiCol, len(p.q.Dims))
		}
		mc := p.multiOf(t, j)
		n := rows * mc.k
		p.mpart[level][j] = slices.Grow(p.mpart[level][j][:0], n)[:n]
		cs = append(cs, slotCopy{j: j, k: int32(mc.k), src: mc.slots, dst: p.mpart[level][j], mc: mc})
	}
	p.splitCols = cs
	return len(cs) > 0
}

// slotCopy is the slots of multi-valued dimension position j copied by a split: from src
// (mc's, the split table's local table) to dst (level's blocks), k per row.
type slotCopy struct {
	j        int
	k        int32
	src, dst []int32
	mc       *multiCol
}

// copySlots copies local row r's slots of the multi-valued dimensions splitSlots listed to
// position pos of level's blocks.
func (p *projector) copySlots(r, pos int32) {
	for _, c := range p.splitCols {
		k := c.k
		dst, src := c.dst[pos*k:pos*k+k], c.src[r*k:r*k+k]
		for t := range dst {
			dst[t] = src[t]
		}
	}
}

// splitView returns the multi-valued columns of the block of value s of the split at
// level (splitCols), or nil when no multi-valued dimension follows the split's.
func (p *projector) splitView(level int, s sel) []multiCol {
	if len(p.splitCols) == 0 {
		return nil
	}
	v := p.views[level]
	for _, c := range p.splitCols {
		k := int(c.k)
		v[c.j] = multiCol{k: k, slots: c.dst[int(s.start)*k : int(s.start+s.count)*k], overOff: c.mc.overOff, over: c.mc.over}
	}
	return v
}

// The two-term path's multi-valued dimension (pairs.go): its column has one entry per value
// of a holder, rowOf naming each entry's local row, so that a pair with a single-valued
// dimension is counted over the entries, the other dimension's ranks read through rowOf.
// A holder's values being distinct, a value's count over the entries is its holders'.

// overflowSlot marks, in a slot column of tab16 (layout.slotCols), a row whose values go
// on in the slot table's overflow: the dimension's codes+1 stay below it (usePairs).
const overflowSlot = 1<<16 - 1

// slotColumns returns how many columns of tab16's rows hold the slots of the query's
// multi-valued dimension: its slot table's k for the two-term path with one multi-valued
// dimension, else 0.
func (l *layout) slotColumns(m *kernels.Matrix, q *kernels.Query) int {
	if len(q.Dims)-l.w != 1 || !usePairs(m, q, l) {
		return 0
	}
	return l.slots[l.lastMulti].k
}

// fill16 copies the slots of identities lo..hi-1 into columns col.. of rows of width
// stride of dst, overflowSlot for a slot naming an overflow entry.
func (st *slotTable) fill16(dst []uint16, stride, col, lo, hi int) {
	k := st.k
	for i := lo; i < hi; i++ {
		row := dst[i*stride+col : i*stride+col+k]
		for t, v := range st.slots[i*k : i*k+k] {
			switch {
			case v > 0:
				row[t] = uint16(v)
			case v < 0:
				row[t] = overflowSlot
			}
		}
	}
}

// gatherEntries sets the multi-valued dimension's column to the holders' values (code+1),
// holder by holder, and rowOf to each entry's local row: from the slot columns gather
// copied with the rows (layout.slotCols), or else from the slot table.
func (p *pairCounter[T]) gatherEntries() {
	st := p.lay.slots[p.mj]
	k := st.k
	// Room for every slot of every holder and every overflow value of the table: entries
	// are written in place, without appends.
	size := len(p.base)*k + len(st.over)
	rows := slices.Grow(p.rowOf[:0], size)[:size]
	xs := slices.Grow(p.xs[:0], size)[:size]
	n := 0
	if c := p.lay.slotCols; c > 0 {
		nb := len(p.base)
		cols := p.loc[p.lay.w*nb : (p.lay.w+c)*nb] // slot t of row r: cols[t*nb+r]
		for r := range nb {
			for t := 0; t < c; t++ {
				v := cols[t*nb+r]
				if v == 0 {
					break // a row's values come first, its unused slots (0) last
				}
				if v != overflowSlot {
					rows[n], xs[n] = int32(r), v
					n++
					continue
				}
				n = overflowEntries(st, st.slots[int(p.base[r])*k+k-1], int32(r), rows, xs, n)
				break
			}
		}
	} else {
		for r, i := range p.base {
			for _, v := range st.slots[int(i)*k : int(i)*k+k] {
				if v > 0 {
					rows[n], xs[n] = int32(r), T(v)
					n++
					continue
				}
				if v < 0 { // the last slot names an overflow entry
					n = overflowEntries(st, v, int32(r), rows, xs, n)
				}
				break // a row's values come first, its unused slots (0) last
			}
		}
	}
	p.rowOf, p.xs = rows[:n], xs[:n]
	p.col[p.mj] = p.xs
}

// overflowEntries writes the values of the overflow entry that slot v (< 0) names as
// entries n.. of local row r, and returns the next entry.
func overflowEntries[T uint16 | uint32](st *slotTable, v, r int32, rows []int32, xs []T, n int) int {
	e := -1 - v
	for _, x := range st.over[st.overOff[e]:st.overOff[e+1]] {
		rows[n], xs[n] = r, T(x)
		n++
	}
	return n
}

// dropUnranked removes the entries whose value was not selected (rank 0): no pair with
// them can be.
func (p *pairCounter[T]) dropUnranked() {
	xs, rows := p.col[p.mj], p.rowOf
	n := 0
	for e, x := range xs {
		if x > 0 {
			xs[n], rows[n] = x, rows[e]
			n++
		}
	}
	p.col[p.mj], p.rowOf = xs[:n], rows[:n]
}

// denseEntries is densePairs where a or b is the multi-valued dimension: its entries are
// counted, one each, the other dimension's rank read at the entry's local row (rowOf)
// inside the loop rather than first copied into a column of its own.
func (p *pairCounter[T]) denseEntries(a, b, shift int) {
	tab, xs := p.tab, p.col[p.mj]
	rows := p.rowOf[:len(xs)]
	if a == p.mj {
		cb := p.col[b]
		for e, x := range xs {
			tab[(int(x)<<shift|int(cb[rows[e]]))&(denseTerms-1)]++
		}
	} else {
		ca := p.col[a]
		for e, y := range xs {
			tab[(int(ca[rows[e]])<<shift|int(y))&(denseTerms-1)]++
		}
	}
	p.denseOut(a, b, shift)
}

// groupEntries sets mperm to the local rows of the multi-valued dimension's entries,
// grouped by the entry's rank (in entry order within a rank), and mat to where each rank's
// group starts, once per role.
func (p *pairCounter[T]) groupEntries() {
	if p.mgrouped {
		return
	}
	xs, nm := p.col[p.mj], len(p.sels[p.mj])
	at := slices.Grow(p.mat[:0], nm+2)[:nm+2]
	clear(at)
	for _, s := range xs {
		at[s+1]++
	}
	total := int32(0)
	for r := 1; r <= nm; r++ {
		size := at[r+1]
		at[r+1] = total
		total += size
	}
	perm := slices.Grow(p.mperm[:0], len(xs))[:len(xs)]
	rows := p.rowOf[:len(xs)]
	for e, s := range xs {
		perm[at[s+1]] = rows[e]
		at[s+1]++
	}
	p.mperm, p.mat, p.mgrouped = perm, at, true
}

// bucketEntries counts the pairs of dimension a (before the multi-valued one) and the
// multi-valued dimension where they are too many for a dense table: over the entries
// grouped by the multi-valued dimension's rank (groupEntries, shared by every such a), a's
// ranks at a group's rows are histogrammed. The pairs, found by the multi-valued
// dimension's rank first, are then placed by rank of a (a stable counting sort), so that
// they are appended (pairsOf) by rank of a then rank of the multi-valued dimension, as
// bucketPairs appends them. a's own grouping (perm, at) is left as it is.
func (p *pairCounter[T]) bucketEntries(a int) {
	p.groupEntries()
	m, ca, na, minTP := p.mj, p.col[a], len(p.sels[a]), p.q.MinTP
	h := p.hist[a][:na+1]
	found := p.mfound[:0] // A.Val: rank of a, B.Val: rank of m
	for rm := 1; rm <= len(p.sels[m]); rm++ {
		group := p.mperm[p.mat[rm]:p.mat[rm+1]]
		for _, r := range group {
			h[ca[r]]++
		}
		h[0] = 0
		if na+1 <= 4*len(group)+64 {
			for ra, v := range h[1:] {
				if v >= minTP {
					found = append(found, Pair{A: kernels.Term{Val: int32(ra + 1)}, B: kernels.Term{Val: int32(rm)}, TP: v})
				}
			}
			clear(h)
			continue
		}
		for _, r := range group {
			x := ca[r]
			if v := h[x]; v != 0 {
				if v >= minTP {
					found = append(found, Pair{A: kernels.Term{Val: int32(x)}, B: kernels.Term{Val: int32(rm)}, TP: v})
				}
				h[x] = 0
			}
		}
	}
	// h[ra] becomes where rank ra's pairs go (after those of the ranks before it).
	for _, f := range found {
		h[f.A.Val]++
	}
	next := int32(0)
	for ra, c := range h {
		h[ra] = next
		next += c
	}
	out := p.pairsOf(a, m)
	o := len(out)
	out = slices.Grow(out, len(found))[:o+len(found)]
	ta, tb := kernels.Term{Dim: p.dims[a]}, kernels.Term{Dim: p.dims[m]}
	for _, f := range found {
		ta.Val, tb.Val = p.sels[a][f.A.Val-1].val, p.sels[m][f.B.Val-1].val
		out[o+int(h[f.A.Val])] = Pair{A: ta, B: tb, TP: f.TP}
		h[f.A.Val]++
	}
	clear(h)
	p.setPairs(m, out)
	p.mfound = found
}

// Counting by pattern with a multi-valued dimension (patterns.go): the patterns are those of
// the single-valued dimensions, whose columns then hold a role's distinct patterns,
// weighted, while the multi-valued dimension's column keeps one entry per value of a
// holder (a holder's set of values rarely repeats: at the tier M universe a role's holders
// have 0.96 as many distinct (pattern, values) pairs as holders, against 0.5 as many
// patterns), rowOf naming the entry's pattern's local row. Pairs of two single-valued
// dimensions add weights; pairs with the multi-valued dimension count entries, one each.

// entryTable fills pt.ents: by identity, its pattern (the low 32 bits) and, above, its
// values of the query's multi-valued dimension in entBits bits each, as the slot
// table holds them (code+1, 0 after the last, all ones naming the slot table's overflow),
// so that a holder's pattern and values are one read of 8 bytes. It reports false, and
// fills nothing, where the slot table's k values do not fit 32 bits.
func (pt *patterns) entryTable(ctx context.Context, lay *layout, n, workers int) (bool, error) {
	st := lay.slots[lay.lastMulti]
	b := bits.Len(uint(st.top) + 1) // every code+1 below all ones
	if st.k*b > 32 {
		return false, nil
	}
	// dedupEntries reads the table at random, one entry per holder: huge pages spare
	// most of those reads a TLB miss (8 MB at tier L).
	pt.entBits, pt.ents = b, hugepage.Make[uint64](n)
	over := uint64(1)<<b - 1
	const chunk = 1 << 16
	return true, parallel.Each(ctx, (n+chunk-1)/chunk, workers, func(_, c int) error {
		for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
			e, shift := uint64(uint32(pt.of[i])), 32
			for _, v := range st.slots[i*st.k : i*st.k+st.k] {
				x := uint64(v)
				if v < 0 {
					x = over
				}
				e |= x << shift
				shift += b
			}
			pt.ents[i] = e
		}
		return nil
	})
}

// dedupEntries is dedup and gatherEntries over the holders' entries of the patterns'
// table (entryTable): it replaces the holders in base by their distinct patterns, sets wt
// to each one's number of holders, and sets the multi-valued dimension's column to the
// holders' values (code+1), holder by holder, rowOf naming each entry's pattern's local
// row. The patterns are listed in order of first appearance, or, for a large role where
// they are ordered (orderByWide), in pattern order, as dedupDirect lists them; it then
// sets ordered, and the role's pairs inside the projection are counted over its runs
// (subRuns). It goes in passes, each a loop of one kind: the entries are read
// (independent loads, many in flight), the values written out (no random load), and each
// pattern's holders counted without a branch on its first sight (rowOf naming patterns)
// as in dedup, the patterns' local rows set afterwards. One loop doing all three waits on
// each pattern's counter behind the values' unpredictable branches.
func (p *pairCounter[T]) dedupEntries() {
	pt, st := p.pat, p.lay.slots[p.mj]
	ents, b, cnt, base := pt.ents, pt.entBits, p.cnt, p.base
	mask := uint32(1)<<b - 1
	ids := slices.Grow(p.ids[:0], len(base))[:len(base)]
	vals := slices.Grow(p.vals[:0], len(base))[:len(base)]
	for k, i := range base {
		e := ents[i]
		ids[k], vals[k] = int32(uint32(e)), uint32(e>>32)
	}
	size := len(base)*st.k + len(st.over)
	rows := slices.Grow(p.rowOf[:0], size)[:size]
	xs := slices.Grow(p.xs[:0], size)[:size]
	n := 0
	for k, vs := range vals {
		x := ids[k]
		for ; vs != 0; vs >>= b {
			v := vs & mask
			if v == mask {
				n = overflowEntries(st, st.slots[int(base[k])*st.k+st.k-1], x, rows, xs, n)
				break
			}
			rows[n], xs[n] = x, T(v)
			n++
		}
	}
	d := 0
	for _, x := range ids { // base[d] is written at or behind the holder read
		c := cnt[x]
		cnt[x] = c + 1
		base[d] = x
		if c == 0 {
			d++
		}
	}
	wt := slices.Grow(p.wbuf[:0], d)[:d]
	if p.ordered = !p.firstSeen && pt.ordered && d*patternOrderShare >= len(cnt); p.ordered {
		// A large role's patterns in pattern order, by one pass over every counter.
		k := int32(0)
		for x, c := range cnt {
			if c != 0 {
				base[k], wt[k], cnt[x] = int32(x), c, k
				k++
			}
		}
	} else {
		for k, x := range base[:d] {
			wt[k], cnt[x] = cnt[x], int32(k)
		}
	}
	for e, x := range rows[:n] {
		rows[e] = cnt[x]
	}
	for _, x := range base[:d] {
		cnt[x] = 0
	}
	p.base, p.wt, p.wbuf, p.ids, p.vals = base[:d], wt, wt, ids, vals
	p.rowOf, p.xs = rows[:n], xs[:n]
	p.col[p.mj] = p.xs
}
