package report

import (
	"context"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/parquetenc"
	"github.com/rolemine/rolemine/internal/usage"
)

// Columns of assignments.parquet for data with accounts or grants (effectiveRow, and
// effectiveUsageRow's usage), in schema order.
const (
	ecIdent = iota
	ecRole
	ecKind
	ecStatus
	ecRule
	ecSystem
	ecAccount
	ecInherited
	ecVia
	ecRedundant
	ecHidden
	ecUsage
)

// effectiveColumns are the parquetenc columns of effectiveRow, and with usage those of
// effectiveUsageRow. identity_id, kind and status keep parquet-go's Snappy, so that they
// are compressed as in the flat file; role_id and rule_id are compressed by codec ids,
// the columns only data with accounts or grants has by codec u (both universeCodec in a
// run). role_id's dictionary is every role id (CodeOrderDict: RATIONALE.md, "A universe's
// role_id column has every role in its dictionary").
func effectiveColumns(withUsage bool, ids, u parquetenc.Codec) []parquetenc.Column {
	cols := []parquetenc.Column{
		{Name: "identity_id"}, {Name: "role_id", Codec: ids, CodeOrderDict: true}, {Name: "kind"}, {Name: "status"},
		{Name: "rule_id", Optional: true, Codec: ids}, {Name: "system", Optional: true, Codec: u},
		{Name: "account_id", Optional: true, Codec: u}, {Name: "inherited", Bool: true, Codec: u},
		{Name: "via", Optional: true, Codec: u}, {Name: "redundant", Bool: true, Codec: u},
		{Name: "hidden", Bool: true, Codec: u},
	}
	if withUsage {
		cols = append(cols, parquetenc.Column{Name: "usage", Optional: true, Codec: u})
	}
	return cols
}

// universeCodec compresses role_id, rule_id and the columns of assignments.parquet that
// only data with accounts or grants has: the standard Snappy encoder (still Snappy to
// every reader), about half the CPU of parquet-go's "better" Snappy, for some percent
// more bytes (RATIONALE.md, "The universe-only columns of assignments.parquet use the
// standard Snappy encoder").
const universeCodec = parquetenc.SnappyFast

// effectiveDicts extend assignmentDicts with the dictionaries of the effective columns.
// They are made before the walk and read by every worker; only vias grows during it.
type effectiveDicts struct {
	*assignmentDicts
	systems []string
	// accounts are the account_id column's values: Universe.Accounts.ID, then the ids of
	// orphans' accounts that no account has. acctCode gives each account the code of its
	// id (accounts of equal ids share one), orphanAcct each orphan's (-1: none).
	accounts   []string
	acctCode   []int32
	orphanAcct []int32
	acctRank   []int32 // the accounts' ranks (parquetenc.Data.Rank), nil for none
	// roleRank and ruleRank are the ranks of the role ids and of the rules when they are
	// not in ascending order.
	roleRank, ruleRank []int32
	// orphanSystem is each orphan's system index (-1: none).
	orphanSystem []int32
	vias         *viaTable // nil without grants
	usages       []string  // usage state -> its name
}

func newEffectiveDicts(snap *columnar.Snapshot, m *mining.Model, w *pairWalker, eff *Effective) *effectiveDicts {
	d := &effectiveDicts{assignmentDicts: newAssignmentDicts(snap, m), systems: w.systemNames}
	// The page bounds of role_id and rule_id come from ranks when their ids are not in
	// order (sorted once: far fewer than the rows).
	if !d.rolesAscending {
		d.roleRank = parquetenc.RanksAfter(snap.Roles.IDs, 0)
	}
	if !d.rulesAscending {
		d.ruleRank = parquetenc.RanksAfter(d.rules, 0)
	}
	var a *columnar.Accounts
	if u := snap.Universe; u != nil {
		a = u.Accounts
	}
	d.accounts, d.acctCode, d.orphanAcct, d.acctRank = accountDict(a, snap.Orphans)
	d.orphanSystem = make([]int32, len(snap.Orphans))
	for j := range snap.Orphans {
		d.orphanSystem[j] = -1
		if name := orphanSystem(snap, &snap.Orphans[j]); name != "" {
			d.orphanSystem[j] = w.systemOf[name]
		}
	}
	if eff != nil && eff.Eff != nil {
		d.vias = newViaTable(eff.Eff.Closure, snap.Roles.IDs)
	}
	for s := usage.Unknown; s <= usage.Unused; s++ {
		d.usages = append(d.usages, s.String())
	}
	return d
}

