package mining

import (
	"context"
	"encoding/csv"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/spectest"
)

// TestWorkedExamples runs the hand-checked examples in testdata/worked
// (docs/development.md#tests). Each file holds commands:
//
//	data
//	identities:
//	identity_id,kind,dept,...   (CSV with header; empty kind = human; a|b = two values)
//	roles:
//	role_id,category,validations
//	assignments:
//	ROLE: identity identity ...  (the holders of ROLE)
//	----
//	<counts of what was loaded>
//
//	mine [roles=A,B]
//	<mining.xml content>
//	----
//	ROLE <type> <policy> <criterion> tp=.. fp=.. support=.. [scope=<entity_type>]
//	ROLE TP=.. FP=.. FN=.. TN=.. precision=..% fp%=..%
//	ROLE none: <reason>
//
// The expected outputs are written by hand from the specification, with the arithmetic in
// `#` comments. The miner words reasons itself, so an expected line may contain `...`,
// which matches any text: the line passes when the pieces between the `...` occur in order
// (the first as a prefix, the last as a suffix).
func TestWorkedExamples(t *testing.T) {
	datadriven.Walk(t, "testdata/worked", func(t *testing.T, path string) {
		var snap *columnar.Snapshot
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			switch td.Cmd {
			case "data":
				e, err := parseWorkedData(td.Input)
				if err != nil {
					td.Fatalf(t, "%v", err)
				}
				snap = mustSnapshot(t, e)
				return describeSnapshot(snap)
			case "mine":
				if snap == nil {
					td.Fatalf(t, "mine before data")
				}
				var only []string
				if td.HasArg("roles") {
					var list string
					td.ScanArgs(t, "roles", &list)
					only = strings.Split(list, ",")
				}
				cfg, err := ParseConfig("mining.xml", []byte(td.Input+"\n"))
				if err != nil {
					return fmt.Sprintf("error: %v\n", err)
				}
				m, err := Run(context.Background(), snap, cfg, Options{Backend: cpu.New(), Workers: 2})
				if err != nil {
					return fmt.Sprintf("error: %v\n", err)
				}
				return spectest.Patterns(td.Expected, formatWorked(snap, m, only))
			default:
				td.Fatalf(t, "unknown command %q", td.Cmd)
				return ""
			}
		})
	})
}

// parseWorkedData reads the sections of a data command.
func parseWorkedData(input string) (tEnterprise, error) {
	var e tEnterprise
	sections := map[string][]string{}
	cur := ""
	for _, line := range strings.Split(input, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		switch line {
		case "identities:", "roles:", "assignments:":
			cur = strings.TrimSuffix(line, ":")
			continue
		}
		if cur == "" {
			return e, fmt.Errorf("line %q outside a section (identities:, roles:, assignments:)", line)
		}
		sections[cur] = append(sections[cur], line)
	}

	rows, err := csv.NewReader(strings.NewReader(strings.Join(sections["identities"], "\n"))).ReadAll()
	if err != nil {
		return e, fmt.Errorf("identities: %v", err)
	}
	if len(rows) == 0 || len(rows[0]) < 2 || rows[0][0] != "identity_id" || rows[0][1] != "kind" {
		return e, fmt.Errorf("identities: header must start with identity_id,kind")
	}
	header := rows[0]
	for _, row := range rows[1:] {
		id := tIdentity{ID: row[0], Kind: row[1], Attrs: map[string]string{}}
		for c := 2; c < len(header); c++ {
			id.Attrs[header[c]] = row[c]
		}
		e.Identities = append(e.Identities, id)
	}

	roleRows, err := csv.NewReader(strings.NewReader(strings.Join(sections["roles"], "\n"))).ReadAll()
	if err != nil {
		return e, fmt.Errorf("roles: %v", err)
	}
	for k, row := range roleRows {
		if k == 0 && row[0] == "role_id" {
			continue
		}
		v, err := strconv.Atoi(row[2])
		if err != nil {
			return e, fmt.Errorf("roles row %d: validations %q: %v", k+1, row[2], err)
		}
		e.Roles = append(e.Roles, tRole{ID: row[0], Category: row[1], Validations: int8(v)})
	}

	for _, line := range sections["assignments"] {
		role, holders, ok := strings.Cut(line, ":")
		if !ok {
			return e, fmt.Errorf("assignments line %q: want `ROLE: identity identity ...`", line)
		}
		for _, id := range strings.Fields(holders) {
			e.Assignments = append(e.Assignments, tAssign{Identity: id, Role: strings.TrimSpace(role)})
		}
	}
	return e, nil
}

// describeSnapshot summarises what was loaded.
func describeSnapshot(s *columnar.Snapshot) string {
	kinds := map[string]int{}
	for i := range s.IdentityIDs {
		kinds[s.Kind(i)]++
	}
	var names []string
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		parts = append(parts, fmt.Sprintf("%d %s", kinds[k], k))
	}
	return fmt.Sprintf("%d identities (%s), %d roles, %d assignments\n",
		s.NumIdentities(), strings.Join(parts, ", "), s.NumRoles(), len(s.IdentIdx))
}

// formatWorked prints one block per role (all roles, or those in only, in role order).
func formatWorked(snap *columnar.Snapshot, m *Model, only []string) string {
	var b strings.Builder
	for r, id := range snap.Roles.IDs {
		if only != nil && !containsString(only, id) {
			continue
		}
		out := &m.Outcomes[r]
		if out.MiningRule < 0 {
			fmt.Fprintf(&b, "%s none: %s\n", id, out.Reason)
			continue
		}
		for _, rule := range m.RulesOf(int32(r)) {
			fmt.Fprintf(&b, "%s %s %s %s tp=%d fp=%d support=%d", id, rule.Type, rule.Policy,
				critString(ruleTerms(snap, &rule)), rule.TP, rule.FP, rule.Support)
			if rule.EntityType != "*" {
				fmt.Fprintf(&b, " scope=%s", rule.EntityType)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s TP=%d FP=%d FN=%d TN=%d precision=%.1f%% fp%%=%.1f%%\n",
			id, out.TP, out.FP, out.FN, out.TN, out.Precision, out.FalsePositivePct)
	}
	return b.String()
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
