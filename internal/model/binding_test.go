package model

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/uerr"
)

// TestBindRulesTermLimit binds hand-written rules with 32 and 33 terms: the first binds and
// matches only the identity that has every value; the second is a user error naming the
// file, the rule, its role and the limit, instead of having its 33rd term ignored by the
// failed-term bit masks of review and explain.
func TestBindRulesTermLimit(t *testing.T) {
	dir := t.TempDir()
	var head, full, short strings.Builder
	head.WriteString("identity_id,kind")
	full.WriteString("a1,human")
	short.WriteString("a2,human")
	for d := 0; d < MaxRuleTerms+1; d++ {
		fmt.Fprintf(&head, ",d%02d", d)
		fmt.Fprintf(&full, ",v")
		if d == MaxRuleTerms { // a2 lacks only the last value
			short.WriteString(",w")
		} else {
			short.WriteString(",v")
		}
	}
	ids := head.String() + "\n" + full.String() + "\n" + short.String() + "\n"
	write(t, filepath.Join(dir, "identities.csv"), ids)
	write(t, filepath.Join(dir, "assignments.csv"), "identity_id,role_id\na1,R\na2,R\n")
	snap, err := columnar.Load(context.Background(), dir, columnar.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rule := func(n int) Rule {
		r := Rule{RuleID: fmt.Sprintf("r%d", n), RoleID: "R", RuleType: "required", EntityType: "*"}
		for d := 0; d < n; d++ {
			r.Criteria = append(r.Criteria, Term{Attribute: fmt.Sprintf("d%02d", d), Value: "v"})
		}
		return r
	}
	b, err := BindRules(snap, []Rule{rule(MaxRuleTerms)}, RulesJSONFile)
	if err != nil {
		t.Fatalf("a rule of %d terms: %v", MaxRuleTerms, err)
	}
	if !b.Matches(0, 0) || !b.Matches(0, 1) {
		t.Errorf("a rule of %d terms: a1 and a2 have all its values, want both matched", MaxRuleTerms)
	}
	_, err = BindRules(snap, []Rule{rule(MaxRuleTerms + 1)}, RulesJSONFile)
	want := `rules.json: rule r33 (role R) has 33 criteria; expected at most 32`
	if err == nil || err.Error() != want || !uerr.Is(err) {
		t.Fatalf("a rule of 33 terms: got %v, want user error %q", err, want)
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBindRulesUnknownType: a rules.json rule whose rule_type is none of the three
// rules.json writes (here the configuration's spelling, "Required", and an empty one) is a
// user error naming the file, the rule and the expected values; drift would otherwise
// suggest, not grant, the role of such a rule.
func TestBindRulesUnknownType(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "identities.csv"), "identity_id,dept\na1,x\n")
	write(t, filepath.Join(dir, "assignments.csv"), "identity_id,role_id\na1,R\n")
	snap, err := columnar.Load(context.Background(), dir, columnar.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"required", "requested_automatically", "suggested", "Required", ""} {
		r := Rule{RuleID: "r1", RoleID: "R", RuleType: typ, EntityType: "*", Criteria: []Term{{Attribute: "dept", Value: "x"}}}
		_, err := BindRules(snap, []Rule{r}, RulesJSONFile)
		if typ == strings.ToLower(typ) && typ != "" {
			if err != nil {
				t.Errorf("rule_type %q: %v", typ, err)
			}
			continue
		}
		want := fmt.Sprintf(`rules.json: rule r1 (role R) has rule_type %q; expected required, requested_automatically or suggested`, typ)
		if err == nil || err.Error() != want || !uerr.Is(err) {
			t.Errorf("rule_type %q: got %v, want user error %q", typ, err, want)
		}
	}
}
