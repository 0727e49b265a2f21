package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rolemine/rolemine/internal/bench/gen"
	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/mining"
)

// binary builds the rolemine command once for the end-to-end tests, or returns
// $ROLEMINE_BIN when set (a prebuilt binary, for a compiled test binary run on a GPU node
// that has no Go toolchain: scripts/gpu-bench.sh).
var binary = sync.OnceValues(func() (string, error) {
	if bin := os.Getenv("ROLEMINE_BIN"); bin != "" {
		return bin, nil
	}
	dir, err := os.MkdirTemp("", "rolemine-e2e")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "rolemine")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &buildError{out: string(out), err: err}
	}
	return bin, nil
})

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// tierData generates a tier once per test binary and returns its directory.
var tierData = struct {
	mu   sync.Mutex
	dirs map[string]string
}{dirs: map[string]string{}}

func generated(t *testing.T, tier string) string {
	t.Helper()
	tierData.mu.Lock()
	defer tierData.mu.Unlock()
	if d, ok := tierData.dirs[tier]; ok {
		return d
	}
	d, err := os.MkdirTemp("", "rolemine-tier-"+tier)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Generate(context.Background(), gen.Options{Out: d, Tier: tier, Seed: 1}); err != nil {
		t.Fatalf("generate tier %s: %v", tier, err)
	}
	tierData.dirs[tier] = d
	return d
}

func runBin(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("build rolemine: %v", err)
	}
	cmd := exec.Command(bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run rolemine %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// TestMineEndToEnd runs the built binary on tier S with the example configuration and
// checks every output file is written and consistent with summary.json.
func TestMineEndToEnd(t *testing.T) {
	data := generated(t, "S")
	out := t.TempDir()
	stdout, stderr, code := runBin(t, "mine", "--data", data, "--config", "../../examples/mining.xml",
		"--out", out, "--truth", filepath.Join(data, "truth"))
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, f := range []string{"rules.json", "rules.parquet", "rules.xml", "roles.json",
		"assignments.parquet", "suggestions.parquet", "summary.json"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("output %s missing or empty (%v)", f, err)
		}
	}
	var rules struct {
		Format string            `json:"format"`
		Rules  []json.RawMessage `json:"rules"`
	}
	b, err := os.ReadFile(filepath.Join(out, "rules.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	if rules.Format != "rolemine.rules/v1" || len(rules.Rules) < 50 {
		t.Errorf("rules.json: format %q with %d rules; want rolemine.rules/v1 with many rules", rules.Format, len(rules.Rules))
	}
	if !strings.Contains(stdout, "mean F1") && !strings.Contains(stdout, "F1") {
		t.Errorf("--truth output lacks quality figures:\n%s", stdout)
	}
	if stderr != "" {
		t.Errorf("stderr not quiet when not a terminal:\n%s", stderr)
	}
}

// TestBadInputExitsTwo checks that bad input exits 2 with a message naming the problem
// and leaves no output behind.
func TestBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := func(sub string) string {
		write(sub+"/identities.csv", "identity_id,kind,department\nu1,human,Sales\nu2,human,Sales\nu3,human,Sales\n")
		write(sub+"/assignments.csv", "identity_id,role_id\nu1,R1\nu2,R1\nu3,R1\n")
		return filepath.Join(dir, sub)
	}
	okData := good("ok")
	dupData := good("dup")
	write("dup/identities.csv", "identity_id,kind,department\nu1,human,Sales\nu1,human,Sales\n")
	noCol := good("nocol")
	write("nocol/assignments.csv", "identity_id,role\nu1,R1\n")
	missing := filepath.Join(dir, "missing")
	os.MkdirAll(missing, 0o755)
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"unparsable config", []string{"--data", okData, "--config", write("bad.xml", "<MiningRule Priority=\"1\"")}, []string{"bad.xml"}},
		{"unknown attribute", []string{"--data", okData, "--config", write("unk.xml", "<X>\n<MiningRule Prio=\"1\"/></X>")}, []string{"unk.xml:2", "Prio"}},
		{"percentage out of range", []string{"--data", okData, "--config", write("pct.xml", "<MiningRule PrecisionMinPercentage=\"120\"/>")}, []string{"pct.xml:1", "PrecisionMinPercentage"}},
		{"rule type out of range", []string{"--data", okData, "--config", write("rt.xml", "<MiningRule RuleType=\"7\"/>")}, []string{"rt.xml:1", "RuleType"}},
		{"missing config", []string{"--data", okData, "--config", filepath.Join(dir, "nope.xml")}, []string{"nope.xml"}},
		{"missing identities", []string{"--data", missing}, []string{"identities"}},
		{"duplicate identity", []string{"--data", dupData}, []string{"identities.csv", "u1"}},
		{"missing column", []string{"--data", noCol}, []string{"assignments.csv", "role_id"}},
		{"bad flag", []string{"--data", okData, "--max-dimensions", "9"}, []string{"--max-dimensions 9", "1 to 4"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			_, stderr, code := runBin(t, append(append([]string{"mine"}, c.args...), "--out", out)...)
			if code != 2 {
				t.Fatalf("exit code %d, want 2; stderr: %s", code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("message %q does not mention %q", stderr, w)
				}
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
				t.Errorf("panic: %s", stderr)
			}
			if entries, _ := os.ReadDir(out); len(entries) > 0 {
				t.Errorf("output files left behind: %v", entries)
			}
		})
	}
}

