package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// usageData is the first worked example of internal/report/testdata/excess/usage.
var usageData = map[string]string{
	"identities.csv": "identity_id,kind,dept\nu1,human,Eng\nu2,human,Eng\nu3,human,Eng\ns1,service_account,Eng\n",
	"roles.csv":      "role_id,application\nDEV,GIT\nMAIL,EXCH\nVPN,NET\n",
	"assignments.csv": "identity_id,role_id,last_used\nu1,DEV,2026-06-30\nu2,DEV,2026-03-31\nu3,DEV,\n" +
		"s1,DEV,2026-04-01T00:00:00Z\nu1,MAIL,\nu2,MAIL,\nu2,VPN,2026-01-01\nu2,VPN,2026-05-15\nu3,VPN,2026-01-01\n",
}

// TestUsageEndToEnd: with a last_used column, `rolemine mine` writes each pair's usage in
// assignments.parquet and the counts in summary.json, prints them, and honours --as-of
// and --unused-days (docs/excess-privilege.md).
func TestUsageEndToEnd(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	writeFiles(t, data, usageData)
	out := filepath.Join(t.TempDir(), "out")
	stdout, stderr, code := runBin(t, "mine", "--data", data, "--out", out, "--as-of", "2026-07-01", "--unused-days", "30")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "usage: 1 used, 5 unused, 2 unknown (as of 2026-07-01, unused after 30 days)"; !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Usage struct {
			AsOf       string `json:"as_of"`
			UnusedDays int    `json:"unused_days"`
			Used       int    `json:"used"`
			Unused     int    `json:"unused"`
			Unknown    int    `json:"unknown"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if u := sum.Usage; u.AsOf != "2026-07-01" || u.UnusedDays != 30 || u.Used != 1 || u.Unused != 5 || u.Unknown != 2 {
		t.Errorf("summary usage %+v", u)
	}
	b, err = os.ReadFile(filepath.Join(out, "rules.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Rules []struct {
			RoleID    string   `json:"role_id"`
			UnusedPct *float64 `json:"unused_pct"`
			OverBroad bool     `json:"over_broad"`
		} `json:"rules"`
	}
	if err := json.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	// The DEV rule (dept=Eng) explains u1 (used) and u2, u3, s1 (unused): 75%, over-broad.
	if len(rules.Rules) != 1 || rules.Rules[0].UnusedPct == nil || *rules.Rules[0].UnusedPct != 75 || !rules.Rules[0].OverBroad {
		t.Errorf("rules.json: %s", b)
	}
	type row struct {
		IdentityID string `parquet:"identity_id"`
		RoleID     string `parquet:"role_id"`
		Usage      string `parquet:"usage,optional"`
	}
	rows, err := parquet.ReadFile[row](filepath.Join(out, "assignments.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.IdentityID+" "+r.RoleID+" "+r.Usage)
	}
	want := "u1 DEV used,u1 MAIL unknown,u2 DEV unused,u2 MAIL unknown,u2 VPN unused,u3 DEV unused,u3 VPN unused,s1 DEV unused"
	if strings.Join(got, ",") != want {
		t.Errorf("assignments.parquet usage:\n got %s\nwant %s", strings.Join(got, ","), want)
	}
}

// refusedMine is an input and flags that mine must refuse with exit 2 and a message
// containing want.
type refusedMine struct {
	name  string
	files map[string]string
	flags []string
	want  string
}

// checkMineRefused runs mine on each case: exit 2, the message names the problem, and no
// summary.json is written.
func checkMineRefused(t *testing.T, cases []refusedMine) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			writeFiles(t, data, c.files)
			out := filepath.Join(t.TempDir(), "out")
			_, stderr, code := runBin(t, append([]string{"mine", "--data", data, "--out", out}, c.flags...)...)
			if code != 2 {
				t.Fatalf("exit code %d, want 2; stderr: %s", code, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("message %q does not mention %q", stderr, c.want)
			}
			if _, err := os.Stat(filepath.Join(out, "summary.json")); err == nil {
				t.Errorf("summary.json written by a failed run")
			}
		})
	}
}

// TestUsageErrorsExitTwo: malformed dates in the data or the flags, a negative
// threshold, and usage flags on data without last_used are user errors (exit 2) that
// say what is wrong, and write nothing.
func TestUsageErrorsExitTwo(t *testing.T) {
	flat := map[string]string{"identities.csv": "identity_id\nu1\n", "assignments.csv": "identity_id,role_id\nu1,R\n"}
	bad := map[string]string{"identities.csv": "identity_id\nu1\n",
		"assignments.csv": "identity_id,role_id,last_used\nu1,R,2026-06-30\nu1,S,2026-06-31\n"}
	cases := []refusedMine{
		{"malformed date", bad, nil, `assignments.csv row 3, column last_used: "2026-06-31" is not an RFC 3339 date`},
		{"malformed --as-of", usageData, []string{"--as-of", "July 1"}, `--as-of: "July 1" is not an RFC 3339 date`},
		{"negative --unused-days", usageData, []string{"--unused-days", "-1"}, "--unused-days -1: expected 0 or more days"},
		{"--as-of without last_used", flat, []string{"--as-of", "2026-07-01"}, "--as-of given, but the assignments have no last_used column"},
		{"--unused-days without last_used", flat, []string{"--unused-days", "30"}, "--unused-days given, but the assignments have no last_used column"},
	}
	checkMineRefused(t, cases)
	t.Run("drift --as-of", func(t *testing.T) {
		tmp := t.TempDir()
		_, stderr, code := runBin(t, "drift", "--model", filepath.Join(tmp, "m"), "--data", filepath.Join(tmp, "d"),
			"--out", filepath.Join(tmp, "o"), "--as-of", "2026-06")
		if code != 2 || !strings.Contains(stderr, `drift: --as-of: "2026-06" is not an RFC 3339 date`) {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

// TestOwnershipEndToEnd: with an owner_id column, `rolemine mine` counts the ownership
// findings in summary.json and lists them in ownership.csv, and `rolemine explain` shows
// what an owner reaches through the non-human identities they own
// (docs/excess-privilege.md#ownership; the worked example is
// internal/report/testdata/excess/ownership).
func TestOwnershipEndToEnd(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	writeFiles(t, data, map[string]string{
		"identities.csv":  "identity_id,kind,owner_id\nh1,human,\ns1,service_account,h1\ns2,service_account,\ns3,service_account,gone\n",
		"roles.csv":       "role_id,validations\nDEPLOY,2\n",
		"assignments.csv": "identity_id,role_id\ns1,DEPLOY\ns3,DEPLOY\n",
	})
	out := filepath.Join(t.TempDir(), "out")
	if _, stderr, code := runBin(t, "mine", "--data", data, "--out", out); code != 0 {
		t.Fatalf("mine exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Own map[string]int `json:"nhi_ownership"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"non_human": 3, "owned_by_human": 1, "no_owner": 1, "owner_unknown": 1, "owner_not_human": 0}
	for k, v := range want {
		if sum.Own[k] != v {
			t.Errorf("nhi_ownership.%s = %d, want %d (%v)", k, sum.Own[k], v, sum.Own)
		}
	}
	csv, err := os.ReadFile(filepath.Join(out, "ownership.csv"))
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := "identity_id,kind,owner_id,finding,effective_roles,unexplained,privileged_roles\n" +
		"s2,service_account,,no_owner,0,0,0\ns3,service_account,gone,owner_unknown,1,1,1\n"
	if string(csv) != wantCSV {
		t.Errorf("ownership.csv:\n%s\nwant:\n%s", csv, wantCSV)
	}
	stdout, stderr, code := runBin(t, "explain", "--data", data, "--model", out, "--identity", "h1")
	if code != 0 {
		t.Fatalf("explain exit %d: %s", code, stderr)
	}
	for _, w := range []string{"owns 1 non-human identities:", "s1 (kind service_account): 1 roles, 1 unexplained: DEPLOY",
		"not held (directly or through grants): 1 roles: DEPLOY"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("explain h1 lacks %q:\n%s", w, stdout)
		}
	}
}

