package report

import (
	"context"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/usage"
)

// UsageBreakdown returns summary.json's usage counts: overall, by kind and by system
// (ok false without usage data). Scoring against planted truth reads it.
func UsageBreakdown(snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) (c usage.Counts, byKind, bySystem map[string]*usage.Counts, ok bool) {
	us := usageSummaryOf(snap, cls, eff)
	if us == nil {
		return usage.Counts{}, nil, nil, false
	}
	return us.Counts, us.ByKind, us.BySystem, true
}

// ExcessRanking returns the identity ids of excess.csv in rank order, humans and
// non-human identities apart.
func ExcessRanking(ctx context.Context, snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) (humans, nonHuman []string, err error) {
	rows, err := excessRows(ctx, snap, cls, eff)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rows {
		if r.nonHuman {
			nonHuman = append(nonHuman, snap.IdentityIDs[r.ident])
		} else {
			humans = append(humans, snap.IdentityIDs[r.ident])
		}
	}
	return humans, nonHuman, nil
}
