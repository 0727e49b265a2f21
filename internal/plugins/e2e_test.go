package plugins

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// rolemineBin builds the rolemine command once per test binary.
var rolemineBin = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "rolemine-plugins-e2e")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "rolemine")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/rolemine").CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v: %s", err, out)
	}
	return bin, nil
})

func runRolemine(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	bin, err := rolemineBin()
	if err != nil {
		t.Fatalf("build rolemine: %v", err)
	}
	cmd := exec.Command(bin, args...)
	// Keep the compilation cache of the tests out of the user's cache directory.
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(os.TempDir(), "rolemine-plugins-test-xdg"))
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func smallOrg(t *testing.T) string {
	var rows [][]string
	assign := map[string][]string{}
	for i := 0; i < 40; i++ {
		id := fmt.Sprintf("u%03d", i)
		unit := []string{"IT-OPS", "SALES-EU", "SALES-US", "IT-DEV"}[i%4]
		if i < 8 {
			unit = []string{"FIN-AP", "FIN-AR", "FIN-TAX", "FIN-PAY"}[i/2]
			assign[id] = append(assign[id], "FIN_LEDGER")
		}
		rows = append(rows, []string{id, unit, "Analyst"})
		assign[id] = append(assign[id], "BASE")
	}
	return enterprise(t, []string{"identity_id", "org_unit", "title"}, rows, assign)
}

func TestCLIConfigPlugin(t *testing.T) {
	ot := buildPlugins(t, "../../plugins/examples/orgtree")[0]
	data := smallOrg(t)
	cfgDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cfgDir, "plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "plugins", "orgtree.wasm"), mustRead(t, ot), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(cfgDir, "org.json"), []byte(`{"parents":{"FIN-AP":"FIN","FIN-AR":"FIN","FIN-TAX":"FIN","FIN-PAY":"FIN"}}`), 0o644)
	xml := `<ConfigurationFile>
  <CriterionPlugin Path="plugins/orgtree.wasm" Config="org.json"/>
  <MiningRule PrecisionMinPercentage="95" FalsePositiveMaxPercentage="5"/>
</ConfigurationFile>
`
	cfg := filepath.Join(cfgDir, "mining.xml")
	os.WriteFile(cfg, []byte(xml), 0o644)
	out := t.TempDir()
	stdout, stderr, code := runRolemine(t, "mine", "--data", data, "--config", cfg, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "plugin") {
		t.Errorf("no plugin phase in output:\n%s", stdout)
	}
	rules, _ := os.ReadFile(filepath.Join(out, "rules.json"))
	compact := strings.Join(strings.Fields(string(rules)), "")
	if !strings.Contains(compact, `{"attribute":"org_unit_under","value":"FIN"}`) {
		t.Fatalf("rules.json lacks the org_unit_under=FIN rule:\n%s", rules)
	}
	xmlOut, _ := os.ReadFile(filepath.Join(out, "rules.xml"))
	if !strings.Contains(string(xmlOut), `Identifier="org_unit_under"`) {
		t.Errorf("rules.xml lacks the derived dimension")
	}
}

func TestCLIFaults(t *testing.T) {
	paths := buildPlugins(t, "testdata/faults/loop", "testdata/faults/openfile", "testdata/faults/trap")
	data := smallOrg(t)
	for _, tc := range []struct {
		name   string
		args   []string
		want   []string
		within time.Duration
	}{
		{"endless loop", []string{"--plugin", paths[0], "--plugin-timeout", "1s"},
			[]string{"plugin fault-loop", "identity rows 1-", "time limit of 1s"}, 2 * time.Second},
		{"open a file", []string{"--plugin", paths[1]},
			[]string{"plugin fault-openfile", "identity rows 1-", "sandbox violation"}, 0},
		{"trap with config", []string{"--plugin", paths[2] + "=" + filepath.Join(t.TempDir(), "missing.json")},
			[]string{"plugin configuration", "missing.json"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			if tc.within > 0 {
				// Warm the compilation cache: compiling is paid once, not under the limit.
				runRolemine(t, append([]string{"mine", "--data", data, "--out", out}, tc.args...)...)
			}
			start := time.Now()
			stdout, stderr, code := runRolemine(t, append([]string{"mine", "--data", data, "--out", out}, tc.args...)...)
			elapsed := time.Since(start)
			wantCode := 1
			if tc.name == "trap with config" {
				wantCode = 2 // a missing configuration file is the user's to fix
			}
			if code != wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, wantCode, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("outputs written despite the fault: %v", entries)
			}
			// The whole process (start, load, compile from cache, fault) within the limit + 1 s.
			if tc.within > 0 && elapsed > tc.within+time.Second {
				t.Errorf("took %v, want under %v", elapsed, tc.within+time.Second)
			}
		})
	}
}

