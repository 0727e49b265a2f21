package report

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/parquetenc"
)

// assignmentRow is one row of assignments.parquet, declared in package model.
type assignmentRow = model.Assignment

// suggestionRow is one row of suggestions.parquet, declared in package model.
type suggestionRow = model.Suggestion

// assignmentSchema and suggestionSchema keep the root names the two files' schemas have
// always had (the writer's type names before the types moved to package model), so that
// the files stay byte-identical.
func assignmentSchema() *parquet.Schema {
	return parquet.NewSchema("assignmentRow", parquet.SchemaOf(assignmentRow{}))
}

func suggestionSchema() *parquet.Schema {
	return parquet.NewSchema("suggestionRow", parquet.SchemaOf(suggestionRow{}))
}

const (
	// chunkRows is how many rows are built at a time in a reused buffer before they are
	// handed to the Parquet writer (a multiple of 64: parquetenc reproduces parquet-go's
	// pages for writes that start at multiples of 64 rows of a row group).
	chunkRows = 1 << 16
	// rowGroupRows is the size of assignments.parquet row groups. It is fixed (never
	// derived from the worker count) so that the file's bytes do not depend on it.
	rowGroupRows = 1 << 20
)

// assignmentColumns are assignments.parquet's columns for parquetenc, in schema order;
// role_id and rule_id get no page bounds (see assignmentsOptions).
var assignmentColumns = []parquetenc.Column{
	{Name: "identity_id"},
	{Name: "role_id", NoBounds: true},
	{Name: "kind"},
	{Name: "status"},
	{Name: "rule_id", Optional: true, NoBounds: true},
}

// Status names as written in assignments.parquet.
var (
	statusExplained   = mining.Explained.String()
	statusUnexplained = mining.Unexplained.String()
	statusOrphan      = mining.Orphan.String()
)

// statusValues is the dictionary of the status column: a mining.Status is its code.
var statusValues = []string{statusExplained, statusUnexplained, statusOrphan}

// assignmentDicts are the run-wide dictionaries of assignments.parquet's string columns:
// a row's codes index them, each string appears once.
type assignmentDicts struct {
	idents      []string // snap.IdentityIDs, then the orphans' identities
	orphanIdent []int32  // code of each orphan's identity
	kinds       []string // the kind dimension's values, then ""
	rules       []string // distinct rule ids
	ruleCode    []int32  // rule index -> code in rules
	// identsAscending, rolesAscending and rulesAscending say that idents, the role ids
	// and rules are in ascending order (parquetenc.Data.Ascending).
	identsAscending, rolesAscending, rulesAscending bool
	// identRank is the identities' ranks (parquetenc.Data.Rank) when only the orphans'
	// ids, appended after the snapshot's, break their order.
	identRank []int32
}

func newAssignmentDicts(snap *columnar.Snapshot, m *mining.Model) *assignmentDicts {
	d := &assignmentDicts{idents: snap.IdentityIDs}
	if len(snap.Orphans) > 0 {
		// An orphan's identity is unknown, so its id is none of snap.IdentityIDs; it is
		// checked all the same, since a string twice in a dictionary changes the bytes.
		code := map[string]int32{}
		for _, o := range snap.Orphans {
			code[o.IdentityID] = -1
		}
		for i, id := range snap.IdentityIDs {
			if _, ok := code[id]; ok {
				code[id] = int32(i)
			}
		}
		d.idents = slices.Clip(d.idents)
		d.orphanIdent = make([]int32, len(snap.Orphans))
		for j, o := range snap.Orphans {
			c := code[o.IdentityID]
			if c < 0 {
				c = int32(len(d.idents))
				code[o.IdentityID] = c
				d.idents = append(d.idents, o.IdentityID)
			}
			d.orphanIdent[j] = c
		}
	}
	kinds := snap.Dims[snap.KindDim].Values
	d.kinds = append(slices.Clip(kinds), "") // Values never holds ""
	d.rules, d.ruleCode = distinctCodes(len(m.Rules), func(r int) string { return m.Rules[r].ID })
	d.identsAscending = parquetenc.Ascending(d.idents)
	d.rolesAscending = parquetenc.Ascending(snap.Roles.IDs)
	d.rulesAscending = parquetenc.Ascending(d.rules)
	known := len(snap.IdentityIDs)
	if !d.identsAscending && parquetenc.Ascending(d.idents[:known]) {
		d.identRank = parquetenc.RanksAfter(d.idents, known)
	}
	return d
}