// accountDict returns the values of the account_id column and the codes of accounts a
// (nil: none) and of the orphans into them, equal ids sharing one code (parquetenc's
// contract): an account's code is that of the first account of its id in (id, index)
// order, an orphan's that of an account of its id, or a value appended after a's ids;
// and the values' ranks (parquetenc.Data.Rank; nil when too costly to find).
func accountDict(a *columnar.Accounts, orphans []columnar.Orphan) (values []string, acct, orphan, rank []int32) {
	var runs [][2]int32
	if a != nil {
		values = a.ID
		var ok bool
		if acct, rank, runs, ok = mergeAccountIDs(a); !ok {
			acct, rank, runs = idCodes(a.ID), nil, nil
		}
	}
	// find returns the code of an account of id, -1 for none.
	var byID map[string]int32
	find := func(id string) int32 {
		if runs == nil {
			if byID == nil {
				byID = make(map[string]int32, len(values))
				for k, v := range values {
					if _, ok := byID[v]; !ok {
						byID[v] = int32(k)
					}
				}
			}
			if c, ok := byID[id]; ok {
				return acct[c]
			}
			return -1
		}
		for _, r := range runs {
			ids := a.ID[r[0]:r[1]]
			if k, ok := slices.BinarySearch(ids, id); ok {
				return acct[r[0]+int32(k)]
			}
		}
		return -1
	}
	orphan = make([]int32, len(orphans))
	extra := map[string]int32{}
	for j, o := range orphans {
		orphan[j] = -1
		if o.AccountID == "" {
			continue
		}
		c, ok := extra[o.AccountID]
		if !ok {
			if c = find(o.AccountID); c < 0 {
				c = int32(len(values))
				values = append(slices.Clip(values), o.AccountID)
			}
			extra[o.AccountID] = c
		}
		orphan[j] = c
	}
	if len(values) > len(acct) {
		rank = ranksWithOrphans(values, len(acct), rank)
	}
	return values, acct, orphan, rank
}

// ranksWithOrphans returns the ranks of values whose first n are the accounts' ids, of
// ranks rank (nil: unknown), and the rest orphans' ids distinct from them and from each
// other: with the accounts' ranks, the orphans' ids are placed among them by binary
// search (parquetenc.InsertSorted); without, values are ranked afresh (nil when too
// costly).
func ranksWithOrphans(values []string, n int, rank []int32) []int32 {
	if rank == nil {
		return parquetenc.Ranks(values)
	}
	sorted := make([]int32, n)
	for x, r := range rank {
		sorted[r] = int32(x)
	}
	added := make([]int32, 0, len(values)-n)
	for k := n; k < len(values); k++ {
		added = append(added, int32(k))
	}
	return parquetenc.RanksOf(parquetenc.InsertSorted(values, sorted, added))
}

// idCodes gives each of ids the index of the first equal one.
func idCodes(ids []string) []int32 {
	first := make(map[string]int32, len(ids))
	codes := make([]int32, len(ids))
	for k, id := range ids {
		c, ok := first[id]
		if !ok {
			c = int32(k)
			first[id] = c
		}
		codes[k] = c
	}
	return codes
}