// TestModelCommandsTakePlugins: a model mined with a plugin has rules on the attributes
// it derived, which the data alone lacks. explain, report and drift take the same --plugin
// flags as mine and run the plugin over the data: explain names the derived rule, report
// writes the same report.html as mine, drift accounts for every assignment. Without the
// flag they refuse (exit 2) and say which flags are missing (found by the audit: the model
// of `make demo` could not be explained, reported or drifted at all).
func TestModelCommandsTakePlugins(t *testing.T) {
	ot := buildPlugins(t, "../../plugins/examples/orgtree")[0]
	data, dir := smallOrg(t), t.TempDir()
	conf := filepath.Join(dir, "org.json")
	os.WriteFile(conf, []byte(`{"parents":{"FIN-AP":"FIN","FIN-AR":"FIN","FIN-TAX":"FIN","FIN-PAY":"FIN"}}`), 0o644)
	plugin := []string{"--plugin", ot + "=" + conf}
	model := filepath.Join(dir, "model")
	if _, stderr, code := runRolemine(t, append([]string{"mine", "--data", data, "--out", model}, plugin...)...); code != 0 {
		t.Fatalf("mine: exit %d: %s", code, stderr)
	}
	mined := mustRead(t, filepath.Join(model, "report.html"))
	for _, args := range [][]string{
		{"explain", "--data", data, "--model", model, "--identity", "u000"},
		{"report", "--data", data, "--model", model},
		{"drift", "--model", model, "--data", data, "--out", filepath.Join(dir, "drift")},
	} {
		_, stderr, code := runRolemine(t, args...)
		if code != 2 || !strings.Contains(stderr, `uses attribute "org_unit_under"`) || !strings.Contains(stderr, "the same --plugin flags as mine") {
			t.Errorf("%s without --plugin: exit %d, stderr %q; want exit 2 naming the derived attribute and the flags", args[0], code, stderr)
		}
		stdout, stderr, code := runRolemine(t, append(args, plugin...)...)
		if code != 0 {
			t.Fatalf("%s --plugin: exit %d: %s", args[0], code, stderr)
		}
		switch args[0] {
		case "explain":
			if !strings.Contains(stdout, "org_unit_under=FIN") {
				t.Errorf("explain does not name the org_unit_under=FIN rule:\n%s", stdout)
			}
		case "report":
			if !bytes.Equal(mustRead(t, filepath.Join(model, "report.html")), mined) {
				t.Errorf("report --plugin wrote another report.html than mine")
			}
		}
	}
}

// TestCLIFaultKeepsEarlierOutput: a plugin fault fails a run (exit 1, naming the plugin and
// the row range) into a directory that holds an earlier model or an earlier shard, and
// leaves every file there as it was: no partial model replaces a whole one.
func TestCLIFaultKeepsEarlierOutput(t *testing.T) {
	openfile := buildPlugins(t, "testdata/faults/openfile")[0]
	data := smallOrg(t)
	for _, shard := range [][]string{nil, {"--shard", "0/2"}} {
		out := filepath.Join(t.TempDir(), "out")
		args := append([]string{"mine", "--data", data, "--out", out}, shard...)
		if _, stderr, code := runRolemine(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		before := fileDigests(t, out)
		_, stderr, code := runRolemine(t, append(args, "--plugin", openfile)...)
		if code != 1 || !strings.Contains(stderr, "plugin fault-openfile") || !strings.Contains(stderr, "identity rows 1-") {
			t.Fatalf("%v with a faulting plugin: exit %d, want 1 naming the plugin and the rows: %s", shard, code, stderr)
		}
		if after := fileDigests(t, out); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("%v: the failed run changed the earlier output:\n%v\n%v", shard, before, after)
		}
	}
}

// fileDigests maps every file under dir (but the output lock) to its contents, and every
// link to its target.
func fileDigests(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == ".rolemine.lock" {
			return err
		}
		if d.Type()&os.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			m[p] = "-> " + target
			return err
		}
		b, err := os.ReadFile(p)
		m[p] = string(b)
		return err
	})
	if err != nil || len(m) == 0 {
		t.Fatalf("read %s: %v (%d files)", dir, err, len(m))
	}
	return m
}
