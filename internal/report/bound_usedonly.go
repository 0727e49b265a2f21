package report

import (
	"github.com/rolemine/rolemine/internal/uerr"
	"github.com/rolemine/rolemine/internal/usage"
)

// initUsedOnly marks, for a model mined with a UsedOnly mining rule, the direct pairs mine
// made unexplained for being unused (docs/excess-privilege.md#used-only-explained): the
// pair is unused under summary.json's usage parameters and its role was covered by a
// mining rule that summary.json marks used_only (roles.json names the covering one). It
// leaves b.unusedOnly nil when no mining rule is UsedOnly or the data has no usage, so
// that a model without UsedOnly is read exactly as before.
func (b *Bound) initUsedOnly() error {
	s, snap := b.Model.Summary, b.Snap
	if s == nil || s.Usage == nil || s.Usage.AsOf == "" || snap.Universe == nil || snap.Universe.LastUsed == nil {
		return nil
	}
	// roles[r]: snapshot role r was covered by a UsedOnly mining rule.
	roles := b.Model.UsedOnlyRoles(snap.Roles.IDs)
	if roles == nil {
		return nil
	}
	asOf, err := usage.Parse(s.Usage.AsOf)
	if err != nil {
		return uerr.New("%s usage.as_of: %v", SummaryJSONFile, err)
	}
	states := DirectUsage(snap, &usage.Params{AsOf: asOf, UnusedDays: s.Usage.UnusedDays})
	b.unusedOnly = make([]bool, len(snap.IdentIdx))
	for k, st := range states {
		b.unusedOnly[k] = st == usage.Unused && roles[snap.IdentIdx[k]]
	}
	return nil
}

// UsedOnlyRoles says, for each role of roleIDs, whether the mining rule that covered it
// mined used access only: summary.json marks the mining rule used_only and roles.json
// names it as the role's. Nil when no mining rule of the model is UsedOnly.
func (m *Model) UsedOnlyRoles(roleIDs []string) []bool {
	if m.Summary == nil {
		return nil
	}
	usedOnly := map[int]bool{}
	for _, mr := range m.Summary.MiningRules {
		if mr.UsedOnly {
			usedOnly[mr.Index] = true
		}
	}
	if len(usedOnly) == 0 {
		return nil
	}
	rec := make(map[string]*RoleRecord, len(m.Roles))
	for k := range m.Roles {
		rec[m.Roles[k].RoleID] = &m.Roles[k]
	}
	roles := make([]bool, len(roleIDs))
	for r, id := range roleIDs {
		if x := rec[id]; x != nil && x.MiningRule != nil {
			roles[r] = usedOnly[x.MiningRule.Index]
		}
	}
	return roles
}

// unusedAt reports whether the direct pair at CSR position k is unexplained for being
// unused under a UsedOnly mining rule, provided one of its role's rules matches.
func (b *Bound) unusedAt(k int64) bool { return b.unusedOnly != nil && b.unusedOnly[k] }