// mergeAccountIDs gives each account the index of the first account (in (id, index)
// order) of its id, and its id's rank among the accounts' ids (parquetenc.Data.Rank), by
// merging the systems' runs of accounts, each sorted by id: equal ids then come one
// after the other, without hashing millions of strings. It also returns the runs
// ([start, end) per system). ok is false when a run is not strictly ascending (the
// caller then hashes).
func mergeAccountIDs(a *columnar.Accounts) (codes, rank []int32, runs [][2]int32, ok bool) {
	n := int32(len(a.ID))
	for k := int32(0); k < n; k++ {
		if k == 0 || a.System[k] != a.System[k-1] {
			runs = append(runs, [2]int32{k, k})
		} else if a.ID[k-1] >= a.ID[k] {
			return nil, nil, nil, false
		}
		runs[len(runs)-1][1] = k + 1
	}
	codes, rank = make([]int32, n), make([]int32, n)
	prev := int32(-1)
	parquetenc.MergeRuns(a.ID, runs, func(x, r int32) {
		codes[x], rank[x] = x, r
		if prev >= 0 && a.ID[x] == a.ID[prev] {
			codes[x] = codes[prev]
		}
		prev = x
	})
	return codes, rank, runs, true
}

// viaTable gives each step of a closure the code of its via string, made on first use
// by whichever worker meets it; equal strings share a code (distinct steps could only
// make equal strings if role ids contained the separator).
type viaTable struct {
	closure *effective.Closure
	ids     []string
	code    []atomic.Int32 // step -> code + 1, 0: not made yet
	mu      sync.Mutex
	values  []string
	of      map[string]int32
	// sorted holds the codes whose ranks are known, in the order of their values; rank
	// gives each its position (ranks).
	sorted, rank []int32
}

func newViaTable(c *effective.Closure, ids []string) *viaTable {
	return &viaTable{closure: c, ids: ids, code: make([]atomic.Int32, c.NumSteps()), of: map[string]int32{}}
}

