package report

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
)

// This file keeps the parquet-go writer of assignments.parquet as it was before
// parquetenc, as the reference the encoder's bytes are compared with.

// refAssignmentCursor produces the rows of assignments.parquet in order: the known
// identities' assignments in CSR-by-identity order (snap.IdentIdx), then snap.Orphans.
type refAssignmentCursor struct {
	snap  *columnar.Snapshot
	rules []mining.Rule
	cls   *mining.Classification
	kinds *columnar.Dimension
	known int64 // len(snap.IdentIdx)

	k int64 // next row
	i int   // identity of row k, while k < known
}

func newRefCursor(snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification) *refAssignmentCursor {
	return &refAssignmentCursor{
		snap:  snap,
		rules: m.Rules,
		cls:   cls,
		kinds: &snap.Dims[snap.KindDim],
		known: int64(len(snap.IdentIdx)),
	}
}

// total is the number of rows.
func (c *refAssignmentCursor) total() int64 { return c.known + int64(len(c.snap.Orphans)) }

// seek positions the cursor on row k.
func (c *refAssignmentCursor) seek(k int64) {
	c.k = k
	if k < c.known {
		off := c.snap.IdentOff
		c.i = sort.Search(len(off)-1, func(i int) bool { return off[i+1] > k })
	}
}

// fill builds the next len(rows) rows (the caller stays within total). It fails on an
// assignment whose role or rule index does not fit the snapshot and model.
func (c *refAssignmentCursor) fill(rows []assignmentRow) error {
	snap := c.snap
	for j := range rows {
		if c.k < c.known {
			for snap.IdentOff[c.i+1] <= c.k {
				c.i++
			}
			role := snap.IdentIdx[c.k]
			if role < 0 || int(role) >= len(snap.Roles.IDs) {
				return fmt.Errorf("assignment %d (identity %s) has role %d, want 0..%d", c.k, snap.IdentityIDs[c.i], role, len(snap.Roles.IDs)-1)
			}
			row := assignmentRow{
				IdentityID: snap.IdentityIDs[c.i],
				RoleID:     snap.Roles.IDs[role],
				Kind:       c.kinds.Values[c.kinds.Codes[c.i]],
				Status:     statusUnexplained,
			}
			if ro := c.cls.RuleOf[c.k]; ro >= 0 {
				if int(ro) >= len(c.rules) || c.rules[ro].Role != role {
					return fmt.Errorf("assignment %d (%s holds %s) is explained by rule %d, which is not a rule of that role", c.k, row.IdentityID, row.RoleID, ro)
				}
				row.Status = statusExplained
				row.RuleID = c.rules[ro].ID
			}
			rows[j] = row
		} else {
			o := &snap.Orphans[c.k-c.known]
			rows[j] = assignmentRow{IdentityID: o.IdentityID, RoleID: snap.Roles.IDs[o.Role], Status: statusOrphan}
		}
		c.k++
	}
	return nil
}

// refAssignmentRow is assignmentRow with rule_id as a pointer, nil for null: parquet-go
// writes a pointer column row by row, every null as null, where its writer of a string
// column writes some nulls as "" (the defect parquetenc reproduced until the eighteenth
// session: parquetenc's TestEncoderOptionalNulls).
type refAssignmentRow struct {
	IdentityID string  `parquet:"identity_id,dict"`
	RoleID     string  `parquet:"role_id,dict"`
	Kind       string  `parquet:"kind,dict"`
	Status     string  `parquet:"status,dict"`
	RuleID     *string `parquet:"rule_id,optional,dict"`
}

// refAssignmentsOptions is assignmentsOptions with refAssignmentRow's schema, under the
// file's root name.
func refAssignmentsOptions(version string) []parquet.WriterOption {
	return append(assignmentsOptions(version), parquet.NewSchema("assignmentRow", parquet.SchemaOf(refAssignmentRow{})))
}

