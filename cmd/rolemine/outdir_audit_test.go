package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// tinyData writes a small flat data set (two roles, each held by one department) under
// dir and returns dir.
func tinyData(t *testing.T, dir string) string {
	t.Helper()
	writeFiles(t, dir, map[string]string{
		"identities.csv":  "identity_id,kind,department\na1,human,Eng\na2,human,Eng\na3,human,Eng\nb1,human,Sales\nb2,human,Sales\nb3,human,Sales\n",
		"assignments.csv": "identity_id,role_id\na1,GIT\na2,GIT\na3,GIT\nb1,CRM\nb2,CRM\nb3,CRM\n",
	})
	return dir
}

// TestOutInDirectoryOfOtherFiles: --out naming a directory that already holds files
// rolemine did not write (notes, a folder) writes the outputs beside them and leaves
// them as they were, plain files, through two runs (docs/outputs.md#out-atomic). Found by
// the semantic audit: every plain file of such a directory was taken for an output of an
// older version and moved into the first set, the user's file becoming a link into
// .sets/ID.
func TestOutInDirectoryOfOtherFiles(t *testing.T) {
	tmp := t.TempDir()
	data := tinyData(t, filepath.Join(tmp, "data"))
	out := filepath.Join(tmp, "out")
	writeFiles(t, out, map[string]string{"notes.txt": "mine\n"})
	writeFiles(t, filepath.Join(out, "sub"), map[string]string{"keep.csv": "a,b\n"})
	for i := 0; i < 2; i++ {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"mine", "--data", data, "--out", out}, &stdout, &stderr); code != 0 {
			t.Fatalf("run %d: exit %d: %s", i+1, code, stderr.String())
		}
		for _, name := range []string{"notes.txt", "sub/keep.csv"} {
			fi, err := os.Lstat(filepath.Join(out, name))
			if err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("run %d: %s is no longer a plain file (%v, %v)", i+1, name, fi.Mode(), err)
			}
		}
		if b, err := os.ReadFile(filepath.Join(out, "notes.txt")); err != nil || string(b) != "mine\n" {
			t.Fatalf("run %d: notes.txt now %q (%v)", i+1, b, err)
		}
		if _, err := os.Stat(filepath.Join(out, ".current", "notes.txt")); err == nil {
			t.Fatalf("run %d: notes.txt was taken into the output set", i+1)
		}
		if _, err := os.Stat(filepath.Join(out, "rules.json")); err != nil {
			t.Fatalf("run %d: no rules.json: %v", i+1, err)
		}
	}
}

// TestDriftRefusesSnapshotMissingModelInput: a new snapshot that lacks the accounts file
// the model was mined with is refused, exit 2 naming the file, and no drift output is
// written; one that lacks the roles file is drift like any other (roles and role_grants
// may come and go). Found by the semantic audit: drift of a universe model against a
// snapshot without accounts exited 0 with every grant to an account an orphan and every
// rule degraded, and no word of the missing file.
func TestDriftRefusesSnapshotMissingModelInput(t *testing.T) {
	tmp := t.TempDir()
	files := map[string]string{
		"identities.csv":  "identity_id,kind,department\na1,human,Eng\na2,human,Eng\na3,human,Eng\nb1,human,Sales\n",
		"accounts.csv":    "system,account_id,identity_id\nAD,x1,a1\nAD,x2,a2\nAD,x3,a3\nAD,y1,b1\n",
		"assignments.csv": "role_id,system,account_id\nGIT,AD,x1\nGIT,AD,x2\nGIT,AD,x3\nCRM,AD,y1\n",
		"roles.csv":       "role_id,category\nGIT,app\nCRM,app\n",
	}
	data := filepath.Join(tmp, "data")
	writeFiles(t, data, files)
	model := filepath.Join(tmp, "model")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"mine", "--data", data, "--out", model}, &stdout, &stderr); code != 0 {
		t.Fatalf("mine: exit %d: %s", code, stderr.String())
	}
	for drop, refused := range map[string]bool{"accounts": true, "roles": false} {
		next := filepath.Join(tmp, "next-"+drop)
		writeFiles(t, next, files)
		if err := os.Remove(filepath.Join(next, drop+".csv")); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(tmp, "drift-"+drop)
		stdout.Reset()
		stderr.Reset()
		code := run([]string{"drift", "--model", model, "--data", next, "--out", out}, &stdout, &stderr)
		want := drop + " (expected " + drop + ".parquet or " + drop + ".csv)"
		_, statErr := os.Stat(out)
		switch {
		case refused && (code != 2 || !bytes.Contains(stderr.Bytes(), []byte(want)) || statErr == nil):
			t.Errorf("drift against data without %s: exit %d, stderr %q, output written %v; want exit 2 naming %q and nothing written", drop, code, stderr.String(), statErr == nil, want)
		case !refused && code != 0:
			t.Errorf("drift against data without %s: exit %d, stderr %q; want it drifted", drop, code, stderr.String())
		}
	}
}

