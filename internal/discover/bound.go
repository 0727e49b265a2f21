package discover

import (
	"context"
	"math/rand/v2"
	"slices"
)

// edge is one (user, permission) pair of a problem.
type edge struct{ u, p int32 }

// uncoveredEdges lists the uncovered edges of pr, by user then permission.
func (pr *prob) uncoveredEdges() []edge {
	var out []edge
	for u := range pr.uncR {
		pr.uncR[u].forEach(func(p int32) { out = append(out, edge{int32(u), p}) })
	}
	return out
}

// compatible reports whether one biclique (of alive vertices within E) can hold both
// edges: they share a vertex, or both cross pairs are edges.
func (pr *prob) compatible(a, b edge) bool {
	if a.u == b.u || a.p == b.p {
		return true
	}
	return pr.row[a.u].has(b.p) && pr.row[b.u].has(a.p)
}

// lowerBound returns the size of a set of pairwise incompatible uncovered edges of pr,
// found greedily: each needs its own role, so a cover needs at least that many. Edges
// with the fewest compatible uncovered edges are tried first; tries-1 further passes
// break ties at random, and the largest set wins. Its cost grows with the edges times
// their neighbourhoods, so it stops when ctx is done, returning the largest set found so
// far (any set of pairwise incompatible edges is a valid bound) and true.
func (pr *prob) lowerBound(ctx context.Context, tries int, rng *rand.Rand) (int, bool) {
	edges := pr.uncoveredEdges()
	if len(edges) == 0 {
		return 0, false
	}
	// deg: compatible uncovered edges of each edge (an estimate from E when large).
	deg := make([]int, len(edges))
	tmp := newBitset(pr.np)
	for k, e := range edges {
		if expired(ctx, k) {
			return 0, true
		}
		n := 0
		pr.col[e.p].forEach(func(u int32) {
			andInto(tmp, pr.row[u], pr.row[e.u])
			n += andCount(tmp, pr.uncR[u])
		})
		deg[k] = n
	}
	order := make([]int, len(edges))
	best := 0
	var chosen []edge
	for t := 0; t < max(tries, 1); t++ {
		key := make([]float64, len(edges))
		for k := range order {
			order[k] = k
			key[k] = float64(deg[k])
			if t > 0 {
				if rng != nil {
					key[k] *= 1 + 0.3*rng.Float64()
				}
			}
		}
		slices.SortStableFunc(order, func(a, b int) int {
			switch {
			case key[a] < key[b]:
				return -1
			case key[a] > key[b]:
				return 1
			}
			return 0
		})
		chosen = chosen[:0]
		for i, k := range order {
			if expired(ctx, i) {
				return max(best, len(chosen)), true
			}
			e := edges[k]
			ok := true
			for _, c := range chosen {
				if pr.compatible(e, c) {
					ok = false
					break
				}
			}
			if ok {
				chosen = append(chosen, e)
			}
		}
		best = max(best, len(chosen))
	}
	return best, false
}
