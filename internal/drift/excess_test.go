package drift

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/usage"
)

// TestExcessActions: reassign-owner and revoke-unused (docs/excess-privilege.md#drift),
// worked by hand.
//
// Between the snapshots the human h2 leaves. s2 (owned by h2) gets reassign-owner, saying
// h2 left; s3's owner x9 was never an identity: reassign-owner saying so; s1 (owned by
// h1, still here) and s4 (no owner: an ownership finding, not a reassignment) get none.
// Usage of the new snapshot, as of its newest date 2026-06-30 with 90 days: s1's DB is
// used that day; s2's DB was never used; h1's DB was last used 2026-01-01, 180 days
// before (31+28+31+30+31 days to 1 June, then 29): both revoke-unused. MAIL has no date
// at all (its system is the role's application, EXCH): unknown, no action.
func TestExcessActions(t *testing.T) {
	dir := t.TempDir()
	roles := "role_id,application\nDB,SQL\nMAIL,EXCH\n"
	old := writeDataDir(t, dir, "old", map[string]string{"roles.csv": roles,
		"identities.csv":  "identity_id,kind,owner_id\nh1,human,\nh2,human,\ns1,service_account,h1\ns2,service_account,h2\ns3,service_account,x9\ns4,service_account,\n",
		"assignments.csv": "identity_id,role_id,last_used\nh1,DB,2026-01-01\ns1,DB,2026-03-01\ns2,DB,\nh1,MAIL,\nh2,MAIL,\n"})
	next := writeDataDir(t, dir, "new", map[string]string{"roles.csv": roles,
		"identities.csv":  "identity_id,kind,owner_id\nh1,human,\ns1,service_account,h1\ns2,service_account,h2\ns3,service_account,x9\ns4,service_account,\n",
		"assignments.csv": "identity_id,role_id,last_used\nh1,DB,2026-01-01\ns1,DB,2026-06-30\ns2,DB,\nh1,MAIL,\n"})
	res := driftWithUsage(t, dir, old, next)
	var got []string
	for _, a := range res.Actions {
		if a.Type == ActionReassignOwner || a.Type == ActionRevokeUnused {
			got = append(got, fmt.Sprintf("%s %s %s %s | %s", a.Type, a.IdentityID, a.Kind, a.RoleID, a.Change))
		}
	}
	want := []string{
		"revoke-unused h1 human DB | last used 2026-01-01, 180 days before 2026-06-30",
		"revoke-unused s2 service_account DB | never used",
		"reassign-owner s2 service_account  | owner h2 left since the previous snapshot",
		"reassign-owner s3 service_account  | owner x9 is not in identities",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("actions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c := res.Summary.Actions[ActionRevokeUnused]; c == nil || c.Total != 2 {
		t.Errorf("summary revoke-unused %+v, want 2", c)
	}
	if c := res.Summary.Actions[ActionReassignOwner]; c == nil || c.Total != 2 {
		t.Errorf("summary reassign-owner %+v, want 2", c)
	}
}

// TestReassignOwnerEmptiedOnLeave: an export that empties owner_id when the owner leaves
// (s2's owner h2 left; s2 now names no one) still gets reassign-owner with
// --previous-data, saying so. s4 had no owner before either, s5's owner h1 stays though
// its owner_id was emptied, and s6 is new: none of them gets the action.
func TestReassignOwnerEmptiedOnLeave(t *testing.T) {
	dir := t.TempDir()
	old := writeDataDir(t, dir, "old", map[string]string{
		"identities.csv":  "identity_id,kind,owner_id\nh1,human,\nh2,human,\ns2,service_account,h2\ns4,service_account,\ns5,service_account,h1\n",
		"assignments.csv": "identity_id,role_id,last_used\nh1,DB,2026-06-30\nh2,DB,2026-06-30\ns2,DB,2026-06-30\n"})
	next := writeDataDir(t, dir, "new", map[string]string{
		"identities.csv":  "identity_id,kind,owner_id\nh1,human,\ns2,service_account,\ns4,service_account,\ns5,service_account,\ns6,service_account,\n",
		"assignments.csv": "identity_id,role_id,last_used\nh1,DB,2026-06-30\ns2,DB,2026-06-30\n"})
	res := driftWithUsage(t, dir, old, next)
	var got []string
	for _, a := range res.Actions {
		if a.Type == ActionReassignOwner {
			got = append(got, a.IdentityID+" | "+a.Change)
		}
	}
	want := []string{"s2 | owner h2 left since the previous snapshot; owner_id now empty"}
	if !slices.Equal(got, want) {
		t.Errorf("reassign-owner actions %q, want %q", got, want)
	}
}

// TestRevokeActionsNameAccount: a revoke-candidate, revoke-unused or remove-redundant
// action on a direct grant made to an account names that account, as orphan actions do,
// so that a reviewer knows where to revoke it; a grant on the identity alone names none.
//
// CRM is held by the four Sales people, mined as dept=Sales. In the new snapshot h4 moved
// to Eng keeping CRM through AD/ad-h4 (revoke-candidate); h2 last used CRM 180 days
// before the newest date (revoke-unused, through AD/ad-h2); h1 also holds CRM through
// the group GRP (remove-redundant, through AD/ad-h1); h3's grant is on the identity alone.
func TestRevokeActionsNameAccount(t *testing.T) {
	dir := t.TempDir()
	files := func(h4dept string) map[string]string {
		return map[string]string{
			"identities.csv":  "identity_id,kind,dept\nh1,human,Sales\nh2,human,Sales\nh3,human,Sales\nh4,human," + h4dept + "\ne1,human,Eng\n",
			"accounts.csv":    "system,account_id,identity_id\nAD,ad-h1,h1\nAD,ad-h2,h2\nAD,ad-h4,h4\n",
			"role_grants.csv": "role_id,grants_role_id\nGRP,CRM\n",
			"assignments.csv": "identity_id,system,account_id,role_id,last_used\n" +
				",AD,ad-h1,CRM,2026-06-30\n,AD,ad-h2,CRM,2026-01-01\nh3,,,CRM,2026-06-30\n,AD,ad-h4,CRM,2026-06-30\n,AD,ad-h1,GRP,2026-06-30\n",
		}
	}
	old := writeDataDir(t, dir, "old", files("Sales"))
	next := writeDataDir(t, dir, "new", files("Eng"))
	res := driftWithUsage(t, dir, old, next)
	var got []string
	for _, a := range res.Actions {
		if a.Type == ActionRevoke || a.Type == ActionRevokeUnused || a.Type == ActionRemoveRedundant {
			got = append(got, fmt.Sprintf("%s %s %s | %s", a.Type, a.IdentityID, a.RoleID, a.Change))
		}
	}
	want := []string{
		"revoke-candidate h4 CRM | dept: Sales -> Eng; account AD/ad-h4",
		"remove-redundant h1 CRM | also granted through GRP > CRM; account AD/ad-h1",
		"revoke-unused h2 CRM | last used 2026-01-01, 180 days before 2026-06-30; account AD/ad-h2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("actions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// driftWithUsage mines the implicit model of old under dir and holds it against next
// with old as the previous data, judging usage as of next's newest date with 90 days.
func driftWithUsage(t *testing.T, dir, old, next string) *Result {
	t.Helper()
	ctx := context.Background()
	model := writeImplicitModel(t, ctx, old, filepath.Join(dir, "model"))
	res, err := Run(ctx, RunOptions{Model: model, Data: next, PreviousData: old, Out: filepath.Join(dir, "out"), Workers: 1,
		Usage: func(s *columnar.Snapshot) (*usage.Params, error) {
			asOf, _ := report.DefaultAsOf(s)
			return &usage.Params{AsOf: asOf, UnusedDays: 90}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}
