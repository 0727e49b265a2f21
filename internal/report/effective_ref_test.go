package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/parquetenc"
)

// This file keeps the parquet-go writer of the effective assignments.parquet as it was
// before parquetenc, as the reference the encoder's bytes are compared with.

// refWriteEffectiveAssignments writes assignments.parquet with one row per effective pair,
// then the orphans (with their accounts), every column compressed by parquet-go's Snappy
// (the bytes before the universe-only columns took universeCodec), each null as null
// (refEffectiveRow).
// With usage data (eff.Usage), each row also carries its usage state.
func refWriteEffectiveAssignments(ctx context.Context, out io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, eff *Effective, version string, groupRows int64) error {
	if eff.Usage != nil {
		schema := parquet.NewSchema("effectiveUsageRow", parquet.SchemaOf(refEffectiveUsageRow{}))
		return refWriteEffectiveRows(ctx, out, snap, m, cls, eff, version, groupRows, func(r effectiveRow, v *pairView) refEffectiveUsageRow {
			return refUsageRowOf(r, v)
		}, schema)
	}
	schema := parquet.NewSchema("effectiveRow", parquet.SchemaOf(refEffectiveRow{}))
	return refWriteEffectiveRows(ctx, out, snap, m, cls, eff, version, groupRows, func(r effectiveRow, _ *pairView) refEffectiveRow {
		return refRowOf(r)
	}, schema)
}

// refEffectiveRow is effectiveRow with its optional columns as pointers, nil for null:
// parquet-go writes a pointer column row by row, every null as null, where its writer of
// a string column writes some nulls as "" (the defect parquetenc reproduced until the
// eighteenth session: parquetenc's TestEncoderOptionalNulls).
type refEffectiveRow struct {
	IdentityID string  `parquet:"identity_id,dict"`
	RoleID     string  `parquet:"role_id,dict"`
	Kind       string  `parquet:"kind,dict"`
	Status     string  `parquet:"status,dict"`
	RuleID     *string `parquet:"rule_id,optional,dict"`
	System     *string `parquet:"system,optional,dict"`
	AccountID  *string `parquet:"account_id,optional,dict"`
	Inherited  bool    `parquet:"inherited"`
	Via        *string `parquet:"via,optional,dict"`
	Redundant  bool    `parquet:"redundant"`
	Hidden     bool    `parquet:"hidden"`
}

// refEffectiveUsageRow is effectiveUsageRow as refEffectiveRow is effectiveRow: its
// columns and then usage (parquet-go flattens an embedded struct into its columns).
type refEffectiveUsageRow struct {
	refEffectiveRow
	Usage *string `parquet:"usage,optional,dict"`
}

// optional returns s as an optional value: nil for "" (null).
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func refRowOf(r effectiveRow) refEffectiveRow {
	return refEffectiveRow{IdentityID: r.IdentityID, RoleID: r.RoleID, Kind: r.Kind, Status: r.Status,
		RuleID: optional(r.RuleID), System: optional(r.System), AccountID: optional(r.AccountID),
		Inherited: r.Inherited, Via: optional(r.Via), Redundant: r.Redundant, Hidden: r.Hidden}
}

// refUsageRowOf is refRowOf of r with the usage withUsage gives it.
func refUsageRowOf(r effectiveRow, v *pairView) refEffectiveUsageRow {
	return refEffectiveUsageRow{refRowOf(r), optional(withUsage(r, v).Usage)}
}

// effectiveCodecRow is refEffectiveRow with the codecs of effectiveColumns: the tag keeps
// parquet-go's Snappy on identity_id, kind and status, the others take the writer's
// codec (universeCodec).
type effectiveCodecRow struct {
	IdentityID string  `parquet:"identity_id,dict,snappy"`
	RoleID     string  `parquet:"role_id,dict"`
	Kind       string  `parquet:"kind,dict,snappy"`
	Status     string  `parquet:"status,dict,snappy"`
	RuleID     *string `parquet:"rule_id,optional,dict"`
	System     *string `parquet:"system,optional,dict"`
	AccountID  *string `parquet:"account_id,optional,dict"`
	Inherited  bool    `parquet:"inherited"`
	Via        *string `parquet:"via,optional,dict"`
	Redundant  bool    `parquet:"redundant"`
	Hidden     bool    `parquet:"hidden"`
}

// effectiveUsageCodecRow is refEffectiveUsageRow with the codecs of effectiveColumns.
type effectiveUsageCodecRow struct {
	effectiveCodecRow
	Usage *string `parquet:"usage,optional,dict"`
}

