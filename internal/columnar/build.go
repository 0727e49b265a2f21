package columnar

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/rolemine/rolemine/internal/hugepage"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/prefault"
)

// buildIdentities turns the decoded identities table into identity ids and dimensions:
// dictionaries sorted with codes remapped, "kind" filled with "human" where missing,
// dimensions sorted by name, and too-distinct or excluded dimensions marked Skipped.
func buildIdentities(s *Snapshot, t *table, opts LoadOptions, log *slog.Logger) error {
	idc := t.col("identity_id")
	if idc == nil || len(idc.vals) != t.rows || len(idc.codes) != t.rows {
		return fmt.Errorf("%s: internal error: %d identity ids for %d rows", t.file, len(idc.vals), t.rows)
	}
	// With identity_id unique and non-empty, first-seen order is file order.
	s.IdentityIDs = idc.vals
	n := t.rows

	var attrs []*column
	for _, c := range t.cols {
		if c != idc {
			attrs = append(attrs, c)
		}
	}
	if t.col(KindDimension) == nil {
		kc := newColumn(KindDimension, modeValue, nil, 0)
		kc.codes = make([]int32, n)
		for i := range kc.codes {
			kc.codes[i] = -1
		}
		attrs = append(attrs, kc)
	}

	dims := make([]Dimension, len(attrs))
	forEach(len(attrs), func(j int) {
		c := attrs[j]
		if c.name == KindDimension {
			fillMissing(c, HumanKind)
		}
		dims[j] = sortedDimension(c)
	})
	slices.SortFunc(dims, func(a, b Dimension) int { return strings.Compare(a.Name, b.Name) })

	excluded := make(map[string]bool, len(opts.ExcludeDimensions))
	for _, name := range opts.ExcludeDimensions {
		excluded[name] = true
	}
	s.KindDim = -1
	for i := range dims {
		d := &dims[i]
		if d.Name == KindDimension {
			s.KindDim = i
			if excluded[d.Name] {
				log.Warn("the kind dimension cannot be excluded; keeping it", "dimension", d.Name)
			}
			warnHumanLike(d, t.file, log)
			continue
		}
		distinct := len(d.Values)
		switch {
		case excluded[d.Name]:
			d.Skipped, d.SkipReason = true, "excluded by user"
		case 2*distinct > n:
			d.Skipped, d.ScopeRecount = true, true
			d.SkipReason = fmt.Sprintf("%d distinct values > half of %d identities", distinct, n)
		}
		if d.Skipped {
			s.Findings.SkippedDimensions = append(s.Findings.SkippedDimensions,
				SkippedDimension{Name: d.Name, Distinct: distinct, Reason: d.SkipReason})
		}
	}
	s.Dims = dims
	return nil
}

// warnHumanLike warns about each kind of d written like human but for letter case or
// spaces ("Human", "HUMAN", "human "): kinds are exact, so such identities are non-human.
func warnHumanLike(d *Dimension, file string, log *slog.Logger) {
	for _, v := range d.Values {
		if v != HumanKind && strings.EqualFold(strings.TrimSpace(v), HumanKind) {
			log.Warn("kinds are exact: this kind is non-human; write human for human identities",
				"file", file, "column", KindDimension, "kind", v)
		}
	}
}

// warnUnknownExcluded warns about each --exclude-dimension name that is no dimension of s,
// once every source of dimensions is in: the identities' columns (file), and in a
// universe their list columns and the attributes file. identity_id and kind are no
// dimension to exclude, and buildIdentities says so for kind.
func warnUnknownExcluded(s *Snapshot, names []string, file string, log *slog.Logger) {
	for _, name := range names {
		if name != "identity_id" && name != KindDimension && s.DimIndex(name) < 0 {
			log.Warn("excluded dimension not found in identities", "dimension", name, "file", file)
		}
	}
}

// fillMissing gives every row without a value the value v.
func fillMissing(c *column, v string) {
	code := int32(-1)
	for i, x := range c.codes {
		if x >= 0 {
			continue
		}
		if code < 0 {
			if existing, ok := c.ids[v]; ok {
				code = existing
			} else {
				code = int32(len(c.vals))
				c.ids[v] = code
				c.vals = append(c.vals, v)
			}
		}
		c.codes[i] = code
	}
}

