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
// mined from testdata/explain: reading, binding, classifying, explaining every identity
// and writing report.html and review.csv never panic, and every error is a user error; an
// error of ReadModel names the file it is about.
func FuzzModelFiles(f *testing.F) {
	fuzzmin.Off(f)
	x := mineInto(f, "testdata/explain/data", "testdata/explain/mining.xml")
	names := []string{RulesJSONFile, RolesJSONFile, SummaryJSONFile}
	files := make([][]byte, len(names))
	for k, n := range names {
		b, err := os.ReadFile(filepath.Join(x.out, n))
		if err != nil {
			f.Fatal(err)
		}
		files[k] = b
		f.Add(uint8(k), b)
	}
	f.Add(uint8(0), []byte(`{"format":"rolemine.rules/v2","rules":[]}`))
	f.Add(uint8(0), []byte(`{"format":"rolemine.rules/v1","rules":[{"rule_id":"r","role_id":"R1","criteria":[{"attribute":"dept","value":"x"}],"entity_type":"nope"}]}`))
	f.Add(uint8(0), []byte(`{"format":"rolemine.rules/v1","rules":[{"rule_id":"r","role_id":"R1","criteria":null}]}`))
	f.Add(uint8(1), []byte(`{"format":"rolemine.roles/v1","roles":[{"role_id":"R1"},{"role_id":"R1"}]}`))
	f.Add(uint8(2), []byte(`{"format":"rolemine.summary/v1"}`))
	f.Add(uint8(2), []byte(`{"format":"rolemine.summary/v1","data_fingerprint":"x"}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		k := int(which) % len(names)
		dir := t.TempDir()
		for j, n := range names {
			b := files[j]
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
		if err := parallel.Call(func() error { return useModel(x, mf) }); err != nil && !uerr.Is(err) {
			t.Fatalf("%s %q: %v", names[k], data, err)
		}
	})
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
