package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// readCSVFile returns the rows of a CSV file after its header.
func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: %v (%d rows)", path, err, len(rows))
	}
	return rows[1:]
}

// readJSONFile decodes a JSON file into v.
func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestUsageTruth generates tier S with planted usage and owners, mines it, evolves it and
// runs drift, and checks the outputs against the planted truth with the files alone
// (docs/excess-privilege.md#generated): usage and ownership counts exact, at least 90%
// of the top 100 of each group of excess.csv planted over-privileged, and revoke-unused
// and reassign-owner against the planted unused pairs and orphaned identities.
func TestUsageTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("generates, mines and evolves tier S")
	}
	tmp := t.TempDir()
	data, next := filepath.Join(tmp, "s"), filepath.Join(tmp, "s2")
	if _, stderr, code := runBin(t, "gen", "--tier", "S", "--seed", "1", "--usage", "--format", "csv", "--out", data); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, stderr)
	}
	out := filepath.Join(tmp, "out")
	stdout, stderr, code := runBin(t, "mine", "--data", data, "--out", out, "--config", "../../examples/mining.xml", "--truth", filepath.Join(data, "truth"))
	if code != 0 {
		t.Fatalf("mine: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "; by kind, by system and ownership exact") {
		t.Errorf("mine --truth does not report exact usage and ownership:\n%s", stdout)
	}

	checkUsageAgainstTruth(t, out, data)

	// The next snapshot: owners who left orphan what they own, and unused access.
	if _, stderr, code := runBin(t, "gen", "--evolve", data, "--out", next); code != 0 {
		t.Fatalf("gen --evolve: exit %d: %s", code, stderr)
	}
	dout := filepath.Join(tmp, "drift")
	if _, stderr, code := runBin(t, "drift", "--model", out, "--data", next, "--previous-data", data, "--out", dout,
		"--config", "../../examples/mining.xml", "--truth", filepath.Join(next, "truth")); code != 0 {
		t.Fatalf("drift: exit %d: %s", code, stderr)
	}
	unused := map[[2]string]bool{}
	for _, r := range readCSVFile(t, filepath.Join(next, "truth", "unused.csv")) {
		unused[[2]string{r[0], r[1]}] = true
	}
	orphaned, left := map[string]bool{}, 0
	for _, r := range readCSVFile(t, filepath.Join(next, "truth", "owners.csv")) {
		if r[2] == "owner_unknown" {
			orphaned[r[0]] = true
		}
		if r[3] == "true" {
			left++
		}
	}
	if left == 0 || len(unused) == 0 {
		t.Fatalf("the evolved snapshot plants %d departed owners and %d unused pairs", left, len(unused))
	}
	listed, hits := 0, 0
	reassigned := map[string]bool{}
	for _, r := range readCSVFile(t, filepath.Join(dout, "remediation.csv")) {
		switch r[0] {
		case "revoke-unused":
			listed++
			if unused[[2]string{r[1], r[3]}] {
				hits++
			}
		case "reassign-owner":
			reassigned[r[1]] = true
		}
	}
	if p, rc := float64(hits)/float64(listed), float64(hits)/float64(len(unused)); p < 0.99 || rc < 0.99 {
		t.Errorf("revoke-unused: %d listed, %d planted unused, %d both: precision %.4f, recall %.4f", listed, len(unused), hits, p, rc)
	}
	if !reflect.DeepEqual(reassigned, orphaned) {
		t.Errorf("reassign-owner lists %d identities, %d planted orphaned", len(reassigned), len(orphaned))
	}
}

// checkUsageAgainstTruth checks a mine run's outputs in out against the usage truth of
// data: summary.json's usage and nhi_ownership equal the planted counts, and at least 90
// of the top 100 of each group of excess.csv are planted over-privileged.
func checkUsageAgainstTruth(t *testing.T, out, data string) {
	t.Helper()
	// Usage and ownership of summary.json equal the truth.
	type counts struct{ Used, Unused, Unknown int64 }
	type usageFigures struct {
		AsOf                  string `json:"as_of"`
		UnusedDays            int    `json:"unused_days"`
		Used, Unused, Unknown int64
		ByKind                map[string]counts `json:"by_kind"`
		BySystem              map[string]counts `json:"by_system"`
	}
	var summary struct {
		Usage     usageFigures     `json:"usage"`
		Ownership map[string]int64 `json:"nhi_ownership"`
	}
	readJSONFile(t, filepath.Join(out, "summary.json"), &summary)
	var planted struct {
		usageFigures
		Owners         map[string]int64 `json:"owners"`
		OwnersLeft     int64            `json:"owners_left"`
		UnknownSystems []string         `json:"unknown_systems"`
	}
	readJSONFile(t, filepath.Join(data, "truth", "usage.json"), &planted)
	if planted.Unused == 0 || planted.Unknown == 0 || len(planted.UnknownSystems) != 1 {
		t.Fatalf("nothing planted: %+v", planted)
	}
	if !reflect.DeepEqual(summary.Usage, planted.usageFigures) {
		t.Errorf("usage: found %+v, planted %+v", summary.Usage, planted.usageFigures)
	}
	if !reflect.DeepEqual(summary.Ownership, planted.Owners) {
		t.Errorf("nhi_ownership: found %v, planted %v", summary.Ownership, planted.Owners)
	}
	for _, f := range []string{"no_owner", "owner_unknown", "owner_not_human"} {
		if planted.Owners[f] == 0 {
			t.Errorf("no %s planted: %v", f, planted.Owners)
		}
	}

	// The top 100 of each group of excess.csv: at least 90 planted over-privileged.
	over := map[string]bool{}
	for _, r := range readCSVFile(t, filepath.Join(data, "truth", "overprivileged.csv")) {
		over[r[0]] = true
	}
	top := map[string][2]int{}
	for _, r := range readCSVFile(t, filepath.Join(out, "excess.csv")) {
		if c := top[r[0]]; c[0] < 100 {
			c[0]++
			if over[r[2]] {
				c[1]++
			}
			top[r[0]] = c
		}
	}
	for _, g := range []string{"human", "non_human"} {
		if c := top[g]; c[0] != 100 || c[1] < 90 {
			t.Errorf("excess.csv top 100 %s: %d ranked, %d planted over-privileged; want at least 90", g, c[0], c[1])
		}
	}
}

// TestUsageTruthUniverse: usage planted on a generated universe (gen --usage
// --universe, docs/excess-privilege.md#generated-universe) is found exactly by mine, over
// every effective pair, inherited ones included; the excess ranking's heads are planted
// over-privileged identities.
func TestUsageTruthUniverse(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and mines a tier S universe")
	}
	tmp := t.TempDir()
	data, out := filepath.Join(tmp, "u"), filepath.Join(tmp, "out")
	if _, stderr, code := runBin(t, "gen", "--tier", "S", "--seed", "2", "--universe", "--usage", "--format", "csv", "--out", data); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, stderr)
	}
	stdout, stderr, code := runBin(t, "mine", "--data", data, "--out", out, "--config", "../../examples/mining.xml", "--truth", filepath.Join(data, "truth"))
	if code != 0 {
		t.Fatalf("mine: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "; by kind, by system and ownership exact") || !strings.Contains(stdout, "inherited") {
		t.Errorf("mine --truth does not report exact usage and ownership of a universe with inherited pairs:\n%s", stdout)
	}
	checkUsageAgainstTruth(t, out, data)
}