// usedOnlyData is the first data set of internal/report/testdata/excess/usedonly: DEV is
// used by e1-e3 and unused by e4 (Eng, never used) and o1 (Ops, 166 days); MAIL's system
// has no date (unknown usage).
var usedOnlyData = map[string]string{
	"identities.csv": "identity_id,kind,dept\ne1,human,Eng\ne2,human,Eng\ne3,human,Eng\ne4,human,Eng\n" +
		"o1,human,Ops\no2,human,Ops\no3,human,Ops\n",
	"roles.csv": "role_id,application\nDEV,GIT\nMAIL,EXCH\n",
	"assignments.csv": "identity_id,role_id,last_used\ne1,DEV,2026-06-30\ne2,DEV,2026-06-01\ne3,DEV,2026-05-01\n" +
		"e4,DEV,\no1,DEV,2026-01-15\ne1,MAIL,\ne2,MAIL,\ne3,MAIL,\ne4,MAIL,\n",
}

// TestUsedOnlyEndToEnd: UsedOnly="true" in a configuration file and --used-only for the
// implicit rule give the same model: DEV gets the rule dept=Eng only because its unused
// holders are neutral, e4's unused DEV is unexplained with the reason unused in
// review.csv and assignments.parquet, and summary.json marks the mining rule
// (docs/excess-privilege.md#used-only).
func TestUsedOnlyEndToEnd(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	writeFiles(t, data, usedOnlyData)
	cfg := filepath.Join(t.TempDir(), "mining.xml")
	bounds := `MinIdentitiesCount="3" PrecisionMinPercentage="100" FalsePositiveMaxPercentage="0" MaxDimensions="1"`
	if err := os.WriteFile(cfg, []byte(`<MiningRule UsedOnly="true" `+bounds+"/>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	implicit := []string{"--min-identities", "3", "--precision", "100", "--fp-max", "0", "--max-dimensions", "1"}
	runs := map[string][]string{
		"config":      {"--config", cfg},
		"--used-only": append([]string{"--used-only"}, implicit...),
		"without":     implicit,
	}
	for name, flags := range runs {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			stdout, stderr, code := runBin(t, append([]string{"mine", "--data", data, "--out", out}, flags...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			review, err := os.ReadFile(filepath.Join(out, "review.csv"))
			if err != nil {
				t.Fatal(err)
			}
			sum, err := os.ReadFile(filepath.Join(out, "summary.json"))
			if err != nil {
				t.Fatal(err)
			}
			if name == "without" {
				// DEV has no rule: its five pairs are unexplained, and nothing says used_only.
				if want := "assignments: 4 explained, 5 unexplained"; !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
				if strings.Contains(string(review), "reason") || strings.Contains(string(sum), "used_only") {
					t.Errorf("a run without UsedOnly writes a reason or used_only:\n%s", review)
				}
				return
			}
			if want := "assignments: 7 explained, 2 unexplained"; !strings.Contains(stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, stdout)
			}
			wantReview := "rank,identity_id,kind,non_human,role_id,category,validations,system,account_id,inherited,via,hidden_inherited,redundant,reason\n" +
				"1,e4,human,false,DEV,,0,GIT,,false,,false,false,unused\n" +
				"2,o1,human,false,DEV,,0,GIT,,false,,false,false,unmatched\n"
			if string(review) != wantReview {
				t.Errorf("review.csv:\n%s\nwant:\n%s", review, wantReview)
			}
			if !strings.Contains(string(sum), `"used_only": true`) {
				t.Errorf("summary.json does not mark the mining rule used_only:\n%s", sum)
			}
			type row struct {
				IdentityID string `parquet:"identity_id"`
				RoleID     string `parquet:"role_id"`
				Status     string `parquet:"status"`
				Usage      string `parquet:"usage,optional"`
			}
			rows, err := parquet.ReadFile[row](filepath.Join(out, "assignments.parquet"))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				if r.RoleID == "DEV" {
					got = append(got, r.IdentityID+" "+r.Status+" "+r.Usage)
				}
			}
			want := "e1 explained used,e2 explained used,e3 explained used,e4 unexplained unused,o1 unexplained unused"
			if strings.Join(got, ",") != want {
				t.Errorf("assignments.parquet DEV:\n got %s\nwant %s", strings.Join(got, ","), want)
			}
			// explain and report answer from the model files: the same classification.
			stdout, stderr, code = runBin(t, "explain", "--data", data, "--model", out, "--identity", "e4")
			if code != 0 || !strings.Contains(stdout, "DEV   unexplained  unused: rule") {
				t.Errorf("explain e4 (exit %d, %s):\n%s", code, stderr, stdout)
			}
			page, err := os.ReadFile(filepath.Join(out, "report.html"))
			if err != nil {
				t.Fatal(err)
			}
			if _, stderr, code := runBin(t, "report", "--data", data, "--model", out); code != 0 {
				t.Fatalf("report exit %d: %s", code, stderr)
			}
			again, err := os.ReadFile(filepath.Join(out, "report.html"))
			if err != nil {
				t.Fatal(err)
			}
			if stamp := regexp.MustCompile(` · started [^<]*`); stamp.ReplaceAllString(string(page), "") != stamp.ReplaceAllString(string(again), "") {
				t.Errorf("rolemine report wrote another report.html than mine")
			}
		})
	}
}