// sortedDimension sorts a column's dictionary (byte order) and remaps its codes: in place
// while they are in the table they were decoded into (tableSpec.dimensions), else into a
// new one.
func sortedDimension(c *column) Dimension {
	vals, rank := sortDict(c.vals)
	codes := c.codes
	if !c.inDimTable() {
		codes = hugepage.Make[int32](len(c.codes)) // read at random by identity while mining
	}
	for i, x := range c.codes {
		if x >= 0 {
			x = rank[x]
		}
		codes[i] = x
	}
	c.ids, c.codes, c.dimTable = nil, codes, nil // ids no longer needed; let the GC have them
	return Dimension{Name: c.name, Values: vals, Codes: codes}
}

// sortDict returns the distinct values of vals sorted and, for each old code, its new
// code: equal values (a raw column's) get the same one. The values are sorted as
// pointer-free keys of 8 bytes of text each compared as integers (accountKey, sortKeys,
// as the accounts are), not by string comparisons: at tier L the identities' million
// emails sort in a fraction of the time. A large dictionary is first bucketed by its
// values' first byte, and the buckets sorted on every processor: the identities' other
// columns are done by then, and this sort was left alone on one core. Values already
// strictly in order, as ids often are, are only checked.
func sortDict(vals []string) (sorted []string, rank []int32) {
	return sortDictParts(vals, minParallelSort)
}

// minParallelSort is the dictionary size from which sortDict sorts in parallel parts.
const minParallelSort = 1 << 16

// sortDictParts is sortDict, sorting in parallel from minParallel values on.
func sortDictParts(vals []string, minParallel int) (sorted []string, rank []int32) {
	rank = make([]int32, len(vals))
	if strictlySorted(vals) {
		for i := range rank {
			rank[i] = int32(i)
		}
		return slices.Clone(vals), rank
	}
	keys := make([]accountKey, len(vals))
	for i, v := range vals {
		keys[i].row = int32(i)
		keys[i].setDepth(v, 0)
	}
	id := func(row int32) string { return vals[row] }
	if len(vals) >= minParallel {
		keys = sortByFirstByte(keys, id)
	} else {
		sortKeys(keys, id, 0)
	}
	sorted = make([]string, 0, len(vals))
	for _, k := range keys {
		if !k.dup {
			sorted = append(sorted, vals[k.row])
		}
		rank[k.row] = int32(len(sorted) - 1)
	}
	return slices.Clip(sorted), rank
}

// sortByFirstByte sorts keys keyed at depth 0 (sortKeys) by bucketing them on their
// values' first byte (a counting sort, row order kept within a bucket) and sorting the
// buckets in parallel; the buckets in byte order are the sorted keys. It returns them in
// a new slice.
func sortByFirstByte(keys []accountKey, id func(row int32) string) []accountKey {
	var start [257]int
	for _, k := range keys {
		start[k.word>>56+1]++
	}
	for b := 1; b <= 256; b++ {
		start[b] += start[b-1]
	}
	out := make([]accountKey, len(keys))
	next := start
	for _, k := range keys {
		b := k.word >> 56
		out[next[b]] = k
		next[b]++
	}
	forEach(256, func(b int) {
		if start[b+1] > start[b] {
			sortKeys(out[start[b]:start[b+1]], id, 0)
		}
	})
	return out
}

// strictlySorted reports whether vals ascend without repeats.
func strictlySorted(vals []string) bool {
	for k := 1; k < len(vals); k++ {
		if vals[k-1] >= vals[k] {
			return false
		}
	}
	return true
}

