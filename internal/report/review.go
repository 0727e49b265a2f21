package report

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/metrics"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/parallel"
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

// reviewRow is one unexplained assignment of review.csv, packed for ranking: key holds
// its risk factors (reviewKey) and id its identity and role, so that rows sort by key,
// then id. group is the identity's peer group. near is the role's rule nearest to the
// identity (Bound.nearestRule, -1 for none), terms the rule's terms the identity fails
// (bit t for term t) and has the identity's code on the first of them (hasSpelled when
// the dimension is multi-valued): found while the rows are made in identity order, they
// spare the formatting, in rank order, reads scattered over the identities' columns.
type reviewRow struct {
	key, id uint64
	group   int32
	near    int32
	terms   uint32
	has     int32
}

// hasSpelled in reviewRow.has: the first failed term's values are looked up when the row
// is formatted.
const hasSpelled = math.MinInt32

func (r *reviewRow) ident() int  { return int(r.id >> 32) }
func (r *reviewRow) role() int32 { return int32(uint32(r.id)) }

// reviewKey's fields, most significant first, each stored so that the higher risk sorts
// first: the role's validations (8 bits, most first), non-human identities first (1 bit),
// the share of peers lacking the role (24 bits: pct's four decimals as a whole number, at
// most 1,000,000; largest first) and their number (31 bits, largest first).
const (
	keyPctMax     = 1<<24 - 1
	keyWithoutMax = 1<<31 - 1
)

// reviewKey packs a row's risk factors: without peers of peers lack the role (without <=
// peers, since the identity holds it).
func reviewKey(validations int8, nonHuman bool, without, peers int64) uint64 {
	k := uint64(127-int(validations)) << 56
	if !nonHuman {
		k |= 1 << 55
	}
	return k | uint64(keyPctMax-pct4(without, peers))<<31 | uint64(keyWithoutMax-without)
}

// pct4 is pct(a, b) times 10,000: the whole number round4 divides.
func pct4(a, b int64) int64 {
	if b == 0 {
		return 0
	}
	return int64(math.Round(metrics.Pct(a, b) * 1e4))
}

func (r *reviewRow) validations() int64 { return 127 - int64(r.key>>56) }
func (r *reviewRow) nonHuman() bool     { return r.key&(1<<55) == 0 }
func (r *reviewRow) without() int64     { return keyWithoutMax - int64(r.key&keyWithoutMax) }

// withoutPct is pct(without, peers), as pct rounds it.
func (r *reviewRow) withoutPct() float64 {
	return float64(keyPctMax-int64(r.key>>31&keyPctMax)) / 1e4
}

// reviewRows lists every unexplained assignment with its risk factors, ranked: most
// validations first (the role is sensitive), then non-human identities, then the larger
// share and number of peers (same kind, department and title) lacking the role, then
// identity file order and role id.
func (b *Bound) reviewRows(ctx context.Context, ruleOf []int32) ([]reviewRow, *peerGroupSet, error) {
	snap := b.Snap
	groups := peerGroups(snap)
	rows, err := b.unexplainedRows(ctx, ruleOf, groups.of)
	if err != nil {
		return nil, nil, err
	}
	rows = byRole(snap, rows)
	if err := countPeers(ctx, snap, rows, groups); err != nil {
		return nil, nil, err
	}
	return sortParallel(rows, compareReviewRows, runtime.GOMAXPROCS(0)), groups, nil
}

// compareReviewRows orders review.csv's rows (reviewRows): a total order, since no two
// rows have the same identity and role.
func compareReviewRows(a, b reviewRow) int {
	if a.key != b.key {
		return cmp.Compare(a.key, b.key)
	}
	return cmp.Compare(a.id, b.id)
}

// sortParallel returns rows sorted by compare, a total order (so the result is
// slices.SortFunc's): parts of rows are sorted on up to workers goroutines, then merged
// in place, two at a time, each merge with a copy of its left part (at most half the
// rows at once).
func sortParallel[T any](rows []T, compare func(a, b T) int, workers int) []T {
	return sortParts(rows, compare, workers, func(part []T) { slices.SortFunc(part, compare) })
}

// sortKeysParallel sorts keys as sortParallel does, each part by slices.Sort.
func sortKeysParallel(keys []uint64, workers int) []uint64 {
	return sortParts(keys, cmp.Compare[uint64], workers, slices.Sort[[]uint64])
}

