package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// tinyData writes a small flat data set (two roles, each held by one department) under
// dir and returns dir.
func tinyData(t *testing.T, dir string) string {
	t.Helper()
	writeFiles(t, dir, map[string]string{
		"identities.csv":  "identity_id,kind,department\na1,human,Eng\na2,human,Eng\na3,human,Eng\nb1,human,Sales\nb2,human,Sales\nb3,human,Sales\n",
		"assignments.csv": "identity_id,role_id\na1,GIT\na2,GIT\na3,GIT\nb1,CRM\nb2,CRM\nb3,CRM\n",
	})
	return dir
}

// TestOutInDirectoryOfOtherFiles: --out naming a directory that already holds files
// rolemine did not write (notes, a folder) writes the outputs beside them and leaves
// them as they were, plain files, through two runs (docs/outputs.md#out-atomic). Found by
// the semantic audit: every plain file of such a directory was taken for an output of an
// older version and moved into the first set, the user's file becoming a link into
// .sets/ID.
func TestOutInDirectoryOfOtherFiles(t *testing.T) {
	tmp := t.TempDir()
	data := tinyData(t, filepath.Join(tmp, "data"))
	out := filepath.Join(tmp, "out")
	writeFiles(t, out, map[string]string{"notes.txt": "mine\n"})
	writeFiles(t, filepath.Join(out, "sub"), map[string]string{"keep.csv": "a,b\n"})
	for i := 0; i < 2; i++ {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"mine", "--data", data, "--out", out}, &stdout, &stderr); code != 0 {
			t.Fatalf("run %d: exit %d: %s", i+1, code, stderr.String())
		}
		for _, name := range []string{"notes.txt", "sub/keep.csv"} {
			fi, err := os.Lstat(filepath.Join(out, name))
			if err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("run %d: %s is no longer a plain file (%v, %v)", i+1, name, fi.Mode(), err)
			}
		}
		if b, err := os.ReadFile(filepath.Join(out, "notes.txt")); err != nil || string(b) != "mine\n" {
			t.Fatalf("run %d: notes.txt now %q (%v)", i+1, b, err)
		}
		if _, err := os.Stat(filepath.Join(out, ".current", "notes.txt")); err == nil {
			t.Fatalf("run %d: notes.txt was taken into the output set", i+1)
		}
		if _, err := os.Stat(filepath.Join(out, "rules.json")); err != nil {
			t.Fatalf("run %d: no rules.json: %v", i+1, err)
		}
	}
}
