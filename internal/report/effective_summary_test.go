package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/mining"
)

// TestSystemsPossiblyIncomplete: a system where identities lack the account most of
// their peers have, or whose roles the rules would grant to many who lack them, is
// flagged; a complete one is not. Worked by hand:
//
//	20 humans, all Sales Rep (one peer group of 20). Everyone has an AD account and holds
//	MAIL (application AD). 17 of them (s00-s16) have an SF account holding CRM
//	(application SF); s17-s19 have none. 17 of 20 peers is over 80% (17*5 = 85 > 80), so
//	SF has 3 missing accounts, over 5% of its 17 correlated accounts. The CRM rule
//	(kind=human: precision 17/20 = 85% >= 80%, fp 15% <= 20%) would grant CRM to those 3:
//	3 suggestions, over 10% of SF's 17 explained pairs. AD is complete.
func TestSystemsPossiblyIncomplete(t *testing.T) {
	dir := t.TempDir()
	var ids, accts, asg strings.Builder
	ids.WriteString("identity_id,kind,dept,title\n")
	accts.WriteString("system,account_id,identity_id\n")
	asg.WriteString("identity_id,role_id,system,account_id\n")
	for k := range 20 {
		id := fmt.Sprintf("s%02d", k)
		fmt.Fprintf(&ids, "%s,human,Sales,Rep\n", id)
		fmt.Fprintf(&accts, "AD,%s,%s\n", id, id)
		fmt.Fprintf(&asg, ",MAIL,AD,%s\n", id)
		if k < 17 {
			fmt.Fprintf(&accts, "SF,%s@sf,%s\n", id, id)
			fmt.Fprintf(&asg, ",CRM,SF,%s@sf\n", id)
		}
	}
	for name, body := range map[string]string{
		"identities.csv": ids.String(), "accounts.csv": accts.String(), "assignments.csv": asg.String(),
		"roles.csv": "role_id,application\nCRM,SF\nMAIL,AD\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	snap, err := columnar.Load(ctx, dir, columnar.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := mining.ParseConfig("m.xml", []byte(`<MiningRule PrecisionMinPercentage="80" FalsePositiveMaxPercentage="20" MaxDimensions="1"/>`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mining.Run(ctx, snap, cfg, mining.Options{Backend: cpu.New(), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	cls := mining.Classify(snap, m)
	_, systems := effectiveSummaryOf(snap, cls, &Effective{})
	sf, ad := systems["SF"], systems["AD"]
	if sf == nil || ad == nil {
		t.Fatalf("systems %v", systems)
	}
	if sf.MissingAccounts != 3 || sf.Suggestions != 3 || !sf.PossiblyIncomplete {
		t.Errorf("SF %+v, want 3 missing accounts, 3 suggestions, flagged", *sf)
	}
	if !strings.Contains(sf.Reason, "3 more of its roles") || !strings.Contains(sf.Reason, "3 identities lack an account") {
		t.Errorf("SF reason %q", sf.Reason)
	}
	if ad.MissingAccounts != 0 || ad.Suggestions != 0 || ad.PossiblyIncomplete {
		t.Errorf("AD %+v, want complete", *ad)
	}
}
