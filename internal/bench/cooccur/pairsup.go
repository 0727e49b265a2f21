package cooccur

import (
	"math/bits"
	"slices"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/parallel"
)

// pairSupports holds the support (identities matching) of every two-term criterion some
// identity matches, counted before the kernel runs so that each depth-2 row can be hashed
// as the kernel emits it. There is one table per pair of criteria dimensions d < e that
// some kernel call counts together.
type pairSupports struct {
	nd     int
	tables []*pairTable // index d*nd + e; nil for pairs no call counts
}

// pairTable holds the supports of the criteria on one pair of dimensions d < e, in one of
// three layouts. Dense: an array over (value on d, value on e), when it is small beside the
// identities. Packed: the value pairs that occur, each row of a value on d displaced into
// one array of cells (row displacement, packRows), when the rows pack tightly. Otherwise
// sparse: the value pairs that occur, by value on d (CSR), each as vb<<32 | support with
// the values vb on e ascending. A dense or packed table whose supports are all below 2^16
// keeps its cells in 16 bits (narrow): at tier L 26 of the 34 tables, which halves the
// cache lines the lookups miss.
type pairTable struct {
	stride int32   // values of e
	cells  []int32 // dense: cells[va*stride+vb]; packed: cells[base[va]+vb]; nil when sparse or narrow
	narrow []uint16
	base   []int32 // packed: row va's displacement; nil otherwise
	off    []int32 // sparse: the pairs of va are ent[off[va]:off[va+1]]
	ent    []uint64
}

// dense says whether a table of cells cells is kept dense: at most two cells per identity
// (4 bytes each), or 64Ki cells whatever the identities. Up to one cell per identity left
// tier L's manager x title and team x title (1.9M cells each, 4.6M of its 24.6M depth-2
// rows) sparse, where a row's lookup took about twice a dense one's.
func (c *computer) dense(cells int) bool {
	return cells <= max(2*c.m.N, 1<<16) && !c.o.sparse
}

// table returns the table of dimensions d < e (nil when no call counts the pair).
func (p *pairSupports) table(d, e int32) *pairTable { return p.tables[int(d)*p.nd+int(e)] }

// of appends to buf the support of every pair, pairs of t's two dimensions sorted by
// first value (a chunk of a role's rows). The supports are read in a pass of their own,
// before the rows are hashed, so that the table reads, which miss the cache, are not
// held up behind the hashing and overlap each other.
func (t *pairTable) of(pairs []cpu.Pair, buf []int32) []int32 {
	buf = slices.Grow(buf, len(pairs))[:len(pairs)]
	switch {
	case t.narrow != nil:
		readCells(t.narrow, t.base, t.stride, pairs, buf)
		return buf
	case t.cells != nil:
		readCells(t.cells, t.base, t.stride, pairs, buf)
		return buf
	}
	lastA := int32(-1)
	var ent []uint64 // the pairs of the first value
	j := 0           // where in ent the next row's pair is sought from
	for k := range pairs {
		if a := pairs[k].A.Val; a != lastA {
			lastA, ent, j = a, t.ent[t.off[a]:t.off[a+1]], 0
		}
		j = seek(ent, j, pairs[k].B.Val)
		buf[k] = int32(ent[j])
	}
	return buf
}

// readCells sets buf[k] to the support of pairs[k] in a dense table's cells (base nil)
// or a packed one's.
func readCells[T uint16 | int32](cells []T, base []int32, stride int32, pairs []cpu.Pair, buf []int32) {
	buf = buf[:len(pairs)]
	if base != nil {
		for k := range pairs {
			buf[k] = int32(cells[base[pairs[k].A.Val]+pairs[k].B.Val])
		}
		return
	}
	for k := range pairs {
		buf[k] = int32(cells[pairs[k].A.Val*stride+pairs[k].B.Val])
	}
}

// narrowCells keeps a dense or packed table's cells in 16 bits when every support fits
// (not with Options.wide).
func (c *computer) narrowCells(t *pairTable) {
	if t.cells == nil || c.o.wide || slices.Max(t.cells) >= 1<<16 {
		return
	}
	t.narrow = make([]uint16, len(t.cells))
	for k, v := range t.cells {
		t.narrow[k] = uint16(v)
	}
	t.cells = nil
}