// TestUsedOnlyErrorsExitTwo: UsedOnly on data without last_used, --used-only with
// --config, and UsedOnly on an ExcludeRole entry are user errors naming what is wrong.
func TestUsedOnlyErrorsExitTwo(t *testing.T) {
	flat := map[string]string{"identities.csv": "identity_id\nu1\n", "assignments.csv": "identity_id,role_id\nu1,R\n"}
	dir := t.TempDir()
	used := filepath.Join(dir, "used.xml")
	excl := filepath.Join(dir, "exclude.xml")
	os.WriteFile(used, []byte("<C>\n<MiningRule Identifier=\"idle\" UsedOnly=\"true\"/>\n</C>\n"), 0o644)
	os.WriteFile(excl, []byte(`<MiningRule ExcludeRole="true" UsedOnly="1"/>`+"\n"), 0o644)
	cases := []refusedMine{
		{"UsedOnly without last_used", flat, []string{"--config", used},
			`mine: MiningRule#1 idle (line 2, priority 0) has UsedOnly="true", but the assignments have no last_used column`},
		{"--used-only without last_used", flat, []string{"--used-only"}, "mine: --used-only given, but the assignments have no last_used column"},
		{"--used-only with --config", usedOnlyData, []string{"--used-only", "--config", used}, "--used-only applies to the implicit mining rule only"},
		{"UsedOnly on ExcludeRole", usedOnlyData, []string{"--config", excl}, `MiningRule attribute UsedOnly="1": expected false (or no UsedOnly) on an ExcludeRole="true" entry`},
	}
	checkMineRefused(t, cases)
}

