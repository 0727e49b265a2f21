package outdir

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/fuzzmin"
	"github.com/rolemine/rolemine/internal/uerr"
)

// FuzzRemoteManifest feeds arbitrary bytes as the manifest of a file:// bucket holding one
// published set (rules.json, roles.json): Fetch never panics, writes nothing outside the
// directory it is given, fetches only the files the manifest names, and an error names
// the bucket's URL; a manifest that is not a rolemine set is a user error; an accepted
// manifest names one set under the sets' prefix and distinct output files.
func FuzzRemoteManifest(f *testing.F) {
	fuzzmin.Off(f)
	files := map[string]string{"rules.json": "two", "roles.json": "roles 2"}
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	good := `{"format":"` + ManifestFormat + `","set":"S1","files":[{"name":"rules.json","bytes":3,"sha256":"` + sum("two") +
		`"},{"name":"roles.json","bytes":7,"sha256":"` + sum("roles 2") + `"}]}`
	for _, seed := range []string{
		good,
		strings.Replace(good, `"S1"`, `"../S1"`, 1),
		strings.Replace(good, `"S1"`, `".."`, 1),
		strings.Replace(good, `"roles.json"`, `"rules.json"`, 1),
		strings.Replace(good, `"rules.json"`, `"../rules.json"`, 1),
		strings.Replace(good, `"rules.json"`, `".rolemine.lock"`, 1),
		strings.Replace(good, `"bytes":3`, `"bytes":-3`, 1),
		`{"format":"` + ManifestFormat + `","set":"S1","files":null}`,
		`{}`, `null`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, manifest []byte) {
		ctx := context.Background()
		// Not t.TempDir(): a seed's directory name holds '#', which a file:// URL reads as
		// the start of a fragment.
		root, err := os.MkdirTemp("", "fuzzremote")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(root) })
		bucket := filepath.Join(root, "bucket")
		set := filepath.Join(bucket, setsDir, "S1")
		if err := os.MkdirAll(set, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(set, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(bucket, ManifestName), manifest, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := OpenRemote(ctx, "file://"+bucket)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		dir := filepath.Join(root, "local")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if m, ok, err := r.Manifest(ctx); ok && err == nil {
			names := map[string]bool{}
			for _, mf := range m.Files {
				if !validName(mf.Name) || names[mf.Name] {
					t.Fatalf("manifest accepted with file %q", mf.Name)
				}
				names[mf.Name] = true
			}
			if !validName(m.Set) {
				t.Fatalf("manifest accepted with set %q", m.Set)
			}
		}
		_, err = r.Fetch(ctx, dir)
		if err != nil && !strings.Contains(err.Error(), r.URL) {
			t.Fatalf("error %q does not name %s", err, r.URL)
		}
		if err != nil && strings.Contains(err.Error(), "not a "+ManifestFormat) && !uerr.Is(err) {
			t.Fatalf("not a user error: %v", err)
		}
		ents, _ := os.ReadDir(root)
		if len(ents) != 2 {
			t.Fatalf("fetch wrote beside its directory: %v", ents)
		}
		got, _ := os.ReadDir(dir)
		for _, e := range got {
			if _, ok := files[e.Name()]; !ok {
				t.Fatalf("fetched %s, which the bucket's set does not hold", e.Name())
			}
		}
	})
}
