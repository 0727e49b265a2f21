package report

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/safecsv"
)

// Review export file names, written beside the model by `rolemine mine`.
const (
	ReviewCSVFile      = "review.csv"
	SuggestionsCSVFile = "suggestions.csv"
	ReportHTMLFile     = "report.html"
)

// peerDimNames are the attributes that define an identity's peers in review.csv: the
// identities of the same kind with the same department and title (a missing value is a
// value of its own). The first name present of each group is used.
var peerDimNames = [][]string{{"department", "dept"}, {"title", "job_title"}}

// peerDims returns the snapshot dimensions that define peers (possibly none).
func peerDims(snap *columnar.Snapshot) []int {
	var ds []int
	for _, names := range peerDimNames {
		for _, n := range names {
			if d := snap.DimIndex(n); d >= 0 {
				ds = append(ds, d)
				break
			}
		}
	}
	return ds
}

// reviewRow is one unexplained assignment in review.csv.
type reviewRow struct {
	ident, role int32
	validations int
	nonHuman    bool
	// peers excludes the identity itself; without counts the peers lacking the role.
	peers, without int64
	// pct is withoutPct(), computed once for sorting.
	pct float64
}

func (r *reviewRow) withoutPct() float64 { return pct(r.without, r.peers) }

// reviewRows lists every unexplained assignment with its risk factors, ranked: most
// validations first (the role is sensitive), then non-human identities, then the larger
// share and number of peers (same department and title) lacking the role, then identity
// file order and role id.
func (b *Bound) reviewRows(ctx context.Context, ruleOf []int32) ([]reviewRow, error) {
	snap := b.Snap
	group, groupSize := peerGroups(snap)
	rows := unexplainedRows(snap, ruleOf)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows = byRole(snap, rows)
	if err := countPeers(ctx, snap, rows, group, groupSize); err != nil {
		return nil, err
	}
	return sortParallel(rows, compareReviewRows, runtime.GOMAXPROCS(0)), nil
}

// compareReviewRows orders review.csv's rows (reviewRows): a total order, since no two
// rows have the same identity and role.
func compareReviewRows(a, b reviewRow) int {
	return cmp.Or(
		cmp.Compare(b.validations, a.validations),
		boolCmp(b.nonHuman, a.nonHuman),
		cmp.Compare(b.pct, a.pct),
		cmp.Compare(b.without, a.without),
		cmp.Compare(a.ident, b.ident),
		cmp.Compare(a.role, b.role))
}

// sortParallel returns rows sorted by compare, a total order (so the result is
// slices.SortFunc's): parts of rows are sorted on up to workers goroutines, then merged
// in place, two at a time, each merge with a copy of its left part (at most half the
// rows at once).
func sortParallel[T any](rows []T, compare func(a, b T) int, workers int) []T {
	const minPart = 1 << 16 // smaller parts are not worth a goroutine
	parts := max(1, min(workers, len(rows)/minPart))
	if parts == 1 {
		slices.SortFunc(rows, compare)
		return rows
	}
	bounds := make([]int, parts+1)
	for p := range bounds {
		bounds[p] = p * len(rows) / parts
	}
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() { slices.SortFunc(rows[bounds[p]:bounds[p+1]], compare) })
	}
	wg.Wait()
	// Each round merges pairs of neighbouring parts at the same time; an odd part out
	// (p+1 the last bound) stays as it is.
	for len(bounds) > 2 {
		next := []int{0}
		for p := 0; p+1 < len(bounds); p += 2 {
			lo, mid, hi := bounds[p], bounds[p+1], bounds[min(p+2, len(bounds)-1)]
			if mid < hi {
				wg.Go(func() { mergeSorted(rows[lo:hi], slices.Clone(rows[lo:mid]), rows[mid:hi], compare) })
			}
			next = append(next, hi)
		}
		wg.Wait()
		bounds = next
	}
	return rows
}

// mergeSorted merges the sorted a and b into dst (of their total length), a's rows
// first among equal ones. b may be dst's tail: a row of b is read before its place can
// be written.
func mergeSorted[T any](dst, a, b []T, compare func(a, b T) int) {
	k := 0
	for len(a) > 0 && len(b) > 0 {
		if compare(b[0], a[0]) < 0 {
			dst[k], b = b[0], b[1:]
		} else {
			dst[k], a = a[0], a[1:]
		}
		k++
	}
	k += copy(dst[k:], a)
	copy(dst[k:], b)
}

