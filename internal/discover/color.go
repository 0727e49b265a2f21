package discover

import (
	"context"
	"math/rand/v2"
)

// A set of uncovered edges fits in one role exactly when its edges are pairwise
// compatible (then users(S) x perms(S) lies within E). Covering the uncovered edges
// with fewest roles is therefore colouring the conflict graph: one vertex per uncovered
// edge, joined when the two edges are incompatible. That graph is dense, so it is held
// by its complement, the lists of compatible edges.

// cgraph is the compatibility graph of a problem's uncovered edges.
type cgraph struct {
	edges  []edge
	compat [][]int32 // compat[v]: vertices compatible with v, ascending, v excluded
}

// maxColorEdges bounds the uncovered edges for which the colouring search runs; larger
// components keep the greedy cover.
const maxColorEdges = 60000

// maxCompatPairs bounds the compatible pairs held by a cgraph (memory).
const maxCompatPairs = 40_000_000

// newCGraph builds the compatibility graph of pr's uncovered edges, or returns nil when
// it would exceed the limits above or ctx is done first.
func (pr *prob) newCGraph(ctx context.Context) *cgraph {
	edges := pr.uncoveredEdges()
	if len(edges) > maxColorEdges {
		return nil
	}
	// index of each uncovered edge by (u, p).
	idx := make(map[edge]int32, len(edges))
	for k, e := range edges {
		idx[e] = int32(k)
	}
	g := &cgraph{edges: edges, compat: make([][]int32, len(edges))}
	total := 0
	tmp := newBitset(pr.np)
	holders := newBitset(pr.nu)
	for k, e := range edges {
		if expired(ctx, k) {
			return nil
		}
		// Compatible edges (u', p') with u' ∈ holders(p), p' ∈ row(u) ∩ uncR(u').
		var list []int32
		andInto(holders, pr.col[e.p], pr.aliveU)
		holders.forEach(func(u int32) {
			andInto(tmp, pr.row[e.u], pr.uncR[u])
			tmp.forEach(func(p int32) {
				if u == e.u && p == e.p {
					return
				}
				list = append(list, idx[edge{u, p}])
			})
		})
		// Edges sharing the user or the permission are compatible too; the loop above
		// already includes them (u' = u with p' ∈ row(u); p' = p with u' ∈ holders(p)).
		sortInt32(list)
		total += len(list)
		if total > maxCompatPairs {
			return nil
		}
		g.compat[k] = list
	}
	return g
}

// coloring is a k-colouring of a cgraph with the bookkeeping the searches need.
type coloring struct {
	g     *cgraph
	k     int
	color []int32
	size  []int32
	cc    []int32 // cc[v*k+c]: compatible vertices of v in class c
}

func newColoring(g *cgraph, k int) *coloring {
	n := len(g.edges)
	return &coloring{g: g, k: k, color: make([]int32, n), size: make([]int32, k), cc: make([]int32, n*k)}
}

// conflicts returns the number of vertices of class c that conflict with v (v excluded).
func (c *coloring) conflicts(v int, cl int32) int32 {
	n := c.size[cl] - c.cc[v*c.k+int(cl)]
	if c.color[v] == cl {
		n--
	}
	return n
}

// assign puts uncoloured vertex v in class cl.
func (c *coloring) assign(v int, cl int32) {
	c.color[v] = cl
	c.size[cl]++
	for _, w := range c.g.compat[v] {
		c.cc[int(w)*c.k+int(cl)]++
	}
}

// move moves v from its class to cl.
func (c *coloring) move(v int, cl int32) {
	old := c.color[v]
	c.size[old]--
	for _, w := range c.g.compat[v] {
		c.cc[int(w)*c.k+int(old)]--
		c.cc[int(w)*c.k+int(cl)]++
	}
	c.size[cl]++
	c.color[v] = cl
}

// dsatur colours g greedily (DSATUR: the vertex with the most classes it cannot join
// first, ties by fewest compatible vertices, then by rng), opening a class only when
// none fits. It returns the class of each vertex and the number of classes.
func dsatur(g *cgraph, rng *rand.Rand) ([]int32, int) {
	n := len(g.edges)
	if n == 0 {
		return nil, 0
	}
	// k grows as needed: keep cc as per-vertex slices of class counts.
	color := make([]int32, n)
	for v := range color {
		color[v] = -1
	}
	var size []int32
	cc := make([][]int32, n)
	sat := make([]int, n) // classes v cannot join
	tie := make([]uint64, n)
	for v := range tie {
		if rng != nil {
			tie[v] = rng.Uint64()
		}
	}
	isCompat := make([]bool, n)
	for step := 0; step < n; step++ {
		best := -1
		for v := 0; v < n; v++ {
			if color[v] >= 0 {
				continue
			}
			if best < 0 || sat[v] > sat[best] ||
				(sat[v] == sat[best] && (len(g.compat[v]) < len(g.compat[best]) ||
					(len(g.compat[v]) == len(g.compat[best]) && tie[v] < tie[best]))) {
				best = v
			}
		}
		v := best
		// Join the fitting class where v has the most compatible vertices (keeps
		// classes growing together), or open one.
		cl := int32(-1)
		for c := range size {
			if cc[v][c] == size[c] && (cl < 0 || size[c] > size[cl]) {
				cl = int32(c)
			}
		}
		if cl < 0 {
			cl = int32(len(size))
			size = append(size, 0)
			for w := range cc {
				cc[w] = append(cc[w], 0)
			}
		}
		for _, w := range g.compat[v] {
			isCompat[w] = true
		}
		for w := 0; w < n; w++ {
			if color[w] >= 0 || w == v {
				continue
			}
			fitted := cc[w][cl] == size[cl]
			if isCompat[w] {
				cc[w][cl]++
			} else if fitted {
				sat[w]++
			}
		}
		for _, w := range g.compat[v] {
			isCompat[w] = false
		}
		size[cl]++
		color[v] = cl
	}
	return color, len(size)
}

