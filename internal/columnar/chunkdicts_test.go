package columnar

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestLoadIdentityChunkDictionaries: the assignments' identity ids keep each row group's
// dictionary, so an id in three row groups has three codes; the holdings, the duplicates
// and the orphans (one per id and role, each orphan id listed once) come out as if every
// id had one code.
func TestLoadIdentityChunkDictionaries(t *testing.T) {
	ids := tbl{header: []string{"identity_id"}, rows: [][]string{{"a"}, {"b"}, {"c"}}}
	asg := tbl{header: []string{"identity_id:reqdict", "role_id:reqdict"}, rows: [][]string{
		{"a", "R1"}, {"ghost", "R9"}, {"b", "R2"}, {"ghost", "R1"}, // row group 1
		{"ghost", "R9"}, {"a", "R1"}, {"ghost2", "R1"}, {"c", "R3"}, // row group 2
		{"ghost", "R1"}, {"b", "R2"}, {"a", "R3"}, {"ghost2", "R1"}, // row group 3
	}}
	dir := t.TempDir()
	writeTable(t, dir, "identities", "csv", ids)
	p := writeParquet(t, dir, "assignments", asg, parquet.MaxRowsPerRowGroup(4))
	tb, err := readTable(context.Background(), p, &assignmentsSpec)
	if err != nil {
		t.Fatal(err)
	}
	if c := tb.col("identity_id"); !c.chunkDicts || len(c.vals) != 11 {
		t.Fatalf("identity_id: chunkDicts %v with %d codes, want chunk dictionaries of 3+4+4 codes", c.chunkDicts, len(c.vals))
	}
	s, err := load(t, dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := holdings(s), []string{"a:R1", "a:R3", "b:R2", "c:R3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("holdings %q, want %q", got, want)
	}
	// Roles R1, R2, R3, R9 are indices 0 to 3.
	wantOrphans := []Orphan{{IdentityID: "ghost", Role: 0}, {IdentityID: "ghost", Role: 3}, {IdentityID: "ghost2", Role: 0}}
	if !reflect.DeepEqual(s.Orphans, wantOrphans) {
		t.Errorf("orphans %+v, want %+v", s.Orphans, wantOrphans)
	}
	if got, want := s.Findings.OrphanIdentities, []string{"ghost", "ghost2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("orphan identities %q, want %q", got, want)
	}
	if got := s.Findings.DuplicateAssignments; got != 12-4-3 {
		t.Errorf("duplicates %d, want 5", got)
	}
}

// TestLoadChunkDictionariesFallBack: when every row group's dictionary names the same
// identities again (assignments ordered by role), the column stops coding each entry
// anew once it holds more codes than half the rows (and minChunkDictsFallback), and
// interns the rest, with the same result.
func TestLoadChunkDictionariesFallBack(t *testing.T) {
	const n, roles = 20000, 5
	ids := tbl{header: []string{"identity_id"}}
	asg := tbl{header: []string{"identity_id:reqdict", "role_id:reqdict"}}
	for i := range n {
		ids.rows = append(ids.rows, []string{fmt.Sprintf("u%d", i)})
	}
	for r := range roles {
		for i := range n {
			asg.rows = append(asg.rows, []string{fmt.Sprintf("u%d", i), fmt.Sprintf("R%d", r)})
		}
	}
	dir := t.TempDir()
	writeTable(t, dir, "identities", "csv", ids)
	p := writeParquet(t, dir, "assignments", asg, parquet.MaxRowsPerRowGroup(n))
	tb, err := readTable(context.Background(), p, &assignmentsSpec)
	if err != nil {
		t.Fatal(err)
	}
	// Four row groups' dictionaries (80,000 codes) pass the bounds; the fifth is interned.
	if c := tb.col("identity_id"); c.chunkDicts || len(c.vals) != 4*n {
		t.Errorf("identity_id: chunkDicts %v with %d codes, want the fallback after 4 row groups", c.chunkDicts, len(c.vals))
	}
	s, err := load(t, filepath.Dir(p), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if got := len(s.RolesOf(i)); got != roles {
			t.Fatalf("identity %s holds %d roles, want %d", s.IdentityIDs[i], got, roles)
		}
	}
	if s.Findings.DuplicateAssignments != 0 || len(s.Orphans) != 0 {
		t.Errorf("duplicates %d, orphans %d, want none", s.Findings.DuplicateAssignments, len(s.Orphans))
	}
}

// TestChunkDictionariesRoom: a chunkDicts column whose later row groups' dictionaries
// are larger than the first's (here by up to 7%, 3.5% in all) holds their values in
// the room it took at the first one, without growing (a copy of every value's header).
func TestChunkDictionariesRoom(t *testing.T) {
	const groups, first = 8, 1000
	asg := tbl{header: []string{"identity_id:reqdict", "role_id:reqdict"}}
	total := 0
	for g := range groups {
		n := first + g*first/100 // 1000, 1010, ..., 1070 distinct ids in group g
		total += n
		for k := range first + first/10 {
			asg.rows = append(asg.rows, []string{fmt.Sprintf("g%d-u%d", g, k%n), "R1"})
		}
	}
	p := writeParquet(t, t.TempDir(), "assignments", asg, parquet.MaxRowsPerRowGroup(first+first/10))
	tb, err := readTable(context.Background(), p, &assignmentsSpec)
	if err != nil {
		t.Fatal(err)
	}
	c := tb.col("identity_id")
	if !c.chunkDicts || len(c.vals) != total {
		t.Fatalf("identity_id: chunkDicts %v with %d codes, want %d", c.chunkDicts, len(c.vals), total)
	}
	// The room taken at the first row group, rounded up as the allocator rounds it.
	if want := cap(slices.Grow([]string(nil), chunkDictsRoom(first, groups, tb.rows))); cap(c.vals) != want {
		t.Errorf("identity_id: room for %d values, want the %d taken at the first row group (no growth)", cap(c.vals), want)
	}
}

// TestLoadOwnerChunkDictionaries: the identities' owner_id keeps each row group's
// dictionary (no map of the owners is made), and every identity still gets its owner,
// "" for none, whatever row group names it.
func TestLoadOwnerChunkDictionaries(t *testing.T) {
	ids := tbl{header: []string{"identity_id", "kind", "owner_id:dict"}, rows: [][]string{
		{"p1", "human", ""}, {"s1", "service_account", "p1"}, {"s2", "service_account", "p2"}, // row group 1
		{"p2", "human", ""}, {"s3", "service_account", "p1"}, {"s4", "service_account", "p1"}, // row group 2
		{"s5", "service_account", "p2"}, {"s6", "service_account", "ghost"}, {"p3", "human", ""}, // row group 3
	}}
	dir := t.TempDir()
	p := writeParquet(t, dir, "identities", ids, parquet.MaxRowsPerRowGroup(3))
	tb, err := readTable(context.Background(), p, &identitiesSpec)
	if err != nil {
		t.Fatal(err)
	}
	if c := tb.col(OwnerColumn); !c.chunkDicts || len(c.ids) != 0 {
		t.Fatalf("owner_id: chunkDicts %v with a map of %d, want chunk dictionaries and no map", c.chunkDicts, len(c.ids))
	}
	want := []string{"", "p1", "p2", "", "p1", "p1", "p2", "ghost", ""}
	if got := takeOwners(tb); !slices.Equal(got, want) {
		t.Errorf("owners %q, want %q", got, want)
	}
}