// TestDeterministicAcrossWorkers checks byte-identical rules.json, rules.xml and
// assignments.parquet for 1, 2 and 3 workers on tier M.
func TestDeterministicAcrossWorkers(t *testing.T) {
	tier := "M"
	if testing.Short() {
		tier = "S"
	}
	data := generated(t, tier)
	var first map[string][]byte
	for _, w := range []string{"1", "2", "3"} {
		out := t.TempDir()
		if _, stderr, code := runBin(t, "mine", "--data", data, "--out", out, "--workers", w); code != 0 {
			t.Fatalf("workers %s: exit %d: %s", w, code, stderr)
		}
		got := map[string][]byte{}
		for _, f := range []string{"rules.json", "rules.xml", "assignments.parquet"} {
			b, err := os.ReadFile(filepath.Join(out, f))
			if err != nil {
				t.Fatal(err)
			}
			got[f] = b
		}
		if first == nil {
			first = got
			continue
		}
		for f, b := range got {
			if !bytes.Equal(b, first[f]) {
				t.Errorf("%s differs between --workers 1 and --workers %s", f, w)
			}
		}
	}
}

// TestQualityAgainstTruth mines tiers S and M with the implicit mining rule and scores
// the model against the generator's planted truth (thresholds of the core issue).
func TestQualityAgainstTruth(t *testing.T) {
	tiers := []string{"S", "M"}
	if testing.Short() {
		tiers = tiers[:1]
	}
	for _, tier := range tiers {
		t.Run(tier, func(t *testing.T) {
			data := generated(t, tier)
			ctx := context.Background()
			snap, err := columnar.Load(ctx, data, columnar.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// Planted rules have up to three terms: mine with MaxDimensions 3.
			mr := mining.DefaultMiningRule()
			mr.MaxDimensions = 3
			cfg := &mining.Config{MiningRules: []mining.MiningRule{mr}}
			model, err := mining.Run(ctx, snap, cfg, mining.Options{Backend: cpu.New()})
			if err != nil {
				t.Fatal(err)
			}
			cls := mining.Classify(snap, model)
			tr, err := truth.Load(filepath.Join(data, "truth"))
			if err != nil {
				t.Fatal(err)
			}
			q, err := truth.Score(snap, model, cls, tr)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("tier %s:\n%s", tier, q.String())
			if q.MeanF1 < 0.99 {
				t.Errorf("mean F1 %.4f < 0.99", q.MeanF1)
			}
			if q.ProjectRolesWithRules != 0 {
				t.Errorf("%d project roles got rules, want 0", q.ProjectRolesWithRules)
			}
			if q.UnexplainedPrecision < 0.97 {
				t.Errorf("share of unexplained (rule roles) that is planted noise %.4f < 0.97", q.UnexplainedPrecision)
			}
			if q.NoiseRecall < 0.98 {
				t.Errorf("share of planted noise left unexplained %.4f < 0.98", q.NoiseRecall)
			}
		})
	}
}

// TestDiscoverEndToEnd runs `rolemine discover --upa` on the HP healthcare set and checks
// the output file and its role count (14, proven minimal).
func TestDiscoverEndToEnd(t *testing.T) {
	upa := "../../../shared/data/hp/hc.txt"
	if _, err := os.Stat(upa); err != nil {
		t.Skipf("HP data sets not found beside the repository (%v)", err)
	}
	out := t.TempDir()
	stdout, stderr, code := runBin(t, "discover", "--upa", upa, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var d struct {
		Format string `json:"format"`
		Stats  struct {
			Roles int `json:"roles"`
		} `json:"stats"`
	}
	b, err := os.ReadFile(filepath.Join(out, "discovered.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Format != "rolemine.discovered/v1" || d.Stats.Roles != 14 {
		t.Errorf("discovered.json: format %q, %d roles; want rolemine.discovered/v1 with 14", d.Format, d.Stats.Roles)
	}
	if _, _, code := runBin(t, "discover", "--upa", filepath.Join(out, "missing.txt"), "--out", out); code != 2 {
		t.Errorf("missing --upa file: exit %d, want 2", code)
	}
}

// TestReportWithoutUnexplainedRoles: when every holder is explained, report.html's top
// unexplained entitlements say so in words instead of "The 0 roles with the most
// unexplained holders" over an empty table (found by the semantic audit). Worked by
// hand: h1-h3 (Sales) hold CRM, h4 (Eng) nothing: dept=Sales explains all three.
func TestReportWithoutUnexplainedRoles(t *testing.T) {
	if s := crmReportPage(t); !strings.Contains(s, "None: every holder of every role is explained") || strings.Contains(s, "The 0 roles") {
		t.Errorf("report.html's top unexplained entitlements on data without unexplained access: want the words, not an empty table")
	}
}

// TestReportWithoutRules: when no role gets a rule, report.html's rule precision section
// says so instead of an empty chart over "The 0 least precise rules" (found by the
// semantic audit). Worked by hand: three holders of CRM, MinIdentitiesCount 100.
func TestReportWithoutRules(t *testing.T) {
	if s := crmReportPage(t, "--min-identities", "100"); !strings.Contains(s, "rules: no role got one") || strings.Contains(s, "The 0 least precise rules") {
		t.Errorf("report.html's rule precision section without rules: want the words, not an empty chart and table")
	}
}

// crmReportPage mines h1-h3 (Sales) holding CRM and h4 (Eng) holding nothing, with the
// extra mine flags args, and returns report.html.
func crmReportPage(t *testing.T, args ...string) string {
	t.Helper()
	data, out := t.TempDir(), t.TempDir()
	writeFiles(t, data, map[string]string{
		"identities.csv":  "identity_id,kind,dept\nh1,human,Sales\nh2,human,Sales\nh3,human,Sales\nh4,human,Eng\n",
		"assignments.csv": "identity_id,role_id\nh1,CRM\nh2,CRM\nh3,CRM\n",
	})
	flags := append([]string{"mine", "--data", data, "--out", out}, args...)
	if _, stderr, code := runBin(t, flags...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	return string(page)
}
