package effective

import (
	"context"
	"runtime"
	"slices"

	"github.com/rolemine/rolemine/internal/parallel"
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
// starts at (Via(Source[k], Role[k]) is the chain), and -1 for direct ones. Step[k] is,
// for an inherited pair, the index of its chain's last step in the closure
// (Closure.StepIndex(Source[k], Role[k]), found without a search), and -1 for direct ones.
type Pairs struct {
	Off    []int64
	Role   []int32
	Kind   []uint8
	Source []int32
	Step   []int32
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
	step    []int32 // index of that chain's last step in the closure
	touched []int32
	direct  []bool
}

func newExpander(c *Closure) *expander {
	nr := c.g.n
	return &expander{c: c, dist: make([]int32, nr), src: make([]int32, nr), step: make([]int32, nr), direct: make([]bool, nr)}
}

// expandBlock is the number of identities one worker expands at a time.
const expandBlock = 1 << 14

// Expand computes the effective pairs of n identities, where rolesOf(i) returns identity
// i's directly held roles ascending. For an inherited role the chosen source is the one
// with the shortest chain, ties going to the lexically smallest chain; since every chain
// from s starts with s, that is the smallest source among those at the shortest distance.
func Expand(ctx context.Context, c *Closure, n int, rolesOf func(i int) []int32) (*Pairs, error) {
	return ExpandWorkers(ctx, c, n, 1, rolesOf)
}

// ExpandWorkers is Expand on several goroutines (workers <= 0: GOMAXPROCS), each
// expanding blocks of consecutive identities; the blocks are then joined in identity
// order, so the result does not depend on workers. rolesOf must be safe for concurrent
// use.
func ExpandWorkers(ctx context.Context, c *Closure, n, workers int, rolesOf func(i int) []int32) (*Pairs, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return expandBlocks(ctx, c, n, workers, expandBlock, rolesOf)
}

// expandBlocks is ExpandWorkers with blocks of block identities.
func expandBlocks(ctx context.Context, c *Closure, n, workers, block int, rolesOf func(i int) []int32) (*Pairs, error) {
	nb := (n + block - 1) / block
	blocks := make([]*Pairs, nb)
	xs := make([]*expander, max(1, min(workers, nb)))
	err := parallel.Each(ctx, nb, len(xs), func(w, b int) error {
		if xs[w] == nil {
			xs[w] = newExpander(c)
		}
		lo, hi := b*block, min(n, (b+1)*block)
		bp := &Pairs{Off: make([]int64, hi-lo+1)}
		for i := lo; i < hi; i++ {
			xs[w].expand(rolesOf(i), bp)
			bp.Off[i-lo+1] = int64(len(bp.Role))
		}
		blocks[b] = bp
		return nil
	})
	if err != nil {
		return nil, err
	}
	return join(ctx, blocks, n, block, len(xs))
}

// join concatenates the blocks of consecutive identities into one Pairs, dropping each
// block once copied.
func join(ctx context.Context, blocks []*Pairs, n, block, workers int) (*Pairs, error) {
	at := make([]int64, len(blocks)+1)
	for b, bp := range blocks {
		at[b+1] = at[b] + int64(len(bp.Role))
	}
	total := at[len(blocks)]
	p := &Pairs{Off: make([]int64, n+1), Role: make([]int32, total), Kind: make([]uint8, total),
		Source: make([]int32, total), Step: make([]int32, total)}
	err := parallel.Each(ctx, len(blocks), workers, func(_, b int) error {
		bp, lo, first := blocks[b], at[b], b*block
		for k, o := range bp.Off[1:] {
			p.Off[first+k+1] = lo + o
		}
		copy(p.Role[lo:], bp.Role)
		copy(p.Kind[lo:], bp.Kind)
		copy(p.Source[lo:], bp.Source)
		copy(p.Step[lo:], bp.Step)
		blocks[b] = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// add appends one pair to p.
func (p *Pairs) add(r int32, kind uint8, source, step int32) {
	p.Role = append(p.Role, r)
	p.Kind = append(p.Kind, kind)
	p.Source = append(p.Source, source)
	p.Step = append(p.Step, step)
}

// expand appends the effective pairs of one identity holding direct (ascending) to p.
func (x *expander) expand(direct []int32, p *Pairs) {
	x.touched = x.touched[:0]
	for _, s := range direct {
		x.direct[s] = true
		first := int32(x.c.First(s))
		for j, st := range x.c.Reach(s) {
			d := x.dist[st.Role]
			if d == 0 {
				x.touched = append(x.touched, st.Role)
			}
			if d == 0 || st.Dist < d {
				x.dist[st.Role], x.src[st.Role], x.step[st.Role] = st.Dist, s, first+int32(j)
			}
		}
	}
	if len(x.touched) == 0 {
		for _, r := range direct {
			x.direct[r] = false
			p.add(r, Direct, -1, -1)
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
		switch {
		case x.direct[r] && x.dist[r] > 0:
			p.add(r, Redundant, -1, -1)
		case x.direct[r]:
			p.add(r, Direct, -1, -1)
		default:
			p.add(r, Inherited, x.src[r], x.step[r])
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
