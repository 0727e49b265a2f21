package truth

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/fuzzmin"
	"github.com/rolemine/rolemine/internal/uerr"
)

// fuzzTruthFiles are the files of a truth/ folder the loaders read, in the order
// FuzzLoadTruth splits its input into them.
var fuzzTruthFiles = []string{"rules.json", "noise.csv", "universe.json", "hidden.csv", UsageFile, UnusedFile, OwnersFile, OverPrivilegedFile}

// FuzzLoadTruth feeds arbitrary truth files (one input split at NUL bytes into
// fuzzTruthFiles; an absent part leaves its file out) to Load, LoadUniverse and LoadUsage,
// which `mine --truth` and `gen --evolve` read: none panics, and an error is a user error
// naming the file of the truth/ folder it is about. The seeds are the files `rolemine gen`
// wrote for 100 identities (--universe, then --usage), their CSV files cut to a few rows.
func FuzzLoadTruth(f *testing.F) {
	fuzzmin.Off(f)
	var parts [][]byte
	for _, name := range fuzzTruthFiles {
		b, err := os.ReadFile(filepath.Join("testdata", "seed", name))
		if err != nil {
			f.Fatal(err)
		}
		parts = append(parts, b)
	}
	f.Add(bytes.Join(parts, []byte{0}))
	f.Add(bytes.Join(parts[:4], []byte{0}))
	f.Add(bytes.Join(append([][]byte{[]byte(goodRules), []byte(goodNoise), []byte("{}"), []byte("identity_id,role_id,via\nu1,R1,G\nu1,R1,G\n")}, parts[4:]...), []byte{0}))
	f.Add([]byte("\x00\x00{\"systems\":{}}\x00identity_id,role_id\n\x00{}\x00identity_id,role_id,last_used\n\"u1\n\",R,x\n\x00identity_id,owner_id,finding,owner_left\nn1,o1,lost,true\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		for k, p := range bytes.SplitN(data, []byte{0}, len(fuzzTruthFiles)) {
			if len(p) == 0 && k >= 2 {
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, fuzzTruthFiles[k]), p, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, err1 := Load(dir)
		_, err2 := LoadUniverse(dir)
		_, err3 := LoadUsage(dir)
		for _, err := range []error{err1, err2, err3} {
			if err == nil {
				continue
			}
			if !uerr.Is(err) || !namesTruthFile(err.Error(), dir) {
				t.Fatalf("got %v, want a user error naming the file", err)
			}
		}
	})
}

// namesTruthFile says whether msg names one of the files of the truth/ folder dir.
func namesTruthFile(msg, dir string) bool {
	for _, name := range fuzzTruthFiles {
		if strings.Contains(msg, filepath.Join(dir, name)) {
			return true
		}
	}
	return false
}