// refWriteEffectiveCodecs is refWriteEffectiveAssignments with the codecs of
// effectiveColumns (parquet-go writing what writeEffectiveAssignments writes).
func refWriteEffectiveCodecs(ctx context.Context, out io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, eff *Effective, version string, groupRows int64) error {
	codec := parquet.Compression(parquetenc.ParquetCodec(universeCodec))
	if eff.Usage != nil {
		schema := parquet.NewSchema("effectiveUsageRow", parquet.SchemaOf(effectiveUsageCodecRow{}))
		return refWriteEffectiveRows(ctx, out, snap, m, cls, eff, version, groupRows, func(r effectiveRow, v *pairView) effectiveUsageCodecRow {
			u := refUsageRowOf(r, v)
			return effectiveUsageCodecRow{effectiveCodecRow(u.refEffectiveRow), u.Usage}
		}, codec, schema)
	}
	schema := parquet.NewSchema("effectiveRow", parquet.SchemaOf(effectiveCodecRow{}))
	return refWriteEffectiveRows(ctx, out, snap, m, cls, eff, version, groupRows, func(r effectiveRow, _ *pairView) effectiveCodecRow {
		return effectiveCodecRow(refRowOf(r))
	}, codec, schema)
}

// refWriteEffectiveRows writes the rows of refWriteEffectiveAssignments, each made by conv
// from the effectiveRow of a pair (v nil for orphans), with the writer options extra after
// rolemine's.
func refWriteEffectiveRows[T any](ctx context.Context, out io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, eff *Effective, version string, groupRows int64,
	conv func(effectiveRow, *pairView) T, extra ...parquet.WriterOption) error {
	pw := parquet.NewGenericWriter[T](out, parquetOptions(version, append([]parquet.WriterOption{parquet.MaxRowsPerRowGroup(groupRows)}, extra...)...)...)
	w := newPairWalker(snap, cls, eff)
	kd := &snap.Dims[snap.KindDim]
	buf := make([]T, 0, chunkRows)
	flush := func() error {
		if _, err := pw.Write(buf); err != nil {
			return err
		}
		clear(buf)
		buf = buf[:0]
		return ctx.Err()
	}
	for i := range snap.IdentityIDs {
		var err error
		w.each(i, func(v *pairView) {
			row := effectiveRow{
				IdentityID: snap.IdentityIDs[i],
				RoleID:     snap.Roles.IDs[v.role],
				Kind:       kd.Values[kd.Codes[i]],
				Status:     statusUnexplained,
				AccountID:  v.accountOf(snap),
				Inherited:  v.inherited,
				Redundant:  v.redun,
				Hidden:     v.hidden,
			}
			if v.rule >= 0 {
				row.Status, row.RuleID = statusExplained, m.Rules[v.rule].ID
			}
			if v.system >= 0 {
				row.System = w.systemNames[v.system]
			}
			if v.inherited {
				row.Via = eff.Eff.Closure.ViaString(v.source, v.role, snap.Roles.IDs)
			}
			buf = append(buf, conv(row, v))
			if len(buf) == cap(buf) && err == nil {
				err = flush()
			}
		})
		if err != nil {
			return err
		}
	}
	for _, o := range snap.Orphans {
		buf = append(buf, conv(effectiveRow{IdentityID: o.IdentityID, RoleID: snap.Roles.IDs[o.Role], Status: statusOrphan,
			System: o.System, AccountID: o.AccountID}, nil))
		if len(buf) == cap(buf) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return pw.Close()
}

// TestEffectiveAssignmentsMatchParquetGo writes the effective assignments.parquet of a
// generated universe (accounts in several systems, nested grants, orphans, usage) with
// parquetenc and with the parquet-go writer it replaces (with the codecs of
// effectiveColumns), and compares bytes: with and without the usage column, without
// grants, in one row group and in many. It also holds the file against parquet-go's with
// Snappy on every column, as rolemine wrote it before universeCodec: the same schema and
// rows (read back by parquet-go), and the same bytes in the chunks of the columns that
// keep that codec (identity_id, kind, status).
func TestEffectiveAssignmentsMatchParquetGo(t *testing.T) {
	x := usageUniverseRun(t)
	variants := map[string]*Effective{
		"usage":     x.eff,
		"no usage":  {Eff: x.eff.Eff, Class: x.eff.Class},
		"no grants": {},
	}
	roles := slices.Clone(x.eff.Eff.Pairs.Role)
	for name, eff := range variants {
		for _, groupRows := range []int{1 << 20, 4096, 64, 16} {
			var want, got, before bytes.Buffer
			if err := refWriteEffectiveCodecs(context.Background(), &want, x.snap, x.m, x.cls, eff, "test", int64(groupRows)); err != nil {
				t.Fatal(err)
			}
			if err := writeEffectiveGroups(context.Background(), &got, x.snap, x.m, x.cls, eff, "test", groupRows); err != nil {
				t.Fatal(err)
			}
			// role_id's dictionary is every role (WholeDict) in groups large enough: its
			// chunks are not parquet-go's, every other chunk is.
			what := fmt.Sprintf("%s, groups of %d rows", name, groupRows)
			sameButRoles(t, what, got.Bytes(), want.Bytes(), groupRows >= 4096) // (reading thousands of tiny groups back is slow)
			if groupRows < 4096 && !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%s: parquetenc wrote %d bytes, parquet-go %d", what, got.Len(), want.Len())
			}
			if groupRows >= 4096 {
				if err := refWriteEffectiveAssignments(context.Background(), &before, x.snap, x.m, x.cls, eff, "test", int64(groupRows)); err != nil {
					t.Fatal(err)
				}
				sameContent(t, fmt.Sprintf("%s, groups of %d rows", name, groupRows), got.Bytes(), before.Bytes(), ecIdent, ecKind, ecStatus)
			}
			// The role column of a group is the pairs' own roles: no group, nor an
			// orphan's row after them, may write into them.
			if !slices.Equal(x.eff.Eff.Pairs.Role, roles) {
				t.Fatalf("%s, groups of %d rows: writing the file changed the pairs' roles", name, groupRows)
			}
		}
	}
}

