package discover

import "context"

// maxLowerCells bounds user classes x permission classes for the permission-lowering
// pass (it keeps a dense count per cell).
const maxLowerCells = 64 << 20

// lower reduces the links of an exact cover of rd without changing what any user gets,
// which lowers WSC (roles + user-role links + role-permission links):
//   - each user class keeps a minimal subset of the roles it may hold that still covers
//     its permissions (greedy by permissions covered, then redundant ones dropped);
//   - roles left without users are dropped;
//   - a permission is dropped from a role when each of the role's users gets it from
//     another of its roles.
//
// Links count original users and permissions (class sizes). Once ctx is done, the user
// classes not yet visited keep every role they may hold, which stays exact.
func (rd *reduced) lower(ctx context.Context, roles []biclique) []biclique {
	nu, np := len(rd.row), len(rd.col)
	pw := make([]int, np)
	for p, c := range rd.permClass {
		pw[p] = len(c)
	}
	// Roles each user class may hold.
	mayHold := make([][]int, nu)
	for k, r := range roles {
		r.users.forEach(func(u int32) { mayHold[u] = append(mayHold[u], k) })
	}
	newUsers := make([]bitset, len(roles))
	for k := range newUsers {
		newUsers[k] = newBitset(nu)
	}
	need, got := newBitset(np), newBitset(np)
	for u := range nu {
		sel := mayHold[u]
		if ctx.Err() == nil {
			sel = rd.minimalRoles(u, roles, mayHold[u], pw, need, got)
		}
		for _, k := range sel {
			newUsers[k].set(int32(u))
		}
	}
	var out []biclique
	for k := range roles {
		if !newUsers[k].empty() {
			out = append(out, biclique{users: newUsers[k], perms: roles[k].perms.clone()})
		}
	}
	if nu*np <= maxLowerCells {
		dropSharedPerms(out, nu, np)
	}
	return out
}

// minimalRoles chooses, among the roles user class u may hold, a subset that still covers
// its permissions: greedily by permission weight (pw) covered, then without the chosen
// roles the others make redundant, last chosen (smallest) first. need and got are scratch
// sets of the permissions' size.
func (rd *reduced) minimalRoles(u int, roles []biclique, mayHold []int, pw []int, need, got bitset) []int {
	need.copyFrom(rd.row[u])
	var sel []int
	for !need.empty() {
		best, bestW := -1, 0
		for _, k := range mayHold {
			w := 0
			roles[k].perms.forEach(func(p int32) {
				if need.has(p) {
					w += pw[p]
				}
			})
			if w > bestW {
				best, bestW = k, w
			}
		}
		if best < 0 {
			// Cannot happen for an exact cover; keep every role to stay exact.
			sel = mayHold
			break
		}
		sel = append(sel, best)
		need.andNotWith(roles[best].perms)
	}
	for i := len(sel) - 1; i >= 0 && len(sel) > 1; i-- {
		clear(got)
		for j, k := range sel {
			if j != i {
				orInto(got, roles[k].perms)
			}
		}
		if rd.row[u].subsetOf(got) {
			sel = append(sel[:i], sel[i+1:]...)
		}
	}
	return sel
}

// dropSharedPerms drops a permission from a role of out (nu user classes, np permission
// classes) when every user of the role gets it from another role as well, keeping at
// least one permission per role.
func dropSharedPerms(out []biclique, nu, np int) {
	cnt := make([]uint16, nu*np)
	for _, r := range out {
		r.users.forEach(func(u int32) {
			r.perms.forEach(func(p int32) { cnt[int(u)*np+int(p)]++ })
		})
	}
	for _, r := range out {
		r.perms.forEach(func(p int32) {
			if r.perms.count() == 1 {
				return
			}
			dup := true
			r.users.forEach(func(u int32) {
				if cnt[int(u)*np+int(p)] < 2 {
					dup = false
				}
			})
			if !dup {
				return
			}
			r.perms.clear(p)
			r.users.forEach(func(u int32) { cnt[int(u)*np+int(p)]-- })
		})
	}
}

// orInto sets dst = dst ∪ a.
func orInto(dst, a bitset) {
	for i := range dst {
		dst[i] |= a[i]
	}
}
