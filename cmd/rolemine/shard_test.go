package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/shard"
)

// mergedFiles are the outputs a merge must write byte-identical to a single run.
var mergedFiles = []string{"rules.json", "rules.parquet", "rules.xml", "roles.json", "assignments.parquet",
	"suggestions.parquet", "review.csv", "report.html", "suggestions.csv", "churn.json"}

// mustBin runs the built binary and fails the test unless it exits 0.
func mustBin(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := runBin(t, args...)
	if code != 0 {
		t.Fatalf("rolemine %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// sameOutputs fails unless got holds every merged file byte-identical to want, and a
// summary.json equal but for timings, the start time and shard provenance (and with
// otherInputs, the inputs' locations: data read from object storage against local data).
func sameOutputs(t *testing.T, want, got string, otherInputs ...bool) {
	t.Helper()
	for _, f := range mergedFiles {
		a, err := os.ReadFile(filepath.Join(want, f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(got, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: %s differs from the single run's (%d and %d bytes)", got, f, len(b), len(a))
		}
	}
	a, b := summaryWithout(t, want, len(otherInputs) > 0), summaryWithout(t, got, len(otherInputs) > 0)
	if a != b {
		t.Errorf("%s: summary.json differs from the single run's beyond timings and shards:\n%s\n%s", got, a, b)
	}
}

// summaryWithout returns dir's summary.json without phases, started and shards, and
// without the inputs' paths if noPaths.
func summaryWithout(t *testing.T, dir string, noPaths bool) string {
	t.Helper()
	var m map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["phases"]; !ok {
		t.Fatalf("%s/summary.json has no phases", dir)
	}
	delete(m, "phases")
	delete(m, "started")
	delete(m, "shards")
	if ins, ok := m["inputs"].([]any); ok && noPaths {
		for _, in := range ins {
			delete(in.(map[string]any), "path")
		}
	}
	out, _ := json.Marshal(m)
	return string(out)
}

// mineShards mines every shard of an n-shard layout of args into dir/n/I, in reverse
// order, and returns the shard directories in a scrambled order.
func mineShards(t *testing.T, dir string, n int, args ...string) []string {
	t.Helper()
	var dirs []string
	for i := n - 1; i >= 0; i-- {
		d := filepath.Join(dir, fmt.Sprint(n), fmt.Sprint(i))
		mustBin(t, append(slices.Clone(args), "--out", d, "--shard", fmt.Sprintf("%d/%d", i, n))...)
		dirs = append(dirs, d)
	}
	// Any order: reverse, then rotate by one.
	return append(dirs[1:], dirs[0])
}

// TestShardMergeIdenticalToSingleRun mines tier S with the example configuration as
// 1, 2, 3 and 7 shards, without and with --previous (an evolved snapshot mined against
// the first model), and checks each merge against the single run.
func TestShardMergeIdenticalToSingleRun(t *testing.T) {
	if testing.Short() {
		t.Skip("mines tier S 36 times")
	}
	d0 := generated(t, "S")
	dir := t.TempDir()
	d1 := filepath.Join(dir, "d1")
	mustBin(t, "gen", "--evolve", d0, "--out", d1, "--movers", "5", "--joiners", "3", "--seed", "9")
	cfg := filepath.Join("..", "..", "examples", "mining.xml")
	single0 := filepath.Join(dir, "single0")
	mustBin(t, "mine", "--data", d0, "--config", cfg, "--out", single0)
	cases := []struct {
		name string
		args []string
	}{
		{"plain", []string{"mine", "--data", d0, "--config", cfg}},
		{"previous", []string{"mine", "--data", d1, "--config", cfg, "--previous", single0, "--grace", "0.5"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := filepath.Join(dir, c.name)
			single := filepath.Join(base, "single")
			mustBin(t, append(slices.Clone(c.args), "--out", single)...)
			for _, n := range []int{1, 2, 3, 7} {
				shards := mineShards(t, base, n, c.args...)
				merged := filepath.Join(base, fmt.Sprintf("merged%d", n))
				mustBin(t, append([]string{"merge", "--out", merged}, shards...)...)
				sameOutputs(t, single, merged)
			}
			// A retried shard writes the same bytes, and the merge stays the same.
			d := filepath.Join(base, "3", "1")
			before, err := os.ReadFile(filepath.Join(d, shard.File))
			if err != nil {
				t.Fatal(err)
			}
			mustBin(t, append(slices.Clone(c.args), "--out", d, "--shard", "1/3", "--workers", "1")...)
			after, err := os.ReadFile(filepath.Join(d, shard.File))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Fatalf("retried shard 1/3 wrote different bytes")
			}
			again := filepath.Join(base, "again")
			mustBin(t, "merge", "--out", again, filepath.Join(base, "3", "0"), d, filepath.Join(base, "3", "2"))
			sameOutputs(t, single, again)
		})
	}
}

// TestShardRefusals checks that bad shard use exits 2 with a message naming the problem,
// and that a refused merge writes nothing.
func TestShardRefusals(t *testing.T) {
	data := generated(t, "S")
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	mustBin(t, "gen", "--out", other, "--identities", "3000", "--seed", "2")
	sh := func(name, spec string, args ...string) string {
		d := filepath.Join(dir, name)
		mustBin(t, append([]string{"mine", "--data", data, "--out", d, "--shard", spec}, args...)...)
		return d
	}
	s0, s1, s2 := sh("s0", "0/3"), sh("s1", "1/3"), sh("s2", "2/3")
	half := sh("half", "0/2")
	strict := sh("strict", "1/3", "--precision", "90")
	narrow := sh("narrow", "1/3", "--exclude-dimension", "title")
	foreign := filepath.Join(dir, "foreign")
	mustBin(t, "mine", "--data", other, "--out", foreign, "--shard", "1/3")
	single := filepath.Join(dir, "single")
	mustBin(t, "mine", "--data", data, "--out", single)
	out := filepath.Join(dir, "merged")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing", []string{"merge", "--out", out, s0, s2}, "shard 1 of 3 missing"},
		{"duplicate", []string{"merge", "--out", out, s0, s1, s2, s1}, "shard 1/3 is given twice"},
		{"count", []string{"merge", "--out", out, half, s1, s2}, "share their count"},
		{"config", []string{"merge", "--out", out, s0, strict, s2}, "different mining configurations"},
		{"data", []string{"merge", "--out", out, s0, foreign, s2}, "different data"},
		{"dimensions", []string{"merge", "--out", out, s0, narrow, s2}, "derived different attributes"},
		{"data flag", []string{"merge", "--out", out, "--data", other, s0, s1, s2}, "is not the data the shards were mined from"},
		{"not a shard", []string{"merge", "--out", out, s0, s1, single}, "has no shard.json"},
		{"no shards", []string{"merge", "--out", out}, "at least one shard directory"},
		{"out is a shard", []string{"merge", "--out", s1, s0, s1, s2}, "also given as a shard directory"},
		{"index too big", []string{"mine", "--data", data, "--out", out, "--shard", "3/3"}, "not below the shard count 3"},
		{"no shards at all", []string{"mine", "--data", data, "--out", out, "--shard", "0/0"}, "at least 1"},
		{"no index", []string{"mine", "--data", data, "--out", out, "--shard", "/3"}, "JOB_COMPLETION_INDEX is not set"},
		{"truth", []string{"mine", "--data", data, "--out", out, "--shard", "0/3", "--truth", data}, "--truth scores a whole model"},
	}
	t.Setenv(shard.IndexEnv, "")
	t.Setenv(shard.CountEnv, "")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runBin(t, c.args...)
			if code != 2 || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, want 2 with %q\nstdout: %s\nstderr: %s", code, c.want, stdout, stderr)
			}
			if _, err := os.Stat(filepath.Join(out, "rules.json")); err == nil {
				t.Fatalf("refused run left rules.json in %s", out)
			}
		})
	}
	// The Kubernetes way: the index from JOB_COMPLETION_INDEX, the count from
	// ROLEMINE_SHARDS; the result is shard 2/3 as mined above.
	t.Setenv(shard.IndexEnv, "2")
	t.Setenv(shard.CountEnv, "3")
	env := filepath.Join(dir, "env")
	mustBin(t, "mine", "--data", data, "--out", env)
	a, _ := os.ReadFile(filepath.Join(s2, shard.File))
	b, err := os.ReadFile(filepath.Join(env, shard.File))
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("shard from the environment differs from --shard 2/3 (%v)", err)
	}
}