// sameButRoles fails t unless files got and want have the same footer but the row
// groups, the same bytes in every column chunk but role_id's, the same page indexes and
// chunk statistics, and (with rows) the same rows read back.
func sameButRoles(t *testing.T, what string, got, want []byte, rows bool) {
	t.Helper()
	open := func(b []byte) *parquet.File {
		f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return f
	}
	gf, wf := open(got), open(want)
	gm, wm := gf.Metadata(), wf.Metadata()
	if len(gm.RowGroups) != len(wm.RowGroups) {
		t.Fatalf("%s: %d row groups, want %d", what, len(gm.RowGroups), len(wm.RowGroups))
	}
	if !reflect.DeepEqual(gf.ColumnIndexes(), wf.ColumnIndexes()) {
		t.Fatalf("%s: the page indexes differ", what)
	}
	for i := range gm.RowGroups {
		for c := range gm.RowGroups[i].Columns {
			g, w := &gm.RowGroups[i].Columns[c].MetaData, &wm.RowGroups[i].Columns[c].MetaData
			if !reflect.DeepEqual(g.Statistics, w.Statistics) || g.NumValues != w.NumValues {
				t.Fatalf("%s: row group %d, column %d: statistics %+v, want %+v", what, i, c, g.Statistics, w.Statistics)
			}
			if c != ecRole && !bytes.Equal(chunkBytes(got, g), chunkBytes(want, w)) {
				t.Fatalf("%s: row group %d: column %d's chunk differs from parquet-go's", what, i, c)
			}
		}
	}
	if rows {
		sameContent(t, what, got, want)
	}
}

// TestEffectiveAssignmentsCancelled: a cancelled run stops with the context's error, in
// one row group and in many.
func TestEffectiveAssignmentsCancelled(t *testing.T) {
	x := usageUniverseRun(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, groupRows := range []int{1 << 20, 64} {
		var buf bytes.Buffer
		err := writeEffectiveGroups(ctx, &buf, x.snap, x.m, x.cls, x.eff, "test", groupRows)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("groups of %d: error %v, want context.Canceled", groupRows, err)
		}
	}
}

// sameContent fails t unless files got and want, read by parquet-go, have the same
// footer but for the row groups (schema, created_by, key/value metadata), the same row
// groups of the same rows, and chunks of the same bytes for the columns shared.
func sameContent(t *testing.T, what string, got, want []byte, shared ...int) {
	t.Helper()
	open := func(b []byte) *parquet.File {
		f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return f
	}
	gf, wf := open(got), open(want)
	gm, wm := *gf.Metadata(), *wf.Metadata()
	gm.RowGroups, wm.RowGroups = nil, nil
	if !reflect.DeepEqual(gm, wm) {
		t.Fatalf("%s: footers differ beyond the row groups:\n%+v\n%+v", what, gm, wm)
	}
	gg, wg := gf.RowGroups(), wf.RowGroups()
	if len(gg) != len(wg) {
		t.Fatalf("%s: %d row groups, want %d", what, len(gg), len(wg))
	}
	for i := range gg {
		if g, w := readRows(t, gg[i]), readRows(t, wg[i]); !slices.EqualFunc(g, w, parquet.Row.Equal) {
			t.Fatalf("%s: row group %d: rows differ (%d rows, want %d)", what, i, len(g), len(w))
		}
		for _, c := range shared {
			if g, w := chunkBytes(got, &gf.Metadata().RowGroups[i].Columns[c].MetaData), chunkBytes(want, &wf.Metadata().RowGroups[i].Columns[c].MetaData); !bytes.Equal(g, w) {
				t.Fatalf("%s: row group %d: column %d's chunk differs from parquet-go's Snappy", what, i, c)
			}
		}
	}
}

// readRows returns every row of g.
func readRows(t *testing.T, g parquet.RowGroup) []parquet.Row {
	rows := g.Rows()
	defer rows.Close()
	all := make([]parquet.Row, 0, g.NumRows())
	buf := make([]parquet.Row, 256)
	for {
		n, err := rows.ReadRows(buf)
		for _, r := range buf[:n] {
			all = append(all, r.Clone())
		}
		if err == io.EOF {
			return all
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// chunkBytes returns the bytes of the column chunk m in file.
func chunkBytes(file []byte, m *format.ColumnMetaData) []byte {
	start := m.DataPageOffset
	if m.DictionaryPageOffset != 0 {
		start = m.DictionaryPageOffset
	}
	return file[start : start+m.TotalCompressedSize]
}
