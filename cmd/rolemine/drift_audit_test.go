package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDriftPhasesWithoutPlugins: drift's summary.json lists the plugin phase only when
// --plugin is given (docs/outputs.md, drift's summary.json), found by the semantic audit:
// every drift run wrote a plugin phase, plugins or not.
func TestDriftPhasesWithoutPlugins(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"identities.csv":  "identity_id,kind,dept\nu1,human,Eng\nu2,human,Eng\nu3,human,Eng\nu4,human,Sales\n",
		"assignments.csv": "identity_id,role_id\nu1,GIT\nu2,GIT\nu3,GIT\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(data, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	model, out := filepath.Join(dir, "model"), filepath.Join(dir, "drift")
	for _, args := range [][]string{
		{"mine", "--data", data, "--out", model},
		{"drift", "--model", model, "--data", data, "--out", out},
	} {
		var o, e bytes.Buffer
		if code := run(args, &o, &e); code != 0 {
			t.Fatalf("rolemine %v: exit %d\n%s", args, code, e.String())
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ Phases []struct{ Name string } }
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range s.Phases {
		names = append(names, p.Name)
	}
	if got, want := strings.Join(names, " "), "load match classify health"; got != want {
		t.Errorf("phases %q, want %q", got, want)
	}
}

// TestDriftBoundsOfImplicitFlags: drift holds a model mined with the implicit rule's
// flags to the bounds it was mined with (docs/semantics.md#drift-bounds), recorded in its
// summary.json; found by the semantic audit (reorg): drift held it to the implicit rule's
// defaults, so a model mined with --precision 80 --fp-max 25 had every rule between
// those bounds and 95/5 reported degraded on its own data, night after night.
//
// GIT is held by u1-u4 of the five Eng: dept=Eng has fp 1 of 5 (20% <= 25), and the
// role's precision is 9 of 10 (90% >= 80).
func TestDriftBoundsOfImplicitFlags(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"identities.csv": "identity_id,kind,dept\nu1,human,Eng\nu2,human,Eng\nu3,human,Eng\nu4,human,Eng\nu5,human,Eng\n" +
			"u6,human,Sales\nu7,human,Sales\nu8,human,Sales\nu9,human,Sales\nu10,human,Sales\n",
		"assignments.csv": "identity_id,role_id\nu1,GIT\nu2,GIT\nu3,GIT\nu4,GIT\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(data, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	model, out := filepath.Join(dir, "model"), filepath.Join(dir, "drift")
	for _, args := range [][]string{
		{"mine", "--data", data, "--out", model, "--precision", "80", "--fp-max", "25"},
		{"drift", "--model", model, "--data", data, "--out", out},
	} {
		var o, e bytes.Buffer
		if code := run(args, &o, &e); code != 0 {
			t.Fatalf("rolemine %v: exit %d\n%s", args, code, e.String())
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "rules-health.json"))
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		BoundsSource string `json:"bounds_source"`
		Rules        []struct {
			Criterion string
			Bounds    struct {
				PrecisionMinPct     float64 `json:"precision_min_pct"`
				FalsePositiveMaxPct float64 `json:"false_positive_max_pct"`
				MinIdentities       int     `json:"min_identities"`
			}
			Degraded bool
			Failures []string
		}
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Rules) != 1 || h.Rules[0].Criterion != "dept=Eng" {
		t.Fatalf("rules-health.json rules %+v, want the one rule dept=Eng", h.Rules)
	}
	r := h.Rules[0]
	if r.Bounds.PrecisionMinPct != 80 || r.Bounds.FalsePositiveMaxPct != 25 || r.Bounds.MinIdentities != 3 || r.Degraded {
		t.Errorf("dept=Eng held to %+v, degraded %v %q; want 80/25/3, not degraded", r.Bounds, r.Degraded, r.Failures)
	}
	if want := "PrecisionMinPercentage 80, FalsePositiveMaxPercentage 25, MinIdentitiesCount 3"; !strings.Contains(h.BoundsSource, want) {
		t.Errorf("bounds_source %q does not name %q", h.BoundsSource, want)
	}
}
