package report

import (
	"bytes"
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
		slices.SortFunc(walk.ranked, excessOrder)
	})
	return walk.ranked, nil
}

// excessHeader is excess.csv's first line.
const excessHeader = "group,rank,identity_id,kind,excess_score,unexplained_weight,unused_weight," +
	"effective_roles,unexplained,unused,unknown_usage\n"

// excessOrder is excess.csv's rank order: humans first, then by score (highest first),
// weighted unexplained (highest first) and identity. Each key is compared only when the
// ones before are equal (cmp.Or compared all four for every pair).
func excessOrder(a, b excessRow) int {
	if a.nonHuman != b.nonHuman {
		return boolCmp(a.nonHuman, b.nonHuman)
	}
	if sa, sb := a.score(), b.score(); sa != sb {
		return cmp.Compare(sb, sa)
	}
	if a.unexplainedWeight != b.unexplainedWeight {
		return cmp.Compare(b.unexplainedWeight, a.unexplainedWeight)
	}
	return cmp.Compare(a.ident, b.ident)
}

// WriteExcessCSV writes excess.csv: one row per identity with unexplained or unused
// access, in rank order (excessRows), with the figures behind its rank. rank restarts
// at 1 for the non-human identities.
func WriteExcessCSV(ctx context.Context, w io.Writer, snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) error {
	rows, err := excessRows(ctx, snap, cls, eff)
	if err != nil {
		return err
	}
	return writeExcessRows(ctx, w, snap, rows)
}

// writeExcessRows writes excess.csv's header and rows (ranked: the humans first), as
// safecsv.Writer would write their cells, the lines formatted on every core while they
// are written (writeChunks) instead of a record of eleven strings a row.
func writeExcessRows(ctx context.Context, w io.Writer, snap *columnar.Snapshot, rows []excessRow) error {
	if _, err := io.WriteString(w, excessHeader); err != nil {
		return err
	}
	// The non-human identities' ranks count from the first of them.
	firstNonHuman, _ := slices.BinarySearchFunc(rows, true, func(r excessRow, _ bool) int { return boolCmp(r.nonHuman, true) })
	return writeChunks(ctx, w, len(rows), func(buf *bytes.Buffer, lo, hi int) error {
		var line []byte
		for k := lo; k < hi; k++ {
			r := &rows[k]
			rank := k + 1
			if r.nonHuman {
				line = append(line[:0], "non_human,"...)
				rank = k - firstNonHuman + 1
			} else {
				line = append(line[:0], "human,"...)
			}
			line = strconv.AppendInt(line, int64(rank), 10)
			line = safecsv.AppendCell(append(line, ','), snap.IdentityIDs[r.ident])
			line = safecsv.AppendCell(append(line, ','), snap.Kind(r.ident))
			for _, v := range [...]int64{r.score(), r.unexplainedWeight, r.unusedWeight, r.roles, r.unexplained, r.unused, r.unknown} {
				line = strconv.AppendInt(append(line, ','), v, 10)
			}
			buf.Write(append(line, '\n'))
		}
		return nil
	})
}
