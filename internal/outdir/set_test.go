package outdir

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

func writeSet(t *testing.T, dir string, files map[string]string) *Set {
	t.Helper()
	s, err := NewSet(dir, Options{})
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

func TestSetCommitAndAbort(t *testing.T) {
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
			for n, content := range tc.want {
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
			checkClean(t, dir, tc.want)
		})
	}
}

func TestSetStagesOutOfSight(t *testing.T) {
	dir := t.TempDir()
	s := writeSet(t, dir, map[string]string{"rules.json": "x"})
	if got := listDir(t, dir); strings.Join(got, ",") != ".rolemine.lock,.sets" {
		t.Fatalf("while writing, dir holds %v, want only the lock and .sets", got)
	}
	s.Abort()
	checkClean(t, dir, map[string]string{})
}

func TestSetErrors(t *testing.T) {
	dir := t.TempDir()
	s, err := NewSet(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", ".", "..", "a/b", `a\b`, ".hidden", LockFile} {
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
	if _, err := NewSet("", Options{}); err == nil {
		t.Error("NewOutputSet(\"\") succeeded, want error")
	}
	// A path under a regular file cannot be created.
	file := filepath.Join(dir, "x")
	if _, err := NewSet(filepath.Join(file, "sub"), Options{}); err == nil {
		t.Error("NewOutputSet under a file succeeded, want error")
	}
}