// peerGroups gives every identity of snap its peer group: a dense id per distinct tuple of
// kind and peer-dimension codes; groupSize counts each group's identities.
func peerGroups(snap *columnar.Snapshot) (group []int32, groupSize []int64) {
	n := snap.NumIdentities()
	dims := peerDims(snap)
	group = make([]int32, n)
	ids := map[[3]int32]int32{}
	for i := range n {
		key := [3]int32{snap.Dims[snap.KindDim].Codes[i]}
		for k, d := range dims {
			key[k+1] = snap.Dims[d].Codes[i]
		}
		g, ok := ids[key]
		if !ok {
			g = int32(len(groupSize))
			ids[key] = g
			groupSize = append(groupSize, 0)
		}
		group[i] = g
		groupSize[g]++
	}
	return group, groupSize
}

// unexplainedRows lists the assignments ruleOf leaves unexplained, in identity order,
// with the role's validations and whether the identity is non-human.
func unexplainedRows(snap *columnar.Snapshot, ruleOf []int32) []reviewRow {
	kd := &snap.Dims[snap.KindDim]
	human := int32(-1)
	if c, ok := slices.BinarySearch(kd.Values, columnar.HumanKind); ok {
		human = int32(c)
	}
	var rows []reviewRow
	for i := range snap.NumIdentities() {
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			if ruleOf[k] >= 0 {
				continue
			}
			r := snap.IdentIdx[k]
			row := reviewRow{ident: int32(i), role: r, nonHuman: kd.Codes[i] != human}
			if int(r) < len(snap.Roles.Validations) {
				row.validations = int(snap.Roles.Validations[r])
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// byRole groups rows by role with a counting sort (stable: identity order within a role).
func byRole(snap *columnar.Snapshot, rows []reviewRow) []reviewRow {
	start := make([]int, snap.NumRoles()+1)
	for k := range rows {
		start[rows[k].role+1]++
	}
	for r := 0; r < snap.NumRoles(); r++ {
		start[r+1] += start[r]
	}
	out := make([]reviewRow, len(rows))
	for _, row := range rows {
		out[start[row.role]] = row
		start[row.role]++
	}
	return out
}

// countPeers sets each row's peers (its group's other identities) and the peers without
// the role, role by role (rows grouped by role): holders per peer group in a dense counter
// reset through the touched list.
func countPeers(ctx context.Context, snap *columnar.Snapshot, rows []reviewRow, group []int32, groupSize []int64) error {
	count := make([]int64, len(groupSize))
	var touched []int32
	for lo := 0; lo < len(rows); {
		hi := lo
		r := rows[lo].role
		for hi < len(rows) && rows[hi].role == r {
			hi++
		}
		for _, i := range snap.Holders(int(r)) {
			g := group[i]
			if count[g] == 0 {
				touched = append(touched, g)
			}
			count[g]++
		}
		for k := lo; k < hi; k++ {
			g := group[rows[k].ident]
			rows[k].peers = groupSize[g] - 1
			rows[k].without = groupSize[g] - count[g]
			rows[k].pct = rows[k].withoutPct()
		}
		for _, g := range touched {
			count[g] = 0
		}
		touched = touched[:0]
		lo = hi
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// WriteReviewCSV writes review.csv: one row per unexplained assignment, ranked by risk
// (see reviewRows), with the nearest rule of the role and what the identity fails, for
// certification campaigns. ruleOf is the classification (Bound.Classify or
// mining.Classification.RuleOf).
func (b *Bound) WriteReviewCSV(ctx context.Context, w io.Writer, ruleOf []int32) error {
	if len(ruleOf) != len(b.Snap.IdentIdx) {
		return fmt.Errorf("review: %d statuses for %d assignments", len(ruleOf), len(b.Snap.IdentIdx))
	}
	rows, err := b.reviewRows(ctx, ruleOf)
	if err != nil {
		return err
	}
	snap := b.Snap
	dims := peerDims(snap)
	var peerNames []string
	for _, d := range dims {
		peerNames = append(peerNames, snap.Dims[d].Name)
	}
	cw := safecsv.NewWriter(w)
	cw.Write([]string{"rank", "identity_id", "kind", "non_human", "role_id", "category", "application", "validations",
		"peer_group", "peers", "peers_without_role", "peers_without_role_pct", "nearest_rule_id", "nearest_criterion", "identity_fails", "role_reason"})
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	criteria := b.criteria()
	return writeChunks(ctx, w, len(rows), func(buf *bytes.Buffer, lo, hi int) error {
		return b.formatReviewRows(buf, rows, lo, hi, dims, peerNames, criteria)
	})
}

// formatReviewRows writes rows[lo:hi] of review.csv (ranks lo+1..hi) to buf, each line
// built by appending its cells to one reused buffer (safecsv.AppendCell: the bytes of
// safecsv.Writer).
func (b *Bound) formatReviewRows(buf *bytes.Buffer, rows []reviewRow, lo, hi int, dims []int, peerNames, criteria []string) error {
	snap := b.Snap
	var line, peer, fails []byte
	for k := lo; k < hi; k++ {
		row := &rows[k]
		i := int(row.ident)
		kind := snap.Kind(i)
		peer = append(append(peer[:0], "kind="...), kind...)
		for t, d := range dims {
			if v := b.values(i, d); v != "" {
				peer = append(append(append(append(peer, " & "...), peerNames[t]...), '='), v...)
			}
		}
		line = strconv.AppendInt(line[:0], int64(k+1), 10)
		line = safecsv.AppendCell(append(line, ','), snap.IdentityIDs[i])
		line = safecsv.AppendCell(append(line, ','), kind)
		line = strconv.AppendBool(append(line, ','), row.nonHuman)
		line = safecsv.AppendCell(append(line, ','), snap.Roles.IDs[row.role])
		line = safecsv.AppendCell(append(line, ','), str(snap.Roles.Category, int(row.role)))
		line = safecsv.AppendCell(append(line, ','), str(snap.Roles.Application, int(row.role)))
		line = strconv.AppendInt(append(line, ','), int64(row.validations), 10)
		line = safecsv.AppendCell(append(line, ','), peer)
		line = strconv.AppendInt(append(line, ','), row.peers, 10)
		line = strconv.AppendInt(append(line, ','), row.without, 10)
		fails = strconv.AppendFloat(fails[:0], row.withoutPct(), 'f', -1, 64)
		line = safecsv.AppendCell(append(line, ','), fails)
		// The nearest rule (Bound.nearest), its failures joined by ", ".
		var rule, criterion, reason string
		fails = fails[:0]
		if k, kind, terms := b.nearestRule(row.role, i); k >= 0 {
			rule, criterion = b.Model.Rules[k].RuleID, criteria[k]
			b.eachFailure(k, i, kind, terms, func(f Failure) {
				if len(fails) > 0 {
					fails = append(fails, ", "...)
				}
				fails = f.appendTo(fails)
			})
		} else if rr := b.roleRecord(row.role); rr != nil {
			reason = rr.Reason
		}
		line = safecsv.AppendCell(append(line, ','), rule)
		line = safecsv.AppendCell(append(line, ','), criterion)
		line = safecsv.AppendCell(append(line, ','), fails)
		line = safecsv.AppendCell(append(line, ','), reason)
		buf.Write(append(line, '\n'))
	}
	return nil
}

// criteria returns criterionString of every rule of the model, in rule order.
func (b *Bound) criteria() []string {
	c := make([]string, len(b.Model.Rules))
	for k := range c {
		c[k] = criterionString(&b.Model.Rules[k])
	}
	return c
}

// WriteSuggestionsCSV writes suggestions.csv: the grants the model would make (identity,
// role, first matching rule), in suggestions.parquet's order, with the rule's criterion,
// type and precision so that a reviewer can judge it without another file.
func (b *Bound) WriteSuggestionsCSV(ctx context.Context, w io.Writer, sugg []mining.Suggestion) error {
	snap := b.Snap
	cw := safecsv.NewWriter(w)
	cw.Write([]string{"identity_id", "kind", "role_id", "category", "application", "rule_id", "criterion", "rule_type", "policy", "rule_precision_pct"})
	rec := make([]string, 10)
	for k, s := range sugg {
		if k&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if s.Identity < 0 || int(s.Identity) >= snap.NumIdentities() || s.Role < 0 || int(s.Role) >= snap.NumRoles() ||
			s.Rule < 0 || int(s.Rule) >= len(b.Model.Rules) {
			return fmt.Errorf("suggestion %d (identity %d, role %d, rule %d) is outside the snapshot or model", k, s.Identity, s.Role, s.Rule)
		}
		rr := &b.Model.Rules[s.Rule]
		rec[0] = snap.IdentityIDs[s.Identity]
		rec[1] = snap.Kind(int(s.Identity))
		rec[2] = snap.Roles.IDs[s.Role]
		rec[3] = str(snap.Roles.Category, int(s.Role))
		rec[4] = str(snap.Roles.Application, int(s.Role))
		rec[5] = rr.RuleID
		rec[6] = criterionString(rr)
		rec[7] = rr.RuleType
		rec[8] = rr.Policy
		rec[9] = strconv.FormatFloat(ruleHitRate(rr), 'f', -1, 64)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
