package columnar

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rolemine/rolemine/internal/fuzzmin"
	"github.com/rolemine/rolemine/internal/uerr"
)

// FuzzLoadUniverse feeds arbitrary accounts, assignments (with account columns),
// role_grants and attributes files: Load must return a snapshot satisfying every
// invariant, with every account, grant and pair account index in range, or a user error,
// and never panic. The four files come from one input split at NUL bytes.
func FuzzLoadUniverse(f *testing.F) {
	fuzzmin.Off(f)
	for _, seed := range []string{
		"system,account_id,identity_id\nAD,a1,u1\nAD,a2,\nSAP,a1,zz\n\x00identity_id,role_id,system,account_id\n,R1,AD,a1\nu2,R2,,\n,R3,AD,a2\n,R1,SAP,nope\n\x00role_id,grants_role_id\nR1,R2\nR2,R1\nR3,R9\n\x00identity_id,attribute,value\nu1,project,p1\nu1,project,p2\nghost,project,p1\n",
		"system,account_id\nAD,a1\nAD,a1\n\x00identity_id,role_id\nu1,R1\n\x00\x00",
		"\x00identity_id,role_id,account_id\nu1,R1,x\n\x00role_id,grants_role_id\nR1,\n\x00identity_id,attribute,value\nu1,kind,bot\n",
	} {
		f.Add([]byte(seed))
	}
	names := []string{"accounts.csv", "assignments.csv", "role_grants.csv", "attributes.csv"}
	f.Fuzz(func(t *testing.T, data []byte) {
		parts := bytes.SplitN(data, []byte{0}, 4)
		dir := t.TempDir()
		write := func(name string, b []byte) {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("identities.csv", []byte("identity_id,kind,dept\nu1,,Sales\nu2,bot,Eng\nu3,,Sales\n"))
		write("assignments.csv", []byte("identity_id,role_id\nu1,R1\n"))
		for k, p := range parts {
			if len(p) > 0 || k == 1 {
				write(names[k], p)
			}
		}
		s, err := Load(context.Background(), dir, LoadOptions{})
		if err != nil {
			if !uerr.Is(err) {
				t.Fatalf("not a user error: %v", err)
			}
			return
		}
		checkInvariants(t, s)
		u := s.Universe
		if u == nil {
			return
		}
		nr := int32(s.NumRoles())
		for _, g := range u.Grants {
			if g.From < 0 || g.From >= nr || g.To < 0 || g.To >= nr {
				t.Fatalf("grant %v outside %d roles", g, nr)
			}
		}
		if u.PairAccount != nil {
			if len(u.PairAccount) != len(s.IdentIdx) || u.Accounts == nil {
				t.Fatalf("%d pair accounts for %d pairs", len(u.PairAccount), len(s.IdentIdx))
			}
			for _, a := range u.PairAccount {
				if a < -1 || int(a) >= u.Accounts.Len() {
					t.Fatalf("pair account %d outside %d accounts", a, u.Accounts.Len())
				}
			}
		}
	})
}
