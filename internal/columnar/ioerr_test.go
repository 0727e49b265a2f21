package columnar

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
)

// failingFile returns a path whose open succeeds and whose read fails with an I/O error
// (a link to /proc/self/mem, whose offset 0 is never mapped), or skips the test.
func failingFile(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.Symlink("/proc/self/mem", p); err != nil {
		t.Skipf("symlink: %v", err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Skipf("no /proc/self/mem here: %v", err)
	}
	defer f.Close()
	if _, err := f.Read(make([]byte, 16)); err == nil || !uerr.IOFailure(err) {
		t.Skipf("reading /proc/self/mem does not fail with an I/O error here (%v)", err)
	}
	return p
}

// TestLoadIOFailureIsNotUserError: a data file that exists but cannot be read because the
// system fails is a runtime failure (exit 1), not a user error (exit 2); a missing file
// still is a user error.
func TestLoadIOFailureIsNotUserError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "assignments.csv"), []byte("identity_id,role_id\na,R\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), dir, LoadOptions{})
	if err == nil || !uerr.Is(err) {
		t.Fatalf("missing identities: %v, want a user error", err)
	}
	failingFile(t, dir, "identities.csv")
	_, err = Load(context.Background(), dir, LoadOptions{})
	if err == nil {
		t.Fatal("Load read a failing file without error")
	}
	if uerr.Is(err) {
		t.Errorf("I/O failure reported as a user error: %v", err)
	}
	if !strings.Contains(err.Error(), "identities.csv") {
		t.Errorf("error %q does not name the file", err)
	}
}
