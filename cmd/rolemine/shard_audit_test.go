package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/shard"
)

// buildExamplePlugin builds plugins/examples/NAME as `make plugins` does and returns the
// .wasm file.
func buildExamplePlugin(t *testing.T, name string) string {
	t.Helper()
	wasm := filepath.Join(t.TempDir(), name+".wasm")
	build := exec.Command("go", "build", "-trimpath", "-buildmode=c-shared", "-o", wasm, "./plugins/examples/"+name)
	build.Dir, build.Env = filepath.Join("..", ".."), append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build plugin %s: %v\n%s", name, err, out)
	}
	return wasm
}

// roleless reports whether the shard in dir mined no role.
func roleless(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, shard.File))
	if err != nil {
		return false
	}
	var p shard.Partial
	return json.Unmarshal(b, &p) == nil && len(p.Roles) == 0
}

// TestShardMergeWithUsageAndPlugins merges shards of a run with usage data, a universe of
// accounts and role grants, a plugin's derived attributes and a UsedOnly implicit rule,
// as 2 shards and as more shards than its 99 roles (many of them empty), into the single run's
// bytes; and refuses, found by the semantic audit, shards mined with another --as-of or
// --unused-days (the merge took shard 0's and wrote a model no single run mines).
func TestShardMergeWithUsageAndPlugins(t *testing.T) {
	if testing.Short() {
		t.Skip("mines a universe with usage 20 times")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	mustBin(t, "gen", "--identities", "1500", "--roles", "40", "--usage", "--universe", "--title-family-roles", "--seed", "4", "--out", data)
	args := []string{"mine", "--data", data, "--used-only", "--as-of", "2026-06-30", "--plugin", buildExamplePlugin(t, "titlefamily")}
	single := filepath.Join(dir, "single")
	mustBin(t, append(slices.Clone(args), "--out", single)...)
	for _, n := range []int{2, 101} {
		shards := mineShards(t, dir, n, args...)
		merged := filepath.Join(dir, fmt.Sprintf("merged%d", n))
		mustBin(t, append([]string{"merge", "--out", merged}, shards...)...)
		sameOutputs(t, single, merged)
		if n > 2 && !slices.ContainsFunc(shards, roleless) {
			t.Errorf("%d shards: none without roles", n)
		}
		for _, f := range []string{"excess.csv", "ownership.csv"} {
			a, errA := os.ReadFile(filepath.Join(single, f))
			b, errB := os.ReadFile(filepath.Join(merged, f))
			if errA != nil || errB != nil || string(a) != string(b) {
				t.Errorf("%d shards: %s differs from the single run's (%v, %v)", n, f, errA, errB)
			}
		}
	}
	s0, s1 := filepath.Join(dir, "2", "0"), filepath.Join(dir, "2", "1")
	for _, c := range []struct{ name, flag, value string }{{"as-of", "--as-of", "2026-01-01"}, {"unused-days", "--unused-days", "30"}} {
		t.Run(c.name, func(t *testing.T) {
			other := filepath.Join(dir, "other-"+c.name)
			a := slices.Clone(args)
			if i := slices.Index(a, c.flag); i >= 0 {
				a[i+1] = c.value
			} else {
				a = append(a, c.flag, c.value)
			}
			mustBin(t, append(a, "--out", other, "--shard", "1/2")...)
			out := filepath.Join(dir, "refused-"+c.name)
			_, stderr, code := runBin(t, "merge", "--out", out, s0, other)
			if code != 2 || !strings.Contains(stderr, "were mined with different flags") || !strings.Contains(stderr, c.flag+"="+c.value) {
				t.Fatalf("merge of shards with another %s: exit %d, want 2 naming the flag\n%s", c.flag, code, stderr)
			}
			if _, err := os.Stat(filepath.Join(out, "rules.json")); err == nil {
				t.Fatalf("refused merge wrote %s", out)
			}
			mustBin(t, "merge", "--out", out, s0, s1)
		})
	}
}
