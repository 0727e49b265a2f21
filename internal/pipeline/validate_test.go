package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
)

// TestCheckOutDirLinks: an --out that is a symbolic link to nothing, or a loop of links,
// is a user error naming the link, its target and what was expected; a link to a
// directory that does not exist yet, beneath an existing one, is resolved.
func TestCheckOutDirLinks(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	dangling, loop := filepath.Join(dir, "dangling"), filepath.Join(dir, "loop")
	for _, l := range [][2]string{{filepath.Join(dir, "absent", "x"), dangling}, {loop, loop}} {
		if err := os.Symlink(l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ out, want string }{
		{dangling, dangling + " is a symbolic link to " + filepath.Join(dir, "absent", "x") + ", which does not exist (expected a directory, or a link to one)"},
		{loop, loop + " is a symbolic link to " + loop + " that cannot be followed"},
	} {
		err := CheckOutDir("mine", "out", tc.out, "data", data)
		if err == nil || !uerr.Is(err) || !strings.Contains(err.Error(), "mine: --out "+tc.out+": "+tc.want) {
			t.Errorf("--out %s: got %v, want a user error containing %q", tc.out, err, tc.want)
		}
	}
	if err := CheckOutDir("mine", "out", filepath.Join(dir, "new", "model"), "data", data); err != nil {
		t.Errorf("--out a directory to be made: %v", err)
	}
}
