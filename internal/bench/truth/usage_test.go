package truth

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
	"github.com/rolemine/rolemine/internal/usage"
)

// writeUsageTruth writes a small usage truth into a new directory.
func writeUsageTruth(t *testing.T, unused, owners, over string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		UsageFile: `{"as_of":"2026-06-30","unused_days":90,"unknown_systems":["sap"],"used":3,"unused":2,"unknown":1,
"by_kind":{"human":{"used":3,"unused":1,"unknown":1},"svc":{"used":0,"unused":1,"unknown":0}},
"by_system":{"crm":{"used":3,"unused":2,"unknown":0},"sap":{"used":0,"unused":0,"unknown":1}},
"owners":{"non_human":3,"owned_by_human":0,"no_owner":1,"owner_unknown":2,"owner_not_human":0},"owners_left":1,
"over_privileged":{"human":2}}`,
		UnusedFile:         unused,
		OwnersFile:         owners,
		OverPrivilegedFile: over,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	goodUnused = "identity_id,role_id,last_used\nh1,CRM_A,\ns1,CRM_B,2026-01-02\n"
	goodOwners = "identity_id,owner_id,finding,owner_left\ns1,,no_owner,false\ns2,h9,owner_unknown,true\ns3,x,owner_unknown,false\n"
	goodOver   = "identity_id,group,reason\nh1,human,dormant\nh2,human,stale\n"
)

func TestLoadUsage(t *testing.T) {
	if u, err := LoadUsage(t.TempDir()); u != nil || err != nil {
		t.Errorf("no usage.json: %v, %v; want nil, nil", u, err)
	}
	u, err := LoadUsage(writeUsageTruth(t, goodUnused, goodOwners, goodOver))
	if err != nil {
		t.Fatal(err)
	}
	if u.Used != 3 || u.Unused != 2 || u.Unknown != 1 || u.ByKind["svc"].Unused != 1 || u.Owners.OwnerUnknown != 2 {
		t.Errorf("usage.json read as %+v", u)
	}
	if len(u.UnusedPairs) != 2 || !u.UnusedPairs[[2]string{"s1", "CRM_B"}] || len(u.Findings) != 3 || u.Findings["s3"] != FindingOwnerUnknown ||
		len(u.OwnerLeft) != 1 || !u.OwnerLeft["s2"] || u.Planted["h2"] != ReasonStale {
		t.Errorf("lists read as %v %v %v %v", u.UnusedPairs, u.Findings, u.OwnerLeft, u.Planted)
	}
	for _, c := range []struct{ unused, owners, want string }{
		{"identity_id,role_id\nh1,A\n", goodOwners, "unused.csv: header"},
		{goodUnused, "identity_id,owner_id,finding,owner_left\ns1,,orphan,false\n", `owners.csv: line 2: column finding: "orphan"`},
		{goodUnused, "identity_id,owner_id,finding,owner_left\ns1,no_owner\n", "owners.csv"},
	} {
		_, err := LoadUsage(writeUsageTruth(t, c.unused, c.owners, goodOver))
		if err == nil || !strings.Contains(err.Error(), c.want) || !uerr.Is(err) {
			t.Errorf("want a user error naming %q, got %v", c.want, err)
		}
	}
}

