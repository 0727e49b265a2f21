package main

import (
	"bytes"
	"path/filepath"
	"testing"
)

// TestSystemWithoutAccountsWarned: assignments naming accounts of a system the accounts
// file has no account of (its export lost, or the system spelt otherwise in the two
// files: AzureAD in assignments, ENTRA in accounts) make all that system's access orphan
// (docs/effective-privilege.md#inputs); mine says so on stderr, naming the system and its
// orphan rows, as it does when the whole accounts file is missing. An account absent
// from a system the accounts file has is left to the findings count. Found by the
// semantic audit (hand-built AD and Entra exports): a system renamed between the two
// files made its access orphan with nothing on stderr.
func TestSystemWithoutAccountsWarned(t *testing.T) {
	tmp := t.TempDir()
	cases := []struct {
		name, assignments string
		warn              bool
	}{
		{"other-system", "role_id,system,account_id\nGIT,ENTRA,x1\nVPN,AzureAD,x1\nVPN,AzureAD,x2\nGIT,AzureAD,x9\n", true},
		{"absent-account", "role_id,system,account_id\nGIT,ENTRA,x1\nVPN,ENTRA,x9\n", false},
	}
	for _, c := range cases {
		data := filepath.Join(tmp, c.name)
		writeFiles(t, data, map[string]string{
			"identities.csv":  "identity_id,kind\na1,human\na2,human\n",
			"accounts.csv":    "system,account_id,identity_id\nENTRA,x1,a1\nENTRA,x2,a2\n",
			"assignments.csv": c.assignments,
		})
		var stdout, stderr bytes.Buffer
		if code := run([]string{"mine", "--data", data, "--out", data + "-out"}, &stdout, &stderr); code != 0 {
			t.Fatalf("%s: mine: exit %d: %s", c.name, code, stderr.String())
		}
		warned := bytes.Contains(stderr.Bytes(), []byte("systems the accounts file has no account of"))
		if warned != c.warn {
			t.Errorf("%s: stderr %q; want the warning %v", c.name, stderr.String(), c.warn)
		}
		if c.warn && !bytes.Contains(stderr.Bytes(), []byte(`systems="AzureAD (3 assignments)"`)) {
			t.Errorf("%s: stderr %q; want the system and its 3 orphan rows named", c.name, stderr.String())
		}
	}
}
