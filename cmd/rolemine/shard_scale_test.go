package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// qualityBlock returns the lines mine or merge printed from "quality against" on.
func qualityBlock(stdout string) string {
	if i := strings.Index(stdout, "quality against"); i >= 0 {
		return stdout[i:]
	}
	return ""
}

// TestMergeTruth: a shard refuses --truth, and nothing else scored a model mined as
// shards (found by the semantic audit: an operator had to mine the whole run again
// without --shard). merge --truth prints what mine --truth prints for the single run,
// refuses another data set's truth (exit 2, nothing written), and a truth folder without
// the planted rules before reading any shard.
func TestMergeTruth(t *testing.T) {
	dir := t.TempDir()
	data, other := filepath.Join(dir, "data"), filepath.Join(dir, "other")
	mustBin(t, "gen", "--identities", "800", "--roles", "24", "--universe", "--seed", "7", "--out", data)
	mustBin(t, "gen", "--identities", "300", "--roles", "10", "--seed", "8", "--out", other)
	args := []string{"mine", "--data", data}
	single := mustBin(t, append(slices.Clone(args), "--out", filepath.Join(dir, "single"), "--truth", filepath.Join(data, "truth"))...)
	want := qualityBlock(single)
	if want == "" {
		t.Fatalf("mine --truth printed no quality:\n%s", single)
	}
	shards := mineShards(t, dir, 2, args...)
	merged := filepath.Join(dir, "merged")
	got := mustBin(t, append([]string{"merge", "--out", merged, "--truth", filepath.Join(data, "truth")}, shards...)...)
	if qualityBlock(got) != want {
		t.Errorf("merge --truth printed\n%s\nwant mine --truth's\n%s", qualityBlock(got), want)
	}
	sameOutputs(t, filepath.Join(dir, "single"), merged)
	for _, c := range []struct{ truth, msg string }{
		{filepath.Join(other, "truth"), "was generated with other data"},
		{other, "no rules.json there"},
	} {
		out := filepath.Join(dir, "refused")
		_, stderr, code := runBin(t, append([]string{"merge", "--out", out, "--truth", c.truth}, shards...)...)
		if code != 2 || !strings.Contains(stderr, "merge: --truth") || !strings.Contains(stderr, c.msg) {
			t.Errorf("--truth %s: exit %d, want 2 saying %q\n%s", c.truth, code, c.msg, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("--truth %s: the refused merge wrote %s", c.truth, out)
		}
	}
}
