package columnar

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// randomFlatData makes a flat data set with duplicates, orphans and implicit roles:
// nIdent identities over two attributes, roles R00..R(nRoles-1) of which the last three
// are missing from the roles file, and about perIdent assignments per identity.
func randomFlatData(seed uint64, nIdent, nRoles, perIdent int) map[string]tbl {
	rng := rand.New(rand.NewPCG(seed, 1))
	ids := tbl{header: []string{"identity_id", "kind", "department"}}
	for i := range nIdent {
		kind := ""
		if i%7 == 0 {
			kind = "service_account"
		}
		ids.rows = append(ids.rows, []string{fmt.Sprintf("u%03d", i), kind, fmt.Sprintf("d%d", rng.IntN(5))})
	}
	roles := tbl{header: []string{"role_id"}}
	for r := range nRoles - 3 {
		roles.rows = append(roles.rows, []string{fmt.Sprintf("R%02d", r)})
	}
	asg := tbl{header: []string{"identity_id", "role_id"}}
	for range nIdent * perIdent {
		ident := fmt.Sprintf("u%03d", rng.IntN(nIdent+nIdent/10)) // about 9% orphans
		asg.rows = append(asg.rows, []string{ident, fmt.Sprintf("R%02d", rng.IntN(nRoles))})
	}
	return map[string]tbl{"identities": ids, "roles": roles, "assignments": asg}
}

// TestLoadKeepRole checks a shard's load against the whole one: the same identities,
// dimensions and role table; for every kept role the same holders, for every other none;
// orphans only of kept roles.
func TestLoadKeepRole(t *testing.T) {
	keeps := map[string]func(string) bool{
		"none":  func(string) bool { return false },
		"all":   func(string) bool { return true },
		"even":  func(id string) bool { return id[len(id)-1]%2 == 0 },
		"R07":   func(id string) bool { return id == "R07" },
		"upper": func(id string) bool { return id >= "R20" }, // includes the implicit roles
	}
	for _, format := range formats {
		dir := writeDir(t, format, randomFlatData(3, 300, 25, 6))
		whole, err := load(t, dir, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if whole.RolesKept || whole.Findings.ImplicitRoles != 3 || whole.Findings.OrphanAssignments == 0 || whole.Findings.DuplicateAssignments == 0 {
			t.Fatalf("%s: the data should have implicit roles, orphans and duplicates: %+v", format, whole.Findings)
		}
		for name, keep := range keeps {
			t.Run(format+"/"+name, func(t *testing.T) {
				s, err := load(t, dir, LoadOptions{KeepRole: keep})
				if err != nil {
					t.Fatal(err)
				}
				if !s.RolesKept {
					t.Error("RolesKept not set")
				}
				if !reflect.DeepEqual(s.IdentityIDs, whole.IdentityIDs) || !reflect.DeepEqual(s.Dims, whole.Dims) ||
					!reflect.DeepEqual(s.Roles, whole.Roles) || !reflect.DeepEqual(s.Inputs, whole.Inputs) {
					t.Fatal("identities, dimensions, roles or inputs differ from the whole load")
				}
				for r, id := range whole.Roles.IDs {
					want := whole.Holders(r)
					if !keep(id) {
						want = nil
					}
					if got := s.Holders(r); !slices.Equal(got, want) {
						t.Errorf("role %s: holders %v, want %v", id, got, want)
					}
				}
				var wantOrphans []Orphan
				for _, o := range whole.Orphans {
					if keep(whole.Roles.IDs[o.Role]) {
						wantOrphans = append(wantOrphans, o)
					}
				}
				if !slices.Equal(s.Orphans, wantOrphans) {
					t.Errorf("orphans %v, want %v", s.Orphans, wantOrphans)
				}
			})
		}
	}
}

// TestLoadKeepRoleUniverse: inputs with optional data are loaded whole, since role grants
// tie roles to each other.
func TestLoadKeepRoleUniverse(t *testing.T) {
	files := randomFlatData(4, 50, 6, 3)
	files["role_grants"] = tbl{header: []string{"role_id", "grants_role_id"}, rows: [][]string{{"R00", "R01"}}}
	dir := writeDir(t, "csv", files)
	whole, err := load(t, dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := load(t, dir, LoadOptions{KeepRole: func(string) bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	if s.RolesKept || !slices.Equal(s.RoleIdx, whole.RoleIdx) || !slices.Equal(s.RoleOff, whole.RoleOff) {
		t.Errorf("a universe was filtered: RolesKept %v, %d of %d assignments", s.RolesKept, len(s.RoleIdx), len(whole.RoleIdx))
	}
}

// TestLoadRoleGrants: the role grants become role indices sorted by (from, to) without
// repeats, whether their roles come from the roles file, from assignments alone, or from
// the grants alone (implicit; those nobody holds directly are counted), cycles kept, from
// CSV and Parquet alike.
func TestLoadRoleGrants(t *testing.T) {
	files := map[string]tbl{
		"identities":  {header: []string{"identity_id"}, rows: [][]string{{"u1"}, {"u2"}}},
		"roles":       {header: []string{"role_id"}, rows: [][]string{{"R5"}, {"R1"}, {"R3"}}},
		"assignments": {header: []string{"identity_id", "role_id"}, rows: [][]string{{"u1", "R1"}, {"u2", "A9"}, {"u1", "A2"}}},
		"role_grants": {header: []string{"role_id", "grants_role_id"}, rows: [][]string{
			{"R5", "G7"}, {"A2", "R1"}, {"R1", "R3"}, {"G7", "G0"}, {"R3", "R1"}, {"A2", "R1"}, {"A9", "R5"}, {"G0", "R5"},
		}},
	}
	want := []string{"A2>R1", "A9>R5", "G0>R5", "G7>G0", "R1>R3", "R3>R1", "R5>G7"}
	for _, format := range []string{"csv", "parquet"} {
		dir := t.TempDir()
		for name, tb := range files {
			writeTable(t, dir, name, format, tb)
		}
		s, err := load(t, dir, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for k, g := range s.Universe.Grants {
			if k > 0 && cmp.Or(cmp.Compare(s.Universe.Grants[k-1].From, g.From), cmp.Compare(s.Universe.Grants[k-1].To, g.To)) >= 0 {
				t.Errorf("%s: grants not sorted by (from, to) without repeats: %v", format, s.Universe.Grants)
			}
			got = append(got, s.Roles.IDs[g.From]+">"+s.Roles.IDs[g.To])
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: grants %v, want %v", format, got, want)
		}
		if n := s.Universe.Findings.ImplicitGrantRoles; n != 2 { // G0 and G7
			t.Errorf("%s: %d roles named by grants alone, want 2", format, n)
		}
	}
}
