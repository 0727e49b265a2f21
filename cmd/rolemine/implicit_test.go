package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
)

// TestImplicitRuleFlags: the implicit mining rule's flags take any value a configuration
// file would accept, in any notation Go's flag package reads (a value re-encoded into XML
// with %g became "1e-05", which the file syntax refuses), and a value the file would
// refuse is refused naming the flag. An accepted value mines what the same value written
// as a plain decimal mines.
func TestImplicitRuleFlags(t *testing.T) {
	data := "../../internal/report/testdata/explain/data"
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string   // in stderr when refused
		same []string // when accepted: flags in plain decimals that must mine the same rules (nil: none)
	}{
		{"tiny precision", []string{"--precision", "0.00001"}, 0, "", []string{"--precision", "0"}},
		{"exponent", []string{"--precision", "5e1", "--fp-max", "1e-3"}, 0, "", []string{"--precision", "50", "--fp-max", "0.001"}},
		{"precision above 100", []string{"--precision", "150"}, 2, "--precision 150: expected a percentage between 0 and 100", nil},
		{"negative fp-max", []string{"--fp-max", "-1"}, 2, "--fp-max -1: expected a percentage", nil},
		{"min identities 0", []string{"--min-identities", "0"}, 2, "--min-identities 0: expected an integer of at least 1", nil},
		{"max dimensions 9", []string{"--max-dimensions", "9"}, 2, "--max-dimensions 9: expected an integer from 1 to 4", nil},
		{"rule type 7", []string{"--rule-type", "7"}, 2, "--rule-type 7: expected 0 (Required)", nil},
		// RuleType="Suggested" and RuleType=" 2 " are accepted in a file (config-values), so
		// the flag takes them too (config-implicit: validated exactly as in a file).
		{"rule type by name", []string{"--rule-type", "Suggested"}, 0, "", []string{"--rule-type", "2"}},
		{"rule type with spaces", []string{"--rule-type", " 1 "}, 0, "", []string{"--rule-type", "1"}},
		{"rule type name in lower case", []string{"--rule-type", "suggested"}, 2, "expected 0 (Required), 1 (RequestedAutomatically) or 2 (Suggested)", nil},
		{"empty kind in list", []string{"--entity-type", "human,,api_key"}, 2, "--entity-type human,,api_key: expected", nil},
		{"quote in a kind", []string{"--entity-type", `human,a"b`}, 0, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			var stdout, stderr bytes.Buffer
			args := append([]string{"mine", "--data", data, "--out", out, "--workers", "1"}, tc.args...)
			code := run(args, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			if code != 0 {
				if !strings.Contains(stderr.String(), tc.want) {
					t.Fatalf("stderr %q does not contain %q", stderr.String(), tc.want)
				}
				return
			}
			got := readRules(t, out)
			if tc.same == nil {
				return
			}
			sameOut := filepath.Join(t.TempDir(), "same")
			args = append([]string{"mine", "--data", data, "--out", sameOut, "--workers", "1"}, tc.same...)
			if code := run(args, &stdout, &stderr); code != 0 {
				t.Fatalf("%v: exit %d; stderr:\n%s", tc.same, code, stderr.String())
			}
			if want := readRules(t, sameOut); !bytes.Equal(got, want) {
				t.Fatalf("rules.json with %v differs from rules.json with %v", tc.args, tc.same)
			}
		})
	}
}

