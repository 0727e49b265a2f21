package discover

import (
	"container/heap"
	"context"
)

// ApproxOptions are the bounds of approximate mode.
type ApproxOptions struct {
	// MinMembers is the fewest users a role may have (at least 1).
	MinMembers int
	// Coverage is the share of assignments, in percent, the roles should cover; choosing
	// stops as soon as it is reached.
	Coverage float64
}

// Approximate chooses roles with at least MinMembers users each, every role a biclique
// of m (its users hold all of its permissions, so no role grants access nobody has),
// greedily by assignments newly covered, until Coverage percent of the assignments are
// covered or no admissible role adds any. Candidates are the maximal bicliques around
// every permission (its holders and what they all hold) and around every user (its
// permissions and every user holding them all). Assignments left uncovered are the
// exceptions. Users get only the roles that are entirely theirs.
func Approximate(ctx context.Context, m *Matrix, o ApproxOptions) ([]Role, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	o.MinMembers = max(o.MinMembers, 1)
	rd := reduceMatrix(m)
	pr := newProb(rd.row, rd.col)
	uw := make([]int, pr.nu)
	for c, us := range rd.userClass {
		uw[c] = len(us)
	}
	pw := make([]int, pr.np)
	for c, ps := range rd.permClass {
		pw[c] = len(ps)
	}
	total := m.Pairs()
	target := int64(float64(total) * o.Coverage / 100)
	members := func(users bitset) int {
		n := 0
		users.forEach(func(u int32) { n += uw[u] })
		return n
	}
	gain := func(b biclique) int64 {
		var g int64
		b.users.forEach(func(u int32) {
			w := 0
			pr.uncR[u].forEach(func(p int32) {
				if b.perms.has(p) {
					w += pw[p]
				}
			})
			g += int64(w * uw[u])
		})
		return g
	}
	var h candHeap
	seen := map[uint64][]int{}
	var all []biclique
	users := newBitset(pr.nu)
	perms := newBitset(pr.np)
	add := func() {
		if members(users) < o.MinMembers || perms.empty() {
			return
		}
		hs := hashBits(perms)
		for _, k := range seen[hs] {
			if all[k].perms.equal(perms) {
				return
			}
		}
		seen[hs] = append(seen[hs], len(all))
		b := biclique{users: users.clone(), perms: perms.clone()}
		all = append(all, b)
		heap.Push(&h, approxCand{idx: len(all) - 1, gain: gain(b)})
	}
	for p := int32(0); int(p) < pr.np; p++ {
		pr.permClosure(p, users, perms)
		add()
	}
	for u := int32(0); int(u) < pr.nu; u++ {
		if u&1023 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		pr.userClosure(u, users, perms)
		add()
	}
	var covered int64
	var chosen []biclique
	for covered < target && h.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		top := heap.Pop(&h).(approxCand)
		g := gain(all[top.idx])
		if g <= 0 {
			continue
		}
		if h.Len() > 0 && g < h[0].gain {
			// Stale: gains only shrink as edges get covered, so re-queue (lazy greedy).
			heap.Push(&h, approxCand{idx: top.idx, gain: g})
			continue
		}
		b := all[top.idx]
		pr.take(b.users, b.perms)
		covered += g
		chosen = append(chosen, b)
	}
	return rd.expand(chosen), nil
}

type approxCand struct {
	idx  int
	gain int64
}

// candHeap is a max-heap by gain, ties by candidate order.
type candHeap []approxCand

func (h candHeap) Len() int { return len(h) }
func (h candHeap) Less(i, j int) bool {
	if h[i].gain != h[j].gain {
		return h[i].gain > h[j].gain
	}
	return h[i].idx < h[j].idx
}
func (h candHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *candHeap) Push(x any)   { *h = append(*h, x.(approxCand)) }
func (h *candHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Covered returns how many assignments of m the roles cover (each counted once).
func Covered(m *Matrix, roles []Role) int {
	have := make(map[int64]struct{})
	for _, r := range roles {
		for _, u := range r.Users {
			for _, p := range r.Perms {
				have[int64(u)<<32|int64(p)] = struct{}{}
			}
		}
	}
	return len(have)
}