// refEncodeAssignmentGroup writes rows [lo, hi) as a complete one-row-group Parquet file in
// memory. buf is the caller's reusable row buffer.
func refEncodeAssignmentGroup(ctx context.Context, c *refAssignmentCursor, lo, hi int64, buf []assignmentRow, version string) ([]byte, error) {
	var out bytes.Buffer
	pw := parquet.NewGenericWriter[refAssignmentRow](&out, refAssignmentsOptions(version)...)
	c.seek(lo)
	ref := make([]refAssignmentRow, len(buf))
	for k := lo; k < hi; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rows := buf[:min(int64(len(buf)), hi-k)]
		if err := c.fill(rows); err != nil {
			return nil, err
		}
		for j, r := range rows {
			ref[j] = refAssignmentRow{IdentityID: r.IdentityID, RoleID: r.RoleID, Kind: r.Kind, Status: r.Status, RuleID: optional(r.RuleID)}
		}
		if _, err := pw.Write(ref[:len(rows)]); err != nil {
			return nil, err
		}
		k += int64(len(rows))
	}
	if err := pw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// refWriteAssignmentsParquet writes assignments.parquet (see refAssignmentCursor for the row
// order). Row groups of groupRows rows (rowGroupRows in outputs) are encoded in parallel by up to workers
// goroutines, each into an in-memory Parquet file, and spliced into w in order; the
// output does not depend on workers. At most workers encoded groups are held at once.
func refWriteAssignmentsParquet(ctx context.Context, w io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, version string, workers int, groupRows int64) error {
	total := newRefCursor(snap, m, cls).total()
	groups := int((total + groupRows - 1) / groupRows)
	workers = max(1, min(workers, groups))

	pw := parquet.NewGenericWriter[refAssignmentRow](w, refAssignmentsOptions(version)...)
	if groups == 0 {
		return pw.Close()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type encoded struct {
		data []byte
		err  error
	}
	results := make([]chan encoded, groups)
	for g := range results {
		results[g] = make(chan encoded, 1)
	}
	// tokens bounds the groups encoded but not yet written; each token carries a row
	// buffer, reused from group to group.
	tokens := make(chan []assignmentRow, workers)
	for range workers {
		tokens <- make([]assignmentRow, chunkRows)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // runs before wg.Wait: stops the launcher and the encoders on error
	wg.Go(func() {
		for g := range groups {
			var buf []assignmentRow
			select {
			case buf = <-tokens:
			case <-ctx.Done():
				return
			}
			wg.Go(func() {
				lo := int64(g) * groupRows
				hi := min(lo+groupRows, total)
				data, err := refEncodeAssignmentGroup(ctx, newRefCursor(snap, m, cls), lo, hi, buf, version)
				clear(buf) // drop string references while the buffer waits
				results[g] <- encoded{data, err}
				tokens <- buf
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
		f, err := parquet.OpenFile(bytes.NewReader(r.data), int64(len(r.data)))
		if err != nil {
			return fmt.Errorf("reopen row group %d: %w", g, err)
		}
		for _, rg := range f.RowGroups() {
			if _, err := pw.WriteRowGroup(rg); err != nil {
				return fmt.Errorf("row group %d: %w", g, err)
			}
		}
	}
	return pw.Close()
}

// TestAssignmentsMatchParquetGo writes assignments.parquet of random enterprises with
// parquetenc and with the parquet-go writer it replaces, and compares bytes: empty and
// one-row files, orphans only, row groups of 1 to 2^20 rows (page boundaries at 64256
// rows inside them), and unusual strings (long, unicode, empty kind).
func TestAssignmentsMatchParquetGo(t *testing.T) {
	type tc struct {
		name                                string
		idents, roles, assignments, orphans int
		groupRows                           int64
		edit                                func(*columnar.Snapshot, *mining.Model)
	}
	long := func(snap *columnar.Snapshot, m *mining.Model) {
		for i := range snap.IdentityIDs {
			if i%3 == 0 {
				snap.IdentityIDs[i] = strings.Repeat("ü", 30+i%50) + snap.IdentityIDs[i]
			}
		}
		for r := range snap.Roles.IDs {
			if r%2 == 0 {
				snap.Roles.IDs[r] = "角色-" + strings.Repeat("x", r) + snap.Roles.IDs[r]
			}
		}
		for k := range m.Rules {
			if k%2 == 0 {
				m.Rules[k].ID += "-" + strings.Repeat("r", 40)
			}
		}
	}
	cases := []tc{
		{"empty", 1, 1, 0, 0, 1 << 20, nil},
		{"one", 1, 1, 1, 0, 1 << 20, nil},
		{"one orphan", 1, 1, 0, 1, 1 << 20, nil},
		{"small groups", 300, 20, 2000, 10, 97, nil},
		{"groups of one", 20, 5, 60, 3, 1, nil},
		{"long strings", 2000, 60, 20000, 30, 4096, long},
		{"pages", 30000, 400, 200000, 200, 1 << 20, nil},
		{"pages and groups", 30000, 400, 200000, 200, 70000, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			snap, m, cls := randomEnterprise(c.idents, c.roles, c.assignments, c.orphans)
			if c.edit != nil {
				c.edit(snap, m)
			}
			var want, got bytes.Buffer
			if err := refWriteAssignmentsParquet(context.Background(), &want, snap, m, cls, "test", 2, c.groupRows); err != nil {
				t.Fatal(err)
			}
			if err := writeAssignmentsParquet(context.Background(), &got, snap, m, cls, "test", 2, c.groupRows); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("parquetenc wrote %d bytes, parquet-go %d", got.Len(), want.Len())
			}
		})
	}
}

// refWriteSuggestionsParquet writes suggestions.parquet in cls.Suggestions order.
func refWriteSuggestionsParquet(ctx context.Context, w io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, version string, groupRows int) error {
	pw := parquet.NewGenericWriter[suggestionRow](w, parquetOptions(version, suggestionSchema(), parquet.MaxRowsPerRowGroup(int64(groupRows)))...)
	kinds := &snap.Dims[snap.KindDim]
	buf := make([]suggestionRow, min(chunkRows, len(cls.Suggestions)))
	for lo := 0; lo < len(cls.Suggestions); lo += len(buf) {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows := buf[:min(len(buf), len(cls.Suggestions)-lo)]
		for j := range rows {
			s := &cls.Suggestions[lo+j]
			rows[j] = suggestionRow{
				IdentityID: snap.IdentityIDs[s.Identity],
				RoleID:     snap.Roles.IDs[s.Role],
				RuleID:     m.Rules[s.Rule].ID,
				Kind:       kinds.Values[kinds.Codes[s.Identity]],
			}
		}
		if _, err := pw.Write(rows); err != nil {
			return err
		}
	}
	return pw.Close()
}

// TestSuggestionsMatchParquetGo compares suggestions.parquet written by parquetenc with
// the parquet-go writer it replaces, on random enterprises, in one and in many row groups.
func TestSuggestionsMatchParquetGo(t *testing.T) {
	for _, size := range [][4]int{{1, 1, 0, 0}, {300, 20, 2000, 10}, {30000, 400, 200000, 200}} {
		snap, m, cls := randomEnterprise(size[0], size[1], size[2], size[3])
		for _, groupRows := range []int{1 << 20, 4096} {
			var want, got bytes.Buffer
			if err := refWriteSuggestionsParquet(context.Background(), &want, snap, m, cls, "test", groupRows); err != nil {
				t.Fatal(err)
			}
			if err := writeSuggestionGroups(context.Background(), &got, snap, m, cls, "test", groupRows); err != nil {
				t.Fatal(err)
			}
			if len(cls.Suggestions) == 0 && size[0] > 1 {
				t.Fatalf("%d identities: no suggestions to compare", size[0])
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%d identities, %d suggestions, groups of %d: parquetenc wrote %d bytes, parquet-go %d", size[0], len(cls.Suggestions), groupRows, got.Len(), want.Len())
			}
		}
	}
}
