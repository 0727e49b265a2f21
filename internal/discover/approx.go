package discover

import (
	"context"
	"slices"
)

// ApproxOptions are the bounds of approximate mode.
type ApproxOptions struct {
	// MinMembers is the fewest users a role may have (at least 1).
	MinMembers int
	// Coverage is the share of assignments, in percent, the roles should cover; choosing
	// stops as soon as it is reached.
	Coverage float64
}

// Tolerances of approximate mode (see Approximate).
const (
	// clusterJaccard is the least Jaccard similarity between the holder sets of two
	// entitlements for them to share a role.
	clusterJaccard = 0.8
	// memberShare is the least share of a role's entitlements a user must hold to be a
	// member.
	memberShare = 0.8
	// seedHolders is how many holders of a seed entitlement are sampled to find the
	// entitlements sharing its holders.
	seedHolders = 4
)

// Approximate proposes roles that tolerate the noise of real access data. Exact bicliques
// fragment as soon as one member misses one entitlement, so approximate mode clusters
// entitlements instead: entitlements are taken by decreasing number of holders, and each
// one not yet clustered seeds a role with every unclustered entitlement whose holder set
// has Jaccard similarity >= clusterJaccard with the seed's (candidates: the entitlements of
// a few of the seed's holders). A role's members are the users holding at least
// memberShare of its entitlements; it covers the assignments its members actually hold.
// Roles with fewer than MinMembers members are dropped. Every candidate role is returned;
// TakeCoverage then keeps the largest until Coverage percent of the assignments are
// covered (Refine may split roles first). Roles are disjoint in entitlements, and a role
// never claims an assignment that does not exist: what it would grant beyond the data is
// not counted as covered. The result is deterministic.
func Approximate(ctx context.Context, m *Matrix, o ApproxOptions) ([]Role, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	o.MinMembers = max(o.MinMembers, 1)
	np := len(m.Perms)
	holders := make([][]int32, np)
	for u, r := range m.Rows {
		for _, p := range r {
			holders[p] = append(holders[p], int32(u))
		}
	}
	order := make([]int32, np)
	for p := range order {
		order[p] = int32(p)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return len(holders[b]) - len(holders[a]) })

	roles := []Role{} // empty, not nil, when no role forms
	clustered := make([]bool, np)
	count := make([]int32, len(m.Users)) // scratch: entitlements of the cluster held, per user
	for k, seed := range order {
		if k&255 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if clustered[seed] || len(holders[seed]) < o.MinMembers {
			continue
		}
		cluster := seedCluster(m, holders, clustered, seed)
		members := clusterMembers(holders, cluster, count)
		if len(members) < o.MinMembers {
			continue
		}
		slices.Sort(members)
		roles = append(roles, Role{Users: members, Perms: cluster})
	}
	return roles, nil
}

// seedCluster returns, sorted, the entitlement seed and every entitlement not yet
// clustered whose holders are similar to seed's, among the entitlements of seedHolders
// of seed's holders spread over the list; it marks them clustered.
func seedCluster(m *Matrix, holders [][]int32, clustered []bool, seed int32) []int32 {
	hs := holders[seed]
	cluster := []int32{seed}
	clustered[seed] = true
	var cands []int32
	for s := 0; s < seedHolders; s++ {
		u := hs[s*(len(hs)-1)/max(seedHolders-1, 1)]
		cands = append(cands, m.Rows[u]...)
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	for _, q := range cands {
		if !clustered[q] && similar(hs, holders[q]) {
			cluster = append(cluster, q)
			clustered[q] = true
		}
	}
	slices.Sort(cluster)
	return cluster
}

// clusterMembers returns the users holding at least memberShare of the entitlements of
// cluster, unsorted; count is a zeroed scratch count per user, left zeroed.
func clusterMembers(holders [][]int32, cluster []int32, count []int32) []int32 {
	var touched []int32
	for _, p := range cluster {
		for _, u := range holders[p] {
			if count[u] == 0 {
				touched = append(touched, u)
			}
			count[u]++
		}
	}
	need := int32(memberShare*float64(len(cluster)) + 0.999999)
	var members []int32
	for _, u := range touched {
		if count[u] >= need {
			members = append(members, u)
		}
		count[u] = 0
	}
	return members
}

// TakeCoverage keeps the roles with at least minMembers members that cover the most
// assignments of m, largest first (ties in the given order), until at least coverage
// percent of the assignments are covered. Roles must be disjoint in entitlements or in members (as
// Approximate and Refine make them), so that their coverage adds up.
func TakeCoverage(m *Matrix, roles []Role, minMembers int, coverage float64) []Role {
	type scored struct {
		role  Role
		cover int
	}
	var rs []scored
	for _, r := range roles {
		if len(r.Users) < minMembers {
			continue
		}
		rs = append(rs, scored{r, Covered(m, []Role{r})})
	}
	slices.SortStableFunc(rs, func(a, b scored) int { return b.cover - a.cover })
	// At least coverage percent: covered/pairs >= coverage/100, compared without
	// dividing, so that the target is never rounded down (8.5 of 10 needs 9).
	target := coverage * float64(m.Pairs())
	covered := 0
	var out []Role
	for _, r := range rs {
		if float64(covered)*100 >= target {
			break
		}
		out = append(out, r.role)
		covered += r.cover
	}
	return out
}

// similar reports whether two ascending holder lists have Jaccard similarity |a ∩ b| /
// |a ∪ b| of at least clusterJaccard.
func similar(a, b []int32) bool {
	// The intersection is at most the smaller list: a cheap rejection first.
	if float64(min(len(a), len(b))) < clusterJaccard*float64(max(len(a), len(b))) {
		return false
	}
	i, j, inter := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			inter++
			i++
			j++
		}
	}
	return float64(inter) >= clusterJaccard*float64(len(a)+len(b)-inter)
}

// Covered returns how many assignments of m the roles cover: pairs (user, permission) that
// m holds and some role assigns (each counted once). It marks each assignment by its
// position in m's rows, one bit each: memory linear in the assignments, not a hash entry
// per covered pair (18M of them at flat tier L).
func Covered(m *Matrix, roles []Role) int {
	if len(roles) == 1 {
		return coveredOne(m, roles[0])
	}
	off := make([]int, len(m.Rows)+1)
	for u, r := range m.Rows {
		off[u+1] = off[u] + len(r)
	}
	have := newBitset(off[len(m.Rows)])
	n := 0
	for _, r := range roles {
		for _, u := range r.Users {
			row := m.Rows[u]
			for _, p := range r.Perms {
				if i, ok := slices.BinarySearch(row, p); ok && !have.has(int32(off[u]+i)) {
					have.set(int32(off[u] + i))
					n++
				}
			}
		}
	}
	return n
}

// coveredOne is Covered for one role, whose users and permissions are unique: every hit
// is a distinct pair.
func coveredOne(m *Matrix, r Role) int {
	n := 0
	for _, u := range r.Users {
		for _, p := range r.Perms {
			if _, ok := slices.BinarySearch(m.Rows[u], p); ok {
				n++
			}
		}
	}
	return n
}