// listIdentity is an identities.parquet row whose project is a LIST<string> column.
type listIdentity struct {
	ID         string   `parquet:"identity_id"`
	Kind       string   `parquet:"kind"`
	Department string   `parquet:"department"`
	Project    []string `parquet:"project,list"`
}

// TestDriftAttributesAsListColumns: the multi-valued attributes of a model mined with an
// attributes file may come, in the new snapshot, as list columns of identities.parquet
// (the same data in another form, docs/inputs.md#input-parquet): drift holds the model to
// them and writes what it writes with the attributes file; a snapshot with neither is
// still refused, exit 2 naming the file. Found by the semantic audit (same data, every
// form): drift refused the list columns as a lost attributes export, while mine
// --previous and drift of a list-column model against an attributes file took them.
func TestDriftAttributesAsListColumns(t *testing.T) {
	tmp := t.TempDir()
	ids := []listIdentity{
		{"a1", "human", "Eng", []string{"p1"}}, {"a2", "human", "Eng", []string{"p1"}},
		{"a3", "human", "Eng", []string{"p2", "p1"}}, {"c1", "human", "Eng", nil},
		{"b1", "human", "Sales", []string{"p2"}}, {"b2", "human", "Sales", nil},
	}
	var identities, attributes bytes.Buffer
	identities.WriteString("identity_id,kind,department\n")
	attributes.WriteString("identity_id,attribute,value\n")
	for _, id := range ids {
		fmt.Fprintf(&identities, "%s,%s,%s\n", id.ID, id.Kind, id.Department)
		for _, p := range id.Project {
			fmt.Fprintf(&attributes, "%s,project,%s\n", id.ID, p)
		}
	}
	assignments := "identity_id,role_id\na1,GIT\na2,GIT\na3,GIT\nc1,GIT\na1,REPO\na2,REPO\na3,REPO\n"
	data := filepath.Join(tmp, "data")
	writeFiles(t, data, map[string]string{"identities.csv": identities.String(),
		"attributes.csv": attributes.String(), "assignments.csv": assignments})
	model := filepath.Join(tmp, "model")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"mine", "--data", data, "--out", model}, &stdout, &stderr); code != 0 {
		t.Fatalf("mine: exit %d: %s", code, stderr.String())
	}
	// The next snapshot: a4 joins Eng and project p1 without REPO (a grant, only through
	// the project), as an attributes file and as a list column.
	ids = append(ids, listIdentity{"a4", "human", "Eng", []string{"p1"}})
	next := filepath.Join(tmp, "next")
	writeFiles(t, next, map[string]string{"identities.csv": identities.String() + "a4,human,Eng\n",
		"attributes.csv": attributes.String() + "a4,project,p1\n", "assignments.csv": assignments})
	list := filepath.Join(tmp, "next-list")
	writeFiles(t, list, map[string]string{"assignments.csv": assignments})
	if err := parquet.WriteFile(filepath.Join(list, "identities.parquet"), ids); err != nil {
		t.Fatal(err)
	}
	drift := func(dataDir, out string) (int, string) {
		stdout.Reset()
		stderr.Reset()
		code := run([]string{"drift", "--model", model, "--data", dataDir, "--out", out}, &stdout, &stderr)
		return code, stderr.String()
	}
	for _, dir := range []string{next, list} {
		if code, msg := drift(dir, dir+"-drift"); code != 0 {
			t.Fatalf("drift against %s: exit %d: %s", filepath.Base(dir), code, msg)
		}
	}
	for _, name := range []string{"remediation.csv", "rules-health.json"} {
		want, err := os.ReadFile(filepath.Join(next+"-drift", name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(list+"-drift", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s with list columns:\n%s\nwith the attributes file:\n%s", name, got, want)
		}
		if name == "remediation.csv" && !bytes.Contains(want, []byte("grant,a4,human,REPO,")) {
			t.Errorf("remediation.csv lacks the grant of REPO to a4:\n%s", want)
		}
	}
	// Neither the file nor a list column: the attributes export is lost.
	lost := filepath.Join(tmp, "next-lost")
	writeFiles(t, lost, map[string]string{"identities.csv": identities.String(), "assignments.csv": assignments})
	want := "attributes (expected attributes.parquet or attributes.csv)"
	if code, msg := drift(lost, lost+"-drift"); code != 2 || !strings.Contains(msg, want) {
		t.Errorf("drift against data without attributes: exit %d, stderr %q; want exit 2 naming %q", code, msg, want)
	}
}

// TestUniverseDataTriggers: each input that makes universe data
// (docs/effective-privilege.md#universe-data) turns on its outputs (excess.csv,
// review.csv of effective pairs), flat data gets neither, and the same multi-valued
// attribute as an attributes file or as a list column of identities.parquet gives the
// same bytes in every file but summary.json. Found by the semantic audit: the pages
// listing what makes universe data left out list columns and assignments' system and
// account_id columns, which turn it on too.
func TestUniverseDataTriggers(t *testing.T) {
	tmp := t.TempDir()
	// REPO is explained by project=p1 alone, so the two forms must carry the project.
	identities := "identity_id,kind,department\na1,human,Eng\na2,human,Eng\na3,human,Sales\nb1,human,Sales\n"
	assignments := "identity_id,role_id\na1,REPO\na2,REPO\na3,REPO\nb1,CRM\n"
	list := []listIdentity{{"a1", "human", "Eng", []string{"p1"}}, {"a2", "human", "Eng", []string{"p1", "p2"}},
		{"a3", "human", "Sales", []string{"p1"}}, {"b1", "human", "Sales", nil}}
	cases := map[string]map[string]string{
		"flat":       {"identities.csv": identities, "assignments.csv": assignments},
		"attributes": {"identities.csv": identities, "assignments.csv": assignments, "attributes.csv": "identity_id,attribute,value\na1,project,p1\na2,project,p1\na2,project,p2\na3,project,p1\n"},
		"list":       {"assignments.csv": assignments},
		"system":     {"identities.csv": identities, "assignments.csv": "identity_id,role_id,system\na1,REPO,\na2,REPO,\na3,REPO,\nb1,CRM,\n"},
		"account_id": {"identities.csv": identities, "assignments.csv": "identity_id,role_id,account_id\na1,REPO,\na2,REPO,\na3,REPO,\nb1,CRM,\n"},
	}
	for name, files := range cases {
		data := filepath.Join(tmp, name)
		writeFiles(t, data, files)
		if name == "list" {
			if err := parquet.WriteFile(filepath.Join(data, "identities.parquet"), list); err != nil {
				t.Fatal(err)
			}
		}
		var stdout, stderr bytes.Buffer
		if code := run([]string{"mine", "--data", data, "--out", filepath.Join(tmp, "out-"+name)}, &stdout, &stderr); code != 0 {
			t.Fatalf("%s: mine exit %d: %s", name, code, stderr.String())
		}
		review, err := os.ReadFile(filepath.Join(tmp, "out-"+name, "review.csv"))
		if err != nil {
			t.Fatal(err)
		}
		_, excessErr := os.Stat(filepath.Join(tmp, "out-"+name, "excess.csv"))
		universe := name != "flat"
		if got := bytes.Contains(review, []byte(",inherited,via,")); got != universe || (excessErr == nil) != universe {
			t.Errorf("%s: review.csv of effective pairs %v, excess.csv written %v; want both %v", name, got, excessErr == nil, universe)
		}
	}
	if rules, err := os.ReadFile(filepath.Join(tmp, "out-list", "rules.json")); err != nil || !bytes.Contains(rules, []byte(`"value": "p1"`)) {
		t.Errorf("no rule on project=p1 from the list column: %s (%v)", rules, err)
	}
	for _, file := range []string{"rules.json", "roles.json", "assignments.parquet", "review.csv", "excess.csv", "report.html", "suggestions.csv"} {
		want, err := os.ReadFile(filepath.Join(tmp, "out-attributes", file))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(filepath.Join(tmp, "out-list", file)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs between the attributes file and the list column (%v)", file, err)
		}
	}
}

// TestNewModelDropsEarlierModelsFiles: a mine run into a directory holding the model of
// other data keeps none of that model's files it does not write itself (the excess.csv
// and ownership.csv of an earlier universe with owners), nor a shard's files; a shard run
// keeps none of a whole model's; another command's file (discovered.json) stays
// (docs/outputs.md#out-atomic). Found by the semantic audit: a flat model mined over a
// universe model was committed with the universe's excess.csv and ownership.csv, a set
// mixing two runs.
func TestNewModelDropsEarlierModelsFiles(t *testing.T) {
	tmp := t.TempDir()
	universe := filepath.Join(tmp, "universe")
	writeFiles(t, universe, map[string]string{
		"identities.csv":  "identity_id,kind,department,owner_id\na1,human,Eng,\na2,human,Eng,\na3,human,Eng,\ns1,service_account,Eng,gone\n",
		"accounts.csv":    "system,account_id,identity_id\nAD,x1,a1\nAD,x2,a2\nAD,x3,a3\nAD,x4,s1\n",
		"assignments.csv": "role_id,system,account_id\nGIT,AD,x1\nGIT,AD,x2\nGIT,AD,x3\nGIT,AD,x4\n",
	})
	flat := tinyData(t, filepath.Join(tmp, "flat"))
	out := filepath.Join(tmp, "out")
	steps := []struct {
		args       []string
		have, lack []string
	}{
		{[]string{"discover", "--data", universe, "--out", out}, []string{"discovered.json"}, nil},
		{[]string{"mine", "--data", universe, "--out", out}, []string{"excess.csv", "ownership.csv", "discovered.json"}, nil},
		{[]string{"mine", "--data", flat, "--out", out}, []string{"rules.json", "discovered.json"}, []string{"excess.csv", "ownership.csv"}},
		{[]string{"mine", "--data", flat, "--out", out, "--shard", "0/2"}, []string{"shard.json", "discovered.json"}, []string{"rules.json", "summary.json", "report.html"}},
		{[]string{"mine", "--data", flat, "--out", out}, []string{"rules.json"}, []string{"shard.json", "shard-run.json"}},
	}
	for i, s := range steps {
		var stdout, stderr bytes.Buffer
		if code := run(s.args, &stdout, &stderr); code != 0 {
			t.Fatalf("step %d: exit %d: %s", i+1, code, stderr.String())
		}
		for _, name := range s.have {
			if _, err := os.Stat(filepath.Join(out, name)); err != nil {
				t.Errorf("step %d (%v): %s missing: %v", i+1, s.args[1:], name, err)
			}
		}
		for _, name := range s.lack {
			if _, err := os.Lstat(filepath.Join(out, name)); err == nil {
				t.Errorf("step %d (%v): %s of an earlier run is still there", i+1, s.args[1:], name)
			}
		}
	}
}

// TestShardGivenAsModel: a shard's output given where a model is read (explain --model,
// drift --model, mine --previous) exits 2 saying it is one shard and that the merge is
// what to give. Found by the semantic audit: the message said only that rules.json was
// missing from "the output directory of `rolemine mine`", which a shard directory is.
func TestShardGivenAsModel(t *testing.T) {
	tmp := t.TempDir()
	data := tinyData(t, filepath.Join(tmp, "data"))
	sh := filepath.Join(tmp, "shard")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"mine", "--data", data, "--out", sh, "--shard", "0/1"}, &stdout, &stderr); code != 0 {
		t.Fatalf("mine --shard: exit %d: %s", code, stderr.String())
	}
	for _, args := range [][]string{
		{"explain", "--data", data, "--model", sh, "--identity", "a1"},
		{"drift", "--data", data, "--model", sh, "--out", filepath.Join(tmp, "drift")},
		{"mine", "--data", data, "--previous", sh, "--out", filepath.Join(tmp, "again")},
	} {
		stdout.Reset()
		stderr.Reset()
		code := run(args, &stdout, &stderr)
		if code != 2 || !bytes.Contains(stderr.Bytes(), []byte("holds one shard")) || !bytes.Contains(stderr.Bytes(), []byte("rolemine merge")) {
			t.Errorf("rolemine %s with a shard as model: exit %d, stderr %q; want exit 2 naming the shard and merge", args[0], code, stderr.String())
		}
	}
}

