package discover

import "context"

// prob is a biclique edge cover problem with "don't care" edges: every edge of E may be
// used by a role, but only the uncovered ones still need one. Users and permissions with
// no uncovered edge left are dead: no role needs them, so they are left out of every
// later role, which keeps forced bicliques appearing as the cover grows.
//
// Invariants: row and col describe the same edge set E; uncR and uncC describe the same
// uncovered subset of E; a vertex is alive exactly when it has an uncovered edge (after
// prune).
type prob struct {
	nu, np int
	row    []bitset // row[u]: permissions of u (E), over np
	col    []bitset // col[p]: users of p (E), over nu
	uncR   []bitset // uncR[u]: uncovered permissions of u
	uncC   []bitset // uncC[p]: uncovered users of p
	aliveU bitset
	aliveP bitset
	left   int // uncovered edges

	rowCnt []int // |row[u] ∩ aliveP|, valid for alive u after prune

	roles []biclique
}

// biclique is a role in problem indices: users x perms ⊆ E.
type biclique struct {
	users, perms bitset
}

func newProb(row, col []bitset) *prob {
	nu, np := len(row), len(col)
	pr := &prob{nu: nu, np: np, row: row, col: col}
	pr.uncR = make([]bitset, nu)
	pr.uncC = make([]bitset, np)
	for u := range row {
		pr.uncR[u] = row[u].clone()
		pr.left += row[u].count()
	}
	for p := range col {
		pr.uncC[p] = col[p].clone()
	}
	pr.aliveU = newBitset(nu)
	pr.aliveP = newBitset(np)
	pr.rowCnt = make([]int, nu)
	pr.prune()
	return pr
}

// clone returns a deep copy of the mutable state (row and col are shared).
func (pr *prob) clone() *prob {
	c := *pr
	c.uncR = make([]bitset, pr.nu)
	c.uncC = make([]bitset, pr.np)
	for u := range pr.uncR {
		c.uncR[u] = pr.uncR[u].clone()
	}
	for p := range pr.uncC {
		c.uncC[p] = pr.uncC[p].clone()
	}
	c.aliveU = pr.aliveU.clone()
	c.aliveP = pr.aliveP.clone()
	c.rowCnt = append([]int(nil), pr.rowCnt...)
	c.roles = append([]biclique(nil), pr.roles...)
	return &c
}

// prune recomputes which vertices are alive, and rowCnt.
func (pr *prob) prune() {
	for u := range pr.uncR {
		if pr.uncR[u].empty() {
			pr.aliveU.clear(int32(u))
		} else {
			pr.aliveU.set(int32(u))
		}
	}
	for p := range pr.uncC {
		if pr.uncC[p].empty() {
			pr.aliveP.clear(int32(p))
		} else {
			pr.aliveP.set(int32(p))
		}
	}
	pr.aliveU.forEach(func(u int32) { pr.rowCnt[u] = andCount(pr.row[u], pr.aliveP) })
}

// gain returns the number of uncovered edges in users x perms.
func (pr *prob) gain(users, perms bitset) int {
	n := 0
	users.forEach(func(u int32) { n += andCount(pr.uncR[u], perms) })
	return n
}

// take adds the role users x perms (which must lie within E) and covers its edges. It
// does not prune.
func (pr *prob) take(users, perms bitset) {
	users.forEach(func(u int32) {
		pr.left -= andCount(pr.uncR[u], perms)
		pr.uncR[u].andNotWith(perms)
	})
	perms.forEach(func(p int32) { pr.uncC[p].andNotWith(users) })
	pr.roles = append(pr.roles, biclique{users: users, perms: perms})
}

// permClosure returns the maximal biclique around permission p among alive vertices: its
// alive holders and the alive permissions they all hold.
func (pr *prob) permClosure(p int32, users, perms bitset) {
	andInto(users, pr.col[p], pr.aliveU)
	perms.copyFrom(pr.aliveP)
	users.forEach(func(u int32) { perms.andWith(pr.row[u]) })
}

// userClosure returns the maximal biclique around user u among alive vertices: its alive
// permissions and the alive users holding them all.
func (pr *prob) userClosure(u int32, users, perms bitset) {
	andInto(perms, pr.row[u], pr.aliveP)
	users.copyFrom(pr.aliveU)
	perms.forEach(func(p int32) { users.andWith(pr.col[p]) })
}

// reduce takes forced bicliques until none is left: for an uncovered edge (u,p) with
// row(u) equal to the intersection of the rows of p's holders (alive vertices only), the
// biclique holders(p) x row(u) is the only maximal biclique containing the edge, so some
// minimum cover contains it. It returns how many roles it added, and whether ctx ended it
// early (each pass costs a closure per alive permission, and passes repeat while roles
// are forced); the roles taken so far stay valid, and forced, either way.
func (pr *prob) reduce(ctx context.Context) (int, bool) {
	added := 0
	users := newBitset(pr.nu)
	perms := newBitset(pr.np)
	for {
		changed := false
		for p := int32(0); int(p) < pr.np; p++ {
			if !pr.aliveP.has(p) {
				continue
			}
			if expired(ctx, int(p)) {
				pr.prune()
				return added, true
			}
			pr.permClosure(p, users, perms)
			cnt := perms.count()
			forced := false
			pr.uncC[p].forEach(func(u int32) {
				if !forced && pr.rowCnt[u] == cnt {
					forced = true
				}
			})
			if !forced {
				continue
			}
			pr.take(users.clone(), perms.clone())
			added++
			changed = true
		}
		if !changed {
			return added, false
		}
		pr.prune()
	}
}