// distinctCodes gives each of n strings a code such that equal strings share one, and
// the dictionary those codes index.
func distinctCodes(n int, str func(int) string) ([]string, []int32) {
	code := make(map[string]int32, n)
	codes := make([]int32, n)
	var values []string
	for k := range n {
		s := str(k)
		c, ok := code[s]
		if !ok {
			c = int32(len(values))
			code[s] = c
			values = append(values, s)
		}
		codes[k] = c
	}
	return values, codes
}

// assignmentCursor produces the rows of assignments.parquet in order, as codes: the
// known identities' assignments in CSR-by-identity order (snap.IdentIdx), then
// snap.Orphans.
type assignmentCursor struct {
	snap  *columnar.Snapshot
	rules []mining.Rule
	cls   *mining.Classification
	dicts *assignmentDicts
	kinds *columnar.Dimension
	known int64 // len(snap.IdentIdx)
}

func newAssignmentCursor(snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, dicts *assignmentDicts) *assignmentCursor {
	return &assignmentCursor{
		snap:  snap,
		rules: m.Rules,
		cls:   cls,
		dicts: dicts,
		kinds: &snap.Dims[snap.KindDim],
		known: int64(len(snap.IdentIdx)),
	}
}

// total is the number of rows.
func (c *assignmentCursor) total() int64 { return c.known + int64(len(c.snap.Orphans)) }

// fill sets data (one parquetenc.Data per column, reused) to rows [lo, hi). It fails on
// an assignment whose role or rule index does not fit the snapshot and model.
func (c *assignmentCursor) fill(data []parquetenc.Data, lo, hi int64) error {
	snap, d := c.snap, c.dicts
	n := int(hi - lo)
	for col := range data {
		data[col].Codes = slices.Grow(data[col].Codes[:0], n)[:n]
	}
	data[0].Values, data[1].Values, data[2].Values, data[3].Values, data[4].Values = d.idents, snap.Roles.IDs, d.kinds, statusValues, d.rules
	data[0].Ascending, data[0].Rank = d.identsAscending, d.identRank
	ident, role, kind, status, rule := data[0].Codes, data[1].Codes, data[2].Codes, data[3].Codes, data[4].Codes
	noKind := int32(len(d.kinds) - 1)
	k := lo
	if k < c.known {
		off := snap.IdentOff
		i := sort.Search(len(off)-1, func(i int) bool { return off[i+1] > k })
		for ; k < min(hi, c.known); i++ {
			kc := c.kinds.Codes[i]
			if kc < 0 {
				kc = noKind
			}
			for ; k < min(hi, off[i+1]); k++ {
				j := k - lo
				r := snap.IdentIdx[k]
				if r < 0 || int(r) >= len(snap.Roles.IDs) {
					return fmt.Errorf("assignment %d (identity %s) has role %d, want 0..%d", k, snap.IdentityIDs[i], r, len(snap.Roles.IDs)-1)
				}
				ident[j], role[j], kind[j], status[j], rule[j] = int32(i), r, kc, int32(mining.Unexplained), -1
				if ro := c.cls.RuleOf[k]; ro >= 0 {
					if int(ro) >= len(c.rules) || c.rules[ro].Role != r {
						return fmt.Errorf("assignment %d (%s holds %s) is explained by rule %d, which is not a rule of that role", k, snap.IdentityIDs[i], snap.Roles.IDs[r], ro)
					}
					status[j], rule[j] = int32(mining.Explained), d.ruleCode[ro]
				}
			}
		}
	}
	for ; k < hi; k++ {
		j, o := k-lo, k-c.known
		ident[j], role[j], kind[j], status[j], rule[j] = d.orphanIdent[o], snap.Orphans[o].Role, noKind, int32(mining.Orphan), -1
	}
	return nil
}

