package report

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
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
	// handed to the Parquet writer.
	chunkRows = 1 << 16
	// rowGroupRows is the size of assignments.parquet row groups. It is fixed (never
	// derived from the worker count) so that the file's bytes do not depend on it.
	rowGroupRows = 1 << 20
)

// assignmentCursor produces the rows of assignments.parquet in order: the known
// identities' assignments in CSR-by-identity order (snap.IdentIdx), then snap.Orphans.
type assignmentCursor struct {
	snap  *columnar.Snapshot
	rules []mining.Rule
	cls   *mining.Classification
	kinds *columnar.Dimension
	known int64 // len(snap.IdentIdx)

	k int64 // next row
	i int   // identity of row k, while k < known
}

func newAssignmentCursor(snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification) *assignmentCursor {
	return &assignmentCursor{
		snap:  snap,
		rules: m.Rules,
		cls:   cls,
		kinds: &snap.Dims[snap.KindDim],
		known: int64(len(snap.IdentIdx)),
	}
}

// total is the number of rows.
func (c *assignmentCursor) total() int64 { return c.known + int64(len(c.snap.Orphans)) }

// seek positions the cursor on row k.
func (c *assignmentCursor) seek(k int64) {
	c.k = k
	if k < c.known {
		off := c.snap.IdentOff
		c.i = sort.Search(len(off)-1, func(i int) bool { return off[i+1] > k })
	}
}

// fill builds the next len(rows) rows (the caller stays within total). It fails on an
// assignment whose role or rule index does not fit the snapshot and model.
func (c *assignmentCursor) fill(rows []assignmentRow) error {
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

// Status names as written in assignments.parquet.
var (
	statusExplained   = mining.Explained.String()
	statusUnexplained = mining.Unexplained.String()
	statusOrphan      = mining.Orphan.String()
)

// assignmentsOptions are the writer options of assignments.parquet. Pages of role_id and
// rule_id (in identity order, so spread over their whole range) get no min/max bounds:
// computing them costs about a third of the writing time and lets a reader skip nothing.
// identity_id, kind and status keep theirs (rows are in identity order).
func assignmentsOptions(version string) []parquet.WriterOption {
	return parquetOptions(version, assignmentSchema(), parquet.SkipPageBounds("role_id"), parquet.SkipPageBounds("rule_id"))
}

// encodeAssignmentGroup writes rows [lo, hi) as a complete one-row-group Parquet file in
// memory. buf is the caller's reusable row buffer.
func encodeAssignmentGroup(ctx context.Context, c *assignmentCursor, lo, hi int64, buf []assignmentRow, version string) ([]byte, error) {
	var out bytes.Buffer
	pw := parquet.NewGenericWriter[assignmentRow](&out, assignmentsOptions(version)...)
	c.seek(lo)
	for k := lo; k < hi; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rows := buf[:min(int64(len(buf)), hi-k)]
		if err := c.fill(rows); err != nil {
			return nil, err
		}
		if _, err := pw.Write(rows); err != nil {
			return nil, err
		}
		k += int64(len(rows))
	}
	if err := pw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// writeAssignmentsParquet writes assignments.parquet (see assignmentCursor for the row
// order). Row groups of groupRows rows (rowGroupRows in outputs) are encoded in parallel by up to workers
// goroutines, each into an in-memory Parquet file, and spliced into w in order; the
// output does not depend on workers. At most workers encoded groups are held at once.
func writeAssignmentsParquet(ctx context.Context, w io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, version string, workers int, groupRows int64) error {
	total := newAssignmentCursor(snap, m, cls).total()
	groups := int((total + groupRows - 1) / groupRows)
	workers = max(1, min(workers, groups))

	pw := parquet.NewGenericWriter[assignmentRow](w, assignmentsOptions(version)...)
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
				data, err := encodeAssignmentGroup(ctx, newAssignmentCursor(snap, m, cls), lo, hi, buf, version)
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

// writeSuggestionsParquet writes suggestions.parquet in cls.Suggestions order.
func writeSuggestionsParquet(ctx context.Context, w io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, version string) error {
	pw := parquet.NewGenericWriter[suggestionRow](w, parquetOptions(version, suggestionSchema(), parquet.MaxRowsPerRowGroup(rowGroupRows))...)
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
