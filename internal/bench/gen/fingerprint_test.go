package gen

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/model"
)

// TestTruthNamesItsData: every data set gen and gen --evolve write records in
// truth/data.json the fingerprint a run loading it computes (summary.json's
// data_fingerprint), whatever the format and extras, so that mine --truth can refuse the
// truth of other data; two seeds give two fingerprints.
func TestTruthNamesItsData(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	dirs := map[string]Options{
		"parquet":  {Identities: 500, Seed: 7},
		"csv":      {Identities: 500, Seed: 7, Format: "csv"},
		"seed8":    {Identities: 500, Seed: 8},
		"universe": {Identities: 500, Seed: 7, Universe: true, Usage: true},
		"usage":    {Identities: 500, Seed: 7, Usage: true, Format: "csv"},
	}
	got := map[string]string{}
	check := func(name, dir string) {
		t.Helper()
		fp, err := truth.DataFingerprint(filepath.Join(dir, "truth"))
		if err != nil {
			t.Fatal(err)
		}
		snap, err := columnar.Load(ctx, dir, columnar.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if want := model.DataFingerprint(snap.Inputs); fp == "" || fp != want {
			t.Errorf("%s: truth/data.json names %q, the loaded data is %q", name, fp, want)
		}
		got[name] = fp
	}
	for name, o := range dirs {
		o.Out = filepath.Join(root, name)
		if _, err := Generate(ctx, o); err != nil {
			t.Fatal(err)
		}
		check(name, o.Out)
	}
	next := filepath.Join(root, "next")
	if _, err := Evolve(ctx, EvolveOptions{From: filepath.Join(root, "usage"), Out: next, Seed: 2, Movers: 5, Joiners: 2, Leavers: 2}); err != nil {
		t.Fatal(err)
	}
	check("evolved", next)
	if got["parquet"] == got["seed8"] || got["usage"] == got["evolved"] {
		t.Errorf("two data sets share a fingerprint: %v", got)
	}
}
