package gen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
)

// Business roles that contain entitlements (docs/effective-privilege.md, "Generated
// universes"): in a real directory or ERP most of what people can do arrives through
// nesting, not through direct grants. Every role of the four ordinary systems that no
// non-human identity holds (a business role is people's) contains fine-grained
// entitlements of its own system ("ENT-<system>-<n>"), as many on average as make the
// inherited pairs about as many as the direct ones (bundleMean), drawn from a pool as
// large as the system's roles that contain some, so that some entitlements sit in
// several roles. Nobody is granted an entitlement directly: each is held only through
// the roles that contain it, it has no rule of its own (the miner finds no direct holder
// to learn from), and its pairs take the status of the direct holding they come from.
// The effective pairs this adds are about as many as the direct grants.
//
// The plant draws from a random source of its own and adds no assignment row, so every
// other file of the universe is the one it would be without it.

// entitlementPrefix starts the id of every planted entitlement.
const entitlementPrefix = "ENT-"

// maxBundle bounds the mean number of entitlements a role contains.
const maxBundle = 4

// plantBundles adds the entitlements and the grants from the roles that contain them.
func (u *universe) plantBundles(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x62756e64))
	// Business roles are people's: a role any non-human identity holds contains nothing.
	nhiHeld := make([]bool, len(u.roles))
	for i := range u.held {
		if u.snap.Kind(i) != columnar.HumanKind {
			for r := range u.held[i] {
				nhiHeld[r] = true
			}
		}
	}
	bySystem := map[string][]string{}
	for r, id := range u.roles {
		if !nhiHeld[r] {
			bySystem[systemOf(id)] = append(bySystem[systemOf(id)], id)
		}
	}
	mean := bundleMean(u, nhiHeld)
	for _, sys := range universeSystems {
		roles := bySystem[sys]
		for _, id := range roles {
			n := int(mean)
			if rng.Float64() < mean-float64(n) {
				n++
			}
			var drawn []int
			for range n {
				k := rng.IntN(len(roles))
				if slices.Contains(drawn, k) {
					continue // drawn twice: the role contains one entitlement fewer
				}
				drawn = append(drawn, k)
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

// bundleMean returns how many entitlements a role that contains some should contain on
// average so that they hand out about as many inherited pairs as there are direct ones:
// the direct pairs over those on the roles that contain entitlements (the four ordinary
// systems' roles no non-human identity holds), at most maxBundle.
func bundleMean(u *universe, nhiHeld []bool) float64 {
	var direct, contained int
	for i := range u.held {
		for r := range u.held[i] {
			direct++
			if !nhiHeld[r] && slices.Contains(universeSystems, systemOf(u.roles[r])) {
				contained++
			}
		}
	}
	if contained == 0 {
		return 0
	}
	return min(maxBundle, float64(direct)/float64(contained))
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
