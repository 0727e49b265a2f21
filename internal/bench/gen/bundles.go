package gen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Business roles that contain entitlements (docs/effective-privilege.md, "Generated
// universes"): in a real directory or ERP most of what people can do arrives through
// nesting, not through direct grants. Every role of the four ordinary systems contains
// none, one or two fine-grained entitlements of its own system ("ENT-<system>-<n>"),
// drawn from a pool about as large as the system's roles, so that some entitlements sit
// in several roles. Nobody is granted an entitlement directly: each is held only through
// the roles that contain it, it has no rule of its own (the miner finds no direct holder
// to learn from), and its pairs take the status of the direct holding they come from.
// The effective pairs this adds are about as many as the direct grants.
//
// The plant draws from a random source of its own and adds no assignment row, so every
// other file of the universe is the one it would be without it.

// entitlementPrefix starts the id of every planted entitlement.
const entitlementPrefix = "ENT-"

// bundleSizes is the number of entitlements a role contains, drawn uniformly: one on
// average.
var bundleSizes = []int{0, 1, 1, 2} // at most 2: see the distinct draw in plantBundles

// plantBundles adds the entitlements and the grants from the roles that contain them.
func (u *universe) plantBundles(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x62756e64))
	bySystem := map[string][]string{}
	for _, id := range u.roles {
		bySystem[systemOf(id)] = append(bySystem[systemOf(id)], id)
	}
	for _, sys := range universeSystems {
		roles := bySystem[sys]
		for _, id := range roles {
			n := bundleSizes[rng.IntN(len(bundleSizes))]
			first := -1
			for range n {
				k := rng.IntN(len(roles))
				if k == first {
					continue // drawn twice: the role contains one entitlement fewer
				}
				first = k
				ent := fmt.Sprintf("%s%s-%05d", entitlementPrefix, sys, k+1)
				if _, ok := u.index[ent]; !ok {
					u.addRole(ent)
					u.st.Entitlements++
				}
				u.bundles = append(u.bundles, [2]string{id, ent})
			}
		}
	}
	slices.SortFunc(u.bundles, func(a, b [2]string) int {
		return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1])
	})
}

// entitlementSystem returns the system of a planted entitlement id, or "" when id is
// not one.
func entitlementSystem(id string) string {
	if !strings.HasPrefix(id, entitlementPrefix) {
		return ""
	}
	rest := id[len(entitlementPrefix):]
	if k := strings.LastIndexByte(rest, '-'); k > 0 {
		return rest[:k]
	}
	return ""
}