// TestUniverseReportIdentical: on a generated universe (accounts, nested grants, owners)
// with a last_used column, every output but summary.json is byte-identical across
// worker counts, report.html with its usage, ownership and excess sections included, and
// `rolemine report` rewrites report.html with the same bytes, recomputing the effective
// privilege from the model files, with and without --used-only.
func TestUniverseReportIdentical(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if _, stderr, code := runBin(t, "gen", "--universe", "--identities", "2000", "--format", "csv", "--out", data); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, stderr)
	}
	// A date on six rows in seven, 0 to 199 days before 2026-06-30.
	b, err := os.ReadFile(filepath.Join(data, "assignments.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	base := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	lines[0] += ",last_used"
	for k := 1; k < len(lines); k++ {
		lines[k] += ","
		if k%7 != 0 {
			lines[k] += base.AddDate(0, 0, -(k*37)%200).Format(time.DateOnly)
		}
	}
	writeFiles(t, data, map[string]string{"assignments.csv": strings.Join(lines, "\n") + "\n"})

	var first map[string]string
	var firstDir string
	for _, w := range []string{"1", "3"} {
		out := t.TempDir()
		if _, stderr, code := runBin(t, "mine", "--data", data, "--out", out, "--workers", w); code != 0 {
			t.Fatalf("workers %s: exit %d: %s", w, code, stderr)
		}
		got := dirHashes(t, out)
		delete(got, "summary.json")
		if first == nil {
			first, firstDir = got, out
			continue
		}
		for name, h := range got {
			if first[name] != h {
				t.Errorf("%s differs between --workers 1 and --workers %s", name, w)
			}
		}
	}
	page, err := os.ReadFile(filepath.Join(firstDir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`id="usage"`, `id="overbroad"`, `id="ownership"`, `<h2>Excess privilege</h2>`, `data-k="owner:`} {
		if !strings.Contains(string(page), s) {
			t.Errorf("report.html lacks %s", s)
		}
	}
	if _, stderr, code := runBin(t, "report", "--data", data, "--model", firstDir); code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	if got := dirHashes(t, firstDir)["report.html"]; got != first["report.html"] {
		t.Error("report.html rewritten by rolemine report differs from mine's")
	}
	// The same with --used-only: unused access a rule matches is unexplained, in mine's
	// page and in the one report recomputes.
	used := t.TempDir()
	if _, stderr, code := runBin(t, "mine", "--data", data, "--out", used, "--used-only"); code != 0 {
		t.Fatalf("mine --used-only: exit %d: %s", code, stderr)
	}
	minedPage := dirHashes(t, used)["report.html"]
	if minedPage == first["report.html"] {
		t.Error("report.html is the same with and without --used-only")
	}
	if _, stderr, code := runBin(t, "report", "--data", data, "--model", used); code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	if got := dirHashes(t, used)["report.html"]; got != minedPage {
		t.Error("report.html of a --used-only model rewritten by rolemine report differs from mine's")
	}
}
