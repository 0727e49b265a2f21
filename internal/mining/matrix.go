package mining

import (
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
)

// MatrixOf exposes a snapshot's columns to a counting backend without copying.
func MatrixOf(snap *columnar.Snapshot) *kernels.Matrix {
	m := &kernels.Matrix{
		N:          snap.NumIdentities(),
		Codes:      make([][]int32, len(snap.Dims)),
		Cards:      make([]int32, len(snap.Dims)),
		MultiOff:   make([][]int32, len(snap.Dims)),
		MultiCodes: make([][]int32, len(snap.Dims)),
		RoleOff:    snap.RoleOff,
		RoleIdx:    snap.RoleIdx,
	}
	for d := range snap.Dims {
		m.Codes[d] = snap.Dims[d].Codes
		m.Cards[d] = int32(len(snap.Dims[d].Values))
		m.MultiOff[d] = snap.Dims[d].MultiOff
		m.MultiCodes[d] = snap.Dims[d].MultiCodes
	}
	return m
}

// index is, per dimension, the identities holding each value (CSR, ascending), restricted
// to a scope. Dimensions not requested are left empty.
type index struct {
	off [][]int32
	idx [][]int32
}

// buildIndex indexes the requested dimensions over the identities in scope (nil: all).
func buildIndex(snap *columnar.Snapshot, scope []uint64, dims []int32) *index {
	ix := &index{off: make([][]int32, len(snap.Dims)), idx: make([][]int32, len(snap.Dims))}
	n := snap.NumIdentities()
	for _, d := range dims {
		dim := &snap.Dims[d]
		card := len(dim.Values)
		off := make([]int32, card+1)
		each := func(fn func(i int, c int32)) {
			for i := 0; i < n; i++ {
				if scope != nil && scope[i>>6]&(1<<(uint(i)&63)) == 0 {
					continue
				}
				if c := dim.Codes[i]; c >= 0 {
					fn(i, c)
				}
				if dim.MultiOff != nil {
					for _, c := range dim.MultiCodes[dim.MultiOff[i]:dim.MultiOff[i+1]] {
						fn(i, c)
					}
				}
			}
		}
		each(func(_ int, c int32) { off[c+1]++ })
		for v := 0; v < card; v++ {
			off[v+1] += off[v]
		}
		idx := make([]int32, off[card])
		pos := slices.Clone(off[:card])
		each(func(i int, c int32) { idx[pos[c]] = int32(i); pos[c]++ })
		ix.off[d], ix.idx[d] = off, idx
	}
	return ix
}

// posting returns the indexed identities holding term t.
func (ix *index) posting(t kernels.Term) []int32 {
	off := ix.off[t.Dim]
	return ix.idx[t.Dim][off[t.Val]:off[t.Val+1]]
}

// rarest returns the term of c with the shortest posting list.
func (ix *index) rarest(c *kernels.Criterion) kernels.Term {
	best := c.T[0]
	for _, t := range c.T[1:c.N] {
		if len(ix.posting(t)) < len(ix.posting(best)) {
			best = t
		}
	}
	return best
}

// matchesCriterion reports whether identity i has every term of c.
func matchesCriterion(snap *columnar.Snapshot, c *kernels.Criterion, i int) bool {
	for _, t := range c.Terms() {
		if !snap.Dims[t.Dim].Has(i, t.Val) {
			return false
		}
	}
	return true
}

// CriterionString renders c as "attribute=value&attribute=value".
func CriterionString(snap *columnar.Snapshot, c kernels.Criterion) string {
	var b strings.Builder
	for k, t := range c.Terms() {
		if k > 0 {
			b.WriteByte('&')
		}
		d := &snap.Dims[t.Dim]
		b.WriteString(d.Name)
		b.WriteByte('=')
		b.WriteString(d.Values[t.Val])
	}
	return b.String()
}
