package mining

import (
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/spectest"
)

// TestConfigAttributesMatchDocs holds the <MiningRule> attributes the parser knows to
// docs/config.md's table, names and order (miningRuleAttrs, which messages list, follows
// it), and checks that each documented attribute parses and that an attribute the table
// lacks is refused.
func TestConfigAttributesMatchDocs(t *testing.T) {
	doc, err := spectest.ReadDoc("../..", "config.md")
	if err != nil {
		t.Fatal(err)
	}
	sec, err := spectest.Section(doc, "## `<MiningRule>` attributes")
	if err != nil {
		t.Fatal(err)
	}
	tables := spectest.Tables(sec)
	if len(tables) == 0 || tables[0][0][0] != "attribute" {
		t.Fatal("docs/config.md: no attribute table")
	}
	var documented []string
	for _, r := range tables[0][1:] {
		names := spectest.Ticks(r[0])
		if len(names) == 2 && strings.Contains(r[0], "…") {
			documented = append(documented, names[0]+".."+names[1]) // a range of names
			for _, n := range names {
				if !isDisplayName(n) {
					t.Errorf("config.md's range %q: %s is not accepted as a display name", r[0], n)
				}
			}
			continue
		}
		documented = append(documented, names...)
	}
	if !slices.Equal(documented, miningRuleAttrs) {
		t.Errorf("config.md's attributes:\n%q\nthe parser's:\n%q", documented, miningRuleAttrs)
	}
	for _, r := range tables[0][1:] {
		name := spectest.Ticks(r[0])[0]
		value := spectest.Ticks(r[1])
		xml := `<ConfigurationFile><MiningRule ` + name + `="` + strings.Join(value, "") + `"/></ConfigurationFile>`
		if _, err := ParseConfig("m.xml", []byte(xml)); err != nil && strings.Contains(err.Error(), "unknown attribute") {
			t.Errorf("documented attribute %s: %v", name, err)
		}
	}
	if _, err := ParseConfig("m.xml", []byte(`<ConfigurationFile><MiningRule Undocumented="1"/></ConfigurationFile>`)); err == nil {
		t.Error("an attribute config.md does not list is accepted")
	}
}
