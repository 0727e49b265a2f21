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
	usedOnly := map[int]bool{}
	for _, mr := range s.MiningRules {
		if mr.UsedOnly {
			usedOnly[mr.Index] = true
		}
	}
	if len(usedOnly) == 0 {
		return nil
	}
	asOf, err := usage.Parse(s.Usage.AsOf)
	if err != nil {
		return uerr.New("%s usage.as_of: %v", SummaryJSONFile, err)
	}
	// roles[r]: snapshot role r was covered by a UsedOnly mining rule.
	roles := make([]bool, snap.NumRoles())
	for r := range roles {
		if rec := b.roleRecord(int32(r)); rec != nil && rec.MiningRule != nil {
			roles[r] = usedOnly[rec.MiningRule.Index]
		}
	}
	states := DirectUsage(snap, &usage.Params{AsOf: asOf, UnusedDays: s.Usage.UnusedDays})
	b.unusedOnly = make([]bool, len(snap.IdentIdx))
	for k, st := range states {
		b.unusedOnly[k] = st == usage.Unused && roles[snap.IdentIdx[k]]
	}
	return nil
}

// unusedAt reports whether the direct pair at CSR position k is unexplained for being
// unused under a UsedOnly mining rule, provided one of its role's rules matches.
func (b *Bound) unusedAt(k int64) bool { return b.unusedOnly != nil && b.unusedOnly[k] }
