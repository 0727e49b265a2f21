package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

// titleFamilyBuilds writes three builds of the AssemblyScript titlefamily plugin into
// dir and returns their paths: the committed module; the same logic as another file
// (a custom section appended, so another SHA-256); and other logic behind the same
// outputs (its expansion of "eng" to "engineer" changed, so "Sr. Software Eng" falls in
// the family "Software Engineex").
func titleFamilyBuilds(t *testing.T, dir string) (orig, rebuilt, other string) {
	t.Helper()
	b, err := os.ReadFile("../../internal/plugins/testdata/assemblyscript/titlefamily.wasm")
	if err != nil {
		t.Fatal(err)
	}
	name, payload := "rebuilt", "x"
	section := append([]byte{0, byte(1 + len(name) + len(payload)), byte(len(name))}, name+payload...)
	utf16le := func(s string) []byte {
		var out []byte
		for _, u := range utf16.Encode([]rune(s)) {
			out = append(out, byte(u), byte(u>>8))
		}
		return out
	}
	patched := bytes.ReplaceAll(b, utf16le("engineer"), utf16le("engineex"))
	if bytes.Equal(patched, b) {
		t.Fatal("titlefamily.wasm holds no UTF-16 \"engineer\" to patch")
	}
	orig, rebuilt, other = filepath.Join(dir, "tf.wasm"), filepath.Join(dir, "tf-rebuilt.wasm"), filepath.Join(dir, "tf-other.wasm")
	for path, data := range map[string][]byte{orig: b, rebuilt: append(bytes.Clone(b), section...), other: patched} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return orig, rebuilt, other
}

// titleData writes a data directory of 60 identities whose roles follow their title's
// family: ENG for 30 engineers (a quarter titled "Sr. Software Eng"), FIN for 30
// accountants; the departments explain nothing.
func titleData(t *testing.T, dir string) string {
	t.Helper()
	eng := []string{"Software Engineer", "Sr. Software Eng", "Software Engineer II", "Principal Software Engineer"}
	acc := []string{"Accountant", "Sr. Accountant", "Staff Accountant"}
	var ids, asg strings.Builder
	ids.WriteString("identity_id,kind,department,title\n")
	asg.WriteString("identity_id,role_id\n")
	for i := range 60 {
		title, role := eng[i%4], "ENG"
		if i >= 30 {
			title, role = acc[i%3], "FIN"
		}
		fmt.Fprintf(&ids, "u%03d,human,D%d,%s\n", i, (i*7)%3, title)
		fmt.Fprintf(&asg, "u%03d,%s\n", i, role)
	}
	data := filepath.Join(dir, "data")
	os.MkdirAll(data, 0o755)
	for name, text := range map[string]string{"identities.csv": ids.String(), "assignments.csv": asg.String(),
		"roles.csv": "role_id,name\nENG,Engineering\nFIN,Finance\n"} {
		if err := os.WriteFile(filepath.Join(data, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return data
}

// sha256File is the hex SHA-256 of a file.
func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// mustRun runs a command line that must succeed and returns its stderr.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
	}
	return stderr.String()
}

// pluginsRecord reads summary.json's "plugins" of the model in dir, raw.
func pluginsRecord(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]json.RawMessage
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return string(s["plugins"])
}

// TestModelRecordsPlugins: summary.json records the plugins a model was mined with (file
// name, SHA-256, manifest name and version, outputs in byte order), [] for a model mined
// without; a merge of shards records what a single run does (found by the semantic
// audit: no record, so a model could be bound to data through another build).
func TestModelRecordsPlugins(t *testing.T) {
	dir := t.TempDir()
	wasm, _, _ := titleFamilyBuilds(t, dir)
	data := titleData(t, dir)
	single := filepath.Join(dir, "single")
	mustRun(t, "mine", "--data", data, "--out", single, "--plugin", wasm)
	var shards []string
	for _, s := range []string{"0/2", "1/2"} {
		out := filepath.Join(dir, "shard"+s[:1])
		mustRun(t, "mine", "--data", data, "--out", out, "--plugin", wasm, "--shard", s)
		shards = append(shards, out)
	}
	merged := filepath.Join(dir, "merged")
	mustRun(t, append([]string{"merge", "--out", merged}, shards...)...)
	var compact bytes.Buffer
	json.Compact(&compact, []byte(pluginsRecord(t, single)))
	want := `[{"file":"tf.wasm","sha256":"` + sha256File(t, wasm) + `","name":"titlefamily-as","version":"1.0.0","inputs":["title"],"outputs":["title_family","title_level"]}]`
	if compact.String() != want {
		t.Errorf("summary.json plugins %s, want %s", compact.String(), want)
	}
	if got := pluginsRecord(t, merged); got != pluginsRecord(t, single) {
		t.Errorf("merged summary.json plugins %s, want the single run's %s", got, pluginsRecord(t, single))
	}
	none := filepath.Join(dir, "none")
	mustRun(t, "mine", "--data", data, "--out", none)
	if got := pluginsRecord(t, none); got != "[]" {
		t.Errorf("summary.json plugins %q without plugins, want []", got)
	}
}

