package cpu

import "slices"

// The multi-valued path of the projector. Each multi-valued dimension has a local column
// of its own (mcol), gathered once per role, so that most local rows cost one read: code
// >= 0 is the row's only value, -1 no value, and a code <= -2 marks a row with several
// values, listed in the projector's per-role table (entry -2-code of mOff/mVal). Rows are
// visited in the same order as before and each row's values in the order values() returns
// them, so counts and buckets are unchanged.

// gatherMulti sets the local column of multi-valued dimension position j (dimension d)
// and its table of the local rows with several values.
func (p *projector) gatherMulti(j int, d int32) {
	m, base := p.m, p.base
	codes, off, extra := m.Codes[d], m.MultiOff[d], m.MultiCodes[d]
	col := slices.Grow(p.mcol[j][:0], len(base))[:len(base)]
	mOff := append(p.mOff[j][:0], 0)
	mVal := p.mVal[j][:0]
	for k, i := range base {
		lo, hi := off[i], off[i+1]
		if lo == hi {
			col[k] = codes[i]
			continue
		}
		col[k] = -1 - int32(len(mOff))
		if c := codes[i]; c >= 0 {
			mVal = append(mVal, c)
		}
		mVal = append(mVal, extra[lo:hi]...)
		mOff = append(mOff, int32(len(mVal)))
	}
	p.mcol[j], p.mOff[j], p.mVal[j] = col, mOff, mVal
}

// several returns the values of a local row whose code c is <= -2.
func (p *projector) several(j int, c int32) []int32 {
	e := -2 - c
	return p.mVal[j][p.mOff[j][e]:p.mOff[j][e+1]]
}

// histogramMulti is histogram for a multi-valued dimension position j.
func (p *projector) histogramMulti(j int, rows []int32, cnt, touched []int32) []int32 {
	col := p.mcol[j]
	for _, k := range p.rowsOrAll(rows) {
		c := col[k]
		if c >= 0 {
			if cnt[c] == 0 {
				touched = append(touched, c)
			}
			cnt[c]++
			continue
		}
		if c == -1 {
			continue
		}
		for _, v := range p.several(j, c) {
			if cnt[v] == 0 {
				touched = append(touched, v)
			}
			cnt[v]++
		}
	}
	return touched
}

// bucketMulti is bucket's loop for a multi-valued dimension position j: a row with
// several selected values goes into each of their buckets.
func (p *projector) bucketMulti(j int, all, cnt, buf []int32) {
	col := p.mcol[j]
	for _, k := range all {
		c := col[k]
		if c >= 0 {
			if cnt[c] >= 0 {
				buf[cnt[c]] = k
				cnt[c]++
			}
			continue
		}
		if c == -1 {
			continue
		}
		for _, v := range p.several(j, c) {
			if cnt[v] >= 0 {
				buf[cnt[v]] = k
				cnt[v]++
			}
		}
	}
}