// TestExplainAccountNamed: explain --identity given an account's id (as account_id or
// SYSTEM/ACCOUNT_ID) exits 2 saying it is an account: a correlated one names its
// identity, an uncorrelated one (or one absent from accounts) says where its access is
// (docs/cli.md#rolemine-explain). Found by the semantic audit: both were "not in
// identities and holds no assignment", though the account holds access.
func TestExplainAccountNamed(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	writeFiles(t, data, map[string]string{
		"identities.csv":  "identity_id,kind,department\na1,human,Eng\na2,human,Eng\na3,human,Eng\n",
		"accounts.csv":    "system,account_id,identity_id\nAD,x1,a1\nAD,x2,a2\nAD,x3,a3\nAD,svc9,\n",
		"assignments.csv": "role_id,system,account_id\nGIT,AD,x1\nGIT,AD,x2\nGIT,AD,x3\nGIT,AD,svc9\nGIT,SAP,lost7\n",
	})
	model := filepath.Join(tmp, "model")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"mine", "--data", data, "--out", model}, &stdout, &stderr); code != 0 {
		t.Fatalf("mine: exit %d: %s", code, stderr.String())
	}
	for id, want := range map[string]string{
		"x1":        `"x1" is not an identity but an account: AD/x1 (identity a1)`,
		"AD/x1":     `"AD/x1" is not an identity but an account: AD/x1 (identity a1)`,
		"svc9":      `"svc9" is not an identity but an account no known identity holds (AD/svc9:`,
		"SAP/lost7": `account no known identity holds (SAP/lost7:`,
		"nobody":    `identity "nobody" is not in identities and holds no assignment`,
	} {
		stdout.Reset()
		stderr.Reset()
		code := run([]string{"explain", "--data", data, "--model", model, "--identity", id}, &stdout, &stderr)
		if code != 2 || !bytes.Contains(stderr.Bytes(), []byte(want)) {
			t.Errorf("explain --identity %s: exit %d, stderr %q; want exit 2 and %q", id, code, stderr.String(), want)
		}
	}
}