// sortParts is sortParallel with each part sorted by sortPart, in compare's order.
func sortParts[T any](rows []T, compare func(a, b T) int, workers int, sortPart func([]T)) []T {
	const minPart = 1 << 16 // smaller parts are not worth a goroutine
	parts := max(1, min(workers, len(rows)/minPart))
	if parts == 1 {
		sortPart(rows)
		return rows
	}
	bounds := make([]int, parts+1)
	for p := range bounds {
		bounds[p] = p * len(rows) / parts
	}
	// A panic in a part's goroutine (a bug) is raised again here, on the caller's
	// goroutine, for the nearest recover (parallel.Must), once every goroutine is done.
	var wg sync.WaitGroup
	var bugs parallel.Bugs
	for p := range parts {
		bugs.Go(&wg, func() { sortPart(rows[bounds[p]:bounds[p+1]]) })
	}
	wg.Wait()
	parallel.Must(bugs.Err())
	// Each round merges pairs of neighbouring parts at the same time; an odd part out
	// (p+1 the last bound) stays as it is.
	for len(bounds) > 2 {
		next := []int{0}
		for p := 0; p+1 < len(bounds); p += 2 {
			lo, mid, hi := bounds[p], bounds[p+1], bounds[min(p+2, len(bounds)-1)]
			if mid < hi {
				bugs.Go(&wg, func() { mergeSorted(rows[lo:hi], slices.Clone(rows[lo:mid]), rows[mid:hi], compare) })
			}
			next = append(next, hi)
		}
		wg.Wait()
		parallel.Must(bugs.Err())
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

// peerGroupSet is every identity's peer group: a dense id per distinct tuple of kind and
// peer-dimension codes.
type peerGroupSet struct {
	of   []int32 // identity -> group
	size []int64 // the group's identities
	rep  []int32 // the group's first identity
}

// peerGroups groups the identities of snap by peers.
func peerGroups(snap *columnar.Snapshot) *peerGroupSet {
	n := snap.NumIdentities()
	dims := peerDims(snap)
	gs := &peerGroupSet{of: make([]int32, n)}
	ids := map[[3]int32]int32{}
	for i := range n {
		key := [3]int32{snap.Dims[snap.KindDim].Codes[i]}
		for k, d := range dims {
			key[k+1] = snap.Dims[d].Codes[i]
		}
		g, ok := ids[key]
		if !ok {
			g = int32(len(gs.size))
			ids[key] = g
			gs.size = append(gs.size, 0)
			gs.rep = append(gs.rep, int32(i))
		}
		gs.of[i] = g
		gs.size[g]++
	}
	return gs
}

// unexplainedRows lists the assignments ruleOf leaves unexplained, in identity order, each
// with its identity's peer group (group) and the nearest rule, on every core (chunks of
// identities). The rows' keys are left for countPeers.
func (b *Bound) unexplainedRows(ctx context.Context, ruleOf []int32, group []int32) ([]reviewRow, error) {
	snap := b.Snap
	const chunk = 1 << 14
	n := snap.NumIdentities()
	chunks := (n + chunk - 1) / chunk
	workers := runtime.GOMAXPROCS(0)
	start := make([]int, chunks+1)
	err := parallel.Each(ctx, chunks, workers, func(_, c int) error {
		for _, k := range ruleOf[snap.IdentOff[c*chunk]:snap.IdentOff[min((c+1)*chunk, n)]] {
			if k < 0 {
				start[c+1]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for c := range chunks {
		start[c+1] += start[c]
	}
	rows := make([]reviewRow, start[chunks])
	nr := b.newNearRules(nearTerms)
	kinds := snap.Dims[snap.KindDim].Codes
	err = parallel.Each(ctx, chunks, workers, func(_, c int) error {
		out := rows[start[c]:start[c]]
		for i := c * chunk; i < min((c+1)*chunk, n); i++ {
			for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
				if ruleOf[k] >= 0 {
					continue
				}
				r := snap.IdentIdx[k]
				near, _, terms, first := nr.nearest(b, r, i, kinds[i])
				row := reviewRow{id: uint64(i)<<32 | uint64(r), group: group[i], near: int32(near), terms: terms, has: hasSpelled}
				if first >= 0 && snap.Dims[first].MultiOff == nil {
					row.has = snap.Dims[first].Codes[i]
				}
				out = append(out, row)
			}
		}
		return nil
	})
	return rows, err
}

// byRole groups rows by role with a counting sort (stable: identity order within a role).
func byRole(snap *columnar.Snapshot, rows []reviewRow) []reviewRow {
	start := make([]int, snap.NumRoles()+1)
	for k := range rows {
		start[rows[k].role()+1]++
	}
	for r := 0; r < snap.NumRoles(); r++ {
		start[r+1] += start[r]
	}
	out := make([]reviewRow, len(rows))
	for _, row := range rows {
		out[start[row.role()]] = row
		start[row.role()]++
	}
	return out
}

// countPeers sets each row's key (reviewKey), role by role (rows grouped by role): holders
// per peer group in a dense counter reset through the touched list.
func countPeers(ctx context.Context, snap *columnar.Snapshot, rows []reviewRow, groups *peerGroupSet) error {
	kd := &snap.Dims[snap.KindDim]
	human := int32(-1)
	if c, ok := slices.BinarySearch(kd.Values, columnar.HumanKind); ok {
		human = int32(c)
	}
	nonHuman := make([]bool, len(groups.size))
	for g, i := range groups.rep {
		nonHuman[g] = kd.Codes[i] != human
	}
	count := make([]int64, len(groups.size))
	var touched []int32
	for lo := 0; lo < len(rows); {
		hi := lo
		r := rows[lo].role()
		for hi < len(rows) && rows[hi].role() == r {
			hi++
		}
		for _, i := range snap.Holders(int(r)) {
			g := groups.of[i]
			if count[g] == 0 {
				touched = append(touched, g)
			}
			count[g]++
		}
		var v int8
		if int(r) < len(snap.Roles.Validations) {
			v = snap.Roles.Validations[r]
		}
		for k := lo; k < hi; k++ {
			g := rows[k].group
			rows[k].key = reviewKey(v, nonHuman[g], groups.size[g]-count[g], groups.size[g]-1)
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

// touchRows is how many rows formatReviewRows reads ahead (touchRows).
const touchRows = 32

// touchRows reads the first byte of each row's identity id, of its role's and nearest
// rule's cells and of that rule's terms, and returns their sum: independent reads the processor overlaps, where the
// formatting, in rank order, would wait for each in turn.
func (b *Bound) touchRows(rows []reviewRow, cells *reviewCells) byte {
	var sum byte
	for k := range rows {
		if id := b.Snap.IdentityIDs[rows[k].ident()]; id != "" {
			sum += id[0]
		}
		sum += cells.role.buf[cells.role.off[rows[k].role()]]
		if near := int(rows[k].near); near >= 0 {
			sum += cells.rule.buf[cells.rule.off[near]]
			dims, _ := b.Terms(int32(near))
			sum += byte(dims[0]) + b.Model.Rules[near].Criteria[0].Attribute[0]
		}
	}
	return sum
}

// appendFails appends what row's identity, of kind code kind, fails of its nearest rule
// (Bound.nearest's failures), joined by ", ".
func (b *Bound) appendFails(dst []byte, row *reviewRow, kind int32) []byte {
	k := int(row.near)
	rec := &b.Model.Rules[k]
	start := len(dst)
	if !b.InKind(int32(k))[kind] {
		dst = Failure{Attribute: "kind", Want: rec.EntityType, Has: b.Snap.Dims[b.Snap.KindDim].Values[kind], Scope: true}.appendTo(dst)
	}
	dims, _ := b.Terms(int32(k))
	first := true
	for t, d := range dims {
		if row.terms&(1<<t) == 0 {
			continue
		}
		if len(dst) > start {
			dst = append(dst, ", "...)
		}
		f := Failure{Attribute: rec.Criteria[t].Attribute, Want: rec.Criteria[t].Value}
		switch {
		case first && row.has >= 0:
			f.Has = b.Snap.Dims[d].Values[row.has]
		case !first || row.has == hasSpelled:
			f.Has = b.values(row.ident(), int(d))
		}
		dst = f.appendTo(dst)
		first = false
	}
	return dst
}

// WriteReviewCSV writes review.csv: one row per unexplained assignment, ranked by risk
// (see reviewRows), with the nearest rule of the role and what the identity fails, for
// certification campaigns. ruleOf is the classification (Bound.Classify or
// mining.Classification.RuleOf).
func (b *Bound) WriteReviewCSV(ctx context.Context, w io.Writer, ruleOf []int32) error {
	if len(ruleOf) != len(b.Snap.IdentIdx) {
		return fmt.Errorf("review: %d statuses for %d assignments", len(ruleOf), len(b.Snap.IdentIdx))
	}
	rows, groups, err := b.reviewRows(ctx, ruleOf)
	if err != nil {
		return err
	}
	cw := safecsv.NewWriter(w)
	cw.Write([]string{"rank", "identity_id", "kind", "non_human", "role_id", "category", "application", "validations",
		"peer_group", "peers", "peers_without_role", "peers_without_role_pct", "nearest_rule_id", "nearest_criterion", "identity_fails", "role_reason"})
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	cells := b.newReviewCells(groups)
	return writeChunks(ctx, w, len(rows), func(buf *bytes.Buffer, lo, hi int) error {
		b.formatReviewRows(buf, rows, lo, hi, groups, cells)
		return nil
	})
}

// formatReviewRows writes rows[lo:hi] of review.csv (ranks lo+1..hi) to buf, each line
// built by appending its cells to one reused buffer: the cells of the role, the nearest
// rule and the peer group as reviewCells escaped them, the others with
// safecsv.AppendCell (the bytes of safecsv.Writer).
func (b *Bound) formatReviewRows(buf *bytes.Buffer, rows []reviewRow, lo, hi int, groups *peerGroupSet, cells *reviewCells) {
	snap := b.Snap
	var line, fails []byte
	for k := lo; k < hi; k++ {
		if (k-lo)%touchRows == 0 {
			line = append(line[:0], b.touchRows(rows[k:min(k+touchRows, hi)], cells))
		}
		row := &rows[k]
		i, r, g := row.ident(), row.role(), int(row.group)
		line = strconv.AppendInt(line[:0], int64(k+1), 10)
		line = safecsv.AppendCell(append(line, ','), snap.IdentityIDs[i])
		line = append(append(line, ','), cells.kind.at(g)...)
		line = append(append(line, ','), cells.role.at(int(r))...)
		line = append(line, ',')
		if cells.peer != nil {
			line = append(line, cells.peer.at(g)...)
		} else {
			line = safecsv.AppendCell(line, b.appendPeer(fails[:0], i, cells.peerDims, cells.peerNames))
		}
		line = strconv.AppendInt(append(line, ','), groups.size[g]-1, 10)
		line = strconv.AppendInt(append(line, ','), row.without(), 10)
		line = strconv.AppendFloat(append(line, ','), row.withoutPct(), 'f', -1, 64)
		if row.near < 0 {
			line = append(append(line, ",,,,"...), cells.reason.at(int(r))...)
			buf.Write(append(line, '\n'))
			continue
		}
		line = append(append(line, ','), cells.rule.at(int(row.near))...)
		fails = b.appendFails(fails[:0], row, snap.Dims[snap.KindDim].Codes[groups.rep[g]])
		line = safecsv.AppendCell(append(line, ','), fails)
		buf.Write(append(line, ',', '\n'))
	}
}

// WriteSuggestionsCSV writes suggestions.csv: the grants the model would make (identity,
// role, first matching rule), in suggestions.parquet's order, with the rule's criterion,
// type and precision so that a reviewer can judge it without another file. Chunks of
// rows are formatted on every core (writeChunks), with the cells of each kind, role and
// rule escaped once per file.
func (b *Bound) WriteSuggestionsCSV(ctx context.Context, w io.Writer, sugg []mining.Suggestion) error {
	snap := b.Snap
	cw := safecsv.NewWriter(w)
	cw.Write([]string{"identity_id", "kind", "role_id", "category", "application", "rule_id", "criterion", "rule_type", "policy", "rule_precision_pct"})
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	var kinds, roles, rules cellTable
	for _, v := range snap.Dims[snap.KindDim].Values {
		kinds.buf = safecsv.AppendCell(kinds.buf, v)
		kinds.add()
	}
	for r := range snap.NumRoles() {
		roles.buf = safecsv.AppendCell(roles.buf, snap.Roles.IDs[r])
		roles.buf = safecsv.AppendCell(append(roles.buf, ','), str(snap.Roles.Category, r))
		roles.buf = safecsv.AppendCell(append(roles.buf, ','), str(snap.Roles.Application, r))
		roles.add()
	}
	for k := range b.Model.Rules {
		rr := &b.Model.Rules[k]
		for c, cell := range []string{rr.RuleID, criterionString(rr), rr.RuleType, rr.Policy, strconv.FormatFloat(ruleHitRate(rr), 'f', -1, 64)} {
			if c > 0 {
				rules.buf = append(rules.buf, ',')
			}
			rules.buf = safecsv.AppendCell(rules.buf, cell)
		}
		rules.add()
	}
	kd := &snap.Dims[snap.KindDim]
	return writeChunks(ctx, w, len(sugg), func(buf *bytes.Buffer, lo, hi int) error {
		var line []byte
		for k, s := range sugg[lo:hi] {
			if s.Identity < 0 || int(s.Identity) >= snap.NumIdentities() || s.Role < 0 || int(s.Role) >= snap.NumRoles() ||
				s.Rule < 0 || int(s.Rule) >= len(b.Model.Rules) {
				return fmt.Errorf("suggestion %d (identity %d, role %d, rule %d) is outside the snapshot or model", lo+k, s.Identity, s.Role, s.Rule)
			}
			line = safecsv.AppendCell(line[:0], snap.IdentityIDs[s.Identity])
			line = append(append(line, ','), kinds.at(int(kd.Codes[s.Identity]))...)
			line = append(append(line, ','), roles.at(int(s.Role))...)
			line = append(append(line, ','), rules.at(int(s.Rule))...)
			buf.Write(append(line, '\n'))
		}
		return nil
	})
}
