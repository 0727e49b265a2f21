package mining

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
)

// This file builds columnar.Snapshot values in memory from a plain description, so that
// the reference, property and worked-example tests need no files. buildSnapshot honours
// every invariant documented on columnar.Snapshot; checkSnapshot verifies them.

// tIdentity describes one identity. Kind "" means human. An attribute value "" means no
// value; "a|b" is a multi-valued attribute (values a and b).
type tIdentity struct {
	ID    string
	Kind  string
	Attrs map[string]string
}

// tRole describes one role of the roles file.
type tRole struct {
	ID          string
	Category    string
	Validations int8
}

// tAssign is one assignment row (identity holds role).
type tAssign struct {
	Identity string
	Role     string
}

// tEnterprise is a whole input: identities in file order, the roles file, assignments in
// file order (duplicates, orphans and roles missing from Roles allowed), and dimensions
// excluded by the user (name -> reason), which come out Skipped.
type tEnterprise struct {
	Identities  []tIdentity
	Roles       []tRole
	Assignments []tAssign
	Excluded    map[string]string
}

// splitValues returns the values of an identity attribute written raw ("" -> none, "a|b" -> a, b), in
// the order written, without empties or repeats.
func splitValues(raw string) []string {
	var out []string
	for _, v := range strings.Split(raw, "|") {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// kindOf returns the identity's kind with the human default applied.
func (id tIdentity) kindOf() string {
	if id.Kind == "" {
		return columnar.HumanKind
	}
	return id.Kind
}

// buildSnapshot turns e into a snapshot the way columnar.Load would.
func buildSnapshot(e tEnterprise) (*columnar.Snapshot, error) {
	s := &columnar.Snapshot{}
	index := make(map[string]int, len(e.Identities))
	for i, id := range e.Identities {
		if id.ID == "" {
			return nil, fmt.Errorf("identity row %d: empty identity_id", i+1)
		}
		if _, dup := index[id.ID]; dup {
			return nil, fmt.Errorf("identity row %d: duplicate identity_id %q", i+1, id.ID)
		}
		index[id.ID] = i
		s.IdentityIDs = append(s.IdentityIDs, id.ID)
	}

	// Dimensions: every attribute named by any identity, plus kind, sorted by name.
	names := map[string]bool{columnar.KindDimension: true}
	for i, id := range e.Identities {
		for a := range id.Attrs {
			if a == columnar.KindDimension || a == "identity_id" || a == "" {
				return nil, fmt.Errorf("identity row %d: attribute name %q is reserved", i+1, a)
			}
			names[a] = true
		}
	}
	dimNames := make([]string, 0, len(names))
	for a := range names {
		dimNames = append(dimNames, a)
	}
	sort.Strings(dimNames)
	for d, name := range dimNames {
		// values of each identity on this dimension
		per := make([][]string, len(e.Identities))
		dict := map[string]bool{}
		multi := false
		for i, id := range e.Identities {
			if name == columnar.KindDimension {
				per[i] = []string{id.kindOf()}
			} else {
				per[i] = splitValues(id.Attrs[name])
			}
			for _, v := range per[i] {
				dict[v] = true
			}
			if len(per[i]) > 1 {
				multi = true
			}
		}
		dim := columnar.Dimension{Name: name}
		for v := range dict {
			dim.Values = append(dim.Values, v)
		}
		sort.Strings(dim.Values)
		code := func(v string) int32 {
			k, _ := slices.BinarySearch(dim.Values, v)
			return int32(k)
		}
		dim.Codes = make([]int32, len(e.Identities))
		if multi {
			dim.MultiOff = make([]int32, len(e.Identities)+1)
		}
		for i, vs := range per {
			dim.Codes[i] = -1
			if len(vs) > 0 {
				dim.Codes[i] = code(vs[0])
			}
			if multi {
				for _, v := range vs[min(1, len(vs)):] {
					dim.MultiCodes = append(dim.MultiCodes, code(v))
				}
				dim.MultiOff[i+1] = int32(len(dim.MultiCodes))
			}
		}
		if why, ok := e.Excluded[name]; ok {
			if name == columnar.KindDimension {
				return nil, fmt.Errorf("dimension kind cannot be excluded")
			}
			dim.Skipped, dim.SkipReason = true, why
			s.Findings.SkippedDimensions = append(s.Findings.SkippedDimensions,
				columnar.SkippedDimension{Name: name, Distinct: len(dim.Values), Reason: why})
		}
		if name == columnar.KindDimension {
			s.KindDim = d
		}
		s.Dims = append(s.Dims, dim)
	}

	// Roles: the roles file plus implicit roles, sorted by id.
	type roleRow struct {
		tRole
		implicit bool
	}
	roleRows := map[string]roleRow{}
	for i, r := range e.Roles {
		if r.ID == "" {
			return nil, fmt.Errorf("role row %d: empty role_id", i+1)
		}
		if _, dup := roleRows[r.ID]; dup {
			return nil, fmt.Errorf("role row %d: duplicate role_id %q", i+1, r.ID)
		}
		if r.Validations < 0 || r.Validations > 3 {
			return nil, fmt.Errorf("role row %d: validations %d outside 0-3", i+1, r.Validations)
		}
		roleRows[r.ID] = roleRow{tRole: r}
	}
	for i, a := range e.Assignments {
		if a.Role == "" || a.Identity == "" {
			return nil, fmt.Errorf("assignment row %d: empty identity_id or role_id", i+1)
		}
		if _, ok := roleRows[a.Role]; !ok {
			roleRows[a.Role] = roleRow{tRole: tRole{ID: a.Role}, implicit: true}
			s.Findings.ImplicitRoles++
		}
	}
	roleIDs := make([]string, 0, len(roleRows))
	for id := range roleRows {
		roleIDs = append(roleIDs, id)
	}
	sort.Strings(roleIDs)
	roleIndex := map[string]int32{}
	for k, id := range roleIDs {
		rr := roleRows[id]
		roleIndex[id] = int32(k)
		s.Roles.IDs = append(s.Roles.IDs, id)
		s.Roles.Category = append(s.Roles.Category, rr.Category)
		s.Roles.Validations = append(s.Roles.Validations, rr.Validations)
		s.Roles.Application = append(s.Roles.Application, "")
		s.Roles.Description = append(s.Roles.Description, "")
		s.Roles.Implicit = append(s.Roles.Implicit, rr.implicit)
	}

	// Assignments: deduplicate, split off orphans, build CSR both ways.
	type pair struct{ i, r int32 }
	seen := map[pair]bool{}
	type orphanKey struct {
		id string
		r  int32
	}
	seenOrphan := map[orphanKey]bool{}
	byRole := make([][]int32, len(roleIDs))
	byIdent := make([][]int32, len(e.Identities))
	orphanIDs := map[string]bool{}
	for _, a := range e.Assignments {
		r := roleIndex[a.Role]
		i, known := index[a.Identity]
		if !known {
			k := orphanKey{a.Identity, r}
			if seenOrphan[k] {
				s.Findings.DuplicateAssignments++
				continue
			}
			seenOrphan[k] = true
			s.Orphans = append(s.Orphans, columnar.Orphan{IdentityID: a.Identity, Role: r})
			orphanIDs[a.Identity] = true
			continue
		}
		p := pair{int32(i), r}
		if seen[p] {
			s.Findings.DuplicateAssignments++
			continue
		}
		seen[p] = true
		byRole[r] = append(byRole[r], int32(i))
		byIdent[i] = append(byIdent[i], r)
	}
	sort.Slice(s.Orphans, func(a, b int) bool {
		if s.Orphans[a].IdentityID != s.Orphans[b].IdentityID {
			return s.Orphans[a].IdentityID < s.Orphans[b].IdentityID
		}
		return s.Orphans[a].Role < s.Orphans[b].Role
	})
	s.Findings.OrphanAssignments = len(s.Orphans)
	for id := range orphanIDs {
		s.Findings.OrphanIdentities = append(s.Findings.OrphanIdentities, id)
	}
	sort.Strings(s.Findings.OrphanIdentities)

	s.RoleOff = make([]int64, len(roleIDs)+1)
	for r, hs := range byRole {
		slices.Sort(hs)
		s.RoleIdx = append(s.RoleIdx, hs...)
		s.RoleOff[r+1] = int64(len(s.RoleIdx))
	}
	s.IdentOff = make([]int64, len(e.Identities)+1)
	for i, rs := range byIdent {
		slices.Sort(rs)
		s.IdentIdx = append(s.IdentIdx, rs...)
		s.IdentOff[i+1] = int64(len(s.IdentIdx))
	}
	if s.RoleIdx == nil {
		s.RoleIdx = []int32{}
	}
	if s.IdentIdx == nil {
		s.IdentIdx = []int32{}
	}
	return s, nil
}

// mustSnapshot is buildSnapshot for descriptions known to be valid.
func mustSnapshot(t testing.TB, e tEnterprise) *columnar.Snapshot {
	t.Helper()
	s, err := buildSnapshot(e)
	if err != nil {
		t.Fatalf("build snapshot: %v", err)
	}
	if err := checkSnapshot(s); err != nil {
		t.Fatalf("snapshot invariants: %v", err)
	}
	return s
}

// checkSnapshot verifies the invariants documented on columnar.Snapshot.
func checkSnapshot(s *columnar.Snapshot) error {
	n := len(s.IdentityIDs)
	for d := range s.Dims {
		dim := &s.Dims[d]
		if d > 0 && s.Dims[d-1].Name >= dim.Name {
			return fmt.Errorf("dims not sorted by name at %d (%q, %q)", d, s.Dims[d-1].Name, dim.Name)
		}
		for k := range dim.Values {
			if dim.Values[k] == "" {
				return fmt.Errorf("dim %s: empty value in dictionary", dim.Name)
			}
			if k > 0 && dim.Values[k-1] >= dim.Values[k] {
				return fmt.Errorf("dim %s: dictionary not sorted at %d", dim.Name, k)
			}
		}
		if len(dim.Codes) != n {
			return fmt.Errorf("dim %s: %d codes for %d identities", dim.Name, len(dim.Codes), n)
		}
		for i, c := range dim.Codes {
			if c < -1 || int(c) >= len(dim.Values) {
				return fmt.Errorf("dim %s: identity %d code %d out of range", dim.Name, i, c)
			}
		}
		if dim.MultiOff != nil {
			if len(dim.MultiOff) != n+1 || dim.MultiOff[0] != 0 || int(dim.MultiOff[n]) != len(dim.MultiCodes) {
				return fmt.Errorf("dim %s: bad MultiOff", dim.Name)
			}
			for i := 0; i < n; i++ {
				if dim.MultiOff[i] > dim.MultiOff[i+1] {
					return fmt.Errorf("dim %s: MultiOff decreases at %d", dim.Name, i)
				}
				for _, c := range dim.MultiCodes[dim.MultiOff[i]:dim.MultiOff[i+1]] {
					if c < 0 || int(c) >= len(dim.Values) {
						return fmt.Errorf("dim %s: identity %d multi code %d out of range", dim.Name, i, c)
					}
				}
			}
		}
	}
	if s.KindDim < 0 || s.KindDim >= len(s.Dims) || s.Dims[s.KindDim].Name != columnar.KindDimension {
		return fmt.Errorf("KindDim %d does not name the kind dimension", s.KindDim)
	}
	for i, c := range s.Dims[s.KindDim].Codes {
		if c < 0 {
			return fmt.Errorf("identity %d has no kind", i)
		}
	}
	nr := len(s.Roles.IDs)
	for _, l := range []int{len(s.Roles.Category), len(s.Roles.Validations), len(s.Roles.Application), len(s.Roles.Description), len(s.Roles.Implicit)} {
		if l != nr {
			return fmt.Errorf("role columns have different lengths")
		}
	}
	for r := 1; r < nr; r++ {
		if s.Roles.IDs[r-1] >= s.Roles.IDs[r] {
			return fmt.Errorf("roles not sorted at %d", r)
		}
	}
	if len(s.RoleOff) != nr+1 || len(s.IdentOff) != n+1 {
		return fmt.Errorf("CSR offsets have wrong lengths")
	}
	type pair struct{ i, r int32 }
	byRole := map[pair]bool{}
	for r := 0; r < nr; r++ {
		hs := s.Holders(r)
		for k, i := range hs {
			if i < 0 || int(i) >= n || (k > 0 && hs[k-1] >= i) {
				return fmt.Errorf("role %d holders not ascending identity indices", r)
			}
			byRole[pair{i, int32(r)}] = true
		}
	}
	count := 0
	for i := 0; i < n; i++ {
		rs := s.RolesOf(i)
		for k, r := range rs {
			if r < 0 || int(r) >= nr || (k > 0 && rs[k-1] >= r) {
				return fmt.Errorf("identity %d roles not ascending role indices", i)
			}
			if !byRole[pair{int32(i), r}] {
				return fmt.Errorf("assignment (%d, %d) only in CSR by identity", i, r)
			}
			count++
		}
	}
	if count != len(byRole) {
		return fmt.Errorf("CSR by role has %d assignments, by identity %d", len(byRole), count)
	}
	for k := 1; k < len(s.Orphans); k++ {
		a, b := s.Orphans[k-1], s.Orphans[k]
		if a.IdentityID > b.IdentityID || (a.IdentityID == b.IdentityID && a.Role >= b.Role) {
			return fmt.Errorf("orphans not sorted and unique at %d", k)
		}
	}
	return nil
}

// identityValues returns, for the description e, the attribute values of every identity
// (kind included) as plain strings: the literal view the reference and the literal
// classification use.
func identityValues(e tEnterprise) []map[string][]string {
	out := make([]map[string][]string, len(e.Identities))
	for i, id := range e.Identities {
		m := map[string][]string{columnar.KindDimension: {id.kindOf()}}
		for a, raw := range id.Attrs {
			if vs := splitValues(raw); len(vs) > 0 {
				m[a] = vs
			}
		}
		out[i] = m
	}
	return out
}

func TestBuildSnapshot(t *testing.T) {
	base := tEnterprise{
		Identities: []tIdentity{
			{ID: "u2", Attrs: map[string]string{"title": "Dev", "dept": "Sales"}},
			{ID: "u1", Kind: "service_account", Attrs: map[string]string{"dept": "IT|Sales", "title": ""}},
			{ID: "u3", Attrs: map[string]string{"dept": "Eng"}},
		},
		Roles: []tRole{{ID: "R2", Category: "Fin", Validations: 2}, {ID: "R1"}},
		Assignments: []tAssign{
			{"u1", "R2"}, {"u2", "R2"}, {"u1", "R2"}, {"u3", "R1"}, {"ghost", "R1"},
			{"ghost", "R1"}, {"u2", "R0"},
		},
		Excluded: map[string]string{"title": "excluded by user"},
	}
	s := mustSnapshot(t, base)

	tests := []struct {
		name string
		got  any
		want any
	}{
		{"dims", []string{s.Dims[0].Name, s.Dims[1].Name, s.Dims[2].Name}, []string{"dept", "kind", "title"}},
		{"kind dim", s.KindDim, 1},
		{"kinds", []string{s.Kind(0), s.Kind(1), s.Kind(2)}, []string{"human", "service_account", "human"}},
		{"dept dict", s.Dims[0].Values, []string{"Eng", "IT", "Sales"}},
		{"dept codes", s.Dims[0].Codes, []int32{2, 1, 0}},
		{"dept multi", s.Dims[0].MultiCodes, []int32{2}},
		{"u1 has Sales", s.Dims[0].Has(1, 2), true},
		{"u3 lacks Sales", s.Dims[0].Has(2, 2), false},
		{"title codes", s.Dims[2].Codes, []int32{0, -1, -1}},
		{"title skipped", s.Dims[2].Skipped, true},
		{"roles", s.Roles.IDs, []string{"R0", "R1", "R2"}},
		{"implicit", s.Roles.Implicit, []bool{true, false, false}},
		{"validations", s.Roles.Validations, []int8{0, 0, 2}},
		{"R2 holders", s.Holders(2), []int32{0, 1}},
		{"R1 holders", s.Holders(1), []int32{2}},
		{"u2 roles", s.RolesOf(0), []int32{0, 2}},
		{"orphans", s.Orphans, []columnar.Orphan{{IdentityID: "ghost", Role: 1}}},
		{"duplicates", s.Findings.DuplicateAssignments, 2},
		{"implicit roles", s.Findings.ImplicitRoles, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fmt.Sprint(tt.got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}

	bad := []struct {
		name string
		e    tEnterprise
	}{
		{"duplicate identity", tEnterprise{Identities: []tIdentity{{ID: "a"}, {ID: "a"}}}},
		{"reserved attribute", tEnterprise{Identities: []tIdentity{{ID: "a", Attrs: map[string]string{"kind": "x"}}}}},
		{"bad validations", tEnterprise{Roles: []tRole{{ID: "R", Validations: 4}}}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := buildSnapshot(tt.e); err == nil {
				t.Errorf("want an error")
			}
		})
	}
}
