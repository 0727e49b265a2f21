package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/bench/cooccur"
	"github.com/rolemine/rolemine/internal/bench/gen"
	"github.com/rolemine/rolemine/internal/bench/harness"
	"github.com/rolemine/rolemine/internal/columnar"
)

// TestSameTableAsRolemine checks, on small generated enterprises, that every DuckDB query
// plan gives the row count and checksum rolemine's kernel gives.
func TestSameTableAsRolemine(t *testing.T) {
	ctx := context.Background()
	for _, seed := range []uint64{1, 2} {
		dir := t.TempDir()
		if _, err := gen.Generate(ctx, gen.Options{Out: dir, Identities: 400, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		snap, err := columnar.Load(ctx, dir, columnar.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		h := columnar.HoldingsOf(snap)
		dims := strings.Join(cooccur.DimNames(h), ",")
		for _, tc := range []struct {
			depth int
			plan  string
		}{{1, "pairs"}, {2, "pairs"}, {2, "selfjoin"}} {
			res, err := cooccur.Compute(ctx, h, cooccur.Options{Depth: tc.depth})
			if err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			args := []string{"--data", dir, "--depth", fmt.Sprint(tc.depth), "--dims", dims, "--plan", tc.plan}
			if err := run(ctx, args, &out, &errOut); err != nil {
				t.Fatalf("seed %d %v: %v\n%s", seed, args, err, errOut.String())
			}
			got, err := harness.ParseCooccur(&out)
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("%016x", res.Digest.Sum); got.Rows != res.Digest.Rows || got.Checksum != want || got.Rows == 0 {
				t.Errorf("seed %d depth %d plan %s: duckdb rows=%d checksum=%s, rolemine %v", seed, tc.depth, tc.plan, got.Rows, got.Checksum, res.Digest)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--depth", "1"},
		{"--data", "x", "--dims", "a", "--depth", "3"},
		{"--data", "x", "--dims", "a;drop", "--depth", "1"},
		{"--data", "x", "--dims", "a", "--plan", "magic"},
	} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("%v: error %v, want a usage error", args, err)
		}
	}
}
