package report

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/safecsv"
)

// This file keeps review.csv's row formatting as it was before it appended cells to a
// reused buffer (safecsv.Writer over encoding/csv), as the reference for the bytes.

// refFormatReviewRows writes rows[lo:hi] of review.csv (ranks lo+1..hi) to buf.
func (b *Bound) refFormatReviewRows(buf *bytes.Buffer, rows []reviewRow, lo, hi int, dims []int, peerNames []string) error {
	snap := b.Snap
	cw := safecsv.NewWriter(buf)
	rec := make([]string, 16)
	for k := lo; k < hi; k++ {
		row := &rows[k]
		i := int(row.ident)
		peer := []string{"kind=" + snap.Kind(i)}
		for t, d := range dims {
			if v := b.values(i, d); v != "" {
				peer = append(peer, peerNames[t]+"="+v)
			}
		}
		rec[0] = strconv.Itoa(k + 1)
		rec[1] = snap.IdentityIDs[i]
		rec[2] = snap.Kind(i)
		rec[3] = strconv.FormatBool(row.nonHuman)
		rec[4] = snap.Roles.IDs[row.role]
		rec[5] = str(snap.Roles.Category, int(row.role))
		rec[6] = str(snap.Roles.Application, int(row.role))
		rec[7] = strconv.Itoa(row.validations)
		rec[8] = strings.Join(peer, " & ")
		rec[9] = strconv.FormatInt(row.peers, 10)
		rec[10] = strconv.FormatInt(row.without, 10)
		rec[11] = strconv.FormatFloat(row.withoutPct(), 'f', -1, 64)
		rec[12], rec[13], rec[14], rec[15] = "", "", "", ""
		if nm := b.nearest(row.role, i); nm != nil {
			rec[12], rec[13] = nm.Rule.RuleID, nm.Rule.Criterion
			fails := make([]string, len(nm.Fails))
			for f, fl := range nm.Fails {
				fails[f] = refFailureString(fl)
			}
			rec[14] = strings.Join(fails, ", ")
		} else if rr := b.roleRecord(row.role); rr != nil {
			rec[15] = rr.Reason
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// refFailureString is Failure.String as first written, with fmt.
func refFailureString(f Failure) string {
	switch {
	case f.Scope:
		return fmt.Sprintf("kind=%s (outside the rule's scope %s)", f.Has, f.Want)
	case f.Has == "":
		return "no " + f.Attribute
	}
	return f.Attribute + "=" + f.Has
}

// TestReviewRowsMatchWriter formats every review.csv row of random enterprises, some with
// identity and role ids a spreadsheet would read as formulas or that need quotes, with
// formatReviewRows and with the safecsv.Writer formatting it replaced, and compares
// bytes.
func TestReviewRowsMatchWriter(t *testing.T) {
	odd := []string{"=cmd", "+1", "-x", "@a", "a,b", "say \"hi\"", " lead", "\u00a0nbsp", "line\nbreak", "\\.", "ü"}
	for _, edit := range []bool{false, true} {
		snap, m, cls := randomEnterprise(2000, 60, 20000, 0)
		if edit {
			for i := range snap.IdentityIDs {
				if i%4 == 0 {
					snap.IdentityIDs[i] = odd[i%len(odd)] + snap.IdentityIDs[i]
				}
			}
			for r := range snap.Roles.IDs {
				snap.Roles.IDs[r] = odd[r%len(odd)] + snap.Roles.IDs[r]
				snap.Roles.Category[r] = odd[(r+3)%len(odd)]
			}
		}
		b := bindForTest(t, snap, m, cls)
		rows, err := b.reviewRows(context.Background(), cls.RuleOf)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 1000 {
			t.Fatalf("only %d review rows", len(rows))
		}
		dims := peerDims(snap)
		var names []string
		for _, d := range dims {
			names = append(names, snap.Dims[d].Name)
		}
		var got, want bytes.Buffer
		if err := b.formatReviewRows(&got, rows, 0, len(rows), dims, names, b.criteria()); err != nil {
			t.Fatal(err)
		}
		if err := b.refFormatReviewRows(&want, rows, 0, len(rows), dims, names); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			g, w := strings.Split(got.String(), "\n"), strings.Split(want.String(), "\n")
			for k := range min(len(g), len(w)) {
				if g[k] != w[k] {
					t.Fatalf("odd ids %v, line %d:\n got %q\nwant %q", edit, k+1, g[k], w[k])
				}
			}
			t.Fatalf("odd ids %v: %d lines, want %d", edit, len(g), len(w))
		}
	}
}

// bindForTest binds the model of a random enterprise to its snapshot, as mine does.
func bindForTest(t testing.TB, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification) *Bound {
	t.Helper()
	mf, err := NewModel(snap, m, cls, RunInfo{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Bind(snap, mf)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkFormatReviewRows formats the review.csv rows of a random enterprise (about
// 100,000 unexplained assignments) with formatReviewRows and with the formatting it
// replaced.
func BenchmarkFormatReviewRows(b *testing.B) {
	snap, m, cls := randomEnterprise(100_000, 2_000, 1_000_000, 0)
	bd := bindForTest(b, snap, m, cls)
	rows, err := bd.reviewRows(context.Background(), cls.RuleOf)
	if err != nil {
		b.Fatal(err)
	}
	dims := peerDims(snap)
	var names []string
	for _, d := range dims {
		names = append(names, snap.Dims[d].Name)
	}
	criteria := bd.criteria()
	for name, format := range map[string]func(*bytes.Buffer, []reviewRow, int, int, []int, []string) error{
		"append": func(buf *bytes.Buffer, rows []reviewRow, lo, hi int, dims []int, names []string) error {
			return bd.formatReviewRows(buf, rows, lo, hi, dims, names, criteria)
		},
		"csv.Writer": bd.refFormatReviewRows,
	} {
		b.Run(name, func(b *testing.B) {
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := format(&buf, rows, 0, len(rows), dims, names); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
		})
	}
}
