package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestExplainJSONMatchesDocs holds `explain --json` to docs/cli.md's explain-json tables,
// both ways, on identities of the universe with usage chosen to show most fields: one
// whose access is unused under UsedOnly, one with a redundant grant, one with an
// inherited role, a non-human identity and its owner, one without an owner, and one with a
// suggestion. Fields the page says are written only when they apply need not appear.
func TestExplainJSONMatchesDocs(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and mines 2,000 identities three ways")
	}
	s := specOutputs(t)
	sec := docSection(t, readDoc(t, "cli.md"), "#explain-json")
	tables := docTables(sec)
	if len(tables) < 2 {
		t.Fatal("docs: cli.md's explain-json has not its two tables")
	}
	fields, rule := fieldTable(t, tables[0]), fieldTable(t, tables[1])
	doc, ruleShape := shape{}, shape{}
	for k, f := range rule {
		ruleShape[k] = f.shape
	}
	optional := optionalNames(sec)
	for k, f := range fields {
		doc[k] = f.shape
		if f.conditional {
			optional = append(optional, k)
		}
	}
	for _, r := range tables[0][1:] {
		if names(r[0])[0] == "roles" {
			optional = append(optional, names(strings.SplitN(r[1], "`:", 2)[1])...) // the prose after the shape
		}
	}
	intro, _, _ := strings.Cut(sec[strings.Index(sec, "Every rule above"):], "\n\n")
	for _, path := range ticks(intro) {
		at := doc
		parts := strings.Split(path, ".")
		for _, p := range parts[:len(parts)-1] {
			at = at[p]
		}
		if _, ok := at[parts[len(parts)-1]]; !ok || at == nil {
			t.Fatalf("docs: %s names no field of the table", path)
		}
		at[parts[len(parts)-1]] = ruleShape
	}
	seen := map[string]bool{}
	for _, id := range explainSample(t, s) {
		out := mustBin(t, "explain", "--data", s.useData, "--model", s.use, "--identity", id, "--json")
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("explain %s --json: %v", id, err)
		}
		observe(t, "explain", doc, v, seen)
		for _, k := range keysOf(doc) {
			if _, ok := v.(map[string]any)[k]; !ok && !slices.Contains(optional, k) {
				t.Errorf("explain %s --json lacks %s", id, k)
			}
		}
	}
	unseen(t, "explain", doc, seen, optional)
}

// explainSample picks identities of the universe with usage from its review.csv,
// ownership.csv and suggestions.csv, and the owner of a non-human identity.
func explainSample(t *testing.T, s *specOut) []string {
	t.Helper()
	read := func(name string) []map[string]string {
		f, err := os.Open(filepath.Join(s.use, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var out []map[string]string
		for _, r := range rows[1:] {
			m := map[string]string{}
			for i, c := range rows[0] {
				m[c] = r[i]
			}
			out = append(out, m)
		}
		return out
	}
	var ids []string
	pick := func(rows []map[string]string, col, want string) string {
		for _, r := range rows {
			if r[col] == want && !slices.Contains(ids, r["identity_id"]) {
				ids = append(ids, r["identity_id"])
				return r["identity_id"]
			}
		}
		t.Fatalf("no row with %s %s", col, want)
		return ""
	}
	review := read("review.csv")
	pick(review, "reason", "unused")
	pick(review, "redundant", "true")
	pick(review, "inherited", "true")
	nonHuman := pick(review, "non_human", "true")
	pick(read("ownership.csv"), "finding", "no_owner")
	if sugg := read("suggestions.csv"); len(sugg) > 0 {
		ids = append(ids, sugg[0]["identity_id"])
	}
	var nhi struct {
		Owner string `json:"owner_id"`
	}
	if err := json.Unmarshal([]byte(mustBin(t, "explain", "--data", s.useData, "--model", s.use, "--identity", nonHuman, "--json")), &nhi); err != nil {
		t.Fatal(err)
	}
	if nhi.Owner != "" {
		ids = append(ids, nhi.Owner)
	}
	return ids
}
