package report

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
)

// This file keeps the parquet-go writer of the effective assignments.parquet as it was
// before parquetenc, as the reference the encoder's bytes are compared with.

// refWriteEffectiveAssignments writes assignments.parquet with one row per effective pair,
// then the orphans (with their accounts).
// With usage data (eff.Usage), each row also carries its usage state.
func refWriteEffectiveAssignments(ctx context.Context, out io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, eff *Effective, version string, groupRows int64) error {
	if eff.Usage != nil {
		return refWriteEffectiveRows(ctx, out, snap, m, cls, eff, version, groupRows, withUsage)
	}
	return refWriteEffectiveRows(ctx, out, snap, m, cls, eff, version, groupRows, func(r effectiveRow, _ *pairView) effectiveRow { return r })
}

// refWriteEffectiveRows writes the rows of refWriteEffectiveAssignments, each made by conv
// from the effectiveRow of a pair (v nil for orphans).
func refWriteEffectiveRows[T any](ctx context.Context, out io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, eff *Effective, version string, groupRows int64, conv func(effectiveRow, *pairView) T) error {
	pw := parquet.NewGenericWriter[T](out, parquetOptions(version, parquet.MaxRowsPerRowGroup(groupRows))...)
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
// parquetenc and with the parquet-go writer it replaces, and compares bytes: with and
// without the usage column, without grants, in one row group and in many.
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
			var want, got bytes.Buffer
			if err := refWriteEffectiveAssignments(context.Background(), &want, x.snap, x.m, x.cls, eff, "test", int64(groupRows)); err != nil {
				t.Fatal(err)
			}
			if err := writeEffectiveGroups(context.Background(), &got, x.snap, x.m, x.cls, eff, "test", groupRows); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%s, groups of %d rows: parquetenc wrote %d bytes, parquet-go %d", name, groupRows, got.Len(), want.Len())
			}
			// The role column of a group is the pairs' own roles: no group, nor an
			// orphan's row after them, may write into them.
			if !slices.Equal(x.eff.Eff.Pairs.Role, roles) {
				t.Fatalf("%s, groups of %d rows: writing the file changed the pairs' roles", name, groupRows)
			}
		}
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
