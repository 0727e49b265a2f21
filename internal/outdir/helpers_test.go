package outdir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sortStrings sorts s in place.
func sortStrings(s []string) { sort.Strings(s) }

// view returns what a reader sees in dir: the content of every non-hidden entry, read
// through its links.
func view(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // a dangling link: the file is not in the committed set
		}
		if err != nil {
			t.Fatal(err)
		}
		got[e.Name()] = string(b)
	}
	return got
}

// sameView reports whether two views are equal.
func sameView(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// checkClean asserts that dir holds exactly one committed set with the files want, each
// reachable through its link, and nothing else: no staged or old set, no temporary
// entry, no dangling link.
func checkClean(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	if got := view(t, dir); !sameView(got, want) {
		t.Fatalf("dir shows %v, want %v", got, want)
	}
	wantNames := []string{LockFile}
	if len(want) > 0 {
		wantNames = append(wantNames, currentLink, setsDir)
	}
	for n := range want {
		wantNames = append(wantNames, n)
		if target, err := os.Readlink(filepath.Join(dir, n)); err != nil || target != linkTarget(n) {
			t.Errorf("%s: link to %q (%v), want %q", n, target, err, linkTarget(n))
		}
	}
	sort.Strings(wantNames)
	got := listDir(t, dir)
	if strings.Join(got, ",") != strings.Join(wantNames, ",") {
		t.Errorf("dir holds %v, want %v", got, wantNames)
	}
	if len(want) > 0 {
		if sets := listDir(t, filepath.Join(dir, setsDir)); len(sets) != 1 {
			t.Errorf("%s holds %v, want one set", setsDir, sets)
		}
	} else if _, err := os.Stat(filepath.Join(dir, setsDir)); err == nil {
		if sets := listDir(t, filepath.Join(dir, setsDir)); len(sets) != 0 {
			t.Errorf("%s holds %v, want none", setsDir, sets)
		}
	}
	for n := range want {
		st, err := os.Stat(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s mode %v, want 0644", n, st.Mode().Perm())
		}
	}
}