// TestModelPluginsCompared: explain, report and drift refuse (exit 2) a plugin other than
// the one the model recorded when a rule uses its output, naming the model's summary.json,
// the attribute and both digests, and refuse its absence the same way; the same module
// under another file name is accepted. Before, another build was run silently and the
// rules were matched against its values (found by the semantic audit).
func TestModelPluginsCompared(t *testing.T) {
	dir := t.TempDir()
	wasm, rebuilt, other := titleFamilyBuilds(t, dir)
	data := titleData(t, dir)
	model := filepath.Join(dir, "model")
	mustRun(t, "mine", "--data", data, "--out", model, "--plugin", wasm)
	sum, mined := filepath.Join(model, "summary.json"), sha256File(t, wasm)
	commands := [][]string{
		{"explain", "--data", data, "--model", model, "--identity", "u001"},
		{"report", "--data", data, "--model", model},
		{"drift", "--model", model, "--data", data, "--out", filepath.Join(dir, "drift")},
	}
	for _, c := range commands {
		for _, tc := range []struct {
			plugin string
			want   []string
		}{
			{rebuilt, []string{sum, `"title_family"`, mined, sha256File(t, rebuilt), "another build"}},
			{other, []string{sum, `"title_family"`, mined, sha256File(t, other), "another build"}},
			{"", []string{sum, `"title_family"`, mined, "no plugin given derives it"}},
		} {
			args := c
			if tc.plugin != "" {
				args = append(append([]string{}, c...), "--plugin", tc.plugin)
			}
			var stdout, stderr bytes.Buffer
			code := run(args, &stdout, &stderr)
			for _, w := range tc.want {
				if code != 2 || !strings.Contains(stderr.String(), w) {
					t.Errorf("%s with %q: exit %d, %q; want exit 2 naming %q", c[0], filepath.Base(tc.plugin), code, stderr.String(), w)
					break
				}
			}
		}
	}
	renamed := filepath.Join(dir, "renamed.wasm")
	os.Link(wasm, renamed)
	for _, c := range commands {
		mustRun(t, append(c, "--plugin", renamed)...)
	}
}