// TestModelNotADirectory: a --model or --previous naming nothing, or a file, says so.
// Found by the semantic audit: both read "rules.json is missing", as for a directory
// holding other files.
func TestModelNotADirectory(t *testing.T) {
	tmp := t.TempDir()
	data := tinyData(t, filepath.Join(tmp, "data"))
	file := filepath.Join(tmp, "file")
	writeFiles(t, tmp, map[string]string{"file": "x\n"})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"explain", "--data", data, "--model", filepath.Join(tmp, "nowhere"), "--identity", "a1"}, "nowhere: no such directory"},
		{[]string{"explain", "--data", data, "--model", file, "--identity", "a1"}, "file: a file, not a directory"},
		{[]string{"mine", "--data", data, "--previous", filepath.Join(tmp, "nowhere"), "--out", filepath.Join(tmp, "o")}, "nowhere: no such directory"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != 2 || !bytes.Contains(stderr.Bytes(), []byte(c.want)) {
			t.Errorf("rolemine %s: exit %d, stderr %q; want exit 2 and %q", c.args[0], code, stderr.String(), c.want)
		}
	}
}

// TestAccountsWithoutFileWarned: assignments naming accounts in a data directory without
// an accounts file make their access orphan (docs/effective-privilege.md#inputs); mine
// says so on stderr, with the rows, rather than only counting them in summary.json. Found
// by the semantic audit: a universe whose accounts export was missing mined 4692 of 5767
// assignments as orphans without a word.
func TestAccountsWithoutFileWarned(t *testing.T) {
	tmp := t.TempDir()
	files := map[string]string{
		"identities.csv":  "identity_id,kind\na1,human\na2,human\n",
		"accounts.csv":    "system,account_id,identity_id\nAD,x1,a1\nAD,x2,a2\n",
		"assignments.csv": "role_id,system,account_id\nGIT,AD,x1\nGIT,AD,x2\n",
	}
	for _, withAccounts := range []bool{true, false} {
		data := filepath.Join(tmp, fmt.Sprintf("data-%v", withAccounts))
		writeFiles(t, data, files)
		if !withAccounts {
			if err := os.Remove(filepath.Join(data, "accounts.csv")); err != nil {
				t.Fatal(err)
			}
		}
		var stdout, stderr bytes.Buffer
		if code := run([]string{"mine", "--data", data, "--out", data + "-out"}, &stdout, &stderr); code != 0 {
			t.Fatalf("mine: exit %d: %s", code, stderr.String())
		}
		warned := bytes.Contains(stderr.Bytes(), []byte("the data has no accounts file")) && bytes.Contains(stderr.Bytes(), []byte("rows=2"))
		if warned == withAccounts {
			t.Errorf("with accounts.csv %v: stderr %q; want the warning only without it", withAccounts, stderr.String())
		}
		if bytes.Contains(stdout.Bytes(), []byte("accounts file")) {
			t.Errorf("the warning went to stdout: %q", stdout.String())
		}
	}
}

