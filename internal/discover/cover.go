package discover

import (
	"context"
	"math/rand/v2"
)

// candidate is a maximal biclique offered to the greedy cover, with its gain (uncovered
// edges it would cover) and a random tie-break key.
type candidate struct {
	b    biclique
	gain int
	key  uint64
}

// maxPairUsers bounds the alive users for which pairwise row intersections are offered
// as candidates (their number grows with the square).
const maxPairUsers = 600

// candidates returns the maximal bicliques the greedy cover chooses from: the closure of
// every alive permission and every alive user, and of the intersection of every pair of
// alive user rows that shares an uncovered edge, each with gain > 0. Duplicates are
// removed. It returns nil when ctx is done first (a pass costs a closure per alive vertex).
func (pr *prob) candidates(ctx context.Context, rng *rand.Rand) []candidate {
	var out []candidate
	seen := map[uint64][]int{}
	add := func(users, perms bitset) {
		g := pr.gain(users, perms)
		if g == 0 {
			return
		}
		h := hashBits(perms)
		for _, k := range seen[h] {
			if out[k].b.perms.equal(perms) {
				return
			}
		}
		seen[h] = append(seen[h], len(out))
		var key uint64
		if rng != nil {
			key = rng.Uint64()
		}
		out = append(out, candidate{b: biclique{users: users.clone(), perms: perms.clone()}, gain: g, key: key})
	}
	users := newBitset(pr.nu)
	perms := newBitset(pr.np)
	for i, p := range pr.aliveP.members() {
		if expired(ctx, i) {
			return nil
		}
		pr.permClosure(p, users, perms)
		add(users, perms)
	}
	alive := pr.aliveU.members()
	for i, u := range alive {
		if expired(ctx, i) {
			return nil
		}
		pr.userClosure(u, users, perms)
		add(users, perms)
	}
	if len(alive) <= maxPairUsers {
		for i, a := range alive {
			for _, b := range alive[i+1:] {
				andInto(perms, pr.row[a], pr.row[b])
				perms.andWith(pr.aliveP)
				// Worth it only when the pair shares an uncovered edge.
				if !perms.intersects(pr.uncR[a]) && !perms.intersects(pr.uncR[b]) {
					continue
				}
				users.copyFrom(pr.aliveU)
				perms.forEach(func(p int32) { users.andWith(pr.col[p]) })
				add(users, perms)
			}
		}
	}
	return out
}

func hashBits(b bitset) uint64 {
	h := uint64(14695981039346656037)
	for _, w := range b {
		h ^= w
		h *= 1099511628211
		h ^= h >> 29
	}
	return h
}

// greedy covers pr (a clone is worked on) by taking, again and again, the candidate with
// the largest gain (ties by rng's keys, or by candidate order when rng is nil), each time
// followed by the forced-biclique reduction. Redundant roles are removed at the end. It
// returns the roles chosen beyond those pr already has. When ctx is done first, the edges
// still uncovered get one role per permission (finishByPermission) and it reports true:
// the cover is exact, only larger.
func (pr *prob) greedy(ctx context.Context, rng *rand.Rand) ([]biclique, bool) {
	w := pr.clone()
	base := len(w.roles)
	_, cut := w.reduce(ctx)
	for w.left > 0 && !cut {
		cs := w.candidates(ctx, rng)
		if cs == nil {
			cut = true
			break
		}
		best := -1
		for k := range cs {
			if best < 0 || cs[k].gain > cs[best].gain || (cs[k].gain == cs[best].gain && cs[k].key < cs[best].key) {
				best = k
			}
		}
		w.take(cs[best].b.users, cs[best].b.perms)
		w.prune()
		_, cut = w.reduce(ctx)
	}
	if cut {
		w.finishByPermission()
	}
	return pr.removeRedundant(w.roles[base:]), cut
}

// finishByPermission covers every uncovered edge with one role per permission: its
// uncovered holders x {p}, which lies within E. It is the fallback once the budget is
// spent, in time linear in the matrix's words.
func (pr *prob) finishByPermission() {
	for p := range pr.uncC {
		if pr.uncC[p].empty() {
			continue
		}
		users := pr.uncC[p].clone()
		perms := newBitset(pr.np)
		perms.set(int32(p))
		users.forEach(func(u int32) { pr.uncR[u].clear(int32(p)) })
		pr.left -= users.count()
		clear(pr.uncC[p])
		pr.roles = append(pr.roles, biclique{users: users, perms: perms})
	}
	pr.prune()
}

// removeRedundant drops roles whose uncovered edges (those of pr) are all covered by the
// other roles, trying the roles that cover the fewest first. It keeps a dense count per
// (user, permission), so above maxLowerCells it returns roles unchanged (still a cover).
func (pr *prob) removeRedundant(roles []biclique) []biclique {
	if pr.nu*pr.np > maxLowerCells {
		return roles
	}
	cnt := make([][]int32, pr.nu) // cover count of uncovered edges
	for u := range cnt {
		cnt[u] = make([]int32, pr.np)
	}
	gain := make([]int, len(roles))
	for k, r := range roles {
		r.users.forEach(func(u int32) {
			r.perms.forEach(func(p int32) {
				if pr.uncR[u].has(p) {
					cnt[u][p]++
					gain[k]++
				}
			})
		})
	}
	order := make([]int, len(roles))
	for k := range order {
		order[k] = k
	}
	sortByKey(order, func(k int) int { return gain[k] })
	removed := make([]bool, len(roles))
	for _, k := range order {
		r := roles[k]
		redundant := true
		r.users.forEach(func(u int32) {
			if !redundant {
				return
			}
			r.perms.forEach(func(p int32) {
				if pr.uncR[u].has(p) && cnt[u][p] < 2 {
					redundant = false
				}
			})
		})
		if !redundant {
			continue
		}
		removed[k] = true
		r.users.forEach(func(u int32) {
			r.perms.forEach(func(p int32) {
				if pr.uncR[u].has(p) {
					cnt[u][p]--
				}
			})
		})
	}
	var out []biclique
	for k, r := range roles {
		if !removed[k] {
			out = append(out, r)
		}
	}
	return out
}
