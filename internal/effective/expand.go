package effective

import (
	"context"
	"slices"
)

// Pair kinds.
const (
	// Direct: the identity is granted the role itself (on an identity or an account).
	Direct uint8 = iota
	// Redundant: granted directly, and also reachable from another role the identity holds
	// directly. In a cycle of directly held roles every one of them is redundant: removing
	// them one at a time is safe, removing all of them is not.
	Redundant
	// Inherited: held only through a chain of grants from a directly held role.
	Inherited
)

// Pairs are the effective (identity, role) pairs of every identity, as CSR by identity with
// roles ascending. Source[k] is, for an inherited pair, the directly held role its chain
// starts at (Via(Source[k], Role[k]) is the chain), and -1 for direct ones.
type Pairs struct {
	Off    []int64
	Role   []int32
	Kind   []uint8
	Source []int32
}

// Of returns the range of identity i's pairs.
func (p *Pairs) Of(i int) (lo, hi int64) { return p.Off[i], p.Off[i+1] }

// NumInherited counts the inherited pairs.
func (p *Pairs) NumInherited() int64 {
	var n int64
	for _, k := range p.Kind {
		if k == Inherited {
			n++
		}
	}
	return n
}

// expander is the scratch of one identity's expansion. Invariant between identities:
// dist is 0 for every role.
type expander struct {
	c       *Closure
	dist    []int32 // shortest chain length found so far for a role, 0: not reached
	src     []int32 // source role of that chain
	touched []int32
	direct  []bool
}

// Expand computes the effective pairs of n identities, where rolesOf(i) returns identity
// i's directly held roles ascending. For an inherited role the chosen source is the one
// with the shortest chain, ties going to the lexically smallest chain; since every chain
// from s starts with s, that is the smallest source among those at the shortest distance.
func Expand(ctx context.Context, c *Closure, n int, rolesOf func(i int) []int32) (*Pairs, error) {
	nr := c.g.n
	x := &expander{c: c, dist: make([]int32, nr), src: make([]int32, nr), direct: make([]bool, nr)}
	p := &Pairs{Off: make([]int64, n+1)}
	for i := 0; i < n; i++ {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		x.expand(rolesOf(i), p)
		p.Off[i+1] = int64(len(p.Role))
	}
	return p, nil
}

// expand appends the effective pairs of one identity holding direct (ascending) to p.
func (x *expander) expand(direct []int32, p *Pairs) {
	x.touched = x.touched[:0]
	for _, s := range direct {
		x.direct[s] = true
		for _, st := range x.c.Reach(s) {
			d := x.dist[st.Role]
			if d == 0 {
				x.touched = append(x.touched, st.Role)
			}
			if d == 0 || st.Dist < d {
				x.dist[st.Role], x.src[st.Role] = st.Dist, s
			}
		}
	}
	if len(x.touched) == 0 {
		for _, r := range direct {
			x.direct[r] = false
			p.Role = append(p.Role, r)
			p.Kind = append(p.Kind, Direct)
			p.Source = append(p.Source, -1)
		}
		return
	}
	slices.Sort(x.touched)
	// Merge the direct roles and the reached ones, both ascending.
	a, b := 0, 0
	for a < len(direct) || b < len(x.touched) {
		var r int32
		switch {
		case b == len(x.touched) || (a < len(direct) && direct[a] < x.touched[b]):
			r = direct[a]
			a++
		case a == len(direct) || x.touched[b] < direct[a]:
			r = x.touched[b]
			b++
		default: // the same role: direct and reached
			r = direct[a]
			a++
			b++
		}
		p.Role = append(p.Role, r)
		switch {
		case x.direct[r] && x.dist[r] > 0:
			p.Kind = append(p.Kind, Redundant)
			p.Source = append(p.Source, -1)
		case x.direct[r]:
			p.Kind = append(p.Kind, Direct)
			p.Source = append(p.Source, -1)
		default:
			p.Kind = append(p.Kind, Inherited)
			p.Source = append(p.Source, x.src[r])
		}
	}
	for _, r := range direct {
		x.direct[r] = false
	}
	for _, r := range x.touched {
		x.dist[r] = 0
	}
}

// InheritedByRole returns, as CSR by role (identities ascending), the identities holding
// each of nr roles only through grants.
func (p *Pairs) InheritedByRole(nr int) (off []int64, idx []int32) {
	off = make([]int64, nr+1)
	for k, kind := range p.Kind {
		if kind == Inherited {
			off[p.Role[k]+1]++
		}
	}
	for r := 0; r < nr; r++ {
		off[r+1] += off[r]
	}
	idx = make([]int32, off[nr])
	fill := make([]int64, nr)
	copy(fill, off[:nr])
	n := len(p.Off) - 1
	for i := 0; i < n; i++ {
		for k := p.Off[i]; k < p.Off[i+1]; k++ {
			if p.Kind[k] == Inherited {
				r := p.Role[k]
				idx[fill[r]] = int32(i)
				fill[r]++
			}
		}
	}
	return off, idx
}
