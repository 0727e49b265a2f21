package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// excelExport is a data directory as a spreadsheet or an identity system writes it: a
// byte order mark, CRLF line ends, a final empty line, columns rolemine does not know in
// another order, a quoted value holding a comma and a line break, kinds of several
// spellings, and ids respelt between the files (a padded id, another letter case, a
// number without its leading zeros, a role id with a trailing space), an owner in a
// spreadsheet's "Owner ID" column, and a last_used padded around a valid date.
var excelExport = map[string]string{
	"identities.csv": "\ufeffemail,department,identity_id,kind,site,Owner ID\r\n" +
		"a@x,Sales,u1,human,\"Paris,\r\nHQ\",\r\n" +
		"b@x,Sales,u2,,Lyon,\r\n" +
		"c@x,Sales,u3,human,Lyon,\r\n" +
		"d@x,Sales,00123,Human,Lyon,\r\n" +
		"e@x,IT,svc1,Service Account,,u1\r\n" +
		"\r\n",
	"roles.csv": "\ufeffdescription,role_id,owner\r\nCRM users,CRM,bob\r\nVPN,VPN,alice\r\n",
	"assignments.csv": "\ufeffsource,role_id,identity_id,granted_at,last_used\r\n" +
		"hr,CRM,u1,2026-01-01, 2026-03-31 \r\n" +
		"hr,CRM, u2,2026-01-01,2026-03-31\r\n" +
		"hr,CRM,U3,2026-01-01,\r\n" +
		"hr,CRM,123,2026-01-01,\r\n" +
		"ad,VPN ,u1,,2026-03-31T08:15:00.123+02:00\r\n" +
		"ad,VPN,u1,,\r\n" +
		"ad,VPN,u1,,\r\n" +
		"ad,VPN,svc1,,\r\n",
}

// TestRealExportQuirksEndToEnd runs mine on excelExport: it is read (exit 0) as the
// documented rules say, ids kept as written (three orphans, an implicit role, 00123 an
// identity of kind Human), and nothing is misread without a word: stderr names the
// near-miss column, the human-like kind, and each respelt id with the one it resembles.
// The same files with ';' for ',' exit 2 naming the separator.
func TestRealExportQuirksEndToEnd(t *testing.T) {
	root := t.TempDir()
	data, out := filepath.Join(root, "data"), filepath.Join(root, "out")
	writeFiles(t, data, excelExport)
	stdout, stderr, code := runBin(t, "mine", "--data", data, "--out", out)
	if code != 0 {
		t.Fatalf("mine: exit %d: %s", code, stderr)
	}
	var sum struct {
		Identities struct {
			ByKind map[string]int `json:"by_kind"`
		} `json:"identities"`
		Roles struct {
			Implicit int `json:"implicit"`
		} `json:"roles"`
		Assignments struct {
			Duplicates int `json:"duplicates"`
			Orphans    int `json:"orphans"`
		} `json:"assignments"`
	}
	readJSONFile(t, filepath.Join(out, "summary.json"), &sum)
	if k := sum.Identities.ByKind; k["human"] != 3 || k["Human"] != 1 || k["Service Account"] != 1 {
		t.Errorf("kinds %v, want human 3, Human 1, Service Account 1", k)
	}
	if sum.Roles.Implicit != 1 || sum.Assignments.Orphans != 3 || sum.Assignments.Duplicates != 1 {
		t.Errorf("implicit roles %d, orphans %d, duplicates %d; want 1, 3, 1", sum.Roles.Implicit, sum.Assignments.Orphans, sum.Assignments.Duplicates)
	}
	if !strings.Contains(stdout, "usage: ") {
		t.Errorf("no usage line: last_used was not read:\n%s", stdout)
	}
	for _, want := range []string{
		`file=identities.csv column="Owner ID" expected=owner_id`,
		`kind=Human`,
		`examples="\" u2\" for \"u2\", \"123\" for \"00123\", \"U3\" for \"u3\""`,
		`examples="\"VPN \" for \"VPN\""`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %s:\n%s", want, stderr)
		}
	}

	semi := map[string]string{}
	for name, text := range excelExport {
		semi[name] = strings.ReplaceAll(text, ",", ";")
	}
	data2 := filepath.Join(root, "semicolon")
	writeFiles(t, data2, semi)
	_, stderr, code = runBin(t, "mine", "--data", data2, "--out", filepath.Join(root, "out2"))
	if code != 2 || !strings.Contains(stderr, `identities.csv: missing required column(s) ["identity_id"]`) ||
		!strings.Contains(stderr, `the header is one column holding ";"`) {
		t.Errorf("';'-separated export: exit %d, want 2 naming the separator: %s", code, stderr)
	}
}

// TestDriftRespeltIdsWarned: a next snapshot whose export upper-cased the ids makes every
// unexplained pair of the respelt identities new access (ids are exact); drift says why on
// stderr, with the model's assignments.parquet as baseline and with --previous-data.
func TestDriftRespeltIdsWarned(t *testing.T) {
	root := t.TempDir()
	prev, next, model := filepath.Join(root, "prev"), filepath.Join(root, "next"), filepath.Join(root, "model")
	ids := "identity_id,dept\nu1,Sales\nu2,Sales\nu3,Sales\nu4,IT\n"
	asg := "identity_id,role_id\nu1,CRM\nu2,CRM\nu3,CRM\nu4,CRM\nu4,GIT\n"
	writeFiles(t, prev, map[string]string{"identities.csv": ids, "assignments.csv": asg})
	writeFiles(t, next, map[string]string{"identities.csv": strings.ReplaceAll(ids, "u", "U"), "assignments.csv": strings.ReplaceAll(asg, "u", "U")})
	if _, stderr, code := runBin(t, "mine", "--data", prev, "--out", model); code != 0 {
		t.Fatalf("mine: exit %d: %s", code, stderr)
	}
	for _, extra := range [][]string{nil, {"--previous-data", prev}} {
		args := append([]string{"drift", "--model", model, "--data", next, "--out", filepath.Join(root, "drift"+strings.Join(extra, ""))}, extra...)
		_, stderr, code := runBin(t, args...)
		want := `count=1 examples="\"U4\" for \"u4\""`
		if code != 0 || !strings.Contains(stderr, "whose unexplained access counts as new") || !strings.Contains(stderr, want) {
			t.Errorf("drift %v: exit %d, want 0 and a warning with %s: %s", extra, code, want, stderr)
		}
	}
}
