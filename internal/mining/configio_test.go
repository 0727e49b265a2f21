package mining

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
)

// TestParseConfigFileIOFailure: a missing configuration is a user error; one the system
// fails to read (a link to /proc/self/mem, whose reads fail with EIO) is not.
func TestParseConfigFileIOFailure(t *testing.T) {
	dir := t.TempDir()
	if _, err := ParseConfigFile(filepath.Join(dir, "missing.xml")); err == nil || !uerr.Is(err) {
		t.Fatalf("missing file: %v, want a user error", err)
	}
	p := filepath.Join(dir, "mining.xml")
	if err := os.Symlink("/proc/self/mem", p); err != nil {
		t.Skipf("symlink: %v", err)
	}
	if _, err := os.ReadFile(p); err == nil || !uerr.IOFailure(err) {
		t.Skipf("reading /proc/self/mem does not fail with an I/O error here (%v)", err)
	}
	_, err := ParseConfigFile(p)
	if err == nil || uerr.Is(err) {
		t.Fatalf("I/O failure: %v, want a runtime (non-user) error", err)
	}
}