// TestOutIsNotTheTruth: the --truth folder is an input like --data: --out may be neither
// it nor inside it, for mine and drift (docs/cli.md#cli-checks). Found by the semantic
// audit: mine --truth T --out T replaced the truth's rules.json by the model's, then failed
// reading it as truth, the planted rules lost.
func TestOutIsNotTheTruth(t *testing.T) {
	tmp := t.TempDir()
	data := tinyData(t, filepath.Join(tmp, "data"))
	truth := filepath.Join(tmp, "truth")
	writeFiles(t, truth, map[string]string{"rules.json": "planted\n", "noise.csv": "identity_id,role_id,type\n"})
	writeFiles(t, filepath.Join(truth, "changes"), map[string]string{"access.csv": "identity_id,role_id,type,event\n"})
	model := filepath.Join(tmp, "model")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"mine", "--data", data, "--out", model}, &stdout, &stderr); code != 0 {
		t.Fatalf("mine: exit %d: %s", code, stderr.String())
	}
	for _, args := range [][]string{
		{"mine", "--data", data, "--truth", truth, "--out", truth},
		{"mine", "--data", data, "--truth", truth, "--out", filepath.Join(truth, "model")},
		{"drift", "--model", model, "--data", data, "--truth", truth, "--out", truth},
	} {
		stdout.Reset()
		stderr.Reset()
		code := run(args, &stdout, &stderr)
		if code != 2 || !bytes.Contains(stderr.Bytes(), []byte("--truth directory")) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming the --truth directory", args, code, stderr.String())
		}
	}
	if b, err := os.ReadFile(filepath.Join(truth, "rules.json")); err != nil || string(b) != "planted\n" {
		t.Errorf("the truth's rules.json is now %q (%v)", b, err)
	}
}