func readRules(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "rules.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestInputIOFailureExitsOne: a data file or configuration that exists but that the system
// fails to read (a link to /proc/self/mem reads EIO) is a runtime failure, exit 1; a
// missing one is the user's, exit 2.
func TestInputIOFailureExitsOne(t *testing.T) {
	dir := t.TempDir()
	eio := filepath.Join(dir, "eio")
	if err := os.Symlink("/proc/self/mem", eio); err != nil {
		t.Skipf("symlink: %v", err)
	}
	if _, err := os.ReadFile(eio); err == nil || !uerr.IOFailure(err) {
		t.Skipf("reading /proc/self/mem does not fail with an I/O error here (%v)", err)
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "assignments.csv"), []byte("identity_id,role_id\na,R\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := "../../internal/report/testdata/explain/data"
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"mine", "--data", data, "--out", out}, &stdout, &stderr); code != 2 {
		t.Errorf("missing identities: exit %d, want 2; stderr %s", code, stderr.String())
	}
	if code := run([]string{"mine", "--data", good, "--config", filepath.Join(dir, "none.xml"), "--out", out}, &stdout, &stderr); code != 2 {
		t.Errorf("missing configuration: exit %d, want 2; stderr %s", code, stderr.String())
	}
	if err := os.Symlink(eio, filepath.Join(data, "identities.csv")); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run([]string{"mine", "--data", data, "--out", out}, &stdout, &stderr); code != 1 {
		t.Errorf("identities unreadable: exit %d, want 1; stderr %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"mine", "--data", good, "--config", eio, "--out", out}, &stdout, &stderr); code != 1 {
		t.Errorf("configuration unreadable: exit %d, want 1; stderr %s", code, stderr.String())
	}
}

// TestFlagsCheckedBeforeLoading: every flag of mine is checked before any input is read,
// so a bad plugin or stability flag is reported against the flag even when the data
// directory does not exist (the plugin flags were checked only after the data had been
// loaded, which at tier L takes minutes).
func TestFlagsCheckedBeforeLoading(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-data")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--plugin", "x.wasm", "--plugin-memory", "0"}, "--plugin-memory 0: expected at least 1 MiB"},
		{[]string{"--plugin", "x.wasm", "--plugin-timeout", "-1s"}, "--plugin-timeout -1s: expected a positive duration"},
		{[]string{"--plugin", "=c.json"}, `--plugin "=c.json": expected PATH.wasm`},
		{[]string{"--previous", t.TempDir(), "--grace", "101"}, "--grace 101: expected a percentage from 0 to 100"},
		// --grace only weighs previous rules: without --previous it would change nothing.
		{[]string{"--grace", "2"}, "--grace given without --previous"},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"mine", "--data", missing, "--out", filepath.Join(t.TempDir(), "out")}, tc.args...)
		if code := run(args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %q", tc.args, code, stderr.String(), tc.want)
		}
	}
	// Without any plugin the plugin limits are not used, and not checked.
	var stdout, stderr bytes.Buffer
	args := []string{"mine", "--data", missing, "--out", filepath.Join(t.TempDir(), "out"), "--plugin-memory", "0"}
	if code := run(args, &stdout, &stderr); code != 2 || strings.Contains(stderr.String(), "plugin-memory") {
		t.Errorf("--plugin-memory 0 without plugins: exit %d, stderr %q; want the missing data reported", code, stderr.String())
	}
}

// TestTruthCheckedBeforeLoading: a --truth folder without the files the command scores
// against is refused (exit 2) before any input is read, so no output is written; it was
// found only after the outputs were committed, and the run then exited 2 over them. The
// data and model directories do not exist, so a check made later would report those.
func TestTruthCheckedBeforeLoading(t *testing.T) {
	dir := t.TempDir()
	missing, out, truth := filepath.Join(dir, "no-data"), filepath.Join(dir, "out"), t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"mine", "--data", missing, "--out", out, "--truth", truth}, "--truth " + truth + ": no rules.json there"},
		{[]string{"drift", "--model", missing, "--data", missing, "--out", out, "--truth", truth}, "--truth " + truth + ": no changes/access.csv there"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %q", tc.args, code, stderr.String(), tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: the output directory was created", tc.args)
		}
	}
}