// assignmentsOptions are the writer options of assignments.parquet. Pages of role_id and
// rule_id (in identity order, so spread over their whole range) get no min/max bounds:
// computing them costs about a third of the writing time and lets a reader skip nothing.
// identity_id, kind and status keep theirs (rows are in identity order).
func assignmentsOptions(version string) []parquet.WriterOption {
	return parquetOptions(version, assignmentSchema(), parquet.SkipPageBounds("role_id"), parquet.SkipPageBounds("rule_id"))
}

// writeAssignmentsParquet writes assignments.parquet (see assignmentCursor for the row
// order) with parquetenc, byte for byte what parquet-go writes (rule_id's nulls given as
// nil pointers: every null written as null) when each row group is
// written by its own writer and the groups are spliced in order. Row groups of groupRows
// rows (rowGroupRows in outputs) are encoded in parallel by up to workers goroutines and
// written in order; the output does not depend on workers. At most workers encoded
// groups are held at once.
func writeAssignmentsParquet(ctx context.Context, w io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, version string, workers int, groupRows int64) error {
	template, err := parquetenc.Template[assignmentRow](assignmentsOptions(version)...)
	if err != nil {
		return err
	}
	pw, err := parquetenc.NewWriter(w, template)
	if err != nil {
		return err
	}
	dicts := newAssignmentDicts(snap, m)
	total := newAssignmentCursor(snap, m, cls, dicts).total()
	groups := int((total + groupRows - 1) / groupRows)
	encode := func(g int, enc *parquetenc.Encoder, data []parquetenc.Data) (*parquetenc.Group, error) {
		lo := int64(g) * groupRows
		if err := newAssignmentCursor(snap, m, cls, dicts).fill(data, lo, min(lo+groupRows, total)); err != nil {
			return nil, err
		}
		return enc.Encode(data)
	}
	return encodeGroupsInOrder(ctx, pw, assignmentColumns, groups, workers, encode)
}