// get returns the code of the chain of step, from source to role.
func (t *viaTable) get(step int64, source, role int32) int32 {
	if c := t.code[step].Load(); c > 0 {
		return c - 1
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.code[step].Load(); c > 0 {
		return c - 1
	}
	s := t.closure.ViaString(source, role, t.ids)
	c, ok := t.of[s]
	if !ok {
		c = int32(len(t.values))
		t.of[s] = c
		t.values = append(t.values, s)
	}
	t.code[step].Store(c + 1)
	return c
}

// getStep is get for closure step step of pairs, whose source it reads only when the
// step's code is not made yet.
func (t *viaTable) getStep(step int32, pairs *effective.Pairs, role int32) int32 {
	if c := t.code[step].Load(); c > 0 {
		return c - 1
	}
	return t.get(int64(step), pairs.SourceOfStep(step), role)
}

// made returns the strings of every code made so far, and their ranks
// (parquetenc.Data.Rank).
func (t *viaTable) made() ([]string, []int32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.values, t.ranks()
}

// ranks returns the ranks of every value made so far: the values made since the last call
// are inserted into the sorted ones (parquetenc.InsertSorted), and the ranks are a new
// array when any value is new, since the workers keep reading earlier ones. The caller
// holds t.mu.
func (t *viaTable) ranks() []int32 {
	if len(t.rank) == len(t.values) {
		return t.rank
	}
	added := make([]int32, 0, len(t.values)-len(t.sorted))
	for c := int32(len(t.sorted)); c < int32(len(t.values)); c++ {
		added = append(added, c)
	}
	t.sorted = parquetenc.InsertSorted(t.values, t.sorted, added)
	t.rank = parquetenc.RanksOf(t.sorted)
	return t.rank
}

// effectiveGroup fills one row group's codes.
type effectiveGroup struct {
	snap *columnar.Snapshot
	data []parquetenc.Data
	d    *effectiveDicts
	// pairRoles, set with grants, makes the role column of the group's effective pairs
	// the pairs' own roles (effective.Pairs.Role over the group's rows, which are the
	// pairs' positions) instead of a copy (pointPairRoles); orphans' roles go after
	// them into storage of the group's own.
	pairRoles bool
}

// pointPairRoles makes roles, the roles of the group's effective pairs, its role
// column, capped so that the orphans appended after them go to a copy, never into the
// pairs' array.
func (g *effectiveGroup) pointPairRoles(roles []int32) {
	g.data[ecRole].Codes = roles[:len(roles):len(roles)]
}

// addPair adds the row of pair v, of an identity of kind code kind.
func (g *effectiveGroup) addPair(v *pairView, kind int32) {
	d := g.d
	if kind < 0 {
		kind = int32(len(d.kinds) - 1)
	}
	status, rule := int32(mining.Unexplained), int32(-1)
	if v.rule >= 0 {
		status, rule = int32(mining.Explained), d.ruleCode[v.rule]
	}
	account, via := int32(-1), int32(-1)
	if v.acct >= 0 {
		account = d.acctCode[v.acct]
	}
	if v.inherited {
		via = d.vias.get(v.step, v.source, v.role)
	}
	g.add(int32(v.ident), v.role, kind, status, rule, v.system, account, via, int32(v.usage), v.inherited, v.redun, v.hidden)
}

// addOrphan adds the row of orphan j.
func (g *effectiveGroup) addOrphan(j int) {
	d := g.d
	g.add(d.orphanIdent[j], g.snap.Orphans[j].Role, int32(len(d.kinds)-1), int32(mining.Orphan), -1, d.orphanSystem[j], d.orphanAcct[j], -1, -1, false, false, false)
}

// add appends one row: the string columns' codes in column order (bools skipped), then
// the three booleans.
func (g *effectiveGroup) add(ident, role, kind, status, rule, system, account, via, use int32, inherited, redundant, hidden bool) {
	d := g.data
	d[ecIdent].Codes = append(d[ecIdent].Codes, ident)
	d[ecRole].Codes = append(d[ecRole].Codes, role)
	d[ecKind].Codes = append(d[ecKind].Codes, kind)
	d[ecStatus].Codes = append(d[ecStatus].Codes, status)
	d[ecRule].Codes = append(d[ecRule].Codes, rule)
	d[ecSystem].Codes = append(d[ecSystem].Codes, system)
	d[ecAccount].Codes = append(d[ecAccount].Codes, account)
	d[ecInherited].Bools = append(d[ecInherited].Bools, inherited)
	d[ecVia].Codes = append(d[ecVia].Codes, via)
	d[ecRedundant].Bools = append(d[ecRedundant].Bools, redundant)
	d[ecHidden].Bools = append(d[ecHidden].Bools, hidden)
	if len(d) > ecUsage {
		d[ecUsage].Codes = append(d[ecUsage].Codes, use)
	}
}

// setValues points every string column at its dictionary, once the group is filled.
func (g *effectiveGroup) setValues() {
	d, data := g.d, g.data
	data[ecIdent].Values, data[ecRole].Values, data[ecKind].Values = d.idents, g.snap.Roles.IDs, d.kinds
	data[ecStatus].Values, data[ecRule].Values, data[ecSystem].Values = statusValues, d.rules, d.systems
	data[ecIdent].Ascending, data[ecRole].Ascending, data[ecRule].Ascending = d.identsAscending, d.rolesAscending, d.rulesAscending
	data[ecIdent].Rank, data[ecRole].Rank, data[ecRule].Rank = d.identRank, d.roleRank, d.ruleRank
	data[ecAccount].Values, data[ecAccount].Rank = d.accounts, d.acctRank
	if d.vias != nil {
		data[ecVia].Values, data[ecVia].Rank = d.vias.made()
	}
	if len(data) > ecUsage {
		data[ecUsage].Values = d.usages
	}
}

// effectiveSink is where a pair walk (pairWalk.run) writes assignments.parquet: its row
// groups of groupRows rows are the walk's blocks.
type effectiveSink struct {
	pw        *parquetenc.Writer
	cols      []parquetenc.Column
	m         *mining.Model
	groupRows int64
	// d and rows (of the whole file) are set by the walk, which knows the systems, and
	// so is pairRoles (effectiveGroup's).
	d         *effectiveDicts
	rows      int64
	pairRoles bool
	// filled, when set (benchmarks), sees each row group's columns before they are
	// encoded.
	filled func(b int, data []parquetenc.Data)
}

// write walks and encodes groups row groups with up to workers goroutines (walk fills
// group b) and writes them in order, then closes the file.
func (s *effectiveSink) write(ctx context.Context, snap *columnar.Snapshot, groups, workers int, walk func(b int, g *effectiveGroup) error) error {
	return encodeGroupsInOrder(ctx, s.pw, s.cols, groups, workers, func(b int, enc *parquetenc.Encoder, data []parquetenc.Data) (*parquetenc.Group, error) {
		n := int(min(s.groupRows, s.rows-int64(b)*s.groupRows))
		for c := range data { // sized at once, not grown by doubling
			switch {
			case s.cols[c].Bool:
				data[c].Bools = slices.Grow(data[c].Bools[:0], n)
			case c == ecRole && s.pairRoles:
				data[c].Codes = nil // the last group's may be the pairs' roles
			default:
				data[c].Codes = slices.Grow(data[c].Codes[:0], n)
			}
		}
		g := &effectiveGroup{snap: snap, data: data, d: s.d, pairRoles: s.pairRoles}
		if err := walk(b, g); err != nil {
			return nil, err
		}
		g.setValues()
		if s.filled != nil {
			s.filled(b, data)
		}
		return enc.Encode(data)
	})
}

// writeEffectiveAssignments writes assignments.parquet with one row per effective pair,
// then the orphans (with their accounts); with usage data (eff.Usage), each row also
// carries its usage state. The bytes are parquet-go's for effectiveRow (or
// effectiveUsageRow) rows written in chunks of chunkRows into row groups of rowGroupRows
// (parquetenc reproduces them). The walk that fills the row groups is the run's pair walk
// (walkPairsWriting): the summary, review.csv and the excess ranking read its results.
func writeEffectiveAssignments(ctx context.Context, out io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, eff *Effective, version string) error {
	return writeEffectiveGroups(ctx, out, snap, m, cls, eff, version, rowGroupRows)
}

func writeEffectiveGroups(ctx context.Context, out io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, eff *Effective, version string, groupRows int) error {
	return writeEffectiveFilled(ctx, out, snap, m, cls, eff, version, groupRows, nil, universeCodec, universeCodec)
}

// writeEffectiveFilled is writeEffectiveGroups calling filled (nil: none) with each row
// group's columns before they are encoded (effectiveSink.filled), and compressing role_id
// and rule_id with codec ids, the universe-only columns with codec u (effectiveColumns).
func writeEffectiveFilled(ctx context.Context, out io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, eff *Effective, version string, groupRows int,
	filled func(b int, data []parquetenc.Data), ids, u parquetenc.Codec) error {
	opts := parquetOptions(version, parquet.MaxRowsPerRowGroup(int64(groupRows)))
	var template []byte
	var err error
	if eff.Usage != nil {
		template, err = parquetenc.Template[effectiveUsageRow](opts...)
	} else {
		template, err = parquetenc.Template[effectiveRow](opts...)
	}
	if err != nil {
		return err
	}
	pw, err := parquetenc.NewWriter(out, template)
	if err != nil {
		return err
	}
	sink := &effectiveSink{pw: pw, cols: effectiveColumns(eff.Usage != nil, ids, u), m: m, groupRows: int64(groupRows), filled: filled}
	return walkPairsWriting(ctx, snap, cls, eff, sink)
}
