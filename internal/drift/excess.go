package drift

import (
	"fmt"

	"github.com/rolemine/rolemine/internal/uerr"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/usage"
)

// Remediation actions of excess privilege (docs/excess-privilege.md#drift).
const (
	// ActionReassignOwner: a non-human identity whose owner_id names no identity of the
	// new snapshot (its owner left, or was never known), or is empty where the previous
	// snapshot named an owner who left. It names no role.
	ActionReassignOwner = "reassign-owner"
	// ActionRevokeUnused: a direct grant unused past the threshold (never used, or last
	// used more than --unused-days before --as-of), in a system with usage data.
	ActionRevokeUnused = "revoke-unused"
)

// ownerActions lists a reassign-owner action for every non-human identity of next whose
// owner is not in next; with the previous snapshot, it says whether the owner left
// since then, and it lists those whose owner_id is empty now but named an owner of the
// previous snapshot who left.
func ownerActions(next *columnar.Snapshot, base Baseline) []Action {
	u := next.Universe
	if u == nil || u.Owners == nil {
		return nil
	}
	idx := identityIndex(next)
	var prevIdx map[string]int32
	if base.Previous != nil {
		prevIdx = identityIndex(base.Previous)
	}
	var out []Action
	for i, owner := range u.Owners {
		if next.Kind(i) == columnar.HumanKind {
			continue
		}
		var change string
		switch _, known := idx[owner]; {
		case owner == "":
			left := leftOwner(next.IdentityIDs[i], base.Previous, prevIdx, idx)
			if left == "" {
				continue
			}
			change = fmt.Sprintf("owner %s left since the previous snapshot; owner_id now empty", left)
		case known:
			continue
		default:
			change = fmt.Sprintf("owner %s is not in identities", owner)
			if _, was := prevIdx[owner]; was {
				change = fmt.Sprintf("owner %s left since the previous snapshot", owner)
			}
		}
		out = append(out, Action{Type: ActionReassignOwner, IdentityID: next.IdentityIDs[i], Kind: next.Kind(i), Change: change})
	}
	return out
}

// leftOwner returns the owner that the previous snapshot (prev, its identity index
// prevIdx) gave the identity id when that owner was an identity of prev and is absent
// from the new snapshot (idx): an export that empties owner_id when the owner leaves
// still leaves an identity to reassign. "" otherwise, and without a previous snapshot.
func leftOwner(id string, prev *columnar.Snapshot, prevIdx, idx map[string]int32) string {
	if prev == nil || prev.Universe == nil || prev.Universe.Owners == nil {
		return ""
	}
	j, ok := prevIdx[id]
	if !ok {
		return ""
	}
	owner := prev.Universe.Owners[j]
	_, was := prevIdx[owner]
	_, is := idx[owner]
	if owner == "" || !was || is {
		return ""
	}
	return owner
}

// directUsage returns the usage state under p of every direct pair of next (nil when p is
// nil or next has no usage data).
func directUsage(next *columnar.Snapshot, p *usage.Params) []usage.State {
	if p == nil || next.Universe == nil || next.Universe.LastUsed == nil {
		return nil
	}
	return report.DirectUsage(next, p)
}

// unusedOnlyPairs marks the direct pairs of next that are unused (states) in a role whose
// covering mining rule mined used access only: drift holds them as mine did
// (docs/excess-privilege.md#drift-used-only). Nil when there are none to mark.
func unusedOnlyPairs(model *report.Model, next *columnar.Snapshot, states []usage.State) []bool {
	if states == nil {
		return nil
	}
	roles := model.UsedOnlyRoles(next.Roles.IDs)
	if roles == nil {
		return nil
	}
	marks := make([]bool, len(states))
	for k, st := range states {
		marks[k] = st == usage.Unused && roles[next.IdentIdx[k]]
	}
	return marks
}

// unusedActions lists a revoke-unused action for every direct grant of next whose usage
// (states, judged under p; nil: none) is unused, saying when it was last used.
func unusedActions(next *columnar.Snapshot, p *usage.Params, states []usage.State) []Action {
	if states == nil {
		return nil
	}
	var out []Action
	for i := range next.IdentityIDs {
		for k := next.IdentOff[i]; k < next.IdentOff[i+1]; k++ {
			if states[k] != usage.Unused {
				continue
			}
			change := "never used"
			if t := next.Universe.LastUsedAt(k); t != usage.Never {
				change = fmt.Sprintf("last used %s, %s before %s", usage.Format(t), daysBefore(p.AsOf, t), usage.Format(p.AsOf))
			}
			out = append(out, Action{Type: ActionRevokeUnused, IdentityID: next.IdentityIDs[i], Kind: next.Kind(i),
				RoleID: next.Roles.IDs[next.IdentIdx[k]], Change: change + accountNoteAt(next, k)})
		}
	}
	return out
}

// daysBefore says how long before asOf access last used at t was: "N days" for a whole
// number of days (of 24 hours), else "more than N days", N rounded down, so that access
// past the threshold by less than a day does not read as at it.
func daysBefore(asOf, t usage.Instant) string {
	d := asOf.DaysBefore(t)
	if asOf.Sec-t.Sec == d*86400 && asOf.Nsec == t.Nsec {
		return fmt.Sprintf("%d days", d)
	}
	return fmt.Sprintf("more than %d days", d)
}

// minedUnusedPairs marks the direct pairs of the previous snapshot prev that mine left
// unexplained for being unused under UsedOnly, judged with the usage parameters of the
// model's summary.json (docs/excess-privilege.md#drift-used-only): no rule explained them
// then. Nil when the model has no UsedOnly mining rule or prev has no usage data.
func minedUnusedPairs(model *report.Model, prev *columnar.Snapshot) ([]bool, error) {
	s := model.Summary
	if s == nil || s.Usage == nil || s.Usage.AsOf == "" || prev.Universe == nil || prev.Universe.LastUsed == nil {
		return nil, nil
	}
	asOf, err := usage.Parse(s.Usage.AsOf)
	if err != nil {
		return nil, uerr.New("%s usage.as_of: %v", report.SummaryJSONFile, err)
	}
	return unusedOnlyPairs(model, prev, report.DirectUsage(prev, &usage.Params{AsOf: asOf, UnusedDays: s.Usage.UnusedDays})), nil
}
