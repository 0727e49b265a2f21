package cooccur

import (
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

// pairTable holds the supports of the criteria on one pair of dimensions d < e: a dense
// array over (value on d, value on e) when it is small beside the identities, otherwise
// the value pairs that occur, by value on d (CSR), each as vb<<32 | support with the
// values vb on e ascending.
type pairTable struct {
	stride int32   // values of e
	dense  []int32 // dense[va*stride+vb]; nil when sparse
	off    []int32 // sparse: the pairs of va are ent[off[va]:off[va+1]]
	ent    []uint64
}

// dense says whether a table of cells cells is kept dense: at most one cell per identity
// (4 bytes each), or 64Ki cells whatever the identities.
func (c *computer) dense(cells int) bool {
	return cells <= max(c.m.N, 1<<16) && !c.o.sparse
}

// table returns the table of dimensions d < e (nil when no call counts the pair).
func (p *pairSupports) table(d, e int32) *pairTable { return p.tables[int(d)*p.nd+int(e)] }

// of appends to buf the support of every pair, pairs of t's two dimensions sorted by
// first value (a chunk of a role's rows). The supports are read in a pass of their own,
// before the rows are hashed, so that the table reads, which miss the cache, are not
// held up behind the hashing and overlap each other.
func (t *pairTable) of(pairs []cpu.Pair, buf []int32) []int32 {
	buf = slices.Grow(buf, len(pairs))[:len(pairs)]
	if t.dense != nil {
		for k := range pairs {
			buf[k] = t.dense[pairs[k].A.Val*t.stride+pairs[k].B.Val]
		}
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
		bufs[w] = c.countPair(p.table(d, e), d, e, bufs[w])
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
	t.dense = make([]int32, int(m.Cards[d])*int(m.Cards[e]))
	if !isMulti(m, d) && !isMulti(m, e) {
		ce := m.Codes[e]
		for i, va := range m.Codes[d] {
			if vb := ce[i]; va >= 0 && vb >= 0 {
				t.dense[va*t.stride+vb]++
			}
		}
		return buf
	}
	c.eachPair(d, e, func(va, vb int32) { t.dense[va*t.stride+vb]++ })
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
	return vbs
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
