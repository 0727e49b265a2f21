package columnar

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// listDir returns the names in dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func writeSet(t *testing.T, dir string, files map[string]string) *OutputSet {
	t.Helper()
	s, err := NewOutputSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f, err := s.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(files[n]); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestOutputSetCommitAndAbort(t *testing.T) {
	tests := []struct {
		name   string
		commit bool
		want   map[string]string
	}{
		{"commit replaces every file", true, map[string]string{"a.json": "new a", "b.parquet": "new b", "c.txt": "new c"}},
		{"abort keeps the previous files", false, map[string]string{"a.json": "old a", "b.parquet": "old b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out", "nested")
			old := writeSet(t, dir, map[string]string{"a.json": "old a", "b.parquet": "old b"})
			if err := old.Commit(); err != nil {
				t.Fatal(err)
			}
			s := writeSet(t, dir, map[string]string{"a.json": "new a", "b.parquet": "new b", "c.txt": "new c"})
			// Before Commit, the final names still hold the old contents.
			if b, _ := os.ReadFile(filepath.Join(dir, "a.json")); string(b) != "old a" {
				t.Fatalf("before commit a.json = %q", b)
			}
			if tc.commit {
				if err := s.Commit(); err != nil {
					t.Fatal(err)
				}
			} else {
				s.Abort()
			}
			s.Abort() // no-op after Commit or Abort
			var wantNames []string
			for n, content := range tc.want {
				wantNames = append(wantNames, n)
				p := filepath.Join(dir, n)
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if string(b) != content {
					t.Errorf("%s = %q, want %q", n, b, content)
				}
				st, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode().Perm() != 0o644 {
					t.Errorf("%s mode %v, want 0644", n, st.Mode().Perm())
				}
			}
			sort.Strings(wantNames)
			if got := listDir(t, dir); strings.Join(got, ",") != strings.Join(wantNames, ",") {
				t.Errorf("dir holds %v, want %v (no temporary files)", got, wantNames)
			}
		})
	}
}

func TestOutputSetTemporaryNames(t *testing.T) {
	dir := t.TempDir()
	s := writeSet(t, dir, map[string]string{"rules.json": "x"})
	got := listDir(t, dir)
	if len(got) != 1 || !strings.HasPrefix(got[0], ".rules.json.tmp-") {
		t.Fatalf("while writing, dir holds %v, want one .rules.json.tmp-* file", got)
	}
	s.Abort()
	if got := listDir(t, dir); len(got) != 0 {
		t.Fatalf("after abort, dir holds %v", got)
	}
}

func TestOutputSetErrors(t *testing.T) {
	dir := t.TempDir()
	s, err := NewOutputSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", ".", "..", "a/b", `a\b`} {
		if _, err := s.Create(name); err == nil {
			t.Errorf("Create(%q) succeeded, want error", name)
		}
	}
	if _, err := s.Create("x"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create("x"); err == nil {
		t.Error("second Create(x) succeeded, want error")
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create("y"); err == nil {
		t.Error("Create after Commit succeeded, want error")
	}
	if err := s.Commit(); err == nil {
		t.Error("second Commit succeeded, want error")
	}
	if _, err := NewOutputSet(""); err == nil {
		t.Error("NewOutputSet(\"\") succeeded, want error")
	}
	// A path under a regular file cannot be created.
	file := filepath.Join(dir, "x")
	if _, err := NewOutputSet(filepath.Join(file, "sub")); err == nil {
		t.Error("NewOutputSet under a file succeeded, want error")
	}
}
