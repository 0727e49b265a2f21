package columnar

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
)

// FuzzLoadCSV feeds arbitrary bytes as identities.csv: Load must either return a snapshot
// satisfying every invariant or a user error, and never panic.
func FuzzLoadCSV(f *testing.F) {
	for _, seed := range []string{
		"identity_id,kind,department\nu1,,Sales\nu2,bot,Eng\nu3,,\n",
		"\xef\xbb\xbfidentity_id,title\r\nu1,\"a,b\"\r\nu2,\"x\"\"y\"\r\n",
		"identity_id\nu1\nu1\n",
		"identity_id,a\nu1\n",
		"identity_id,a,a\nu1,2,3\n",
		"identity_id,\"a\nb\"\nghost,1\n",
		"",
		"kind\nbot\n",
		"identity_id,x\nu1,\xff\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := fuzzLoad(t, "identities.csv", data, "identity_id,role_id\nu1,R1\nghost,R2\nu2,R1\nu1,R1\n")
		if s == nil {
			return
		}
		if got := len(s.RoleIdx) + s.Findings.OrphanAssignments + s.Findings.DuplicateAssignments; got != 4 {
			t.Fatalf("%d assignments accounted for, want 4", got)
		}
	})
}

// FuzzLoadParquet feeds corrupted Parquet files as identities.parquet: Load must return a
// valid snapshot or a user error, and never panic.
func FuzzLoadParquet(f *testing.F) {
	dir := f.TempDir()
	ids := tbl{header: []string{"identity_id:req", "kind:dict", "department:str", "cost:int64"}}
	for i := range 12 {
		ids.rows = append(ids.rows, []string{"u" + string(rune('a'+i)), []string{"", "bot"}[i%2], []string{"Sales", nullValue, "Eng"}[i%3], "7"})
	}
	p := writeParquet(f, dir, "identities", ids)
	seed, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzLoad(t, "identities.parquet", data, "identity_id,role_id\nua,R1\nghost,R2\n")
	})
}

// fuzzLoad writes data as the identities file name beside a fixed assignments.csv and
// loads the directory: it returns the snapshot (checked against the invariants), or nil
// after checking that the error is a user error.
func fuzzLoad(t *testing.T, name string, data []byte, assignments string) *Snapshot {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "assignments.csv"), []byte(assignments), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		if !uerr.Is(err) {
			t.Fatalf("not a user error: %v", err)
		}
		return nil
	}
	checkInvariants(t, s)
	return s
}
