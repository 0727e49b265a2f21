package report

import (
	"cmp"
	"context"
	"io"
	"slices"
	"strconv"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/safecsv"
)

// ExcessCSVFile ranks identities by excess privilege (docs/excess-privilege.md#excess).
const ExcessCSVFile = "excess.csv"

// excessRow is one identity's excess privilege: its effective pairs, how many are
// unexplained or unused, and the same weighted by 1 + the role's validations.
type excessRow struct {
	ident                           int
	nonHuman                        bool
	roles, unexplained, unused      int64
	unknown                         int64
	unexplainedWeight, unusedWeight int64
}

// score is the ranking key: weighted unexplained plus weighted unused pairs.
func (r *excessRow) score() int64 { return r.unexplainedWeight + r.unusedWeight }

// excessRows returns the identities with excess privilege (shared: read only), ranked: humans first, then
// non-human identities, each by score (highest first), then weighted unexplained, then
// identities-file order.
func excessRows(ctx context.Context, snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) ([]excessRow, error) {
	walk, err := walkPairsFor(ctx, snap, cls, eff, true) // excess rows ignore Unused
	if err != nil {
		return nil, err
	}
	// Ranked once for excess.csv and report.html; the walk's rows stay in file order.
	walk.rankOnce.Do(func() {
		// The walk's rows are in identities-file order, one an identity: ordering ties by
		// identity is the stable sort's order, found by an unstable one (pdqsort), not by
		// SortStableFunc's in-place merges.
		walk.ranked = slices.Clone(walk.excess)
		slices.SortFunc(walk.ranked, func(a, b excessRow) int {
			return cmp.Or(boolCmp(a.nonHuman, b.nonHuman), cmp.Compare(b.score(), a.score()),
				cmp.Compare(b.unexplainedWeight, a.unexplainedWeight), cmp.Compare(a.ident, b.ident))
		})
	})
	return walk.ranked, nil
}

// WriteExcessCSV writes excess.csv: one row per identity with unexplained or unused
// access, in rank order (excessRows), with the figures behind its rank. rank restarts
// at 1 for the non-human identities.
func WriteExcessCSV(ctx context.Context, w io.Writer, snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) error {
	rows, err := excessRows(ctx, snap, cls, eff)
	if err != nil {
		return err
	}
	cw := safecsv.NewWriter(w)
	cw.Write([]string{"group", "rank", "identity_id", "kind", "excess_score", "unexplained_weight", "unused_weight",
		"effective_roles", "unexplained", "unused", "unknown_usage"})
	rank := 0
	for k := range rows {
		r := &rows[k]
		rank++
		if k > 0 && r.nonHuman != rows[k-1].nonHuman {
			rank = 1
		}
		group := "human"
		if r.nonHuman {
			group = "non_human"
		}
		i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
		cw.Write([]string{group, strconv.Itoa(rank), snap.IdentityIDs[r.ident], snap.Kind(r.ident), i64(r.score()),
			i64(r.unexplainedWeight), i64(r.unusedWeight), i64(r.roles), i64(r.unexplained), i64(r.unused), i64(r.unknown)})
	}
	cw.Flush()
	return cw.Error()
}