// buildRoles makes the role table: every role of the roles file plus every role named only
// by assignments (implicit), sorted by id. It returns, for each role code of the
// assignments' role_id column, the role index.
func buildRoles(s *Snapshot, rt *table, asgRoles *column) (asgRole []int32, err error) {
	type entry struct {
		id  string
		row int32 // row in the roles file, -1 for implicit roles
	}
	var entries []entry
	var fileIDs map[string]int32
	if rt != nil {
		rc := rt.col("role_id")
		fileIDs = rc.ids
		entries = make([]entry, 0, len(rc.vals)+16)
		for row, id := range rc.vals {
			entries = append(entries, entry{id, int32(row)})
		}
	}
	for _, id := range asgRoles.vals {
		if _, ok := fileIDs[id]; !ok {
			entries = append(entries, entry{id, -1})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.id, b.id) })

	nr := len(entries)
	r := Roles{
		IDs:         make([]string, nr),
		Category:    make([]string, nr),
		Validations: make([]int8, nr),
		Application: make([]string, nr),
		Description: make([]string, nr),
		Implicit:    make([]bool, nr),
	}
	index := make(map[string]int32, nr)
	var validations []int8
	var text [3]*column
	if rt != nil {
		if validations, err = parseValidations(rt); err != nil {
			return nil, err
		}
		text = [3]*column{rt.col("category"), rt.col("application"), rt.col("description")}
	}
	value := func(c *column, row int32) string {
		if c == nil || c.codes[row] < 0 {
			return ""
		}
		return c.vals[c.codes[row]]
	}
	for i, e := range entries {
		r.IDs[i] = e.id
		index[e.id] = int32(i)
		if e.row < 0 {
			r.Implicit[i] = true
			s.Findings.ImplicitRoles++
			continue
		}
		r.Category[i] = value(text[0], e.row)
		r.Application[i] = value(text[1], e.row)
		r.Description[i] = value(text[2], e.row)
		if validations != nil {
			r.Validations[i] = validations[e.row]
		}
	}
	s.Roles = r

	asgRole = make([]int32, len(asgRoles.vals))
	for code, id := range asgRoles.vals {
		asgRole[code] = index[id]
	}
	return asgRole, nil
}

// parseValidations reads the roles file's validations column (empty means 0; otherwise an
// integer 0..3), or returns nil when the file has none.
func parseValidations(rt *table) ([]int8, error) {
	c := rt.col("validations")
	if c == nil {
		return nil, nil
	}
	parsed := make([]int8, len(c.vals))
	bad := make([]bool, len(c.vals))
	anyBad := false
	for code, v := range c.vals {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n > 3 {
			bad[code], anyBad = true, true
			continue
		}
		parsed[code] = int8(n)
	}
	out := make([]int8, rt.rows)
	probs := newProblems(rt.file)
	for row, code := range c.codes {
		switch {
		case code < 0:
			out[row] = 0
		case bad[code]:
			probs.add(rt.pos(row), c.name, fmt.Sprintf("%q is not an integer from 0 to 3 (the approvals the role's request needs); leave it empty for 0", c.vals[code]))
		default:
			out[row] = parsed[code]
		}
	}
	if !anyBad {
		return out, nil
	}
	return nil, probs.err()
}

// buildAssignments joins the assignments' identity and role codes to identity and role
// indices and builds both CSR views with counting sorts: no comparison sort over the
// assignments, and every pass runs on all processors. Assignments to unknown identities
// become orphans.
//
// Pass 1 buckets the known assignments by identity (file order within an identity); pass 2
// sorts each identity's roles and drops the duplicates in place, which is the identity
// view; pass 3 scatters the pairs into role buckets visiting identities in ascending
// order, so each role's holders come out ascending. Buffers are reused (the identity codes
// become the role view): at tier L, first touches of fresh memory cost as much as the
// passes.
//
// pr, when not nil, also gets each direct pair's account and last use from its rows
// (universe inputs; pairRows).
func buildAssignments(ctx context.Context, s *Snapshot, asg *table, identIdx *identityIndex, asgRole []int32, pr *pairRows) error {
	ic, rc := asg.col("identity_id"), asg.col("role_id")
	identOf := identityCodes(ic, identIdx) // assignments' identity code -> identity index or -1
	ai, ar := ic.codes, rc.codes
	n := len(s.IdentityIDs)
	nr := len(s.Roles.IDs)

	var spare []int32
	if pr != nil {
		spare = pr.spare
	}
	identOff, byIdent, rowOf, orphans := bucketIdentities(ai, ar, identOf, asgRole, n, pr != nil, spare)
	known := identOff[n]
	if pr != nil {
		pr.markDated(ai, ar, identOf, asgRole, nr)
	}
	rows := len(ai)
	// The raw codes are dead now: ai's buffer becomes roleIdx, ar's the pairs' accounts
	// (fresh memory is costly).
	ic.codes, rc.codes = nil, nil
	if err := ctx.Err(); err != nil {
		return err
	}
	var w int64
	if pr != nil {
		pr.start(rowOf, ar)
		w = dedupePairs(identOff, byIdent, pr)
		pr.trim(w)
	} else {
		w = dedupeByIdentity(identOff, byIdent)
	}
	byIdent = byIdent[:w:w]
	s.Findings.DuplicateAssignments = int(known - w)
	if err := ctx.Err(); err != nil {
		return err
	}
	roleIdx := ai[:w:w]
	s.RoleOff = bucketByRole(byIdent, identOff, roleIdx, nr)
	s.RoleIdx = roleIdx
	s.IdentOff, s.IdentIdx = identOff, byIdent
	s.setOrphans(orphans, ic.vals, rows, int(known))
	return nil
}

