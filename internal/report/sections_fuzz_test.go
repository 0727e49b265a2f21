package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/discover"
	"github.com/rolemine/rolemine/internal/fuzzmin"
	"github.com/rolemine/rolemine/internal/uerr"
)

// sectionFiles are the files `rolemine report` reads for its drift and discovery
// sections, in the order FuzzReportSections splits its input into them.
var sectionFiles = []string{driftSummaryFile, driftHealthFile, discover.FileName}

// FuzzReportSections feeds arbitrary bytes as a drift output's summary.json and
// rules-health.json (LoadDrift) and as discovered.json (LoadDiscovered), one input split at
// NUL bytes: loading never panics and an error is a user error naming its file; what loads
// is written as the report's sections without a panic. The seeds are a drift and a
// discover output of testdata/explain (one rule marked degraded).
func FuzzReportSections(f *testing.F) {
	fuzzmin.Off(f)
	var parts [][]byte
	for _, name := range []string{"drift-summary.json", "rules-health.json", "discovered.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "sections", name))
		if err != nil {
			f.Fatal(err)
		}
		parts = append(parts, b)
	}
	f.Add(bytes.Join(parts, []byte{0}))
	f.Add([]byte(`{"format":"rolemine.drift/v1","actions":{"grant":null}}` + "\x00" + `{"format":"rolemine.rules-health/v1","rules":[{"degraded":true},{"degraded":true,"support":-9}]}` +
		"\x00" + `{"format":"rolemine.discovered/v1","roles":[{"role_id":"<b>","criterion_precision":null}],"stats":{"assignments":-1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		for k, p := range bytes.SplitN(data, []byte{0}, len(sectionFiles)) {
			if err := os.WriteFile(filepath.Join(dir, sectionFiles[k]), p, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var h htmlWriter
		if d, err := LoadDrift(dir); err != nil {
			checkNamed(t, err, dir, driftSummaryFile, driftHealthFile)
		} else {
			writeDrift(&h, d)
		}
		// The fingerprint the file names, so that what loads is also written.
		var fp struct {
			DataFingerprint string `json:"data_fingerprint"`
		}
		json.Unmarshal(sectionPart(data, 2), &fp)
		doc, err := LoadDiscovered(dir, fp.DataFingerprint, nil)
		if err != nil {
			checkNamed(t, err, dir, discover.FileName)
		} else if doc != nil {
			writeDiscovered(&h, doc)
		}
	})
}

// sectionPart returns the k-th part of data split at NUL bytes as FuzzReportSections splits it.
func sectionPart(data []byte, k int) []byte {
	p := bytes.SplitN(data, []byte{0}, len(sectionFiles))
	if k < len(p) {
		return p[k]
	}
	return nil
}

// checkNamed fails t unless err is a user error naming one of the files names of dir.
func checkNamed(t *testing.T, err error, dir string, names ...string) {
	t.Helper()
	if !uerr.Is(err) {
		t.Fatalf("not a user error: %v", err)
	}
	for _, n := range names {
		if strings.Contains(err.Error(), filepath.Join(dir, n)) {
			return
		}
	}
	t.Fatalf("error %q names none of %v", err, names)
}
