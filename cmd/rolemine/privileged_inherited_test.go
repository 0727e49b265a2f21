package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/model"
)

// TestPrivilegedOnlyInheritedListed: a privileged role nobody holds directly, handed to
// everyone by a broad group nested into it (ALL-STAFF into DOMAIN-ADMINS, 3 validations),
// has no rule, so its pairs take the group's status and none is hidden; summary.json's
// effective.privileged_only_inherited and report.html list it with the roles granting
// it. VPN (2 validations) is also held directly by a1, so it has holders to learn from
// and is not listed; a1's and a2's INTRANET (no validations) is not privileged. Found by
// the semantic audit of real-shaped universes: such a role showed nowhere in the report.
func TestPrivilegedOnlyInheritedListed(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	writeFiles(t, data, map[string]string{
		"identities.csv":  "identity_id,department\na1,Sales\na2,Sales\na3,Sales\na4,IT\na5,IT\na6,IT\n",
		"roles.csv":       "role_id,validations\nALL-STAFF,0\nDOMAIN-ADMINS,3\nVPN,2\nINTRANET,0\n",
		"role_grants.csv": "role_id,grants_role_id\nALL-STAFF,DOMAIN-ADMINS\nHELPDESK,DOMAIN-ADMINS\nALL-STAFF,VPN\nALL-STAFF,INTRANET\n",
		"assignments.csv": "identity_id,role_id\na1,ALL-STAFF\na2,ALL-STAFF\na3,ALL-STAFF\na4,ALL-STAFF\na5,ALL-STAFF\na6,ALL-STAFF\na1,VPN\n",
	})
	out := data + "-out"
	var stdout, stderr bytes.Buffer
	if code := run([]string{"mine", "--data", data, "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("mine: exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Effective model.EffectiveSummary `json:"effective"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	want := []model.InheritedOnlyRole{{Role: "DOMAIN-ADMINS", Validations: 3, Identities: 6, GrantedBy: []string{"ALL-STAFF", "HELPDESK"}}}
	if got := sum.Effective.PrivilegedOnlyInherited; !reflect.DeepEqual(got, want) {
		t.Errorf("privileged_only_inherited = %+v, want %+v", got, want)
	}
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<h3>Privileged roles held only through grants</h3>", "<td>DOMAIN-ADMINS</td>", "<td>ALL-STAFF, HELPDESK</td>"} {
		if !strings.Contains(string(html), s) {
			t.Errorf("report.html lacks %q", s)
		}
	}
}
