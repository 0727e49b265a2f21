package report

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"math/bits"
	"runtime"
	"slices"
	"strconv"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/safecsv"
)

// ExcessCSVFile ranks identities by excess privilege (docs/excess-privilege.md#excess).
const ExcessCSVFile = "excess.csv"

// excessRow is one identity's excess privilege: its effective pairs, how many are
// unexplained or unused, and the same weighted by 1 + the role's validations. The walk
// places a row for every identity before it walks (pairWalk.run), so a row's bytes are
// pages touched for the first time: the identity and the counts, at most one a role of
// the identity, take 32 bits (40 bytes a row, not 64).
type excessRow struct {
	ident                           int32
	roles, unexplained, unused      int32
	unknown                         int32
	nonHuman                        bool
	unexplainedWeight, unusedWeight int64
}

// score is the ranking key, the identity's excess privilege: its unexplained pairs plus
// its unused pairs (a pair both unexplained and unused counts twice).
func (r *excessRow) score() int64 { return int64(r.unexplained) + int64(r.unused) }

// weighted is the first tie-break: score with each pair weighing 1 + its role's
// validations, so that of two identities with as much excess the one whose excess is
// on privileged roles ranks first.
func (r *excessRow) weighted() int64 { return r.unexplainedWeight + r.unusedWeight }

// excessRows returns the identities with excess privilege (shared: read only), ranked: humans first, then
// non-human identities, each by score (highest first), then weighted score, then weighted
// unexplained, then identities-file order.
func excessRows(ctx context.Context, snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) ([]excessRow, error) {
	walk, err := walkPairsFor(ctx, snap, cls, eff, true) // excess rows ignore Unused
	if err != nil {
		return nil, err
	}
	// Ranked once for excess.csv and report.html, its only readers: in place, not in a
	// copy (64 MB at the tier L universe, first touched).
	walk.rankOnce.Do(func() {
		rankExcess(walk.excess, runtime.GOMAXPROCS(0))
		walk.ranked = walk.excess
	})
	return walk.ranked, nil
}

// rankExcess sorts rows in place by excessOrder. When the rows are in identity order and
// their group, score, weighted unexplained and index fit one 64-bit key, it sorts the keys
// on up to workers goroutines and moves the rows to their places along the permutation's
// cycles (0.17 CPU s of comparisons at the tier L universe); otherwise it sorts the rows
// by excessOrder (ties are broken by identity: the unstable sort gives the stable order).
func rankExcess(rows []excessRow, workers int) {
	keys, ok := excessKeys(rows)
	if !ok {
		slices.SortFunc(rows, excessOrder)
		return
	}
	keys = sortKeysParallel(keys, workers)
	mask := uint64(1)<<bits.Len(uint(len(rows))) - 1
	const moved = 1 << 63 // above any key's index once the other fields are masked off
	for k := range keys {
		keys[k] &= mask // the index of the row that goes to place k
	}
	for s := range keys {
		if keys[s]&moved != 0 {
			continue
		}
		first, at := rows[s], s
		for {
			from := int(keys[at] & mask)
			keys[at] |= moved
			if from == s {
				rows[at] = first
				break
			}
			rows[at], at = rows[from], from
		}
	}
}

// excessKeys returns one key a row whose ascending order is excessOrder's: from the top,
// the group (humans first), the score's distance below the highest, the weighted score's
// and the weighted unexplained's, then the row's index, which orders ties as the identity
// does because the rows are in identity order. It reports false, with no keys, for rows
// out of identity order or figures too wide for the key.
func excessKeys(rows []excessRow) ([]uint64, bool) {
	if len(rows) == 0 {
		return nil, true
	}
	figs := [3]func(*excessRow) int64{(*excessRow).score, (*excessRow).weighted,
		func(r *excessRow) int64 { return r.unexplainedWeight }}
	var lo, hi [3]int64
	for f, fig := range figs {
		lo[f], hi[f] = fig(&rows[0]), fig(&rows[0])
	}
	for k := range rows {
		r := &rows[k]
		if k > 0 && r.ident <= rows[k-1].ident {
			return nil, false
		}
		for f, fig := range figs {
			v := fig(r)
			lo[f], hi[f] = min(lo[f], v), max(hi[f], v)
		}
	}
	// shift[f] is where figure f's field starts; the index takes the lowest bits.
	var shift [3]int
	at := bits.Len(uint(len(rows)))
	for f := len(figs) - 1; f >= 0; f-- {
		if hi[f]-lo[f] < 0 { // overflowed
			return nil, false
		}
		shift[f] = at
		at += bits.Len64(uint64(hi[f] - lo[f]))
	}
	if at+1 > 64 {
		return nil, false
	}
	keys := make([]uint64, len(rows))
	for k := range rows {
		r := &rows[k]
		key := uint64(k)
		for f, fig := range figs {
			key |= uint64(hi[f]-fig(r)) << shift[f]
		}
		if r.nonHuman {
			key |= 1 << at
		}
		keys[k] = key
	}
	return keys, true
}

// excessHeader is excess.csv's first line.
const excessHeader = "group,rank,identity_id,kind,excess_score,unexplained_weight,unused_weight," +
	"effective_roles,unexplained,unused,unknown_usage\n"

// excessOrder is excess.csv's rank order: humans first, then by score, weighted score
// and weighted unexplained (each highest first), then identity. Each key is compared only
// when the ones before are equal (cmp.Or compared all of them for every pair).
func excessOrder(a, b excessRow) int {
	if a.nonHuman != b.nonHuman {
		return boolCmp(a.nonHuman, b.nonHuman)
	}
	if sa, sb := a.score(), b.score(); sa != sb {
		return cmp.Compare(sb, sa)
	}
	if wa, wb := a.weighted(), b.weighted(); wa != wb {
		return cmp.Compare(wb, wa)
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
			line = safecsv.AppendCell(append(line, ','), snap.Kind(int(r.ident)))
			for _, v := range [...]int64{r.score(), r.unexplainedWeight, r.unusedWeight, int64(r.roles), int64(r.unexplained), int64(r.unused), int64(r.unknown)} {
				line = strconv.AppendInt(append(line, ','), v, 10)
			}
			buf.Write(append(line, '\n'))
		}
		return nil
	})
}
