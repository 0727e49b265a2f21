package report

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// netwrixRule is one <SingleRoleRule/> as a Netwrix Identity Manager importer reads it:
// its dimension values resolved through the <Dimension/> whose ColumnMapping is the
// attribute's D-index (D0 ... D127).
type netwrixRule struct {
	role, policy, typ string
	criteria          []string // attribute=value, in D-index order
}

// readNetwrixRules reads rules.xml the way a Netwrix importer does: every <Dimension/>
// declares an Identifier and the ColumnMapping its rules' D-attributes refer to.
func readNetwrixRules(t *testing.T, path string) []netwrixRule {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dims := map[string]string{} // ColumnMapping -> Identifier
	var rules []netwrixRule
	dec := xml.NewDecoder(strings.NewReader(string(b)))
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := func(name string) (string, bool) {
			for _, a := range el.Attr {
				if a.Name.Local == name {
					return a.Value, true
				}
			}
			return "", false
		}
		switch el.Name.Local {
		case "Dimension":
			id, okID := attr("Identifier")
			col, okCol := attr("ColumnMapping")
			if k, err := strconv.Atoi(col); !okID || !okCol || err != nil || k < 0 || k > 127 {
				t.Fatalf("<Dimension/> %v: want an Identifier and a ColumnMapping from 0 to 127", el.Attr)
			}
			if prev, dup := dims[col]; dup {
				t.Fatalf("ColumnMapping %s declared for %s and %s", col, prev, id)
			}
			for c, other := range dims {
				if other == id {
					t.Fatalf("dimension %s declared with ColumnMapping %s and %s", id, c, col)
				}
			}
			dims[col] = id
		case "SingleRoleRule":
			var r netwrixRule
			r.role, _ = attr("Role")
			r.policy, _ = attr("Policy")
			r.typ, _ = attr("Type")
			for _, a := range el.Attr {
				k, ok := strings.CutPrefix(a.Name.Local, "D")
				if _, err := strconv.Atoi(k); !ok || err != nil {
					continue
				}
				id, known := dims[k]
				if !known {
					t.Fatalf("rule of %s: %s names no declared <Dimension/>", r.role, a.Name.Local)
				}
				r.criteria = append(r.criteria, id+"="+a.Value)
			}
			rules = append(rules, r)
		}
	}
	return rules
}

// TestRulesXMLAsNetwrixImporter: rules.xml read as Netwrix Identity Manager reads it
// gives rules.json's rules. Netwrix's <Dimension/> names the column its rules' D-index
// refers to ColumnMapping (docs/outputs.md#out-rules-xml); found by the semantic audit:
// rolemine wrote ColumnIndex, so an importer found no dimension for D0, D1, ...
func TestRulesXMLAsNetwrixImporter(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir)
	got := readNetwrixRules(t, filepath.Join(dir, RulesXMLFile))
	b, err := os.ReadFile(filepath.Join(dir, RulesJSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Rules []struct {
			RoleID   string `json:"role_id"`
			Policy   string `json:"policy"`
			RuleType string `json:"rule_type"`
			Criteria []struct{ Attribute, Value string }
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	types := map[string]string{"required": "Required", "requested_automatically": "RequestedAutomatically", "suggested": "Suggested"}
	if len(got) != len(doc.Rules) || len(got) == 0 {
		t.Fatalf("rules.xml holds %d rules, rules.json %d", len(got), len(doc.Rules))
	}
	for k, w := range doc.Rules {
		var crit []string
		for _, c := range w.Criteria {
			crit = append(crit, c.Attribute+"="+c.Value)
		}
		g := got[k]
		if g.role != w.RoleID || g.policy != w.Policy || g.typ != types[w.RuleType] || !slices.Equal(g.criteria, crit) {
			t.Errorf("rule %d: rules.xml gives %+v, rules.json %s %s %s %v", k, g, w.RoleID, w.Policy, w.RuleType, crit)
		}
	}
}
