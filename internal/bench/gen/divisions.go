package gen

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
)

// divisions group departments into the level of the org chart no column holds.
var divisions = []struct {
	name        string
	departments []string
}{
	{"DIV-TECH", []string{"Engineering", "IT", "Data", "Security", "Product"}},
	{"DIV-REVENUE", []string{"Sales", "Marketing", "Customer Support"}},
	{"DIV-CORPORATE", []string{"Finance", "Human Resources", "Legal", "Compliance", "Procurement"}},
}

// divisionRoles returns one role per division, granted to every department of the
// division (ORed planted rules on department, scope human). With the orgtree plugin
// reading the team column and the parent map of writeOrgTree, one rule
// team_under=<division> explains it instead of one rule per department.
func divisionRoles(o *org) []role {
	var out []role
	for _, dv := range divisions {
		var rules []prule
		for _, name := range dv.departments {
			if d := slices.Index(o.dict[aDepartment], name); d >= 0 {
				rules = append(rules, prule{maskHuman, "human", t1(aDepartment, int32(d))})
			}
		}
		if len(rules) < 2 {
			continue
		}
		out = append(out, role{
			id:          upperSnake(dv.name) + "_PORTAL",
			category:    "business-app",
			application: "sharepoint",
			description: "portal of division " + dv.name,
			typ:         typeRule,
			rules:       rules,
		})
	}
	return out
}

// writeOrgTree writes path as an orgtree plugin configuration: every team's parent is
// its department, every department's parent its division (when it has one).
func writeOrgTree(o *org, path string) error {
	parents := map[string]string{}
	for t, team := range o.dict[aTeam] {
		parents[team] = o.dict[aDepartment][o.teamDept[t]]
	}
	for _, dv := range divisions {
		for _, d := range dv.departments {
			parents[d] = dv.name
		}
	}
	b, err := json.MarshalIndent(map[string]any{"input": "team", "output": "team_under", "parents": parents}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("gen: write %s: %w", path, err)
	}
	return nil
}
