package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/drift"
)

// TestDriftEndToEnd: generate, evolve, mine, hold the model against the next snapshot and
// score it against truth/changes; mine the next snapshot with --previous twice (zero
// churn). gen --evolve and mine --previous run through the built binary; drift runs
// through the binary when main.go dispatches it, and in process always.
func TestDriftEndToEnd(t *testing.T) {
	dir := t.TempDir()
	d0, d1 := filepath.Join(dir, "d0"), filepath.Join(dir, "d1")
	o0, o1, o2 := filepath.Join(dir, "o0"), filepath.Join(dir, "o1"), filepath.Join(dir, "o2")
	mustRun := func(args ...string) string {
		t.Helper()
		out, errOut, code := runBin(t, args...)
		if code != 0 {
			t.Fatalf("rolemine %v: exit %d\n%s%s", args, code, out, errOut)
		}
		return out
	}
	mustRun("gen", "--identities", "4000", "--seed", "3", "--out", d0)
	mustRun("gen", "--evolve", d0, "--out", d1, "--movers", "5", "--seed", "4")
	if _, _, code := runBin(t, "gen", "--out", d1, "--movers", "5"); code != 2 {
		t.Fatalf("--movers without --evolve: exit %d, want 2", code)
	}
	mustRun("mine", "--data", d0, "--out", o0, "--max-dimensions", "3")
	churn := func(dir string) drift.Churn {
		t.Helper()
		var ch drift.Churn
		b, err := os.ReadFile(filepath.Join(dir, drift.ChurnFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &ch); err != nil {
			t.Fatal(err)
		}
		return ch
	}
	if c := churn(o0); c.Previous != "" || c.Overall.Added != c.Overall.Rules || c.Overall.Kept != 0 {
		t.Fatalf("churn without --previous should be all new: %+v", c.Overall)
	}
	mustRun("mine", "--data", d1, "--out", o1, "--max-dimensions", "3", "--previous", o0)
	mustRun("mine", "--data", d1, "--out", o2, "--max-dimensions", "3", "--previous", o1)
	if c := churn(o2); c.Overall.Added != 0 || c.Overall.Removed != 0 || c.Overall.Jaccard != 1 {
		t.Fatalf("two runs on the same data pointing at each other churned: %+v", c.Overall)
	}
	// --previous may be the output directory itself.
	mustRun("mine", "--data", d1, "--out", o2, "--max-dimensions", "3", "--previous", o2)
	if c := churn(o2); c.Overall.Added != 0 || c.Overall.Removed != 0 {
		t.Fatalf("--previous = --out churned: %+v", c.Overall)
	}

	args := []string{"--model", o0, "--data", d1, "--previous-data", d0, "--out", filepath.Join(dir, "drift"), "--truth", filepath.Join(d1, "truth")}
	var stdout, stderr bytes.Buffer
	if err := cmdDrift(context.Background(), args, &stdout, &stderr, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("drift: %v\n%s", err, stderr.String())
	}
	res, err := drift.Run(context.Background(), drift.RunOptions{Model: o0, Data: d1, PreviousData: d0, Out: filepath.Join(dir, "drift2")})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := drift.ScoreAgainst(res.Actions, filepath.Join(d1, "truth"))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Grants.Recall < 0.99 || sc.Revokes.Recall < 0.95 || sc.Grants.Precision < 0.95 || sc.Revokes.Precision < 0.95 || sc.Orphans.Precision < 0.95 || sc.Orphans.Recall < 0.99 {
		t.Fatalf("drift against truth:\n%s", sc)
	}
	for _, f := range []string{drift.RemediationFile, drift.HealthFile, drift.SummaryFile} {
		if _, err := os.Stat(filepath.Join(dir, "drift", f)); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(stdout.String(), "revokes:") {
		t.Fatalf("drift --truth printed no score:\n%s", stdout.String())
	}
	// Through the binary, once main.go dispatches "drift".
	out, errOut, code := runBin(t, "drift", "--model", o0, "--data", d1, "--out", filepath.Join(dir, "drift3"))
	if strings.Contains(errOut, `unknown command "drift"`) {
		t.Skip(`main.go does not dispatch "drift" yet (add: case "drift": err = cmdDrift(...))`)
	}
	if code != 0 || !strings.Contains(out, "note: no --previous-data") {
		t.Fatalf("rolemine drift: exit %d\n%s%s", code, out, errOut)
	}
	if _, _, code := runBin(t, "drift", "--model", o0, "--data", d1); code != 2 {
		t.Fatalf("drift without --out: exit %d, want 2", code)
	}
}

// TestReportRefusesAnotherModelsDrift: report --drift adds a drift output's figures to the
// model's report; one made from another model (other rules) is refused with exit 2 and the
// report left as it was (found by the audit: it was shown as this model's drift).
func TestReportRefusesAnotherModelsDrift(t *testing.T) {
	data, dir := small(t), t.TempDir()
	a, b, d := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "drift")
	for _, args := range [][]string{
		{"mine", "--data", data, "--out", a},
		{"mine", "--data", data, "--out", b, "--precision", "60", "--fp-max", "40"},
		{"drift", "--model", a, "--data", data, "--out", d},
	} {
		if _, stderr, code := runBin(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	before, err := os.ReadFile(filepath.Join(b, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runBin(t, "report", "--data", data, "--model", b, "--drift", d)
	if code != 2 || !strings.Contains(stderr, "was not made from the model in "+b) {
		t.Errorf("report of b with a's drift: exit %d, stderr %q; want exit 2", code, stderr)
	}
	if after, _ := os.ReadFile(filepath.Join(b, "report.html")); !bytes.Equal(after, before) {
		t.Errorf("the refused report changed report.html")
	}
	if _, stderr, code := runBin(t, "report", "--data", data, "--model", a, "--drift", d); code != 0 {
		t.Errorf("report of a with its own drift: exit %d: %s", code, stderr)
	}
}