func TestScoreUsage(t *testing.T) {
	u, err := LoadUsage(writeUsageTruth(t, goodUnused, goodOwners, goodOver))
	if err != nil {
		t.Fatal(err)
	}
	exact := func() *UsageFound {
		return &UsageFound{AsOf: "2026-06-30", UnusedDays: 90, Counts: usage.Counts{Used: 3, Unused: 2, Unknown: 1},
			ByKind:   map[string]*usage.Counts{"human": {Used: 3, Unused: 1, Unknown: 1}, "svc": {Unused: 1}},
			BySystem: map[string]*usage.Counts{"crm": {Used: 3, Unused: 2}, "sap": {Unknown: 1}},
			Owners:   u.Owners, Humans: []string{"h2", "h3", "h1"}, NonHuman: nil}
	}
	q := ScoreUsage(u, exact())
	if len(q.Differ) != 0 || !strings.Contains(q.String(), "by kind, by system and ownership exact") {
		t.Errorf("exact figures scored as %v:\n%s", q.Differ, q)
	}
	if h, n := q.Top[0], q.Top[1]; h.Ranked != 3 || h.Planted != 2 || n.Ranked != 0 || n.Share != 1 {
		t.Errorf("top: %+v", q.Top)
	}
	f := exact()
	f.ByKind["svc"] = &usage.Counts{Used: 1}
	f.BySystem["erp"] = &usage.Counts{Used: 1}
	f.Owners.NoOwner = 0
	f.UnusedDays = 30
	q = ScoreUsage(u, f)
	want := []string{"judged as of 2026-06-30 after 30 days", "by_kind svc", "by_system erp", "nhi_ownership"}
	if got := strings.Join(q.Differ, "\n"); len(q.Differ) != len(want) {
		t.Errorf("differences:\n%s\nwant %d naming %v", got, len(want), want)
	} else {
		for k, w := range want {
			if !strings.HasPrefix(q.Differ[k], w) {
				t.Errorf("difference %d: %q, want it to start with %q", k, q.Differ[k], w)
			}
		}
	}
	// The UsedOnly target is the unused access planted rules grant, not all unused
	// access; a UsedOnly run is measured against it.
	u.UnusedRuleGranted = 1
	f = exact()
	if got, want := ScoreUsage(u, f).String(), "planted unused share: 33.333% of the pairs in all; UsedOnly target 16.667%: unused access planted rules grant (unused_rule_granted; the other 16.667% is"; !strings.Contains(got, want) || strings.Contains(got, "UsedOnly:") {
		t.Errorf("without UsedOnly:\n%s\nwant %q and no UsedOnly line", got, want)
	}
	f.UsedOnly, f.UnusedOnly = true, 2
	if got, want := ScoreUsage(u, f).String(), "UsedOnly: 2 pairs (33.333%) unexplained for being unused, +16.667 points from the target\n"; !strings.Contains(got, want) {
		t.Errorf("with UsedOnly:\n%s\nwant %q", got, want)
	}
	u.UnusedRuleGranted = 0
	// A ranking longer than TopN counts its first TopN only.
	f = exact()
	f.Humans = nil
	for k := range TopN + 50 {
		f.Humans = append(f.Humans, fmt.Sprintf("x%d", k))
	}
	f.Humans[0], f.Humans[TopN] = "h1", "h2"
	if h := ScoreUsage(u, f).Top[0]; h.Ranked != TopN || h.Planted != 1 || h.Share != 0.01 {
		t.Errorf("top of a long ranking: %+v", h)
	}
}

func TestScoreActions(t *testing.T) {
	u, err := LoadUsage(writeUsageTruth(t, goodUnused, goodOwners, goodOver))
	if err != nil {
		t.Fatal(err)
	}
	q := ScoreActions(u, [][2]string{{"h1", "CRM_A"}, {"h1", "CRM_B"}, {"h2", "CRM_A"}}, []string{"s2", "s1"})
	r, o := q.RevokeUnused, q.ReassignOwner
	if r.Listed != 3 || r.Truth != 2 || r.Hits != 1 || r.Precision != 1.0/3 || r.Recall != 0.5 {
		t.Errorf("revoke-unused: %+v", r)
	}
	if o.Listed != 2 || o.Truth != 2 || o.Hits != 1 || o.Precision != 0.5 || o.Recall != 0.5 || q.OwnersLeft != 1 || q.LeftReassigned != 1 {
		t.Errorf("reassign-owner: %+v, %d left, %d reassigned", o, q.OwnersLeft, q.LeftReassigned)
	}
	// OwnersLeft counts non-human identities (owners.csv rows with owner_left), not
	// owners: the printed line names what it counts.
	if got, want := q.String(), "1 non-human identities whose owner left in this step, 1 of them reassigned\n"; !strings.Contains(got, want) {
		t.Errorf("String() = %q, want it to contain %q", got, want)
	}
	if q := ScoreActions(u, nil, nil); q.RevokeUnused.Precision != 1 || q.RevokeUnused.Recall != 0 {
		t.Errorf("no actions: %+v", q.RevokeUnused)
	}
}