// newPairSupports counts, for every pair of dimensions of a scope, how many identities
// have each pair of values. Every identity is counted (supports are over all of them).
func (c *computer) newPairSupports(scopes []scope) (*pairSupports, error) {
	nd := len(c.m.Codes)
	p := &pairSupports{nd: nd, tables: make([]*pairTable, nd*nd)}
	var pairs [][2]int32
	for _, sc := range scopes {
		for i, d := range sc.dims {
			for _, e := range sc.dims[i+1:] {
				if p.tables[int(d)*nd+int(e)] == nil {
					p.tables[int(d)*nd+int(e)] = &pairTable{stride: c.m.Cards[e]}
					pairs = append(pairs, [2]int32{d, e})
				}
			}
		}
	}
	// Each worker buckets its sparse tables' values in one buffer, grown to the largest
	// (up to one value per identity), rather than a fresh one per table.
	bufs := make([][]int32, c.o.Workers)
	err := parallel.Each(c.ctx, len(pairs), c.o.Workers, func(w, k int) error {
		d, e := pairs[k][0], pairs[k][1]
		t := p.table(d, e)
		bufs[w] = c.countPair(t, d, e, bufs[w])
		c.narrowCells(t)
		return nil
	})
	return p, err
}

// countPair fills t with the supports of the criteria on dimensions d and e. buf is
// scratch for a sparse table's bucketing; countPair returns it, grown as needed.
func (c *computer) countPair(t *pairTable, d, e int32, buf []int32) []int32 {
	m := c.m
	if !c.dense(int(m.Cards[d]) * int(m.Cards[e])) {
		return c.sparsePair(t, d, e, buf)
	}
	t.cells = make([]int32, int(m.Cards[d])*int(m.Cards[e]))
	if !isMulti(m, d) && !isMulti(m, e) {
		ce := m.Codes[e]
		for i, va := range m.Codes[d] {
			if vb := ce[i]; va >= 0 && vb >= 0 {
				t.cells[va*t.stride+vb]++
			}
		}
		return buf
	}
	c.eachPair(d, e, func(va, vb int32) { t.cells[va*t.stride+vb]++ })
	return buf
}

// sparsePair fills t's pairs: the identities' second values are bucketed by first value
// (a counting sort, in buf, which it returns grown as needed), then each bucket's
// distinct values are counted in a histogram.
func (c *computer) sparsePair(t *pairTable, d, e int32, buf []int32) []int32 {
	nd := c.m.Cards[d]
	off := make([]int32, nd+1)
	var vbs []int32
	if !isMulti(c.m, d) && !isMulti(c.m, e) { // the loops of eachPair, without a call per pair
		cd, ce := c.m.Codes[d], c.m.Codes[e]
		ce = ce[:len(cd)]
		for i, va := range cd {
			if va >= 0 && ce[i] >= 0 {
				off[va+1]++
			}
		}
		vbs = bucketValues(off, nd, buf)
		pos := slices.Clone(off[:nd])
		for i, va := range cd {
			if vb := ce[i]; va >= 0 && vb >= 0 {
				vbs[pos[va]] = vb
				pos[va]++
			}
		}
	} else {
		c.eachPair(d, e, func(va, _ int32) { off[va+1]++ })
		vbs = bucketValues(off, nd, buf)
		pos := slices.Clone(off[:nd])
		c.eachPair(d, e, func(va, vb int32) { vbs[pos[va]] = vb; pos[va]++ })
	}
	hist := make([]int32, c.m.Cards[e])
	t.off = make([]int32, nd+1)
	var seen []int32
	for va := range nd {
		seen = seen[:0]
		for _, vb := range vbs[off[va]:off[va+1]] {
			if hist[vb] == 0 {
				seen = append(seen, vb)
			}
			hist[vb]++
		}
		slices.Sort(seen)
		for _, vb := range seen {
			t.ent = append(t.ent, uint64(vb)<<32|uint64(hist[vb]))
			hist[vb] = 0
		}
		t.off[va+1] = int32(len(t.ent))
	}
	if !c.o.noPack {
		t.packRows()
	}
	return vbs
}

