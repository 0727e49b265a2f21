// Package effective computes effective privilege from direct holdings and role grants
// (docs/effective-privilege.md): the closure of what each identity holds directly over the
// role-grant graph (groups nested in groups, business roles containing entitlements), the
// chain ("via") each inherited holding comes through, direct grants that are redundant
// because a chain hands them out too, and the grant cycles the graph contains.
//
// Roles are the snapshot's role indices; since roles are sorted by id, comparing indices
// compares ids, and "lexically smallest" in this package means smallest by index.
//
// Nothing here loops without bound on cyclic input: cycles are found with an iterative
// Tarjan pass (linear in roles plus grants), and the closure is a breadth-first search per
// granting role that visits each role at most once.
package effective

import (
	"cmp"
	"slices"
)

// Edge says that holding role From effectively grants role To.
type Edge struct{ From, To int32 }

// Graph is the role-grant graph over roles 0..n-1, as sorted adjacency lists without
// duplicate edges.
type Graph struct {
	n   int
	off []int32 // out-edges of r are to[off[r]:off[r+1]], ascending
	to  []int32
}

// NewGraph builds the graph of n roles from edges (any order, duplicates allowed). Every
// edge must name roles in [0, n).
func NewGraph(n int, edges []Edge) *Graph {
	es := slices.Clone(edges)
	slices.SortFunc(es, func(a, b Edge) int {
		if c := cmp.Compare(a.From, b.From); c != 0 {
			return c
		}
		return cmp.Compare(a.To, b.To)
	})
	es = slices.Compact(es)
	g := &Graph{n: n, off: make([]int32, n+1), to: make([]int32, len(es))}
	for k, e := range es {
		g.off[e.From+1]++
		g.to[k] = e.To
	}
	for r := 0; r < n; r++ {
		g.off[r+1] += g.off[r]
	}
	return g
}

// NumRoles returns the number of roles of the graph.
func (g *Graph) NumRoles() int { return g.n }

// NumEdges returns the number of distinct grants.
func (g *Graph) NumEdges() int { return len(g.to) }

// Grants returns the roles r grants directly, ascending.
func (g *Graph) Grants(r int32) []int32 { return g.to[g.off[r]:g.off[r+1]] }

// Cycles returns the grant cycles: every strongly connected component of two or more
// roles, and every role that grants itself. Each cycle's roles are ascending; cycles are
// ordered by their smallest role. The search is Tarjan's algorithm with an explicit
// stack, so deep nesting cannot overflow the goroutine stack.
func (g *Graph) Cycles() [][]int32 {
	const unvisited = -1
	index := make([]int32, g.n)
	low := make([]int32, g.n)
	onStack := make([]bool, g.n)
	for r := range index {
		index[r] = unvisited
	}
	var stack []int32 // Tarjan's component stack
	type frame struct {
		role int32
		next int32 // position in the role's out-edges still to visit
	}
	var calls []frame
	var out [][]int32
	next := int32(0)
	for root := int32(0); root < int32(g.n); root++ {
		if index[root] != unvisited || g.off[root] == g.off[root+1] {
			continue
		}
		calls = append(calls, frame{root, g.off[root]})
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(calls) > 0 {
			f := &calls[len(calls)-1]
			v := f.role
			if f.next < g.off[v+1] {
				w := g.to[f.next]
				f.next++
				switch {
				case index[w] == unvisited:
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					calls = append(calls, frame{w, g.off[w]})
				case onStack[w]:
					low[v] = min(low[v], index[w])
				}
				continue
			}
			calls = calls[:len(calls)-1]
			if len(calls) > 0 {
				p := calls[len(calls)-1].role
				low[p] = min(low[p], low[v])
			}
			if low[v] != index[v] {
				continue
			}
			k := len(stack) - 1
			for stack[k] != v {
				k--
			}
			comp := slices.Clone(stack[k:])
			stack = stack[:k]
			for _, w := range comp {
				onStack[w] = false
			}
			if len(comp) > 1 || g.selfGrant(v) {
				slices.Sort(comp)
				out = append(out, comp)
			}
		}
	}
	slices.SortFunc(out, func(a, b []int32) int { return cmp.Compare(a[0], b[0]) })
	return out
}

// selfGrant reports whether r grants itself.
func (g *Graph) selfGrant(r int32) bool {
	_, found := slices.BinarySearch(g.Grants(r), r)
	return found
}
