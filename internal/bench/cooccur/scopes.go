package cooccur

import (
	"slices"

	"github.com/rolemine/rolemine/internal/kernels"
)

// scope is one kernel call of the depth-2 count: the dimensions criteria use and the
// identities counted (a bitset; nil: every identity).
type scope struct {
	dims []int32
	in   []uint64
}

// pairScopes splits the depth-2 count into kernel calls over groups of identities that
// share no two-term criterion, so that no call counts a dimension its identities never
// have a value on (humans' rows spend nothing on the dimensions of service accounts).
//
// A dimension every identity has a value on (kind) is universal; the others are linked
// when an identity has values on both, and each connected group of them is one call, over
// the identities with values there, with the universal dimension. Two identities of
// different calls have no two dimensions valued in common, so every two-term criterion is
// matched within one call and the calls' rows are the table's rows, each once. With more
// than one universal dimension, or a single group, it is one call over everything.
func (c *computer) pairScopes() []scope {
	all := []scope{{dims: c.dims}}
	if len(c.dims) > 64 {
		return all
	}
	masks := c.valuedMasks()
	universal := ^uint64(0) >> (64 - len(c.dims))
	seen := map[uint64]bool{}
	last := ^uint64(0) // identities next to each other often share a mask: one map write a run
	for _, m := range masks {
		universal &= m
		if m != last {
			seen[m], last = true, m
		}
	}
	if universal&(universal-1) != 0 { // two universal dimensions: pairs of them span groups
		return all
	}
	var groups []uint64 // disjoint sets of linked non-universal dimensions
	for m := range seen {
		m &^= universal
		merged := m
		groups = slices.DeleteFunc(groups, func(g uint64) bool {
			if g&m != 0 {
				merged |= g
				return true
			}
			return false
		})
		if merged != 0 {
			groups = append(groups, merged)
		}
	}
	if len(groups) < 2 {
		return all
	}
	slices.Sort(groups) // the calls in a fixed order (the table does not depend on it)
	scopes := make([]scope, len(groups))
	for g, bits := range groups {
		for k, d := range c.dims {
			if (bits|universal)&(1<<k) != 0 {
				scopes[g].dims = append(scopes[g].dims, d)
			}
		}
		scopes[g].in = make([]uint64, (c.m.N+63)/64)
	}
	for i, m := range masks {
		g := 0 // identities with only the universal dimension: any call
		if rest := m &^ universal; rest != 0 {
			g = slices.IndexFunc(groups, func(x uint64) bool { return x&rest != 0 })
		}
		scopes[g].in[i>>6] |= 1 << (i & 63)
	}
	return scopes
}

// valuedMasks returns, per identity, the set of criteria dimensions it has a value on
// (bit k for c.dims[k]), each identity's mask made at once from its codes, without a
// branch (a code is negative for no value).
func (c *computer) valuedMasks() []uint64 {
	masks := make([]uint64, c.m.N)
	cols := make([][]int32, len(c.dims))
	for k, d := range c.dims {
		cols[k] = c.m.Codes[d][:c.m.N]
	}
	for i := range masks {
		var m uint64
		for k, col := range cols {
			m |= (uint64(1) << k) &^ uint64(int64(col[i])>>63)
		}
		masks[i] = m
	}
	for k, d := range c.dims {
		if isMulti(c.m, d) {
			off := c.m.MultiOff[d]
			for i := range masks {
				if off[i+1] > off[i] {
					masks[i] |= 1 << k
				}
			}
		}
	}
	return masks
}

// valuesOf appends identity i's value codes on dimension d to buf.
func valuesOf(m *kernels.Matrix, d, i int32, buf []int32) []int32 {
	if v := m.Codes[d][i]; v >= 0 {
		buf = append(buf, v)
	}
	if m.MultiOff != nil && m.MultiOff[d] != nil {
		buf = append(buf, m.MultiCodes[d][m.MultiOff[d][i]:m.MultiOff[d][i+1]]...)
	}
	return buf
}
