package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/spectest"
)

// inputRows are the rows of a small universe by file, each a column -> value map; the
// columns written are those the pages name (spectest.Inputs), in their order, so a column
// documented but refused fails the run.
var inputRows = map[string][]map[string]string{
	"identities": {
		{"identity_id": "u1", "kind": "human", "dept": "Eng"},
		{"identity_id": "u2", "kind": "human", "dept": "Eng"},
		{"identity_id": "s1", "kind": "service_account", "owner_id": "u1", "dept": "Eng"},
	},
	"roles": {
		{"role_id": "R1", "category": "app", "validations": "1", "application": "AD", "description": "one"},
		{"role_id": "R2", "category": "app", "validations": "0", "application": "DB", "description": "two"},
	},
	"assignments": {
		{"identity_id": "u1", "role_id": "R1", "last_used": "2026-06-01", "system": "AD", "account_id": "a1", "granted_at": "2026-01-01", "source": "x"},
		{"identity_id": "u2", "role_id": "R1", "system": "AD", "account_id": "a2"},
		{"identity_id": "s1", "role_id": "R2", "last_used": "2026-05-01", "system": "AD", "account_id": "a3"},
	},
	"accounts":    {{"system": "AD", "account_id": "a1", "identity_id": "u1"}, {"system": "AD", "account_id": "a2", "identity_id": "u2"}, {"system": "AD", "account_id": "a3", "identity_id": "s1"}},
	"role_grants": {{"role_id": "R1", "grants_role_id": "R2"}},
	"attributes":  {{"identity_id": "u1", "attribute": "project", "value": "p1"}},
}

// writeInputs writes each file of cols (file -> columns) as CSV under dir from inputRows,
// with an attributes row naming attr when attr is not "".
func writeInputs(t *testing.T, dir string, cols map[string][]string, attr string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for file, cs := range cols {
		var rows [][]string
		src := inputRows[file]
		if file == "attributes" && attr != "" {
			src = append(slices.Clone(src), map[string]string{"identity_id": "u2", "attribute": attr, "value": "v"})
		}
		for _, r := range src {
			var row []string
			for _, c := range cs {
				row = append(row, r[c])
			}
			rows = append(rows, row)
		}
		writeCSV(t, filepath.Join(dir, file+".csv"), cs, rows)
	}
}

// TestInputColumnsAccepted runs mine on a small universe holding every input column the
// pages document (and the examples of ignored columns): it must be accepted; without
// each column documented as required, mine must exit 2 naming it; an attributes row
// naming a reserved name must exit 2 naming it. internal/columnar's
// TestInputColumnsMatchDocs holds the loaders' column lists to the same pages.
func TestInputColumnsAccepted(t *testing.T) {
	files, reserved, err := spectest.Inputs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	full := map[string][]string{}
	for f, d := range files {
		full[f] = append(slices.Clone(d.Columns), d.Ignored...)
		if f == "identities" {
			full[f] = append(full[f], "dept") // an attribute
		}
		full[f] = append(full[f], files[f].AccountColumns...)
	}
	root := t.TempDir()
	run := func(name string, cols map[string][]string, attr string) (string, int) {
		data := filepath.Join(root, name)
		writeInputs(t, data, cols, attr)
		_, stderr, code := runBin(t, "mine", "--data", data, "--out", filepath.Join(root, name+"-out"))
		return stderr, code
	}
	if stderr, code := run("all", full, ""); code != 0 {
		t.Fatalf("every documented column %v: exit %d: %s", full, code, stderr)
	}
	for _, f := range keysOf(files) {
		required := files[f].Required
		for _, c := range required {
			cols := cloneCols(full)
			cols[f] = slices.DeleteFunc(slices.Clone(cols[f]), func(s string) bool {
				return s == c || (f == "assignments" && slices.Contains(files[f].AccountColumns, s))
			})
			if stderr, code := run("no-"+f+"-"+c, cols, ""); code != 2 || !strings.Contains(stderr, c) {
				t.Errorf("%s without its required %s: exit %d, want 2 naming it: %s", f, c, code, stderr)
			}
		}
	}
	acc := cloneCols(full)
	acc["assignments"] = slices.DeleteFunc(slices.Clone(acc["assignments"]), func(s string) bool {
		return !slices.Contains(files["assignments"].AccountRequired, s) && !slices.Contains(files["assignments"].AccountColumns, s)
	})
	if stderr, code := run("accounts-only", acc, ""); code != 0 {
		t.Errorf("assignments with only %v: exit %d, want 0 (the pages require only %v): %s", acc["assignments"], code, files["assignments"].AccountRequired, stderr)
	}
	for _, r := range reserved {
		if stderr, code := run("reserved-"+r, full, r); code != 2 || !strings.Contains(stderr, `"`+r+`"`) {
			t.Errorf("an attributes row naming %s: exit %d, want 2 naming it: %s", r, code, stderr)
		}
	}
}

// cloneCols returns a copy of m whose slices may be replaced.
func cloneCols(m map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
