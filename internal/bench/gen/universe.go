package gen

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
)

// The effective-privilege universe (docs/effective-privilege.md) that --universe plants on
// top of a generated flat data set:
//   - systems: every role lives in one of universeSystems (its application); every
//     identity gets an account in each system it holds a role of, and assignments name
//     accounts (most rows), identities, or both;
//   - uncorrelated accounts: a few per system, each holding one or two of its roles;
//   - team groups: "GRP-<role>" grants a rule role; the role's clean holders get the group,
//     and 30% of them lose their direct grant (held through the group only), the others
//     keep it (redundant);
//   - broad nestings: "DEPT-<department>", held by a whole department, nested into a
//     privileged role (2+ validations) that department mostly lacks: hidden inherited
//     access for every member the role's rule does not match;
//   - project membership: a multi-valued "project" attribute (attributes file), and one
//     "REPO-<project>" role per project held by its members;
//   - owners: identities.owner_id names a human for each non-human identity (3% name
//     one who left, absent from identities).
//
// The truth gets the new rule roles in rules.json, and universe.json and hidden.csv.

// universeSystems are the systems of a generated universe.
var universeSystems = []string{"AD", "AWS", "SALESFORCE", "SAP"}

// UniverseStats counts what the universe added.
type UniverseStats struct {
	Accounts, UncorrelatedAccounts          int
	GroupRoles, BroadNestings, ProjectRoles int
	Inherited, Redundant, Hidden            int64
	// Entitlements are the planted entitlements held only through roles (bundles.go).
	Entitlements int
}

// universe is the data set being rewritten: the flat snapshot plus new roles and pairs.
type universe struct {
	snap *columnar.Snapshot
	tr   *truth.Truth
	rng  *rand.Rand
	// owners counts the planted ownership findings (writeIdentitiesOwned).
	owners truth.Owners
	roles  []string           // role ids: the snapshot's, then new ones
	index  map[string]int32   // role id -> index in roles
	held   []map[int32]bool   // identity -> directly held roles
	noise  map[[2]string]bool // (identity id, role id) of extra and stale noise
	rules  map[string][]truth.Rule
	// grants are the planted role grants; hidden the planted hidden inherited pairs.
	grants [][2]string
	hidden []hiddenPair
	// bundles are the grants from roles to the entitlements they contain (bundles.go),
	// sorted; they go to role_grants but not to the truth's list of planted nestings.
	bundles [][2]string
	// projects: identity -> its project values (multi-valued attribute).
	projects [][]string
	newTruth []truth.Role
	st       UniverseStats
	// inc is the incomplete system (incomplete.go); nil when none was planted.
	inc *incomplete
	// gap is the system whose grants export is incomplete; nil when none was planted.
	gap *grantGap
}

type hiddenPair struct{ identity, role, via string }

func newUniverse(snap *columnar.Snapshot, tr *truth.Truth, seed uint64) *universe {
	u := &universe{snap: snap, tr: tr, rng: rand.New(rand.NewPCG(seed, 0x756e6976)),
		index: map[string]int32{}, noise: map[[2]string]bool{}, rules: map[string][]truth.Rule{}}
	for _, id := range snap.Roles.IDs {
		u.addRole(id)
	}
	u.held = make([]map[int32]bool, snap.NumIdentities())
	for i := range u.held {
		u.held[i] = map[int32]bool{}
		for _, r := range snap.RolesOf(i) {
			u.held[i][r] = true
		}
	}
	for _, n := range tr.Noise {
		if n.Type != truth.NoiseMissing {
			u.noise[[2]string{n.IdentityID, n.RoleID}] = true
		}
	}
	for _, r := range tr.Roles {
		if r.Type == truth.TypeRule {
			u.rules[r.RoleID] = r.Rules
		}
	}
	return u
}

// addRole returns the index of role id, adding it when new.
func (u *universe) addRole(id string) int32 {
	if r, ok := u.index[id]; ok {
		return r
	}
	r := int32(len(u.roles))
	u.roles = append(u.roles, id)
	u.index[id] = r
	return r
}