// packRows lays a sparse table's rows out packed when they fit tightly: row va's
// supports go to cells[base[va]+vb], at the first displacement where none of its values
// falls on a taken cell (0 tried first, so rows of disjoint values share one span; then
// upwards from the lowest free cell, 64 displacements a step), and a lookup reads one
// cell, with neither search nor branch (the kernel emits only pairs some identity has, so
// every pair read was placed). It leaves t sparse when the cells would pass twice the
// pairs plus 64Ki, or the search's steps 16 a pair plus 1Mi. Tier L's three sparse
// tables, 3.6M of its 24.6M depth-2 rows, pack into 1.0-1.6 cells a pair.
func (t *pairTable) packRows() {
	nd := int32(len(t.off) - 1)
	limit := 2*len(t.ent) + 1<<16
	p := packer{work: 16*len(t.ent) + 1<<20}
	base := make([]int32, nd)
	free := 0 // every cell below is taken
	for va := range nd {
		ent := t.ent[t.off[va]:t.off[va+1]]
		if len(ent) == 0 {
			continue
		}
		for p.taken(free) {
			free++
		}
		b, ok := 0, p.fits(ent, 0)
		for lo := free - int(ent[0]>>32); !ok; lo += 64 { // lo >= -(first value): no cell below 0
			if p.work < 0 {
				return
			}
			if m := p.free64(ent, lo); m != 0 {
				b, ok = lo+bits.TrailingZeros64(m), true
			}
		}
		if b+int(ent[len(ent)-1]>>32) >= limit {
			return
		}
		for _, x := range ent {
			p.take(b + int(x>>32))
		}
		base[va] = int32(b)
	}
	cells := make([]int32, p.end)
	for va := range nd {
		for _, x := range t.ent[t.off[va]:t.off[va+1]] {
			cells[int(base[va])+int(x>>32)] = int32(x)
		}
	}
	t.cells, t.base, t.off, t.ent = cells, base, nil, nil
}

// packer is packRows' state: the cells taken (a bitset), one past the last, and the
// search's work left.
type packer struct {
	used []uint64
	end  int
	work int
}

func (p *packer) taken(s int) bool { return s>>6 < len(p.used) && p.used[s>>6]>>(s&63)&1 != 0 }

func (p *packer) take(s int) {
	for s>>6 >= len(p.used) {
		p.used = append(p.used, 0)
	}
	p.used[s>>6] |= 1 << (s & 63)
	p.end = max(p.end, s+1)
}

// window returns the taken bits of cells s to s+63 (s >= 0), bit j for cell s+j.
func (p *packer) window(s int) uint64 {
	w, o := s>>6, uint(s&63)
	var lo, hi uint64
	if w < len(p.used) {
		lo = p.used[w] >> o
	}
	if o != 0 && w+1 < len(p.used) {
		hi = p.used[w+1] << (64 - o)
	}
	return lo | hi
}

// fits says whether every value of ent displaced by b falls on a free cell.
func (p *packer) fits(ent []uint64, b int) bool {
	for _, x := range ent {
		if p.taken(b + int(x>>32)) {
			return false
		}
	}
	return true
}

// free64 returns the displacements lo to lo+63 at which ent fits, bit j for lo+j,
// counting the windows it reads as work.
func (p *packer) free64(ent []uint64, lo int) uint64 {
	var t uint64
	for _, x := range ent {
		p.work--
		if t |= p.window(lo + int(x>>32)); t == ^uint64(0) {
			break
		}
	}
	return ^t
}

// bucketValues turns the counts off[va+1] into the starts off[va] of nd buckets and
// returns the buckets' storage: buf, grown as needed (every slot is written after).
func bucketValues(off []int32, nd int32, buf []int32) []int32 {
	for va := range nd {
		off[va+1] += off[va]
	}
	return slices.Grow(buf[:0], int(off[nd]))[:off[nd]]
}

// eachPair calls fn with every pair of values an identity has on dimensions d and e.
func (c *computer) eachPair(d, e int32, fn func(va, vb int32)) {
	m := c.m
	if !isMulti(m, d) && !isMulti(m, e) {
		ce := m.Codes[e]
		for i, va := range m.Codes[d] {
			if vb := ce[i]; va >= 0 && vb >= 0 {
				fn(va, vb)
			}
		}
		return
	}
	var xs, ys []int32
	for i := range int32(m.N) {
		xs, ys = valuesOf(m, d, i, xs[:0]), valuesOf(m, e, i, ys[:0])
		for _, va := range xs {
			for _, vb := range ys {
				fn(va, vb)
			}
		}
	}
}

func isMulti(m *kernels.Matrix, d int32) bool {
	return m.MultiOff != nil && m.MultiOff[d] != nil
}

// seek returns the index in ent, from j on, of the pair whose second value is vb (it
// is there: the kernel emits only criteria some identity matches). The rows of a first
// value come by ascending vb, so the next pair is usually near.
func seek(ent []uint64, j int, vb int32) int {
	for k := 0; k < 8 && j < len(ent); k, j = k+1, j+1 {
		if int32(ent[j]>>32) >= vb {
			return j
		}
	}
	lo, hi := j, len(ent)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if int32(ent[mid]>>32) < vb {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