// TestTruthOfOtherDataRefused: mine --truth with the truth of another generated data set
// scored it silently (the audit's leftover); gen now records the data's fingerprint in
// truth/data.json and mine refuses a mismatch, exit 2 before anything is written. Its
// own truth scores; truth without data.json (data sets generated before it) still does;
// a malformed data.json is refused before the data is read. drift --truth likewise.
func TestTruthOfOtherDataRefused(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, g := range [][]string{{"--seed", "1", "--out", a}, {"--seed", "2", "--format", "csv", "--out", b}} {
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"gen", "--identities", "300"}, g...), &stdout, &stderr); code != 0 {
			t.Fatalf("gen %v: exit %d: %s", g, code, stderr.String())
		}
	}
	mine := func(truthDir string) (int, string, bool) {
		out := filepath.Join(dir, "out")
		os.RemoveAll(out)
		var stdout, stderr bytes.Buffer
		code := run([]string{"mine", "--data", a, "--out", out, "--truth", truthDir}, &stdout, &stderr)
		_, err := os.Stat(out)
		return code, stderr.String() + stdout.String(), err == nil
	}
	if code, msg, _ := mine(filepath.Join(a, "truth")); code != 0 || !strings.Contains(msg, "quality against") {
		t.Fatalf("own truth: exit %d: %s", code, msg)
	}
	code, msg, wrote := mine(filepath.Join(b, "truth"))
	if code != 2 || !strings.Contains(msg, "was generated with other data") || wrote {
		t.Errorf("other data's truth: exit %d, wrote %v: %s; want exit 2 naming the mismatch, nothing written", code, wrote, msg)
	}
	// drift --truth: gen --evolve's truth of the new snapshot, checked the same way.
	model := filepath.Join(dir, "model")
	for _, args := range [][]string{{"mine", "--data", a, "--out", model},
		{"gen", "--evolve", a, "--seed", "3", "--out", filepath.Join(dir, "an")},
		{"gen", "--evolve", b, "--seed", "3", "--out", filepath.Join(dir, "bn")}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
	}
	for _, tc := range []struct {
		truth string
		code  int
	}{{"an", 0}, {"bn", 2}} {
		var stdout, stderr bytes.Buffer
		out := filepath.Join(dir, "drift-"+tc.truth)
		code := run([]string{"drift", "--model", model, "--data", filepath.Join(dir, "an"), "--out", out,
			"--truth", filepath.Join(dir, tc.truth, "truth")}, &stdout, &stderr)
		_, err := os.Stat(out)
		if code != tc.code || (code == 2) != (err != nil) || (code == 2 && !strings.Contains(stderr.String(), "was generated with other data")) {
			t.Errorf("drift --truth %s: exit %d, output written %v: %s", tc.truth, code, err == nil, stderr.String())
		}
	}
	if err := os.Remove(filepath.Join(b, "truth", "data.json")); err != nil {
		t.Fatal(err)
	}
	if code, msg, _ := mine(filepath.Join(b, "truth")); code != 0 || !strings.Contains(msg, "quality against") {
		t.Errorf("truth without data.json: exit %d: %s", code, msg)
	}
	if err := os.WriteFile(filepath.Join(b, "truth", "data.json"), []byte(`{"format":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, msg, wrote := mine(filepath.Join(b, "truth")); code != 2 || !strings.Contains(msg, "data.json") || wrote {
		t.Errorf("malformed data.json: exit %d, wrote %v: %s", code, wrote, msg)
	}
}

// TestCategoryMatchingNoRoleWarns: a mining rule's Category is compared byte for byte with
// the roles' categories (config.md config-values; spaces are kept, as in data values); one
// that no role has selects nothing, which the run now says on stderr instead of silently
// mining no rule for it. A Category some role has gives no warning.
func TestCategoryMatchingNoRoleWarns(t *testing.T) {
	data, dir := small(t), t.TempDir()
	for _, tc := range []struct {
		category string
		warn     bool
	}{{" finance", true}, {"Finance", true}, {"finance", false}} {
		cfg := filepath.Join(dir, "mining.xml")
		xml := `<MiningRules><MiningRule Identifier="fin" Category="` + tc.category + `" PrecisionMinPercentage="95" FalsePositiveMaxPercentage="5"/></MiningRules>`
		if err := os.WriteFile(cfg, []byte(xml), 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if code := run([]string{"mine", "--data", data, "--out", filepath.Join(dir, "out"), "--config", cfg}, &stdout, &stderr); code != 0 {
			t.Fatalf("Category %q: exit %d: %s", tc.category, code, stderr.String())
		}
		want := `matches no role, so it selects none" rule="MiningRule#1 fin (line 1, priority 0)" category=` + strconv.Quote(tc.category)
		if !strings.Contains(tc.category, " ") {
			want = strings.TrimSuffix(want, strconv.Quote(tc.category)) + tc.category + "\n"
		}
		if got := strings.Contains(stderr.String(), want); got != tc.warn {
			t.Errorf("Category %q: warned %v, want %v; stderr %q", tc.category, got, tc.warn, stderr.String())
		}
	}
}

// TestEntityTypeKindNoIdentityHasWarns: kinds are exact (semantics.md scope-list), so an
// EntityType entry no identity's kind equals ("Human", "NHI", "service-account") adds no
// one to the scope and the mining rule's roles get no rule; found by the semantic audit:
// such a run said nothing of it (a Category no role has is warned of). The run still
// completes; the keywords "*" and "nhi" and the data's kinds give no warning.
func TestEntityTypeKindNoIdentityHasWarns(t *testing.T) {
	data, dir := "../../internal/report/testdata/explain/data", t.TempDir()
	const msg = `msg="the mining rule's EntityType names a kind no identity has, so it adds no one to the scope"`
	for _, tc := range []struct {
		entityType string
		flag       bool   // --entity-type instead of a configuration file
		want       string // in the warning; "" : no warning
	}{
		{"Human, service_account", false, `rule="MiningRule#1 k (line 1, priority 0)" kind=Human kinds=api_key,human,service_account did_you_mean=human`},
		{"NHI", false, `kind=NHI kinds=api_key,human,service_account did_you_mean=nhi`},
		{"service-account", true, `rule="implicit mining rule" kind=service-account kinds=api_key,human,service_account` + "\n"},
		{" human , nhi,*,api_key", false, ""},
	} {
		args := []string{"mine", "--data", data, "--out", filepath.Join(dir, "out"), "--workers", "1"}
		if tc.flag {
			args = append(args, "--entity-type", tc.entityType)
		} else {
			cfg := filepath.Join(dir, "mining.xml")
			xml := `<MiningRule Identifier="k" EntityType="` + tc.entityType + `"/>`
			if err := os.WriteFile(cfg, []byte(xml), 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, "--config", cfg)
		}
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("EntityType %q: exit %d: %s", tc.entityType, code, stderr.String())
		}
		got := stderr.String()
		warned := strings.Contains(got, msg)
		if warned != (tc.want != "") || !strings.Contains(got, tc.want) {
			t.Errorf("EntityType %q: stderr %q, want the warning %q", tc.entityType, got, tc.want)
		}
	}
}

