package discover

import "context"

// maxCliqueVertices bounds the conflict graphs searched for a maximum clique.
const maxCliqueVertices = 4096

// cliqueBound returns the size of the largest set of pairwise incompatible vertices of g
// (a clique of the conflict graph) found by branch and bound with a greedy colouring
// bound (Tomita and Seki's MCQ), stopping after nodeLimit search nodes. Any clique found
// is a valid lower bound on the colours needed; exact reports whether the search ended
// without hitting the limit (then the result is the maximum). start is a clique size
// already known, which prunes the search.
func cliqueBound(ctx context.Context, g *cgraph, start int, nodeLimit int) (best int, exact bool) {
	n := len(g.edges)
	if n == 0 {
		return 0, true
	}
	if n > maxCliqueVertices {
		return start, false
	}
	// conflict adjacency
	adj := make([]bitset, n)
	for v := range adj {
		adj[v] = newBitset(n)
		for w := range n {
			adj[v].set(int32(w))
		}
		adj[v].clear(int32(v))
		for _, w := range g.compat[v] {
			adj[v].clear(w)
		}
	}
	best = start
	nodes := 0
	stopped := false
	var expand func(cand bitset, size int)
	expand = func(cand bitset, size int) {
		nodes++
		if nodes > nodeLimit || (nodes&4095 == 0 && ctx.Err() != nil) {
			stopped = true
		}
		if stopped {
			return
		}
		// Greedy colouring of cand: colour classes are independent sets of the
		// conflict graph; a clique takes at most one vertex per class.
		order, bound := colorSort(adj, cand)
		for i := len(order) - 1; i >= 0; i-- {
			if size+bound[i] <= best || stopped {
				return
			}
			v := order[i]
			next := cand.clone()
			next.andWith(adj[v])
			if next.empty() {
				if size+1 > best {
					best = size + 1
				}
			} else {
				expand(next, size+1)
			}
			cand.clear(v)
		}
	}
	all := newBitset(n)
	for v := range n {
		all.set(int32(v))
	}
	expand(all, 0)
	return best, !stopped
}

// colorSort colours the vertices of cand greedily into independent sets of adj and
// returns them in colour order with, for each position, the number of colours used up to
// it (an upper bound on a clique among the vertices up to that position).
func colorSort(adj []bitset, cand bitset) ([]int32, []int) {
	rest := cand.clone()
	var order []int32
	var bound []int
	k := 0
	q := newBitset(len(adj))
	for !rest.empty() {
		k++
		q.copyFrom(rest)
		for !q.empty() {
			v := firstBit(q)
			q.clear(v)
			q.andNotWith(adj[v])
			rest.clear(v)
			order = append(order, v)
			bound = append(bound, k)
		}
	}
	return order, bound
}

func firstBit(b bitset) int32 {
	for i, w := range b {
		if w != 0 {
			return int32(i<<6) + int32(trailingZeros(w))
		}
	}
	return -1
}