// matches reports whether identity i matches any of the planted rules.
func (u *universe) matches(rules []truth.Rule, i int) bool {
	snap := u.snap
	for _, p := range rules {
		if !mining.KindInScope(p.EntityType, snap.Kind(i)) {
			continue
		}
		ok := true
		for _, c := range p.Criteria {
			d := snap.DimIndex(c.Attribute)
			if d < 0 {
				ok = false
				break
			}
			dim := &snap.Dims[d]
			code, found := slices.BinarySearch(dim.Values, c.Value)
			if !found || !dim.Has(i, int32(code)) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// holders returns the identities holding snapshot role r directly now, ascending.
func (u *universe) holders(r int32) []int {
	var out []int
	for _, i := range u.snap.Holders(int(r)) {
		if u.held[i][r] {
			out = append(out, int(i))
		}
	}
	return out
}

// pick returns up to n of the candidates, chosen at random, in ascending order.
func (u *universe) pick(cands []string, n int) []string { return pickFrom(u.rng, cands, n) }

// pickFrom returns up to n of the candidates, chosen with rng, in ascending order.
func pickFrom(rng *rand.Rand, cands []string, n int) []string {
	c := slices.Clone(cands)
	rng.Shuffle(len(c), func(a, b int) { c[a], c[b] = c[b], c[a] })
	c = c[:min(n, len(c))]
	slices.Sort(c)
	return c
}

// ruleRoles returns the planted rule roles of the snapshot with at least minHolders
// holders and a validations count in [vlo, vhi], sorted.
func (u *universe) ruleRoles(minHolders, vlo, vhi int) []string {
	var out []string
	for r, id := range u.snap.Roles.IDs {
		v := int(u.snap.Roles.Validations[r])
		if _, ok := u.rules[id]; ok && v >= vlo && v <= vhi && len(u.snap.Holders(r)) >= minHolders {
			out = append(out, id)
		}
	}
	return out
}

// teamGroups plants GRP-<role> groups on ordinary rule roles.
func (u *universe) teamGroups() {
	cands := u.ruleRoles(30, 0, 1)
	for _, id := range u.pick(cands, max(2, len(cands)/25)) {
		r := u.index[id]
		g := u.addRole("GRP-" + id)
		u.grants = append(u.grants, [2]string{"GRP-" + id, id})
		u.newTruth = append(u.newTruth, truth.Role{RoleID: "GRP-" + id, Type: truth.TypeRule, Rules: u.rules[id]})
		u.st.GroupRoles++
		for _, i := range u.holders(r) {
			if u.noise[[2]string{u.snap.IdentityIDs[i], id}] {
				continue
			}
			u.held[i][g] = true
			if u.rng.Float64() < 0.3 {
				delete(u.held[i], r)
				u.st.Inherited++
			} else {
				u.st.Redundant++
			}
		}
	}
}

// broadNestings nests DEPT-<department> into privileged rule roles.
func (u *universe) broadNestings() {
	snap := u.snap
	d := snap.DimIndex("department")
	if d < 0 {
		return
	}
	dim := &snap.Dims[d]
	members := make([][]int, len(dim.Values))
	for i, c := range dim.Codes {
		if c >= 0 {
			members[c] = append(members[c], i)
		}
	}
	var cands []string
	for _, id := range u.ruleRoles(20, 2, 3) {
		if mining.KindInScope(u.rules[id][0].EntityType, columnar.HumanKind) {
			cands = append(cands, id) // roles meant for humans: a department nested into them
		}
	}
	// At most 25 nestings: each scans every department's members.
	for _, id := range u.pick(cands, min(25, max(2, len(cands)/10))) {
		r := u.index[id]
		// The department of 20+ members the role's rules match least.
		best, bestMatch := -1, 0
		for c, ms := range members {
			if len(ms) < 20 {
				continue
			}
			n := 0
			for _, i := range ms {
				if u.matches(u.rules[id], i) {
					n++
				}
			}
			if best < 0 || n < bestMatch {
				best, bestMatch = c, n
			}
		}
		if best < 0 {
			continue
		}
		dept := "DEPT-" + dim.Values[best]
		if _, exists := u.index[dept]; !exists {
			g := u.addRole(dept)
			for _, i := range members[best] {
				u.held[i][g] = true
			}
			u.newTruth = append(u.newTruth, truth.Role{RoleID: dept, Type: truth.TypeRule, Rules: []truth.Rule{{
				EntityType: "*", Criteria: []truth.Criterion{{Attribute: "department", Value: dim.Values[best]}}}}})
		}
		u.grants = append(u.grants, [2]string{dept, id})
		u.st.BroadNestings++
		for _, i := range members[best] {
			if !u.held[i][r] && !u.matches(u.rules[id], i) {
				u.hidden = append(u.hidden, hiddenPair{snap.IdentityIDs[i], id, dept + " > " + id})
			}
		}
	}
	u.st.Hidden = int64(len(u.hidden))
}

// projectMembership plants the multi-valued project attribute and REPO-<project> roles.
func (u *universe) projectMembership() {
	snap := u.snap
	n := snap.NumIdentities()
	np := max(4, n/2000)
	names := make([]string, np)
	repo := make([]int32, np)
	for k := range names {
		names[k] = fmt.Sprintf("prj-%03d", k+1)
		repo[k] = u.addRole("REPO-" + names[k])
		u.newTruth = append(u.newTruth, truth.Role{RoleID: "REPO-" + names[k], Type: truth.TypeRule, Rules: []truth.Rule{{
			EntityType: "*", Criteria: []truth.Criterion{{Attribute: "project", Value: names[k]}}}}})
	}
	u.st.ProjectRoles = np
	u.projects = make([][]string, n)
	for i := 0; i < n; i++ {
		if snap.Kind(i) != columnar.HumanKind {
			continue
		}
		k := []int{0, 1, 1, 2, 2, 3}[u.rng.IntN(6)]
		for _, p := range u.rng.Perm(np)[:min(k, np)] {
			u.projects[i] = append(u.projects[i], names[p])
			u.held[i][repo[p]] = true
		}
		slices.Sort(u.projects[i])
	}
}

// systemOf returns the system of a role: AD for planted groups, AWS for repositories,
// else one of universeSystems by a hash of the id.
func systemOf(id string) string {
	switch {
	case strings.HasPrefix(id, "GRP-"), strings.HasPrefix(id, "DEPT-"):
		return "AD"
	case strings.HasPrefix(id, "REPO-"):
		return "AWS"
	case isIncompleteRole(id):
		return incompleteSystem
	case isGrantGapRole(id):
		return grantGapSystem
	case entitlementSystem(id) != "":
		return entitlementSystem(id)
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	return universeSystems[h.Sum32()%uint32(len(universeSystems))]
}

// accountID names identity id's account in a system.
func accountID(system, id string) string {
	switch system {
	case "AWS":
		return "arn:aws:iam::user/" + id
	case "SAP":
		return strings.ToUpper(id)
	case "SALESFORCE":
		return id + "@sf"
	}
	return id
}