// TestValidationFlagsKeepingNoRoleWarn: a mining rule whose Include...Validation flags
// keep none of the validation counts the data's roles need selects no role; found by the
// semantic audit: an entry for sensitive roles (2 or 3 approvals) over a roles file with
// no validations column, where every role needs 0, mined nothing without a word. Flags
// keeping some role give no warning; the run completes either way.
func TestValidationFlagsKeepingNoRoleWarn(t *testing.T) {
	data, dir := "../../internal/report/testdata/explain/data", t.TempDir() // validations 0 and 1
	const msg = `msg="the mining rule's Include...Validation flags keep no role of the data, so it selects none" rule="MiningRule#1 (line 1, priority 0)" validations_held=0,1`
	for _, tc := range []struct {
		flags string
		warn  bool
	}{
		{`IncludeNoValidation="false" IncludeSimpleValidation="0"`, true},
		{`IncludeNoValidation="false"`, false},
		{`IncludeSimpleValidation="false" IncludeDoubleValidation="false" IncludeTripleValidation="false"`, false},
	} {
		cfg := filepath.Join(dir, "mining.xml")
		if err := os.WriteFile(cfg, []byte(`<MiningRule `+tc.flags+`/>`), 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		args := []string{"mine", "--data", data, "--out", filepath.Join(dir, "out"), "--workers", "1", "--config", cfg}
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.flags, code, stderr.String())
		}
		if got := strings.Contains(stderr.String(), msg); got != tc.warn {
			t.Errorf("%s: warned %v, want %v; stderr %q", tc.flags, got, tc.warn, stderr.String())
		}
	}
}

// TestGenNamesRemovedFiles: gen over an earlier data set removes the files of it that
// this run does not write (a universe's tables and truth under a flat run) and names them
// on stderr; a rerun with the same flags rewrites every file and names none.
func TestGenNamesRemovedFiles(t *testing.T) {
	out := filepath.Join(t.TempDir(), "data")
	for _, tc := range []struct {
		args []string
		want string // "" : no warning
	}{
		{[]string{"--universe"}, ""},
		{nil, "files=accounts.parquet,role_grants.parquet,attributes.parquet,truth/universe.json,truth/hidden.csv"},
		{nil, ""},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"gen", "--out", out, "--identities", "300"}, tc.args...)
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
		if got := stderr.String(); tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%v: stderr %q, want %q", args, got, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "accounts.parquet")); err == nil {
		t.Errorf("accounts.parquet of the universe run left beside the flat data")
	}
}

