package discover

import "context"

// maxDominateBits bounds alive users squared plus alive permissions squared for dominate
// (its subset relations; 128 MiB).
const maxDominateBits = 1 << 30

// dominate marks as covered every uncovered edge (u2,p2) that is dominated by another
// uncovered edge (u,p): row(u) ⊆ row(u2) and col(p) ⊆ col(p2) over alive vertices. Every
// maximal biclique of alive vertices that contains (u,p) then contains (u2,p2), so a
// cover of the remaining edges by such bicliques (see classesToBicliques) covers it too.
// Edges are processed in order and an edge only counts as dominating while it is still
// uncovered, so chains and mutual domination stay sound. It does not prune: the alive
// vertices stay those the bicliques are built from. It returns the edges marked.
//
// It holds a subset relation per pair of alive users and per pair of alive permissions,
// so above maxDominateBits it marks nothing; and it stops when ctx is done, keeping the
// edges marked so far (each was dominated by an edge uncovered at the time, so the cover
// argument holds for any prefix). It reports whether it was skipped or stopped.
func (pr *prob) dominate(ctx context.Context) (int, bool) {
	aliveU := pr.aliveU.members()
	aliveP := pr.aliveP.members()
	if len(aliveU)*len(aliveU)+len(aliveP)*len(aliveP) > maxDominateBits {
		return 0, true
	}
	ra := make([]bitset, pr.nu) // alive rows
	ca := make([]bitset, pr.np) // alive cols
	for _, u := range aliveU {
		ra[u] = pr.row[u].clone()
		ra[u].andWith(pr.aliveP)
	}
	for _, p := range aliveP {
		ca[p] = pr.col[p].clone()
		ca[p].andWith(pr.aliveU)
	}
	// subU[u2]: alive users whose row is within u2's; subP likewise for columns.
	subU := make([]bitset, pr.nu)
	for i, u2 := range aliveU {
		if expired(ctx, i) {
			return 0, true
		}
		subU[u2] = newBitset(pr.nu)
		for _, u := range aliveU {
			if ra[u].subsetOf(ra[u2]) {
				subU[u2].set(u)
			}
		}
	}
	subP := make([]bitset, pr.np)
	for i, p2 := range aliveP {
		if expired(ctx, i) {
			return 0, true
		}
		subP[p2] = newBitset(pr.np)
		for _, p := range aliveP {
			if ca[p].subsetOf(ca[p2]) {
				subP[p2].set(p)
			}
		}
	}
	marked := 0
	for i, u2 := range aliveU {
		if expired(ctx, i) {
			return marked, true
		}
		pr.uncR[u2].forEach(func(p2 int32) {
			dominated := false
			subU[u2].forEach(func(u int32) {
				if dominated {
					return
				}
				if u == u2 {
					// (u2,p) with p ≠ p2 and col(p) ⊆ col(p2).
					if andCount(pr.uncR[u], subP[p2]) > 1 || (andCount(pr.uncR[u], subP[p2]) == 1 && !subP[p2].has(p2)) {
						dominated = true
					}
					return
				}
				if pr.uncR[u].intersects(subP[p2]) {
					dominated = true
				}
			})
			if dominated {
				pr.uncR[u2].clear(p2)
				pr.uncC[p2].clear(u2)
				pr.left--
				marked++
			}
		})
	}
	return marked, false
}