// TestModelPluginsChained: a plugin may read an attribute an earlier plugin derives; a
// rule on its output depends on the earlier plugin's build too, although no rule uses
// the earlier plugin's own outputs: given as another build, it is refused (exit 2)
// naming both plugins and the attribute between them, not merely warned about.
func TestModelPluginsChained(t *testing.T) {
	dir := t.TempDir()
	wasm, _, other := titleFamilyBuilds(t, dir)
	data := titleData(t, dir)
	conf := filepath.Join(dir, "chain.json")
	if err := os.WriteFile(conf, []byte(`{"input": "title_family", "family": "fam2", "level": "lvl2"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "model")
	mustRun(t, "mine", "--data", data, "--out", model, "--plugin", wasm, "--plugin", wasm+"="+conf,
		"--exclude-dimension", "title", "--exclude-dimension", "title_family", "--exclude-dimension", "title_level")
	base := []string{"explain", "--data", data, "--model", model, "--identity", "u001"}
	mustRun(t, append(base, "--plugin", wasm, "--plugin", wasm+"="+conf)...)
	var stdout, stderr bytes.Buffer
	code := run(append(base, "--plugin", other, "--plugin", wasm+"="+conf), &stdout, &stderr)
	want := `uses attribute "fam2", which plugin titlefamily-as (tf.wasm, sha256 ` + sha256File(t, wasm) +
		`) derived when the model was mined, from attribute "title_family" of plugin titlefamily-as`
	if code != 2 || !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), sha256File(t, other)) {
		t.Errorf("exit %d, %q; want exit 2 with %q and the other build's digest", code, stderr.String(), want)
	}
}

// TestModelPluginsUnusedWarned: a recorded plugin whose outputs no rule uses (here
// excluded from mining) may be left out or given as another build: a warning naming it,
// exit 0. A model written before summary.json recorded plugins is not compared: it
// works as before, with a warning that the plugins cannot be checked.
func TestModelPluginsUnusedWarned(t *testing.T) {
	dir := t.TempDir()
	wasm, rebuilt, other := titleFamilyBuilds(t, dir)
	data := titleData(t, dir)
	model := filepath.Join(dir, "model")
	mustRun(t, "mine", "--data", data, "--out", model, "--plugin", wasm,
		"--exclude-dimension", "title_family", "--exclude-dimension", "title_level")
	base := []string{"explain", "--data", data, "--model", model, "--identity", "u001"}
	if log := mustRun(t, base...); !strings.Contains(log, "a plugin the model was mined with is not given; no rule uses its outputs") {
		t.Errorf("without the plugin: log %q, want the unused plugin warned about", log)
	}
	if log := mustRun(t, append(base, "--plugin", rebuilt)...); !strings.Contains(log, "another build") || !strings.Contains(log, sha256File(t, rebuilt)) {
		t.Errorf("with another build: log %q, want it warned about with its digest", log)
	}
	if log := mustRun(t, append(base, "--plugin", wasm)...); strings.Contains(log, "WARN") {
		t.Errorf("with the plugin mined with: log %q, want no warning", log)
	}

	// A model without the record: its summary.json rewritten without "plugins".
	legacy := filepath.Join(dir, "legacy")
	mustRun(t, "mine", "--data", data, "--out", legacy, "--plugin", wasm)
	path, err := filepath.EvalSymlinks(filepath.Join(legacy, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	var s map[string]json.RawMessage
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	delete(s, "plugins")
	b, _ = json.Marshal(s)
	os.Chmod(path, 0o644)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	log := mustRun(t, "explain", "--data", data, "--model", legacy, "--identity", "u001", "--plugin", other)
	if !strings.Contains(log, "records no plugins") {
		t.Errorf("legacy model: log %q, want the warning that its plugins cannot be compared", log)
	}
}

// TestPreviousStalePluginRules: mine --previous keeps no previous rule on the output of a
// plugin given as another build (semantics.md stability-candidates): the role is mined
// afresh, with a warning. Before, the rule was measured on the other build's values and,
// under a wide grace, kept although its attribute now meant something else (found by
// the semantic audit).
func TestPreviousStalePluginRules(t *testing.T) {
	dir := t.TempDir()
	wasm, _, other := titleFamilyBuilds(t, dir)
	data := titleData(t, dir)
	prev, out := filepath.Join(dir, "prev"), filepath.Join(dir, "out")
	mustRun(t, "mine", "--data", data, "--out", prev, "--plugin", wasm, "--precision", "80")
	log := mustRun(t, "mine", "--data", data, "--out", out, "--plugin", other, "--precision", "80",
		"--previous", prev, "--grace", "100")
	if !strings.Contains(log, "mined afresh") || !strings.Contains(log, sha256File(t, other)) {
		t.Errorf("log %q: want the stale previous rules warned about", log)
	}
	b, err := os.ReadFile(filepath.Join(out, "rules.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Afresh, ENG needs the title "Sr. Software Eng" as well as the family.
	if !strings.Contains(string(b), `"value": "Sr. Software Eng"`) {
		t.Errorf("rules.json %s: want ENG mined afresh with the other build's values", b)
	}
}

// TestPluginMemoryBudgetSameOutputs: under a memory limit that lets one plugin instance
// run at a time (64 MiB, 16 MiB instances; docs/plugins.md#host-memory), mine writes the
// same model as with none, where each of 4 workers runs one: 20,000 identities, each its
// own input to the plugin, make 3 batches. Run by the binary, so that the limit is not
// left on the test process.
func TestPluginMemoryBudgetSameOutputs(t *testing.T) {
	dir := t.TempDir()
	wasm, _, _ := titleFamilyBuilds(t, dir)
	conf := filepath.Join(dir, "ids.json")
	if err := os.WriteFile(conf, []byte(`{"input": "identity_id", "family": "id_family", "level": "id_level"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	mustBin(t, "gen", "--identities", "20000", "--seed", "3", "--out", data)
	outs := map[string]string{"off": filepath.Join(dir, "off"), "64MiB": filepath.Join(dir, "limited")}
	for limit, out := range outs {
		mustBin(t, "mine", "--data", data, "--out", out, "--workers", "4", "--plugin", wasm+"="+conf,
			"--plugin-memory", "16", "--memory-limit", limit)
	}
	sameOutputs(t, outs["off"], outs["64MiB"])
}