// TestPluginReferencesCheckedBeforeLoading: a plugin a run would load, named by the
// configuration's <CriterionPlugin/> or by --plugin, is checked with the other
// configuration checks before any data is read: a missing .wasm, a file that is not
// WebAssembly, a module without the plugin exports and a missing or malformed plugin
// configuration are refused with exit 2, naming the element (file:line) or the flag and
// the file, and so are the malformed modules that crashed wazero (internal/plugins
// testdata/malformed); so is a plugin memory cap no module can address. The data directory does not exist, so a run that reads data first reports
// that instead (the old behaviour).
func TestPluginReferencesCheckedBeforeLoading(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-data")
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("text.wasm", "not WebAssembly\n")
	write("empty.wasm", "\x00asm\x01\x00\x00\x00") // a valid module exporting nothing
	write("bad.json", "{\n  oops\n}\n")
	config := func(name, element string) string {
		return write(name, "<MiningRules>\n  <MiningRule/>\n  "+element+"\n</MiningRules>\n")
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"configured wasm missing", []string{"--config", config("m1.xml", `<CriterionPlugin Path="absent.wasm"/>`)},
			[]string{"m1.xml:3: CriterionPlugin", "absent.wasm"}},
		{"configured wasm not WebAssembly", []string{"--config", config("m2.xml", `<CriterionPlugin Path="text.wasm"/>`)},
			[]string{"m2.xml:3: CriterionPlugin", "text.wasm", "not a valid WebAssembly module"}},
		{"configured module not a plugin", []string{"--config", config("m3.xml", `<CriterionPlugin Path="empty.wasm"/>`)},
			[]string{"empty.wasm", "not a rolemine plugin"}},
		{"configured plugin configuration missing", []string{"--config", config("m4.xml", `<CriterionPlugin Path="empty.wasm" Config="absent.json"/>`)},
			[]string{"m4.xml:3: CriterionPlugin", "plugin configuration", "absent.json"}},
		{"configured plugin configuration not JSON", []string{"--config", config("m5.xml", `<CriterionPlugin Path="empty.wasm" Config="bad.json"/>`)},
			[]string{"m5.xml:3: CriterionPlugin", "bad.json:2:3", "not valid JSON"}},
		{"flag wasm missing", []string{"--plugin", filepath.Join(dir, "absent.wasm")},
			[]string{"--plugin " + filepath.Join(dir, "absent.wasm"), "absent.wasm"}},
		{"flag wasm not WebAssembly", []string{"--plugin", filepath.Join(dir, "text.wasm")},
			[]string{"--plugin", "text.wasm", "not a valid WebAssembly module"}},
		{"flag wasm claiming 2^28 parameters", []string{"--plugin", "../../internal/plugins/testdata/malformed/types-2gb.wasm"},
			[]string{"--plugin", "types-2gb.wasm", "not a valid WebAssembly module", "function type parameters"}},
		{"flag wasm panicking wazero's validator", []string{"--plugin", "../../internal/plugins/testdata/malformed/validate-panic.wasm"},
			[]string{"--plugin", "validate-panic.wasm", "not a valid WebAssembly module", "index out of range"}},
		{"memory cap above what a module can address", []string{"--plugin", filepath.Join(dir, "empty.wasm"), "--plugin-memory", "5000"},
			[]string{"memory cap 5000 MiB", "4096"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"mine", "--data", missing, "--out", filepath.Join(t.TempDir(), "out")}, tc.args...)
			code := run(args, &stdout, &stderr)
			if code != 2 {
				t.Fatalf("exit %d, want 2: %s", code, stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q lacks %q", stderr.String(), w)
				}
			}
			if strings.Contains(stderr.String(), "no-data") {
				t.Errorf("stderr %q names the data: it was read before the plugins were checked", stderr.String())
			}
		})
	}
}

// TestConfigExcludedDimension: a configuration's <Dimension Identifier="title"
// IsExcludedFromRoleMining="true"/> keeps title out of every criterion, as
// --exclude-dimension title does: the same rules and the same summary.json apart from
// the configuration's name and timings.
func TestConfigExcludedDimension(t *testing.T) {
	data := "../../internal/report/testdata/explain/data"
	dir := t.TempDir()
	cfg := filepath.Join(dir, "mining.xml")
	text := "<ConfigurationFile>\n<Dimension Identifier=\"title\" IsExcludedFromRoleMining=\"true\"/>\n<MiningRule PrecisionMinPercentage=\"95\" FalsePositiveMaxPercentage=\"5\"/>\n</ConfigurationFile>\n"
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	byConfig, byFlag, plain := filepath.Join(dir, "config"), filepath.Join(dir, "flag"), filepath.Join(dir, "plain")
	for _, args := range [][]string{
		{"--config", cfg, "--out", byConfig},
		{"--exclude-dimension", "title", "--out", byFlag},
		{"--out", plain},
	} {
		if code := run(append([]string{"mine", "--data", data, "--workers", "1"}, args...), &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d; stderr:\n%s", args, code, stderr.String())
		}
	}
	if got, want := readRules(t, byConfig), readRules(t, byFlag); !bytes.Equal(got, want) {
		t.Fatalf("rules.json with the configuration's exclusion differs from --exclude-dimension title:\n%s\n%s", got, want)
	}
	if bytes.Equal(readRules(t, byConfig), readRules(t, plain)) || !bytes.Contains(readRules(t, plain), []byte(`"title"`)) {
		t.Fatalf("the test data mines no rule on title without the exclusion: the test proves nothing")
	}
	summary, err := os.ReadFile(filepath.Join(byConfig, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(summary, []byte(`"name": "title"`)) {
		t.Errorf("summary.json does not list title as skipped:\n%s", summary)
	}
}
