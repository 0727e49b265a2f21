package report

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestEffectiveFiguresMatchSummary: every figure of the report's effective-privilege
// section equals summary.json, on a small universe with two systems, an uncorrelated
// account and a broad group nested into a privileged role.
func TestEffectiveFiguresMatchSummary(t *testing.T) {
	dir := t.TempDir()
	var ids, accts, asg strings.Builder
	ids.WriteString("identity_id,kind,dept\n")
	accts.WriteString("system,account_id,identity_id\nAD,old,\n")
	asg.WriteString("identity_id,role_id,system,account_id\n,STAFF,AD,old\n")
	for k := range 12 {
		id, dept := fmt.Sprintf("u%02d", k), "Sales"
		if k >= 8 {
			dept = "Eng"
			fmt.Fprintf(&accts, "DB,%s,%s\n", strings.ToUpper(id), id)
			fmt.Fprintf(&asg, ",DBA,DB,%s\n", strings.ToUpper(id))
		}
		fmt.Fprintf(&ids, "%s,human,%s\n", id, dept)
		fmt.Fprintf(&accts, "AD,%s,%s\n", id, id)
		fmt.Fprintf(&asg, ",STAFF,AD,%s\n", id)
	}
	u := mineCSVUniverse(t, dir, map[string]string{
		"identities.csv": ids.String(), "accounts.csv": accts.String(), "assignments.csv": asg.String(),
		"roles.csv":       "role_id,validations,application\nDBA,2,DB\nSTAFF,0,AD\n",
		"role_grants.csv": "role_id,grants_role_id\nSTAFF,DBA\n",
	})
	ctx := context.Background()
	snap, m, cls, eff, ec := u.snap, u.m, u.cls, u.eff.Eff, u.eff.Class
	out := t.TempDir()
	if err := WriteModel(ctx, out, snap, m, cls, RunInfo{Version: "test", Effective: &Effective{Eff: eff, Class: ec}}); err != nil {
		t.Fatal(err)
	}
	x := &mined{snap: snap, m: m, cls: cls, out: out}
	var page bytes.Buffer
	if err := x.bound(t).WriteHTML(ctx, &page, cls.RuleOf); err != nil {
		t.Fatal(err)
	}
	checkFigures(t, page.String(), newExpected(t, x))
	effective := 0
	for _, f := range figures(page.String()) {
		if strings.HasPrefix(f.key, "effective.") || strings.HasPrefix(f.key, "systems.") {
			effective++
		}
	}
	// 7 totals, 12 per system (AD, DB; the 11 counts of summary.json and the coverage,
	// explained %) and 2 for the one hidden grant STAFF > DBA: all checked against
	// summary.json by checkFigures.
	if effective != 7+2*12+2 {
		t.Errorf("%d effective figures on the page, want %d", effective, 7+2*12+2)
	}
	if !strings.Contains(page.String(), "<td>STAFF &gt; DBA</td>") {
		t.Errorf("the hidden grant STAFF > DBA is not listed")
	}

	// review.csv: unexplained inherited access on privileged roles before anything else.
	var review bytes.Buffer
	if err := WriteEffectiveReviewCSV(ctx, &review, snap, cls, &Effective{Eff: eff, Class: ec}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(review.String()), "\n")
	seenOther := false
	inherited := 0
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		first := f[9] == "true" && f[6] >= "2"
		if first {
			inherited++
			if seenOther {
				t.Errorf("review.csv ranks %q after a row that is not inherited privileged access", l)
			}
		} else {
			seenOther = true
		}
	}
	if inherited != 8 || lines[1] != "1,u00,human,false,DBA,,2,DB,,true,STAFF > DBA,true,false" {
		t.Errorf("review.csv: %d inherited privileged rows (want the 8 of Sales), first row %q", inherited, lines[1])
	}
}
