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