// orphanCode is an assignment to an unknown identity: its identity code in the
// assignments and its role index.
type orphanCode struct{ ident, role int32 }

// bucketByIdentity is pass 1: the known assignments' roles bucketed by identity (file
// order within an identity) with each identity's offsets, and the orphans aside (in row
// order); with withRows also the row of each bucketed role (rowOf, aligned with byIdent).
// The rows are split into a block per processor: each block counts its own identities,
// then scatters from where the blocks before it end within each identity.
func bucketByIdentity(ai, ar, identOf, asgRole []int32, n int, withRows bool) (identOff []int64, byIdent, rowOf []int32, orphans []orphanCode) {
	return bucketIdentities(ai, ar, identOf, asgRole, n, withRows, nil)
}

// bucketIdentities is bucketByIdentity writing rowOf in spare when it is large enough
// (a dead array of codes; every slot of rowOf is written), else in a new array.
func bucketIdentities(ai, ar, identOf, asgRole []int32, n int, withRows bool, spare []int32) (identOff []int64, byIdent, rowOf []int32, orphans []orphanCode) {
	blocks := splitEven(len(ai), runtime.GOMAXPROCS(0))
	starts := make([][]int32, len(blocks)-1) // per block, per identity: its next slot
	orph := make([][]orphanCode, len(blocks)-1)
	forEach(len(blocks)-1, func(b int) {
		cnt := make([]int32, n)
		for k := blocks[b]; k < blocks[b+1]; k++ {
			if i := identOf[ai[k]]; i >= 0 {
				cnt[i]++
			} else {
				orph[b] = append(orph[b], orphanCode{ai[k], asgRole[ar[k]]})
			}
		}
		starts[b] = cnt
	})
	identOff = make([]int64, n+1)
	for i := range n {
		pos := identOff[i]
		for _, st := range starts {
			c := int64(st[i])
			st[i] = int32(pos)
			pos += c
		}
		identOff[i+1] = pos
	}
	byIdent = prefault.Make[int32](int(identOff[n]))
	switch {
	case withRows && int64(cap(spare)) >= identOff[n]:
		rowOf = spare[:identOff[n]]
	case withRows:
		rowOf = prefault.Make[int32](int(identOff[n]))
	}
	forEach(len(blocks)-1, func(b int) {
		st := starts[b]
		for k := blocks[b]; k < blocks[b+1]; k++ {
			if i := identOf[ai[k]]; i >= 0 {
				byIdent[st[i]] = asgRole[ar[k]]
				if rowOf != nil {
					rowOf[st[i]] = int32(k)
				}
				st[i]++
			}
		}
	})
	return identOff, byIdent, rowOf, slices.Concat(orph...)
}

// splitEven returns the bounds of parts nearly equal ranges of 0..n (parts+1 values, at
// least one range).
func splitEven(n, parts int) []int {
	parts = max(1, min(parts, n))
	bounds := make([]int, parts+1)
	for b := range bounds {
		bounds[b] = int(int64(n) * int64(b) / int64(parts))
	}
	return bounds
}

// splitByPairs returns the bounds of about parts ranges of the n = len(off)-1 buckets of
// CSR offsets off, holding nearly equal numbers of pairs.
func splitByPairs(off []int64, parts int) []int {
	n := len(off) - 1
	parts = max(1, min(parts, n))
	bounds := make([]int, parts+1)
	total := off[n]
	for b := 1; b < parts; b++ {
		target := total * int64(b) / int64(parts)
		k, _ := slices.BinarySearch(off, target)
		bounds[b] = max(bounds[b-1], min(k, n))
	}
	bounds[parts] = n
	return bounds
}