// encodeGroupsInOrder encodes groups row groups with up to workers goroutines, each with
// its own encoder and column buffers, and writes them to pw in order, then closes pw.
func encodeGroupsInOrder(ctx context.Context, pw *parquetenc.Writer, cols []parquetenc.Column, groups, workers int,
	encode func(g int, enc *parquetenc.Encoder, data []parquetenc.Data) (*parquetenc.Group, error)) error {
	if groups == 0 {
		return pw.Close()
	}
	workers = max(1, min(workers, groups))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type encoded struct {
		group *parquetenc.Group
		err   error
	}
	type state struct {
		enc  *parquetenc.Encoder
		data []parquetenc.Data
	}
	results := make([]chan encoded, groups)
	for g := range results {
		results[g] = make(chan encoded, 1)
	}
	// tokens hands each worker an encoder and column buffers, reused from group to group
	// and taken back when a group is encoded.
	tokens := make(chan *state, workers)
	for range workers {
		tokens <- &state{enc: parquetenc.NewEncoder(cols), data: make([]parquetenc.Data, len(cols))}
	}
	// unwritten bounds the groups started but not yet written at twice the workers: a
	// worker done before the group ahead of it is written goes on with the next one, but
	// encoded groups waiting on a slow disk stop the workers once as many wait as there
	// are workers.
	unwritten := make(chan struct{}, 2*workers)
	spare := make(spareStorage, 2*workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // runs before wg.Wait: stops the launcher and the encoders on error
	// goroutine: the launcher only passes tokens; the encoders run encode through parallel.Call
	wg.Go(func() {
		for g := range groups {
			var st *state
			select {
			case unwritten <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case st = <-tokens:
			case <-ctx.Done():
				return
			}
			// goroutine: encode runs through parallel.Call
			wg.Go(func() {
				var r encoded
				if r.err = ctx.Err(); r.err == nil {
					spare.lend(st.enc)
					// A bug (a panic) in encode is the group's error (parallel.Call).
					r.err = parallel.Call(func() (err error) { r.group, err = encode(g, st.enc, st.data); return })
				}
				results[g] <- r
				tokens <- st
			})
		}
	})
	for g := range groups {
		var r encoded
		select {
		case r = <-results[g]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.err != nil {
			return r.err
		}
		if err := pw.WriteGroup(r.group); err != nil {
			return fmt.Errorf("row group %d: %w", g, err)
		}
		spare.give(r.group.Data)
		<-unwritten
	}
	return pw.Close()
}

// spareStorage holds the storage of row groups written out, for the encoders to reuse
// (parquetenc.Encoder.Reuse); what it has no room for is left to the collector.
type spareStorage chan []byte

// lend hands enc a spare storage, if any.
func (s spareStorage) lend(enc *parquetenc.Encoder) {
	select {
	case b := <-s:
		enc.Reuse(b)
	default:
	}
}

// give keeps the storage of a group written out.
func (s spareStorage) give(data []byte) {
	select {
	case s <- data:
	default:
	}
}

// suggestionColumns are suggestions.parquet's columns for parquetenc, in schema order.
var suggestionColumns = []parquetenc.Column{{Name: "identity_id"}, {Name: "role_id"}, {Name: "rule_id"}, {Name: "kind"}}

// writeSuggestionsParquet writes suggestions.parquet in cls.Suggestions order, with
// parquetenc: the bytes parquet-go writes for the rows in row groups of rowGroupRows.
func writeSuggestionsParquet(ctx context.Context, w io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, version string) error {
	return writeSuggestionGroups(ctx, w, snap, m, cls, version, rowGroupRows)
}

func writeSuggestionGroups(ctx context.Context, w io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, version string, groupRows int) error {
	template, err := parquetenc.Template[suggestionRow](parquetOptions(version, suggestionSchema(), parquet.MaxRowsPerRowGroup(int64(groupRows)))...)
	if err != nil {
		return err
	}
	pw, err := parquetenc.NewWriter(w, template)
	if err != nil {
		return err
	}
	enc := parquetenc.NewEncoder(suggestionColumns)
	kinds := &snap.Dims[snap.KindDim]
	kindValues := append(slices.Clip(kinds.Values), "") // Values never holds ""
	rules, ruleCode := distinctCodes(len(m.Rules), func(r int) string { return m.Rules[r].ID })
	data := make([]parquetenc.Data, len(suggestionColumns))
	data[0].Values, data[1].Values, data[2].Values, data[3].Values = snap.IdentityIDs, snap.Roles.IDs, rules, kindValues
	for lo := 0; lo < len(cls.Suggestions); lo += groupRows {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(groupRows, len(cls.Suggestions)-lo)
		for c := range data {
			data[c].Codes = slices.Grow(data[c].Codes[:0], n)[:n]
		}
		for j, s := range cls.Suggestions[lo : lo+n] {
			kc := kinds.Codes[s.Identity]
			if kc < 0 {
				kc = int32(len(kindValues) - 1)
			}
			data[0].Codes[j], data[1].Codes[j], data[2].Codes[j], data[3].Codes[j] = int32(s.Identity), s.Role, ruleCode[s.Rule], kc
		}
		g, err := enc.Encode(data)
		if err != nil {
			return err
		}
		if err := pw.WriteGroup(g); err != nil {
			return err
		}
	}
	return pw.Close()
}
