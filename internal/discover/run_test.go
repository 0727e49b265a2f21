package discover

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunReadsDirectAccess: with --data, discovery covers direct access as mining counts
// it (docs/cli.md#rolemine-discover): access through a correlated account is its
// identity's, role_grants are not followed (a and b hold E only through G), and the
// orphan access of an uncorrelated account is left out. Worked by hand: a {G}, b {G},
// c {E} need two roles, {a,b} x {G} and {c} x {E}, over 3 assignments.
func TestRunReadsDirectAccess(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"identities.csv":  "identity_id,kind\na,human\nb,human\nc,human\n",
		"accounts.csv":    "system,account_id,identity_id\nsys1,acc-a,a\nsys1,acc-x,\n",
		"assignments.csv": "identity_id,system,account_id,role_id\n,sys1,acc-a,G\nb,,,G\nc,,,E\n,sys1,acc-x,G\n",
		"role_grants.csv": "role_id,grants_role_id\nG,E\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Run(context.Background(), RunOptions{Data: dir, MaxDimensions: 2, Budget: time.Second, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Doc.Roles {
		got = append(got, strings.Join(r.Identities, ",")+" x "+strings.Join(r.Entitlements, ","))
	}
	if want := "a,b x G; c x E"; strings.Join(got, "; ") != want || res.Doc.Stats.Assignments != 3 {
		t.Errorf("roles %q over %d assignments, want %q over 3", strings.Join(got, "; "), res.Doc.Stats.Assignments, want)
	}
}
