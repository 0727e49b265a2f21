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
	snap := u.snap
	d := snap.DimIndex("department")
	if d < 0 {
		return
	}
	dim := &snap.Dims[d]
	members := make([][]int, len(dim.Values))
	for i, c := range dim.Codes {
		if c >= 0 && snap.Kind(i) == columnar.HumanKind {
			members[c] = append(members[c], i)
		}
	}
	inc := &incomplete{rng: rand.New(rand.NewPCG(seed, 0x736e6f77)), withheld: map[int]bool{},
		IncompleteSystem: model.IncompleteSystem{System: incompleteSystem}}
	for c, ms := range members {
		if len(ms) < 20 {
			continue
		}
		id := incompleteRolePrefix + dim.Values[c]
		g := u.addRole(id)
		inc.Roles = append(inc.Roles, id)
		u.newTruth = append(u.newTruth, truth.Role{RoleID: id, Type: truth.TypeRule, Rules: []truth.Rule{{
			EntityType: "*", Criteria: []truth.Criterion{{Attribute: "department", Value: dim.Values[c]}}}}})
		for _, i := range ms {
			u.held[i][g] = true
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
