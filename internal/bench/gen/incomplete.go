package gen

import (
	"math/rand/v2"
	"strings"

	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/model"
)

// The possibly incomplete system of a generated universe (docs/effective-privilege.md,
// "Generated universes"): a fifth system, incompleteSystem, with one role per department
// of 20 or more humans ("SNOW-<department>", every member holds it), whose accounts export
// lacks the accounts of a tenth of those members: their grants arrive named by identity,
// so the role's holders are whole (its rule can be mined), but their peers' accounts show
// the gap. It draws from a random source of its own, so the rest of the universe is the
// one it would be without it.
//
// Withholding the grants too was tried and rejected: a tenth of a department's holders
// missing puts every department rule over the false-positive bound, and the miner then
// fragments each role into thousands of rules (11,264 rules and 6x the mining time at
// tier M).

// incompleteSystem is the system whose export is incomplete.
const incompleteSystem = "SERVICENOW"

// incompleteRolePrefix starts the id of each of its roles.
const incompleteRolePrefix = "SNOW-"

// incompleteShare is the share of the holders whose account the export leaves out.
const incompleteShare = 0.10

// incomplete is what the plant left out, for truth/universe.json.
type incomplete struct {
	rng *rand.Rand
	// withheld are the identities whose account the export lacks.
	withheld map[int]bool
	model.IncompleteSystem
}

// plantIncomplete adds the incomplete system's roles and holders.
func (u *universe) plantIncomplete(seed uint64) {
	members := humansByDepartment(u.snap)
	if members == nil {
		return
	}
	dim := &u.snap.Dims[u.snap.DimIndex("department")]
	inc := &incomplete{rng: rand.New(rand.NewPCG(seed, 0x736e6f77)), withheld: map[int]bool{},
		IncompleteSystem: model.IncompleteSystem{System: incompleteSystem}}
	for c, ms := range members {
		if len(ms) < 20 {
			continue
		}
		inc.Roles = append(inc.Roles, u.departmentRole(incompleteRolePrefix, dim.Values[c], ms))
		for _, i := range ms {
			if inc.rng.Float64() < incompleteShare {
				inc.withheld[i] = true
				inc.IdentitiesWithheld++
			}
		}
	}
	if len(inc.Roles) > 0 {
		u.inc = inc
	}
}

// isIncompleteRole reports whether role id belongs to the incomplete system.
func isIncompleteRole(id string) bool { return strings.HasPrefix(id, incompleteRolePrefix) }

// The second incomplete system, grantGapSystem, lacks grants instead of accounts: one
// role per department of 20 or more humans ("WD-<department>", every member holds it),
// whose assignments export leaves out the grants of grantGapShare of the members (rounded
// down per department), drawn at random; their accounts are there. The rule
// department=<it> still meets a 5% false-positive bound (at most 4% of its matches lack
// the grant), so the role is mined whole, but the rules predict about 4% more grants on
// this system than its data holds, against about 1% (the planted missing noise) on the
// others: the signal summary.json flags (docs/effective-privilege.md#incomplete). It
// draws from a random source of its own, like the first.

// grantGapSystem is the system whose grants export is incomplete.
const grantGapSystem = "WORKDAY"

// grantGapRolePrefix starts the id of each of its roles.
const grantGapRolePrefix = "WD-"

// grantGapPercent is the share of each department's members, in percent rounded down,
// whose grant the export leaves out.
const grantGapPercent = 4

// grantGap is what the plant left out, for truth/universe.json.
type grantGap struct {
	rng *rand.Rand
	// withheld are the (identity, role index) grants the export lacks.
	withheld map[[2]int32]bool
	model.GrantGapSystem
}

// plantGrantGap adds the grant-gap system's roles and holders.
func (u *universe) plantGrantGap(seed uint64) {
	members := humansByDepartment(u.snap)
	if members == nil {
		return
	}
	dim := &u.snap.Dims[u.snap.DimIndex("department")]
	gap := &grantGap{rng: rand.New(rand.NewPCG(seed, 0x77646179)), withheld: map[[2]int32]bool{},
		GrantGapSystem: model.GrantGapSystem{System: grantGapSystem}}
	for c, ms := range members {
		if len(ms) < 20 {
			continue
		}
		id := u.departmentRole(grantGapRolePrefix, dim.Values[c], ms)
		g := u.index[id]
		gap.Roles = append(gap.Roles, id)
		for _, k := range gap.rng.Perm(len(ms))[:len(ms)*grantGapPercent/100] {
			gap.withheld[[2]int32{int32(ms[k]), g}] = true
			gap.GrantsWithheld++
		}
	}
	if len(gap.Roles) > 0 {
		u.gap = gap
	}
}

// departmentRole adds the role prefix+dept, held by the department's members ms, with
// the planted rule department=<dept>, and returns its id.
func (u *universe) departmentRole(prefix, dept string, ms []int) string {
	id := prefix + dept
	g := u.addRole(id)
	u.newTruth = append(u.newTruth, truth.Role{RoleID: id, Type: truth.TypeRule, Rules: []truth.Rule{{
		EntityType: "*", Criteria: []truth.Criterion{{Attribute: "department", Value: dept}}}}})
	for _, i := range ms {
		u.held[i][g] = true
	}
	return id
}

// humansByDepartment returns the human members of each department code, ascending (nil
// without a department dimension).
func humansByDepartment(snap *columnar.Snapshot) [][]int {
	d := snap.DimIndex("department")
	if d < 0 {
		return nil
	}
	dim := &snap.Dims[d]
	members := make([][]int, len(dim.Values))
	for i, c := range dim.Codes {
		if c >= 0 && snap.Kind(i) == columnar.HumanKind {
			members[c] = append(members[c], i)
		}
	}
	return members
}

// isGrantGapRole reports whether role id belongs to the grant-gap system.
func isGrantGapRole(id string) bool { return strings.HasPrefix(id, grantGapRolePrefix) }
