package drift

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestOrphanAccountActions: orphan access granted to an account names the account
// (docs/semantics.md#drift-orphan, docs/effective-privilege.md), found by the semantic
// audit: an uncorrelated account's orphan action had an empty identity and claimed the
// identity was "already in the previous snapshot", and no orphan action named its account.
//
// In the new snapshot AD/svc is uncorrelated and holds GIT; AD/ghost is correlated to q9,
// who is in no snapshot's identities, and holds GIT; h2 left since the previous snapshot
// and still holds CRM directly.
func TestOrphanAccountActions(t *testing.T) {
	dir := t.TempDir()
	old := writeDataDir(t, dir, "old", map[string]string{
		"identities.csv":  "identity_id,kind,dept\nh1,human,Eng\nh2,human,Sales\n",
		"assignments.csv": "identity_id,role_id\nh1,GIT\nh2,CRM\n"})
	next := writeDataDir(t, dir, "new", map[string]string{
		"identities.csv":  "identity_id,kind,dept\nh1,human,Eng\n",
		"accounts.csv":    "system,account_id,identity_id\nAD,svc,\nAD,ghost,q9\nAD,h1,h1\n",
		"assignments.csv": "identity_id,system,account_id,role_id\n,AD,h1,GIT\n,AD,svc,GIT\n,AD,ghost,GIT\nh2,,,CRM\n"})
	ctx := context.Background()
	model := writeImplicitModel(t, ctx, old, filepath.Join(dir, "model"))
	want := map[string]string{
		"|GIT":   "uncorrelated account: no identity; account AD/svc",
		"q9|GIT": "identity absent from identities, already in the previous snapshot; account AD/ghost",
		"h2|CRM": "identity removed since the previous snapshot",
	}
	res, err := Run(ctx, RunOptions{Model: model, Data: next, PreviousData: old, Out: filepath.Join(dir, "out"), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range res.Actions {
		if a.Type == ActionOrphan {
			got[a.IdentityID+"|"+a.RoleID] = a.Change
		}
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("orphan %s: change %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("orphan actions %v, want %d", got, len(want))
	}
	// Without --previous-data the account is named all the same.
	res, err = Run(ctx, RunOptions{Model: model, Data: next, Out: filepath.Join(dir, "out2"), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Actions {
		if a.Type == ActionOrphan && a.RoleID == "GIT" && !strings.Contains(a.Change, "; account AD/") {
			t.Errorf("orphan %s GIT without --previous-data: change %q names no account", a.IdentityID, a.Change)
		}
	}
}