// dedupeByIdentity is pass 2: it sorts each identity's roles and drops the repeats, in
// place, rewriting identOff; it returns the pairs kept. Ranges of identities are done in
// parallel, each compacting within its own part of byIdent; the parts are then moved
// together.
func dedupeByIdentity(identOff []int64, byIdent []int32) int64 {
	return dedupePairs(identOff, byIdent, nil)
}

// dedupePairs is dedupeByIdentity, and with pr (not nil) it also folds the rows of each
// pair into the pair's account and last use (pairRows.fold), moved with the pairs.
func dedupePairs(identOff []int64, byIdent []int32, pr *pairRows) int64 {
	n := len(identOff) - 1
	bounds := splitByPairs(identOff, 4*runtime.GOMAXPROCS(0))
	parts := len(bounds) - 1
	start := make([]int64, parts+1) // each range's first slot, before compaction
	for b := range bounds {
		start[b] = identOff[bounds[b]]
	}
	end := make([]int64, parts) // each range's end after compaction
	forEach(parts, func(b int) {
		w := start[b]
		var scratch []uint64
		for i := bounds[b]; i < bounds[b+1]; i++ {
			lo, hi := identOff[i], start[b+1]
			if i+1 < bounds[b+1] {
				hi = identOff[i+1]
			}
			identOff[i] = w
			if pr != nil {
				var n int
				n, scratch = pr.fold(byIdent, lo, hi, w, scratch)
				w += int64(n)
				continue
			}
			seg := byIdent[lo:hi]
			if !strictlyAscending(seg) {
				slices.Sort(seg)
				seg = slices.Compact(seg)
			}
			w += int64(copy(byIdent[w:], seg))
		}
		end[b] = w
	})
	// Move each range's pairs down to where the ranges before it end.
	w := int64(0)
	for b := range parts {
		shift := start[b] - w
		copy(byIdent[w:], byIdent[start[b]:end[b]])
		if pr != nil {
			pr.move(w, start[b], end[b])
		}
		if shift != 0 {
			for i := bounds[b]; i < bounds[b+1]; i++ {
				identOff[i] -= shift
			}
		}
		w += end[b] - start[b]
	}
	identOff[n] = w
	return w
}

// pairRows carries the assignments rows of a universe through dedupePairs, which gives
// each direct pair what the universe keeps of its rows (docs/effective-privilege.md): the
// account through which it is granted, the smallest when several are (accounts are
// sorted, so the lexically smallest), and its latest last use.
type pairRows struct {
	// acct and used are per assignments row: its account (-1 for none) and its last use
	// as an index into the distinct dates (-1 for none); either may be nil (no account
	// columns, no last_used column).
	acct, used []int32
	// rowOf is the row of each bucketed pair before deduplication (bucketByIdentity).
	rowOf []int32
	// spare, when not nil, is a dead array of codes of one entry per row (the
	// assignments' system column) for bucketByIdentity to write rowOf in.
	spare []int32
	// pairAcct and pairUsed are the results, aligned with the pairs kept (nil when the
	// matching input is).
	pairAcct, pairUsed []int32
	// acctSystem is each account's system code (Accounts.System) and systems the number
	// of systems of the accounts (nil and 0 without accounts).
	acctSystem []int32
	systems    int
	// datedSystems and datedRoles say where a row of a known identity has a date
	// (markDated): by account system code for a row through an account, by role for a
	// row on the identity alone. Nil without a last_used column.
	datedSystems, datedRoles []bool
}

// markDated records the systems and roles of the dated rows of known identities in
// datedSystems and datedRoles, from which the report decides which systems have usage
// data (docs/excess-privilege.md#usage): a row is in its account's system, else in its
// role's application. identOf and asgRole resolve the rows' identity and role codes ai
// and ar; roles is the number of roles.
func (p *pairRows) markDated(ai, ar, identOf, asgRole []int32, roles int) {
	if p.used == nil {
		return
	}
	p.datedSystems, p.datedRoles = make([]bool, p.systems), make([]bool, roles)
	for row, d := range p.used {
		if d < 0 || identOf[ai[row]] < 0 {
			continue
		}
		if p.acct != nil {
			if a := p.acct[row]; a >= 0 {
				p.datedSystems[p.acctSystem[a]] = true
				continue
			}
		}
		p.datedRoles[asgRole[ar[row]]] = true
	}
}

