package discover

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWriteFormat checks discovered.json byte for byte on a tiny exact run.
func TestWriteFormat(t *testing.T) {
	m := mat("110", "110", "011")
	res, err := Solve(context.Background(), m, Options{Budget: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	SortRoles(res.Roles)
	doc := NewDocument("exact", m, res.Roles, nil)
	lb := res.LowerBound
	doc.Stats.LowerBound, doc.Stats.Optimal = &lb, res.Optimal()
	dir := t.TempDir()
	if err := Write(context.Background(), dir, doc); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"format":"rolemine.discovered/v1","mode":"exact","roles":[` +
		`{"role_id":"DR0001","identities":["uA","uB"],"entitlements":["pa","pb"],"criterion":[],"criterion_precision":null,"criterion_recall":null},` +
		`{"role_id":"DR0002","identities":["uC"],"entitlements":["pb","pc"],"criterion":[],"criterion_precision":null,"criterion_recall":null}],` +
		`"stats":{"roles":2,"user_role_links":3,"role_entitlement_links":4,"wsc":9,"lower_bound":2,"seconds":0,"optimal":true,"assignments":6,"covered_assignments":6,"exceptions":0}}` + "\n"
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") { // the output directory's own bookkeeping
			names = append(names, e.Name())
		}
	}
	if len(names) != 1 {
		t.Fatalf("output directory holds %v, want only %s", names, FileName)
	}
}

func TestApproximateTiny(t *testing.T) {
	// Three users share {a,b}; one user alone has c.
	m := mat("110", "110", "111", "001")
	roles, err := Approximate(context.Background(), m, ApproxOptions{MinMembers: 3, Coverage: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) != 1 || len(roles[0].Users) != 3 || len(roles[0].Perms) != 2 {
		t.Fatalf("got %+v, want one role of 3 users x {a,b}", roles)
	}
	if c := Covered(m, roles); c != 6 {
		t.Fatalf("covered %d, want 6 (c stays an exception)", c)
	}
}
