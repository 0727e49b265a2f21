package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/mining"
)

// TestReviewCSVFromEitherWalk: review.csv read from the walk that wrote
// assignments.parquet (its via cells made from the walk's via codes, one per chain) is the
// one a walk of its own writes (cells made by step), on the generated usage universe and
// on a small one whose role ids need quoting in a via cell (a comma, quotes) on a chain
// of three roles. It fails with the chains' cells left unescaped or a row given another
// chain's code.
func TestReviewCSVFromEitherWalk(t *testing.T) {
	ctx := context.Background()
	x := usageUniverseRun(t)
	odd := oddChainUniverse(t)
	for _, c := range []struct {
		name string
		snap *columnar.Snapshot
		m    *mining.Model
		cls  *mining.Classification
		eff  *Effective
		via  string // a via cell the file must hold ("": none checked)
	}{
		{"usage universe", x.snap, x.m, x.cls, x.eff, ""},
		{"odd ids", odd.snap, odd.m, odd.cls, odd.eff, `"STAFF, all > ""DB"" admin > DBA"`},
	} {
		var plain bytes.Buffer
		own := &Effective{Eff: c.eff.Eff, Class: c.eff.Class, Usage: c.eff.Usage}
		if err := WriteEffectiveReviewCSV(ctx, &plain, c.snap, c.cls, own); err != nil {
			t.Fatal(err)
		}
		if own.walk.vias != nil {
			t.Fatalf("%s: a walk that wrote no file has via codes", c.name)
		}
		wrote := &Effective{Eff: c.eff.Eff, Class: c.eff.Class, Usage: c.eff.Usage}
		if err := WriteModel(ctx, t.TempDir(), c.snap, c.m, c.cls, RunInfo{Version: "test", Effective: wrote}); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := WriteEffectiveReviewCSV(ctx, &got, c.snap, c.cls, wrote); err != nil {
			t.Fatal(err)
		}
		if len(wrote.walk.vias) == 0 || wrote.walks.Load() != 1 {
			t.Fatalf("%s: review.csv did not read the writing walk's via codes (%d walks)", c.name, wrote.walks.Load())
		}
		if !bytes.Equal(got.Bytes(), plain.Bytes()) {
			t.Errorf("%s: review.csv from the writing walk differs from a walk of its own:\n%s\nwant\n%s", c.name, head(got.String()), head(plain.String()))
		}
		if c.via != "" && !strings.Contains(got.String(), ","+c.via+",") {
			t.Errorf("%s: review.csv holds no via cell %s:\n%s", c.name, c.via, head(got.String()))
		}
	}
}

// head returns the first lines of a file, for messages.
func head(s string) string {
	lines := strings.SplitN(s, "\n", 8)
	return strings.Join(lines[:min(len(lines), 7)], "\n")
}

// oddChainUniverse mines a small universe whose role ids need quoting in CSV: STAFF, all
// grants "DB" admin, which grants DBA (privileged), so that inherited DBA access is
// unexplained and review.csv's via cell is the chain of three, quoted.
func oddChainUniverse(t *testing.T) *universeRun {
	t.Helper()
	dir := t.TempDir()
	var ids, accts, asg strings.Builder
	ids.WriteString("identity_id,kind,dept\n")
	accts.WriteString("system,account_id,identity_id\n")
	asg.WriteString("identity_id,role_id,system,account_id\n")
	for k := range 12 {
		id, dept := fmt.Sprintf("u%02d", k), "Sales"
		if k >= 8 {
			dept = "Eng"
			fmt.Fprintf(&asg, "%s,DBA,,\n", id)
		}
		fmt.Fprintf(&ids, "%s,human,%s\n", id, dept)
		fmt.Fprintf(&accts, "AD,%s,%s\n", id, id)
		fmt.Fprintf(&asg, ",\"STAFF, all\",AD,%s\n", id)
	}
	return mineCSVUniverse(t, dir, map[string]string{
		"identities.csv": ids.String(), "accounts.csv": accts.String(), "assignments.csv": asg.String(),
		"roles.csv":       "role_id,validations,application\nDBA,2,DB\n\"STAFF, all\",0,AD\n\"\"\"DB\"\" admin\",1,DB\n",
		"role_grants.csv": "role_id,grants_role_id\n\"STAFF, all\",\"\"\"DB\"\" admin\"\n\"\"\"DB\"\" admin\",DBA\n",
	})
}

// mineCSVUniverse writes files (name -> CSV text) into dir, loads them, and mines and
// classifies them as a universe with grants, with rules of one term at most.
func mineCSVUniverse(t *testing.T, dir string, files map[string]string) *universeRun {
	t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	snap, err := columnar.Load(ctx, dir, columnar.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eff, err := mining.EffectiveOf(ctx, snap)
	if err != nil || eff == nil {
		t.Fatalf("EffectiveOf: %v", err)
	}
	cfg, err := mining.ParseConfig("m.xml", []byte(`<MiningRule MaxDimensions="1"/>`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mining.Run(ctx, snap, cfg, mining.Options{Backend: cpu.New(), Workers: 1, Effective: eff})
	if err != nil {
		t.Fatal(err)
	}
	cls := mining.Classify(snap, m)
	ec, err := mining.ClassifyEffective(ctx, snap, m, cls, eff)
	if err != nil {
		t.Fatal(err)
	}
	return &universeRun{mined: &mined{snap: snap, m: m, cls: cls}, eff: &Effective{Eff: eff, Class: ec}}
}