// fold deduplicates the roles byIdent[lo:hi] of one identity with their rows (rowOf),
// writing the distinct roles ascending to byIdent[w:] and each one's account and last
// use to pairAcct[w:] and pairUsed[w:]; w is at most lo. It returns how many it wrote,
// and scratch (a buffer it may grow) for the next call.
func (p *pairRows) fold(byIdent []int32, lo, hi, w int64, scratch []uint64) (int, []uint64) {
	scratch = scratch[:0]
	if strictlyAscending(byIdent[lo:hi]) {
		// Each role once, in order (exports often list a person's grants so): no sort.
		for k := lo; k < hi; k++ {
			x := w + (k - lo)
			byIdent[x] = byIdent[k]
			row := p.rowOf[k]
			if p.pairAcct != nil {
				p.pairAcct[x] = p.acct[row]
			}
			if p.pairUsed != nil {
				p.pairUsed[x] = p.used[row]
			}
		}
		return int(hi - lo), scratch
	}
	for k := lo; k < hi; k++ {
		scratch = append(scratch, uint64(uint32(byIdent[k]))<<32|uint64(uint32(p.rowOf[k])))
	}
	sortAfterAscending(scratch) // by role, then row
	n := 0
	for k := 0; k < len(scratch); {
		role := int32(scratch[k] >> 32)
		acct, used := int32(-1), int32(-1)
		for ; k < len(scratch) && int32(scratch[k]>>32) == role; k++ {
			row := int32(uint32(scratch[k]))
			if p.acct != nil {
				if a := p.acct[row]; a >= 0 && (acct < 0 || a < acct) {
					acct = a
				}
			}
			if p.used != nil {
				used = max(used, p.used[row])
			}
		}
		x := w + int64(n)
		byIdent[x] = role
		if p.pairAcct != nil {
			p.pairAcct[x] = acct
		}
		if p.pairUsed != nil {
			p.pairUsed[x] = used
		}
		n++
	}
	return n, scratch
}

// maxInsertedTail is the most keys sortAfterAscending inserts one by one after the
// ascending prefix; past it, it sorts them all.
const maxInsertedTail = 16

// sortAfterAscending sorts s, whose keys are distinct. A person's grants are often
// listed in role order with a few more after them (granted through other systems, in
// the generated universes about two breaks of the order per identity): the keys after
// the ascending prefix are then inserted into place one at a time, each found by binary
// search, rather than the whole identity sorted again.
func sortAfterAscending(s []uint64) {
	p := 1
	for p < len(s) && s[p-1] < s[p] {
		p++
	}
	if len(s)-p > maxInsertedTail {
		slices.Sort(s)
		return
	}
	for k := p; k < len(s); k++ {
		v := s[k]
		if v > s[k-1] {
			continue
		}
		j, _ := slices.BinarySearch(s[:k], v)
		copy(s[j+1:k+1], s[j:k])
		s[j] = v
	}
}

// start readies the results for the bucketed pairs (rowOf: the row of each); spare, a
// dead array of codes, holds the accounts when it is large enough (every pair kept gets
// its account written).
func (p *pairRows) start(rowOf, spare []int32) {
	p.rowOf, p.spare = rowOf, nil
	switch {
	case p.acct != nil && cap(spare) >= len(rowOf):
		p.pairAcct = spare[:len(rowOf)]
	case p.acct != nil:
		p.pairAcct = make([]int32, len(rowOf))
	}
	if p.used != nil {
		p.pairUsed = make([]int32, len(rowOf))
	}
}

// move moves the results of positions [from, to) down to dst, as dedupePairs moves the
// pairs.
func (p *pairRows) move(dst, from, to int64) {
	if p.pairAcct != nil {
		copy(p.pairAcct[dst:], p.pairAcct[from:to])
	}
	if p.pairUsed != nil {
		copy(p.pairUsed[dst:], p.pairUsed[from:to])
	}
}

// trim cuts the results to the n pairs kept and lets the rows go.
func (p *pairRows) trim(n int64) {
	if p.pairAcct != nil {
		p.pairAcct = p.pairAcct[:n:n]
	}
	if p.pairUsed != nil {
		p.pairUsed = p.pairUsed[:n:n]
	}
	p.rowOf = nil
}

// strictlyAscending reports whether v ascends without repeats.
func strictlyAscending(v []int32) bool {
	for k := 1; k < len(v); k++ {
		if v[k-1] >= v[k] {
			return false
		}
	}
	return true
}

