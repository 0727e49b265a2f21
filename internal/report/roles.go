package report

import (
	"io"
	"math"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
)

// roleRecord is one role of roles.json, declared in package model.
type roleRecord = model.Role

// miningRuleRef names a mining rule in roles.json.
type miningRuleRef = model.MiningRuleRef

// attemptRecord is one mining rule's verdict on a role.
type attemptRecord = model.Attempt

func newMiningRuleRef(m *mining.Model, k int) *miningRuleRef {
	if k < 0 {
		return nil
	}
	ref := &miningRuleRef{Index: k}
	if mr := miningRule(m, k); mr != nil {
		ref.Line, ref.Priority, ref.Policy = mr.Line, mr.Priority, mr.Policy
	}
	return ref
}

// round4 rounds a percentage to 4 decimals; a non-finite value (a 0/0 upstream) becomes 0
// so that the document stays valid JSON.
func round4(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Round(v*1e4) / 1e4
}

func newRoleRecord(snap *columnar.Snapshot, m *mining.Model, r int) roleRecord {
	o := &m.Outcomes[r]
	roles := &snap.Roles
	rec := roleRecord{
		RoleID:           roles.IDs[r],
		Category:         str(roles.Category, r),
		Application:      str(roles.Application, r),
		Holders:          snap.RoleOff[r+1] - snap.RoleOff[r],
		Covered:          o.MiningRule >= 0,
		MiningRule:       newMiningRuleRef(m, o.MiningRule),
		ExcludedBy:       newMiningRuleRef(m, o.ExcludedBy),
		Reason:           o.Reason,
		Attempts:         make([]attemptRecord, len(o.Attempts)),
		N:                o.N,
		TP:               o.TP,
		FP:               o.FP,
		FN:               o.FN,
		TN:               o.TN,
		PrecisionPct:     round4(o.Precision),
		FalsePositivePct: round4(o.FalsePositivePct),
		Rules:            o.Rules,
		Candidates:       o.Candidates,
		Exact:            o.Exact,
	}
	if r < len(roles.Validations) {
		rec.Validations = int(roles.Validations[r])
	}
	if r < len(roles.Implicit) {
		rec.Implicit = roles.Implicit[r]
	}
	for k, a := range o.Attempts {
		rec.Attempts[k] = attemptRecord{MiningRule: a.MiningRule, Covered: a.Covered, Reason: a.Reason}
	}
	return rec
}

// writeRolesJSON writes roles.json: one record per role, in role order.
func writeRolesJSON(w io.Writer, snap *columnar.Snapshot, m *mining.Model) error {
	return writeJSONList(w, model.RolesFormat, "roles", len(m.Outcomes), func(r int) any {
		return newRoleRecord(snap, m, r)
	})
}
