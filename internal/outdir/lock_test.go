package outdir

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
)

// TestLockNamesHolder: while one Dir holds an output directory, a second Open fails with
// a BusyError naming the holder; once the first is closed, Open succeeds.
func TestLockNamesHolder(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir, Options{Command: "rolemine mine"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{Command: "rolemine report"})
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Holder == nil {
		t.Fatalf("second Open: %v, want a BusyError naming the holder", err)
	}
	host, _ := os.Hostname()
	for _, want := range []string{"rolemine mine", "pid " + strconv.Itoa(os.Getpid()), "host " + host, "started 20"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	// NewSet fails the same way.
	if _, err := NewSet(dir, Options{}); !errors.As(err, &busy) {
		t.Errorf("NewSet while held: %v, want a BusyError", err)
	}
	d.Close()
	d2, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	d2.Close()
}

// TestUnusedCreatedDirRemoved: a run that creates its output directory and commits
// nothing (refused input, failure) leaves no directory behind; a directory that existed
// keeps existing.
func TestUnusedCreatedDirRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	s, err := NewSet(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create("rules.json"); err != nil {
		t.Fatal(err)
	}
	s.Abort()
	if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s left behind after an aborted first run (%v)", dir, err)
	}
	existing := t.TempDir()
	d, err := Open(existing, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := os.Stat(existing); err != nil {
		t.Fatalf("an existing directory was removed: %v", err)
	}
}

// TestOutputDirIsAFile: an output directory that names an existing file, or a path
// through one, is the user's mistake (exit 2, uerr), not a runtime failure (exit 1, as
// before the audit), and the file is left as it was.
func TestOutputDirIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "upa.txt")
	if err := os.WriteFile(file, []byte("u1 p1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{file, filepath.Join(file, "out")} {
		_, err := Open(path, Options{})
		if err == nil || !uerr.Is(err) || !strings.Contains(err.Error(), "expected a directory") {
			t.Errorf("Open(%s) = %v, want a usage error", path, err)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "u1 p1\n" {
		t.Errorf("the file changed: %q", b)
	}
}

// TestResolve: Resolve names the committed set's directory, and the new one after a
// commit (readers resolve once and read every file from there).
func TestResolve(t *testing.T) {
	dir := t.TempDir()
	if got := Resolve(dir); got != dir {
		t.Fatalf("Resolve of a directory without sets = %s, want %s", got, dir)
	}
	if err := writeSet(t, dir, map[string]string{"a": "old a", "b": "old b"}).Commit(); err != nil {
		t.Fatal(err)
	}
	set := Resolve(dir)
	a, err := os.ReadFile(filepath.Join(set, "a"))
	if err != nil || string(a) != "old a" {
		t.Fatalf("read a from %s: %q, %v", set, a, err)
	}
	if err := writeSet(t, dir, map[string]string{"a": "new a", "b": "new b"}).Commit(); err != nil {
		t.Fatal(err)
	}
	if got := Resolve(dir); got == set {
		t.Fatal("Resolve still names the old set after a commit")
	}
	if b, _ := os.ReadFile(filepath.Join(Resolve(dir), "b")); string(b) != "new b" {
		t.Fatalf("new set b = %q", b)
	}
}
