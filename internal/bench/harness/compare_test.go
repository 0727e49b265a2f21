package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCompareOutputs(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeFiles(t, a, map[string]string{"rules.json": "same", "review.csv": "abcd", "roles.json": "x",
		"summary.json": "timed 1", "report.html": "timed 1", ".rules.json.tmp": "junk", "churn.json": "a"})
	writeFiles(t, b, map[string]string{"rules.json": "same", "review.csv": "abXd", "suggestions.csv": "y",
		"summary.json": "timed 2", "report.html": "timed 2", "churn.json": "ab"})
	// A link to a file counts as the file (outputs are links into the committed set).
	if err := os.Mkdir(filepath.Join(b, ".set"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, filepath.Join(b, ".set"), map[string]string{"rules.xml": "<x/>"})
	writeFiles(t, a, map[string]string{"rules.xml": "<x/>"})
	if err := os.Symlink(filepath.Join(".set", "rules.xml"), filepath.Join(b, "rules.xml")); err != nil {
		t.Fatal(err)
	}
	got, err := CompareOutputs(a, b)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range got {
		lines = append(lines, c.File+" "+map[bool]string{true: "same", false: "differs: " + c.Detail}[c.Identical])
	}
	want := []string{
		"churn.json differs: 1 bytes against 2",
		"review.csv differs: first difference at byte 2",
		"roles.json differs: only in " + a,
		"rules.json same",
		"rules.xml same",
		"suggestions.csv differs: only in " + b,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("CompareOutputs:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if _, err := CompareOutputs(a, filepath.Join(b, "missing")); err == nil {
		t.Error("a missing output directory: no error")
	}
}

func TestRatios(t *testing.T) {
	mt := &MineTier{Runs: []MineRun{
		{Phases: map[string]float64{"load": 1, "mine": 4}, Wall: 6, PeakRSS: 100},
		{Phases: map[string]float64{"load": 3, "mine": 2}, Wall: 8, PeakRSS: 300},
		{Phases: map[string]float64{"load": 2, "mine": 3}, Wall: 7, PeakRSS: 200},
	}, Assignments: 70}
	bt := &MineTier{Runs: []MineRun{
		{Phases: map[string]float64{"load": 4, "mine": 12}, Wall: 14, PeakRSS: 600},
		{Phases: map[string]float64{"load": 4, "mine": 12}, Wall: 14, PeakRSS: 400},
	}}
	summarizeTier(mt)
	summarizeTier(bt)
	if mt.Median["load"] != 2 || mt.Median["mine"] != 3 || mt.MedianWall != 7 || mt.PeakRSS != 300 || mt.PerSecond != 10 {
		t.Errorf("summarize: %+v", mt)
	}
	r := ratios(mt, bt)
	want := map[string]float64{"load": 0.5, "mine": 0.25, "wall": 0.5, "peak_rss": 0.5}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("ratio %s = %v, want %v", k, r[k], v)
		}
	}
	if _, ok := r["classify"]; ok {
		t.Error("a phase without a baseline time has a ratio")
	}
}
