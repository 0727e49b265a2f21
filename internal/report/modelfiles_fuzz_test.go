package report

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/fuzzmin"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/uerr"
)

// FuzzModelFiles feeds arbitrary bytes as one of the model files explain, report and
// drift read back (rules.json, roles.json or summary.json, by which), the other two as
// mined from testdata/explain or from universeData (by which too): reading, binding, classifying, explaining every identity
// and writing report.html and review.csv never panic, and every error is a user error; an
// error of ReadModel names the file it is about.
func FuzzModelFiles(f *testing.F) {
	fuzzmin.Off(f)
	// Two models: testdata/explain, and universeData's (accounts, grants, usage, owners).
	xs := []*mined{mineInto(f, "testdata/explain/data", "testdata/explain/mining.xml"), mineInto(f, universeData(f), "")}
	names := []string{RulesJSONFile, RolesJSONFile, SummaryJSONFile}
	files := make([][][]byte, len(xs))
	for m, x := range xs {
		for k, n := range names {
			b, err := os.ReadFile(filepath.Join(x.out, n))
			if err != nil {
				f.Fatal(err)
			}
			files[m] = append(files[m], b)
			f.Add(uint8(m*len(names)+k), b)
		}
	}
	f.Add(uint8(0), []byte(`{"format":"rolemine.rules/v2","rules":[]}`))
	f.Add(uint8(0), []byte(`{"format":"rolemine.rules/v1","rules":[{"rule_id":"r","role_id":"R1","criteria":[{"attribute":"dept","value":"x"}],"entity_type":"nope"}]}`))
	f.Add(uint8(0), []byte(`{"format":"rolemine.rules/v1","rules":[{"rule_id":"r","role_id":"R1","criteria":null}]}`))
	f.Add(uint8(1), []byte(`{"format":"rolemine.roles/v1","roles":[{"role_id":"R1"},{"role_id":"R1"}]}`))
	f.Add(uint8(2), []byte(`{"format":"rolemine.summary/v1"}`))
	f.Add(uint8(5), []byte(`{"format":"rolemine.summary/v1","effective":null,"usage":null,"systems":null}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		m, k := int(which)/len(names)%len(xs), int(which)%len(names)
		dir := t.TempDir()
		for j, n := range names {
			b := files[m][j]
			if j == k {
				b = data
			}
			if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		mf, err := ReadModel(dir)
		if err != nil {
			if !uerr.Is(err) || !strings.Contains(err.Error(), names[k]) {
				t.Fatalf("ReadModel: %v, want a user error naming %s", err, names[k])
			}
			return
		}
		if err := parallel.Call(func() error { return useModel(xs[m], mf) }); err != nil && !uerr.Is(err) {
			t.Fatalf("%s %q: %v", names[k], data, err)
		}
	})
}

// universeData writes a small data directory with accounts in two systems (one
// uncorrelated), a grant, usage dates and owners of non-human identities.
func universeData(f *testing.F) string {
	dir := f.TempDir()
	for name, text := range map[string]string{
		"identities.csv": "identity_id,kind,owner_id,dept\nu1,human,,Sales\nu2,human,,Sales\nu3,human,,Eng\nb1,bot,u1,Eng\nb2,bot,gone,Eng\n",
		"assignments.csv": "identity_id,role_id,system,account_id,last_used\nu1,CRM,AD,a1,2026-06-01\nu2,CRM,AD,a2,2025-01-01\n" +
			"u3,DEV,AD,a3,\nb1,DEV,SAP,s1,2026-06-20\nb2,DEV,SAP,s2,2026-06-20\n,CRM,SAP,s9,2026-06-01\nu1,BASE,AD,a1,2026-06-01\n",
		"accounts.csv":    "system,account_id,identity_id\nAD,a1,u1\nAD,a2,u2\nAD,a3,u3\nSAP,s1,b1\nSAP,s2,b2\nSAP,s9,\n",
		"role_grants.csv": "role_id,grants_role_id\nCRM,BASE\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	return dir
}

// useModel does with mf what explain and report do with a model read back: bind it to
// the data it was mined from, classify, explain every identity and write the report.
func useModel(x *mined, mf *Model) error {
	if err := mf.CheckMinedFrom(x.snap, "model", "data"); err != nil {
		return err
	}
	b, err := Bind(x.snap, mf)
	if err != nil {
		return err
	}
	ctx := context.Background()
	ruleOf, err := b.Classify(ctx)
	if err != nil {
		return err
	}
	if err := b.LoadEffective(ctx, ruleOf); err != nil {
		return err
	}
	for _, id := range x.snap.IdentityIDs {
		ex, err := b.Explain(id)
		if err != nil {
			return err
		}
		if err := ex.WriteText(io.Discard); err != nil {
			return err
		}
	}
	if err := b.WriteReviewCSV(ctx, io.Discard, ruleOf); err != nil {
		return err
	}
	return b.WriteHTML(ctx, io.Discard, ruleOf)
}