// tabucol looks for a k-colouring of g without conflicts, starting from start (classes
// 0..k, where class k is spread over the others), with tabu search (Hertz and de Werra's
// TabuCol). It gives up after maxIter moves or when ctx is done, returning nil.
func tabucol(ctx context.Context, g *cgraph, start []int32, k int, maxIter int, rng *rand.Rand) []int32 {
	n := len(g.edges)
	c := startColoring(g, start, k)
	f := 0
	for v := 0; v < n; v++ {
		f += int(c.conflicts(v, c.color[v]))
	}
	f /= 2
	tabu := make([]int, n*k)
	bestF := f
	var cand []int
	for it := 0; it < maxIter && f > 0; it++ {
		if it&1023 == 0 && ctx.Err() != nil {
			return nil
		}
		cand = cand[:0]
		for v := 0; v < n; v++ {
			if c.conflicts(v, c.color[v]) > 0 {
				cand = append(cand, v)
			}
		}
		bv, bc, bd := c.bestMove(cand, tabu, it, f, bestF, rng)
		old := c.color[bv]
		c.move(bv, bc)
		f += int(bd)
		tabu[bv*k+int(old)] = it + int(0.6*float64(len(cand))) + rng.IntN(10) + 1
		if f < bestF {
			bestF = f
		}
	}
	if f > 0 {
		return nil
	}
	return c.color
}

// startColoring colours g as start does (classes 0..k), moving each vertex of class k to
// the class where it conflicts least, relative to the class's size.
func startColoring(g *cgraph, start []int32, k int) *coloring {
	c := newColoring(g, k)
	for v := range c.color {
		c.color[v] = -1
	}
	var spill []int
	for v, cl := range start {
		if int(cl) < k {
			c.assign(v, cl)
		} else {
			spill = append(spill, v)
		}
	}
	for _, v := range spill {
		best := int32(0)
		for cl := int32(1); int(cl) < k; cl++ {
			if c.size[cl]-c.cc[v*k+int(cl)] < c.size[best]-c.cc[v*k+int(best)] {
				best = cl
			}
		}
		c.assign(v, best)
	}
	return c
}

// bestMove picks TabuCol's next move among the conflicting vertices cand at iteration it
// (f conflicts now, bestF the fewest seen): the move of a vertex to another class that
// removes the most conflicts, not tabu unless it would beat bestF, ties broken at random;
// a random move when every move is tabu. It returns the vertex, its new class and the
// change in conflicts.
func (c *coloring) bestMove(cand []int, tabu []int, it, f, bestF int, rng *rand.Rand) (bv int, bc, bd int32) {
	k := c.k
	bv, bc, bd, ties := -1, int32(-1), int32(1<<30), 0
	for _, v := range cand {
		cur := c.conflicts(v, c.color[v])
		for cl := int32(0); int(cl) < k; cl++ {
			if cl == c.color[v] {
				continue
			}
			d := c.conflicts(v, cl) - cur
			if tabu[v*k+int(cl)] > it && f+int(d) >= bestF {
				continue
			}
			switch {
			case d < bd:
				bv, bc, bd, ties = v, cl, d, 1
			case d == bd:
				ties++
				if rng.IntN(ties) == 0 {
					bv, bc = v, cl
				}
			}
		}
	}
	if bv < 0 {
		// Every move is tabu: take a random one.
		bv = cand[rng.IntN(len(cand))]
		bc = int32(rng.IntN(k - 1))
		if bc >= c.color[bv] {
			bc++
		}
		bd = c.conflicts(bv, bc) - c.conflicts(bv, c.color[bv])
	}
	return bv, bc, bd
}

// relabelSmallestLast renumbers the classes of color (0..k-1) so that the smallest class
// gets the label k-1.
func relabelSmallestLast(color []int32, k int) []int32 {
	size := make([]int, k)
	for _, c := range color {
		size[c]++
	}
	small := 0
	for c := range size {
		if size[c] < size[small] {
			small = c
		}
	}
	out := make([]int32, len(color))
	for v, c := range color {
		switch {
		case int(c) == small:
			out[v] = int32(k - 1)
		case int(c) == k-1:
			out[v] = int32(small)
		default:
			out[v] = c
		}
	}
	return out
}

// classesToBicliques turns a colouring into roles: each class S becomes
// users(S) x perms(S), extended to a maximal biclique of alive vertices.
func (pr *prob) classesToBicliques(g *cgraph, color []int32, k int) []biclique {
	out := make([]biclique, k)
	for c := range out {
		out[c] = biclique{users: newBitset(pr.nu), perms: newBitset(pr.np)}
	}
	for v, c := range color {
		out[c].users.set(g.edges[v].u)
		out[c].perms.set(g.edges[v].p)
	}
	var res []biclique
	for _, b := range out {
		if b.users.empty() {
			continue
		}
		// Extend: all alive perms held by every user, then all alive users holding them.
		perms := pr.aliveP.clone()
		b.users.forEach(func(u int32) { perms.andWith(pr.row[u]) })
		users := pr.aliveU.clone()
		perms.forEach(func(p int32) { users.andWith(pr.col[p]) })
		res = append(res, biclique{users: users, perms: perms})
	}
	return res
}
