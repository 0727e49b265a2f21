package cpu

import (
	"math/bits"
	"slices"
)

// The multi-valued path of the projector. A multi-valued dimension's values for a role
// are gathered into a local table of its own (multiCol), k slots per local row, so that
// counting a row reads one short run of slots: no per-row lookup in the identity-wide
// columns and no list of touched counters. A slot holds code+1, or 0 in the slots a row
// does not fill (counter 0 is a sink, never read). A row with more values than k holds
// its first k-1 in slots and, in the last, -1-e: the rest are entry e of the overflow
// table. Counts and buckets do not depend on the order of a row's values, so they are
// those of counting each row's values one by one.

// maxSlots bounds a role's slots per local row: the rare identity with many values of a
// dimension goes to the overflow table instead of widening every row.
const maxSlots = 4

// multiCol is one multi-valued dimension's local table for the current role.
type multiCol struct {
	k       int
	slots   []int32 // k per local row
	overOff []int32 // entry e: over[overOff[e]:overOff[e+1]]
	over    []int32 // code+1 per value
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

// gatherMulti fills the local table of multi-valued dimension position j (dimension d)
// for the local rows in p.base.
func (p *projector) gatherMulti(j int, d int32) {
	m, base, mc := p.m, p.base, &p.mc[j]
	codes, off, extra := m.Codes[d], m.MultiOff[d], m.MultiCodes[d]
	nvals := func(i int32) int {
		n := int(off[i+1] - off[i])
		if codes[i] >= 0 {
			n++
		}
		return n
	}
	k := 1
	for _, i := range base {
		k = max(k, nvals(i))
	}
	// A row with more than k values spills into the overflow table.
	k = min(k, maxSlots)
	mc.k = k
	mc.slots = slices.Grow(mc.slots[:0], len(base)*k)[:len(base)*k]
	clear(mc.slots)
	mc.overOff, mc.over = append(mc.overOff[:0], 0), mc.over[:0]
	for r, i := range base {
		row, c, ex := mc.slots[r*k:r*k+k], codes[i], extra[off[i]:off[i+1]]
		if len(ex) >= k && (c >= 0 || len(ex) > k) {
			mc.spill(row, c, ex)
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
}

// spill sets a row holding more values than its k slots (c, when >= 0, then ex): the
// first k-1 in slots, the rest in a new overflow entry named by the last slot.
func (mc *multiCol) spill(row []int32, c int32, ex []int32) {
	k, s := len(row), 0
	add := func(v int32) {
		if s < k-1 {
			row[s] = v + 1
		} else {
			mc.over = append(mc.over, v+1)
		}
		s++
	}
	if c >= 0 {
		add(c)
	}
	for _, x := range ex {
		add(x)
	}
	row[k-1] = -int32(len(mc.overOff))
	mc.overOff = append(mc.overOff, int32(len(mc.over)))
}

// histogramMulti counts, into cnt (indexed by code+1), the values of multi-valued
// dimension position j over rows (nil: every local row). Only a row's last slot can name
// an overflow entry.
func (p *projector) histogramMulti(j int, rows []int32, cnt []int32) {
	mc := &p.mc[j]
	k, slots := mc.k, mc.slots
	for _, r := range p.rowsOrAll(rows) {
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

// projectMulti counts multi-valued dimension position j over rows, selects its values
// counted at least q.MinTP times and, when deeper, buckets the rows by them; it leaves
// the dimension's counters zero.
func (p *projector) projectMulti(level, j int, rows []int32, deeper bool) []sel {
	cnt := p.counter(level, j)
	p.histogramMulti(j, rows, cnt)
	sels := p.selectMulti(level, j, rows, cnt)
	if deeper && len(sels) > 0 {
		p.bucketMulti(j, p.rowsOrAll(rows), cnt, sels, p.rowBuffer(level, sels))
	}
	return sels
}

// selectMulti returns the values counted at least q.MinTP times in cnt (indexed by
// code+1), ascending, with their counts and bucket starts, and clears cnt. A dictionary
// small against the rows is read in code order. Otherwise the rows' own values are marked
// in a bitset, read in code order where it is small against the rows, else listed and
// sorted.
func (p *projector) selectMulti(level, j int, rows []int32, cnt []int32) []sel {
	sels, minTP := p.sels[level][:0], p.q.MinTP
	n := len(rows)
	if rows == nil {
		n = len(p.base)
	}
	if len(cnt) <= 4*n+64 {
		for c, v := range cnt[1:] {
			if v >= minTP {
				sels = append(sels, sel{val: int32(c), count: v})
			}
		}
		clear(cnt)
		return p.keepSels(level, sels)
	}
	mc := &p.mc[j]
	each := func(fn func(x int32)) {
		for _, r := range p.rowsOrAll(rows) {
			row := mc.row(r)
			for _, v := range row[:len(row)-1] {
				fn(v)
			}
			if v := row[len(row)-1]; v >= 0 {
				fn(v)
				continue
			}
			for _, x := range mc.overflow(row[len(row)-1]) {
				fn(x)
			}
		}
	}
	if words := (len(cnt) + 63) / 64; words <= 4*n+64 {
		mark := slices.Grow(p.mark[:0], words)[:words] // all zero between uses
		k := mc.k
		for _, r := range p.rowsOrAll(rows) {
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
	each(func(x int32) {
		if v := cnt[x]; v != 0 {
			if v >= minTP {
				sels = append(sels, sel{val: x - 1, count: v})
			}
			cnt[x] = 0
		}
	})
	cnt[0] = 0
	if len(sels) > 1 {
		slices.SortFunc(sels, func(a, b sel) int { return int(a.val) - int(b.val) })
	}
	return p.keepSels(level, sels)
}

// bucketMulti groups rows by the selected values of multi-valued dimension position j
// into buf, using the dimension's (all zero) counters as write positions: a row with
// several selected values goes into each of their buckets.
func (p *projector) bucketMulti(j int, rows []int32, cnt []int32, sels []sel, buf []int32) {
	for _, s := range sels {
		cnt[s.val+1] = s.start + 1
	}
	put := func(x, r int32) {
		if w := cnt[x]; w > 0 {
			buf[w-1] = r
			cnt[x] = w + 1
		}
	}
	mc := &p.mc[j]
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
