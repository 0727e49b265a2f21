// Package spectest reads the data blocks of the data-driven specification cases
// (docs/README.md#case-files) into snapshots, through the real loader, and compares
// expected output that words its reasons loosely. Only tests import it.
//
// A data block has up to four sections:
//
//	identities:
//	identity_id,kind,dept,groups+   (CSV with header; a column named NAME+ holds a
//	u1,,Eng,g1|g2                    multi-valued attribute NAME, values split on "|",
//	                                 added as a plugin's output would be)
//	roles:
//	role_id,category,validations    (CSV with header, written as roles.csv)
//	assignments:
//	ROLE: identity identity ...     (the holders of ROLE, in file order; a holder written
//	                                 identity@DATE, or identity@ for never, gives the
//	                                 assignments a last_used column, empty for the others)
//	role_grants:
//	role_id,grants_role_id          (CSV with header, written as role_grants.csv; optional)
//
// Blank lines and lines starting with # are skipped. The identities and roles sections are
// written as CSV files (the multi-valued columns left out) and loaded with
// columnar.Load, so the cases exercise the loader's defaults and findings.
package spectest

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
)

// Load parses a data block, writes it as CSV files under dir and loads them. exclude
// names attributes excluded as with --exclude-dimension.
func Load(ctx context.Context, input, dir string, exclude []string) (*columnar.Snapshot, error) {
	sections, err := split(input)
	if err != nil {
		return nil, err
	}
	ids, multi, err := identitiesCSV(sections["identities"])
	if err != nil {
		return nil, err
	}
	files := map[string]string{"identities.csv": ids, "assignments.csv": assignmentsCSV(sections["assignments"])}
	if r := sections["roles"]; r != nil {
		files["roles.csv"] = strings.Join(r, "\n") + "\n"
	}
	if g := sections["role_grants"]; g != nil {
		files["role_grants.csv"] = strings.Join(g, "\n") + "\n"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	snap, err := columnar.Load(ctx, dir, columnar.LoadOptions{ExcludeDimensions: exclude})
	if err != nil {
		return nil, err
	}
	for _, m := range multi {
		if err := snap.AddDimension(m.dimension(snap)); err != nil {
			return nil, err
		}
	}
	snap.Exclude(exclude)
	return snap, nil
}

// split returns the lines of each section.
func split(input string) (map[string][]string, error) {
	sections := map[string][]string{}
	cur := ""
	for _, line := range strings.Split(input, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		switch line {
		case "identities:", "roles:", "assignments:", "role_grants:":
			cur = strings.TrimSuffix(line, ":")
			sections[cur] = []string{}
			continue
		}
		if cur == "" {
			return nil, fmt.Errorf("line %q outside a section (identities:, roles:, assignments:)", line)
		}
		sections[cur] = append(sections[cur], line)
	}
	return sections, nil
}

// multiColumn is a multi-valued attribute of the identities section.
type multiColumn struct {
	name   string
	values [][]string // per identity, in file order
}

// identitiesCSV returns the identities section without its multi-valued columns, and
// those columns.
func identitiesCSV(lines []string) (string, []multiColumn, error) {
	r := csv.NewReader(strings.NewReader(strings.Join(lines, "\n")))
	r.FieldsPerRecord = -1 // ragged rows are written as they are, for the loader to report
	rows, err := r.ReadAll()
	if err != nil {
		return "", nil, fmt.Errorf("identities: %v", err)
	}
	if len(rows) == 0 {
		return "", nil, fmt.Errorf("identities: want a header row")
	}
	var keep []int
	var multi []multiColumn
	var multiAt []int
	for c, name := range rows[0] {
		if base, ok := strings.CutSuffix(name, "+"); ok {
			multi = append(multi, multiColumn{name: base})
			multiAt = append(multiAt, c)
			continue
		}
		keep = append(keep, c)
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	for k, row := range rows {
		out := make([]string, 0, len(keep))
		for _, c := range keep {
			if c < len(row) {
				out = append(out, row[c])
			}
		}
		out = append(out, row[min(len(row), len(rows[0])):]...)
		if err := w.Write(out); err != nil {
			return "", nil, err
		}
		if k == 0 {
			continue
		}
		for m, c := range multiAt {
			var vs []string
			if c >= len(row) {
				return "", nil, fmt.Errorf("identities row %d: no %s+ value", k+1, multi[m].name)
			}
			for _, v := range strings.Split(row[c], "|") {
				if v != "" && !slices.Contains(vs, v) {
					vs = append(vs, v)
				}
			}
			multi[m].values = append(multi[m].values, vs)
		}
	}
	w.Flush()
	return b.String(), multi, w.Error()
}

// dimension builds the columnar dimension of a multi-valued column.
func (m multiColumn) dimension(snap *columnar.Snapshot) columnar.Dimension {
	var dict []string
	for _, vs := range m.values {
		dict = append(dict, vs...)
	}
	sort.Strings(dict)
	dict = slices.Compact(dict)
	d := columnar.Dimension{Name: m.name, Values: dict, Codes: make([]int32, snap.NumIdentities()),
		MultiOff: make([]int32, snap.NumIdentities()+1)}
	for i, vs := range m.values {
		codes := make([]int32, 0, len(vs))
		for _, v := range vs {
			k, _ := slices.BinarySearch(dict, v)
			codes = append(codes, int32(k))
		}
		d.Codes[i] = -1
		if len(codes) > 0 {
			d.Codes[i] = codes[0]
			rest := slices.Clone(codes[1:])
			slices.Sort(rest)
			d.MultiCodes = append(d.MultiCodes, rest...)
		}
		d.MultiOff[i+1] = int32(len(d.MultiCodes))
	}
	return d
}

// assignmentsCSV turns `ROLE: identity identity ...` lines into assignments.csv.
func assignmentsCSV(lines []string) string {
	dated := strings.Contains(strings.Join(lines, "\n"), "@")
	var b strings.Builder
	b.WriteString("identity_id,role_id")
	if dated {
		b.WriteString(",last_used")
	}
	b.WriteString("\n")
	for _, line := range lines {
		role, holders, ok := strings.Cut(line, ":")
		if !ok {
			// A malformed line is written as is; the loader reports it.
			b.WriteString(line + "\n")
			continue
		}
		for _, h := range strings.Fields(holders) {
			id, date, _ := strings.Cut(h, "@")
			fmt.Fprintf(&b, "%s,%s", id, strings.TrimSpace(role))
			if dated {
				b.WriteString("," + date)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// Describe summarises a loaded snapshot: identities by kind, roles, assignments and the
// loader's findings.
func Describe(s *columnar.Snapshot) string {
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
	var b strings.Builder
	fmt.Fprintf(&b, "%d identities (%s), %d roles, %d assignments\n",
		s.NumIdentities(), strings.Join(parts, ", "), s.NumRoles(), len(s.IdentIdx))
	f := &s.Findings
	if f.OrphanAssignments > 0 || f.DuplicateAssignments > 0 {
		fmt.Fprintf(&b, "findings: %d orphan assignments, %d duplicates\n", f.OrphanAssignments, f.DuplicateAssignments)
	}
	// Without a roles file every role is implicit; say so only when there is one.
	if f.ImplicitRoles > 0 && f.ImplicitRoles < s.NumRoles() {
		var ids []string
		for r, id := range s.Roles.IDs {
			if s.Roles.Implicit[r] {
				ids = append(ids, id)
			}
		}
		fmt.Fprintf(&b, "implicit roles: %s\n", strings.Join(ids, ", "))
	}
	for _, d := range f.SkippedDimensions {
		fmt.Fprintf(&b, "skipped %s: %s\n", d.Name, d.Reason)
	}
	return b.String()
}

// Patterns replaces each line of actual by the expected line at the same position when
// that expected line contains `...` and matches it (`...` stands for any text), so that
// datadriven's exact comparison accepts messages checked by their parts. Other lines are
// left as they are, and show in the test's diff.
func Patterns(expected, actual string) string {
	exp := strings.Split(strings.TrimSuffix(expected, "\n"), "\n")
	act := strings.Split(strings.TrimSuffix(actual, "\n"), "\n")
	for k := range act {
		if k < len(exp) && strings.Contains(exp[k], "...") && matchPattern(exp[k], act[k]) {
			act[k] = exp[k]
		}
	}
	return strings.Join(act, "\n") + "\n"
}

// matchPattern reports whether line matches pattern, where `...` matches any text.
func matchPattern(pattern, line string) bool {
	pieces := strings.Split(pattern, "...")
	if !strings.HasPrefix(line, pieces[0]) {
		return false
	}
	rest := line[len(pieces[0]):]
	last := pieces[len(pieces)-1]
	for _, p := range pieces[1 : len(pieces)-1] {
		k := strings.Index(rest, p)
		if k < 0 {
			return false
		}
		rest = rest[k+len(p):]
	}
	return strings.HasSuffix(rest, last) && len(rest) >= len(last)
}