// bucketByRole is pass 3: the identities of the pairs bucketed by role into roleIdx,
// visiting identities in ascending order (so each role's holders come out ascending and
// duplicates, if any, adjacent); it returns the roles' offsets. Ranges of identities are
// done in parallel: each counts its own roles, then scatters from where the ranges
// before it end within each role.
func bucketByRole(byIdent []int32, identOff []int64, roleIdx []int32, nr int) []int64 {
	bounds := splitByPairs(identOff, runtime.GOMAXPROCS(0))
	parts := len(bounds) - 1
	starts := make([][]int64, parts) // per range, per role: its next slot
	forEach(parts, func(b int) {
		cnt := make([]int64, nr)
		for _, r := range byIdent[identOff[bounds[b]]:identOff[bounds[b+1]]] {
			cnt[r]++
		}
		starts[b] = cnt
	})
	roleOff := make([]int64, nr+1)
	for r := range nr {
		pos := roleOff[r]
		for _, st := range starts {
			c := st[r]
			st[r] = pos
			pos += c
		}
		roleOff[r+1] = pos
	}
	forEach(parts, func(b int) {
		st := starts[b]
		for i := bounds[b]; i < bounds[b+1]; i++ {
			for _, r := range byIdent[identOff[i]:identOff[i+1]] {
				roleIdx[st[r]] = int32(i)
				st[r]++
			}
		}
	})
	return roleOff
}

// setOrphans records the orphans, sorted by (identity id, role) and deduplicated, with
// the identities they name; ids are the assignments' identity values (a value may have
// several codes: chunkDicts), rows the number of assignment rows and known those of known
// identities.
func (s *Snapshot) setOrphans(orphans []orphanCode, ids []string, rows, known int) {
	slices.SortFunc(orphans, func(a, b orphanCode) int {
		return cmp.Or(strings.Compare(ids[a.ident], ids[b.ident]), cmp.Compare(a.role, b.role))
	})
	orphans = slices.CompactFunc(orphans, func(a, b orphanCode) bool {
		return a.role == b.role && ids[a.ident] == ids[b.ident]
	})
	s.Findings.DuplicateAssignments += rows - known - len(orphans)
	s.Orphans = make([]Orphan, len(orphans))
	for j, o := range orphans {
		id := ids[o.ident]
		s.Orphans[j] = Orphan{IdentityID: id, Role: o.role}
		if j == 0 || ids[orphans[j-1].ident] != id {
			s.Findings.OrphanIdentities = append(s.Findings.OrphanIdentities, id)
		}
	}
	s.Findings.OrphanAssignments = len(s.Orphans)
}

// forEach runs f(0..n-1) on up to GOMAXPROCS goroutines (parallel.Each; f cannot fail
// and the work is not cancelled). A panic in f (a bug) is raised again on the caller's
// goroutine (parallel.Must): the functions that build a snapshot from its tables return
// no errors, and it travels up to Load's or LoadHoldings' recover (recoverBug).
func forEach(n int, f func(int)) {
	parallel.Must(parallel.Each(context.Background(), n, runtime.GOMAXPROCS(0), func(_, i int) error {
		f(i)
		return nil
	}))
}

// recoverBug is the error of Load or LoadHoldings (on dir) when one of their goroutines
// panicked (a bug): p, the panic their deferred function recovered (nil: none), a
// worker's raised again (parallel.Must) or one of the goroutine's own, or the first one of
// bugs (unless nil), the goroutines started outside the pool, which comes first: a
// goroutine's panic leaves its results missing, and the panic that follows is only a
// consequence. The error is a *parallel.PanicError wrapped with dir: exit code 1.
func recoverBug(dir string, bugs *parallel.Bugs, p any) error {
	if bugs != nil {
		if bug := bugs.Err(); bug != nil {
			return fmt.Errorf("load %s: %w", dir, bug)
		}
	}
	if p != nil {
		return fmt.Errorf("load %s: %w", dir, parallel.Recovered(p))
	}
	return nil
}

// orBug is the results of Load or LoadHoldings on dir, v and err, or nil and the bug
// (recoverBug of bugs and p) when there is one.
func orBug[T any](dir string, bugs *parallel.Bugs, p any, v *T, err error) (*T, error) {
	if bug := recoverBug(dir, bugs, p); bug != nil {
		return nil, bug
	}
	return v, err
}
