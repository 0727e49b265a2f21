package plugins

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/bench/gen"
	"github.com/rolemine/rolemine/internal/columnar"
)

// The AssemblyScript plugins are built by the real compiler (asc, pinned in
// plugins/examples/assemblyscript/package-lock.json) and committed;
// scripts/assemblyscript/build.sh rebuilds them byte for byte.
const (
	asTitleFamily = "testdata/assemblyscript/titlefamily.wasm"
	asFaults      = "testdata/assemblyscript/faults.wasm"
)

// asTitles are titles that exercise every branch of titlefamily's normalisation, the
// characters whose lower case differs between Go and JavaScript, and UTF-16 surrogates.
func asTitles() []string {
	titles := []string{
		"Sr. Software Eng", "Senior Software Engineer", "software engineer II", "Jr Software Dev",
		"SWE 3", "Senior Engineer II", "Ops Mgr", "Principal SRE", "Intern", "  ", "Senior",
		"Head of Sales & Marketing", "VP, Sales", "R&D Lead", "Chief Sysadmin", "Graduate Trainee",
		"Staff Engineer 4", "QA Eng v", "İT Manager", "\u212Aey Account Mgr", "Ünïcode Ëngineer",
		"日本語 Engineer", "🚀 Rocket Scientist 🚀", "Lead\tDev\r\nOps", "DIR. of FIN", "acct iii",
		"Snr Mngr, Mgmt", "Engineer III Lead", "Principal Lead Architect", "1 2 3", "Ops & Exec",
	}
	// Every pair of a vocabulary's words, joined by assorted separators.
	vocab := []string{"Sr", "Eng", "Lead", "II", "3", "Intern", "Dev", "of", "&", "SWE", "chief", "İ", "v", "Mgr", "Ω"}
	seps := []string{" ", ". ", "-", ", ", "/"}
	for i, a := range vocab {
		for j, b := range vocab {
			titles = append(titles, a+seps[(i+j)%len(seps)]+b)
		}
	}
	slices.Sort(titles)
	return slices.Compact(titles)
}

// asSnapshot is a snapshot whose identities hold the given titles, several times each.
func asSnapshot(titles []string) *columnar.Snapshot {
	n := 3 * len(titles)
	s := &columnar.Snapshot{Dims: []columnar.Dimension{
		{Name: "kind", Values: []string{"human"}, Codes: make([]int32, n)},
		{Name: "title", Values: titles, Codes: make([]int32, n)},
	}}
	for i := 0; i < n; i++ {
		s.IdentityIDs = append(s.IdentityIDs, fmt.Sprintf("u%05d", i))
		s.Dims[1].Codes[i] = int32((i * 7) % len(titles))
	}
	return s
}

// TestAssemblyScriptTitleFamilyMatchesGo: the AssemblyScript port of titlefamily derives
// exactly the Go example's values and codes, title for title, over batches small enough
// that every instance serves many of them.
func TestAssemblyScriptTitleFamilyMatchesGo(t *testing.T) {
	goPath := buildPlugins(t, "../../plugins/examples/titlefamily")[0]
	ctx := context.Background()
	snap := asSnapshot(asTitles())
	derive := func(path string) []columnar.Dimension {
		h := testHost(t, Options{Workers: 2, BatchRows: 16})
		p, err := h.Load(ctx, Spec{Path: path, Origin: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if m := p.Manifest(); !slices.Equal(m.Inputs, []string{"title"}) || !slices.Equal(m.Outputs, []string{"title_family", "title_level"}) {
			t.Fatalf("%s: manifest %+v", path, m)
		}
		dims, err := p.Derive(ctx, snap)
		if err != nil {
			t.Fatal(err)
		}
		return dims
	}
	want, got := derive(goPath), derive(asTitleFamily)
	for k := range want {
		if !slices.Equal(got[k].Values, want[k].Values) {
			t.Errorf("%s values:\nAssemblyScript %q\nGo             %q", want[k].Name, got[k].Values, want[k].Values)
			continue
		}
		for i := range snap.IdentityIDs {
			if got[k].Codes[i] != want[k].Codes[i] {
				title := snap.Dims[1].Values[snap.Dims[1].Codes[i]]
				t.Fatalf("%s of %q: AssemblyScript code %d, Go %d", want[k].Name, title, got[k].Codes[i], want[k].Codes[i])
			}
		}
	}
	if len(want[0].Values) < 20 {
		t.Fatalf("only %d title families: the titles exercise too little", len(want[0].Values))
	}
}

// TestAssemblyScriptConfig: the configuration reaches the plugin as UTF-8 and renames its
// input and outputs in the manifest; a configuration it cannot read fails at start-up
// with the plugin's own message (status 1).
func TestAssemblyScriptConfig(t *testing.T) {
	ctx := context.Background()
	h := testHost(t, Options{Workers: 1})
	p, err := h.Load(ctx, Spec{Path: asTitleFamily, Origin: "test",
		Config: []byte(`{ "Input": "j\u00f6b \"\\\/", "family" : "fam", "level": "lvl_2" }`)})
	if err != nil {
		t.Fatal(err)
	}
	if m := p.Manifest(); m.Name != "titlefamily-as" || !slices.Equal(m.Inputs, []string{`jöb "\/`}) || !slices.Equal(m.Outputs, []string{"fam", "lvl_2"}) {
		t.Fatalf("manifest %+v", m)
	}
	_, err = h.Load(ctx, Spec{Path: asTitleFamily, Origin: "test", Config: []byte(`{"input": 3}`)})
	var pe *Error
	if !errors.As(err, &pe) || pe.Cause != `init failed: configure: config: field "input": expected a string` {
		t.Fatalf("err = %v, want the plugin's message about the field", err)
	}
}

// TestAssemblyScriptFaults: a fault inside an AssemblyScript plugin (an assertion or an
// index out of range, both env.abort; an endless loop; allocation past the memory cap; an
// error status) fails with the message, and for an abort the place, AssemblyScript gives,
// naming the batch that holds identity row 12345, the only "Boom". Only the endless loop
// runs under a 1 s time limit: the others get 5 s, so that on a loaded machine (a 2-core
// `make test` beside other work) the time limit never fires before the fault they test.
func TestAssemblyScriptFaults(t *testing.T) {
	for _, tc := range []struct{ mode, cause string }{
		{"assert", "plugin aborted in rolemine_batch: the title Boom is refused (at internal/plugins/testdata/assemblyscript/faults.ts:"},
		{"assert", "; plugin printed: checking Boom"},
		{"index", "plugin aborted in rolemine_batch: Index out of range (at ~lib/array.ts:"},
		{"loop", "time limit of 1s per call exceeded in rolemine_batch"},
		{"grow", "memory cap of 32 MiB reached in rolemine_batch"},
		{"error", "plugin reported an error: row 3 of the batch: the title Boom is refused"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			ctx := context.Background()
			timeout := 5 * time.Second
			if tc.mode == "loop" {
				timeout = time.Second
			}
			h := testHost(t, Options{Timeout: timeout, MemoryMiB: 32, BatchRows: 4, Workers: 1})
			snap := faultSnapshot()
			start := time.Now()
			p, err := h.Load(ctx, Spec{Path: asFaults, Config: []byte(`"` + tc.mode + `"`), Origin: "test"})
			if err != nil {
				t.Fatal(err)
			}
			err = Apply(ctx, snap, []*Plugin{p})
			elapsed := time.Since(start)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want a plugin *Error", err, err)
			}
			t.Log(err)
			if pe.Plugin != "fault-as" || !strings.Contains(pe.Cause, tc.cause) {
				t.Errorf("error %q: want plugin fault-as and cause containing %q", err, tc.cause)
			}
			if pe.FirstRow > 12_345 || pe.LastRow < 12_345 {
				t.Errorf("fault at identity row 12345 reported in rows %d-%d", pe.FirstRow, pe.LastRow)
			}
			if elapsed > timeout+2*time.Second {
				t.Errorf("fault took %v, over the time limit %v + 2s", elapsed, timeout)
			}
			if len(snap.Dims) != 2 {
				t.Errorf("snapshot gained dimensions despite the fault")
			}
		})
	}
	_, err := testHost(t, Options{}).Load(context.Background(), Spec{Path: asFaults, Config: []byte(`"none"`), Origin: "test"})
	var pe *Error
	if !errors.As(err, &pe) || pe.FirstRow != 0 || pe.Cause != `init failed: unknown fault mode "none"` {
		t.Fatalf("unknown mode: err = %v, want a start-up fault quoting the plugin", err)
	}
}

// TestAssemblyScriptCLI: `rolemine mine --plugin` with the AssemblyScript titlefamily
// writes the very files the Go example's run writes; an abort inside a plugin, an endless
// loop under --plugin-timeout and allocation past --plugin-memory fail the run with exit
// code 1, the cause (an abort's message and place) quoted, and no outputs.
func TestAssemblyScriptCLI(t *testing.T) {
	goPath := buildPlugins(t, "../../plugins/examples/titlefamily")[0]
	data := t.TempDir()
	if _, err := gen.Generate(context.Background(), gen.Options{Out: data, Identities: 3000, Roles: 150, Seed: 3, TitleFamilyRoles: true}); err != nil {
		t.Fatal(err)
	}
	asPath, err := filepath.Abs(asTitleFamily)
	if err != nil {
		t.Fatal(err)
	}
	outs := map[string]string{}
	for name, plugin := range map[string]string{"go": goPath, "as": asPath} {
		outs[name] = filepath.Join(t.TempDir(), name)
		if _, stderr, code := runRolemine(t, "mine", "--data", data, "--plugin", plugin, "--out", outs[name], "--workers", "2"); code != 0 {
			t.Fatalf("%s plugin: exit %d: %s", name, code, stderr)
		}
	}
	for _, f := range []string{"rules.json", "assignments.parquet", "rules.xml", "roles.json"} {
		if !slices.Equal(mustRead(t, filepath.Join(outs["as"], f)), mustRead(t, filepath.Join(outs["go"], f))) {
			t.Errorf("%s differs between the AssemblyScript and the Go titlefamily", f)
		}
	}
	if !strings.Contains(string(mustRead(t, filepath.Join(outs["as"], "rules.json"))), `"title_family"`) {
		t.Errorf("rules.json has no title_family rule: the comparison tests nothing")
	}

	var rows [][]string
	assign := map[string][]string{}
	for i := 0; i < 30; i++ {
		id := fmt.Sprintf("u%03d", i)
		title := []string{"Analyst", "Engineer", "Boom"}[i%3]
		rows = append(rows, []string{id, title})
		assign[id] = []string{"BASE"}
	}
	small := enterprise(t, []string{"identity_id", "title"}, rows, assign)
	faults, _ := filepath.Abs(asFaults)
	for _, tc := range []struct {
		mode  string
		flags []string
		cause string
	}{
		{"assert", nil, "plugin aborted in rolemine_batch: the title Boom is refused (at internal/plugins/testdata/assemblyscript/faults.ts:"},
		{"loop", []string{"--plugin-timeout", "1s"}, "time limit of 1s per call exceeded in rolemine_batch"},
		{"grow", []string{"--plugin-memory", "16"}, "memory cap of 16 MiB reached in rolemine_batch"},
	} {
		cfg := filepath.Join(t.TempDir(), tc.mode+".json")
		os.WriteFile(cfg, []byte(`"`+tc.mode+"\"\n"), 0o644)
		out := filepath.Join(t.TempDir(), "out")
		args := append([]string{"mine", "--data", small, "--plugin", faults + "=" + cfg, "--out", out}, tc.flags...)
		_, stderr, code := runRolemine(t, args...)
		if code != 1 {
			t.Fatalf("%s: exit %d, want 1: %s", tc.mode, code, stderr)
		}
		for _, w := range []string{"plugin fault-as", "identity rows 1-3 (u000 .. u002; 3 distinct inputs)", tc.cause} {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.mode, w, stderr)
			}
		}
		if entries, _ := os.ReadDir(out); len(entries) != 0 {
			t.Errorf("%s: outputs written despite the fault: %v", tc.mode, entries)
		}
	}
}

// TestAssemblyScriptMinimalRuntimeFreesBatches: faults.wasm is built with asc's minimal
// runtime, whose collector runs only when called. The ABI glue
// (plugins/examples/assemblyscript/assembly/rolemine.ts) calls it before each batch, so
// 60,000 distinct inputs (about 1 KiB of garbage each) pass through an instance capped at
// 16 MiB; without the call its memory grows with every row until the cap fails the run.
func TestAssemblyScriptMinimalRuntimeFreesBatches(t *testing.T) {
	const n = 60_000
	snap := &columnar.Snapshot{Dims: []columnar.Dimension{
		{Name: "kind", Values: []string{"human"}, Codes: make([]int32, n)},
		{Name: "title", Codes: make([]int32, n)},
	}}
	for i := 0; i < n; i++ {
		snap.IdentityIDs = append(snap.IdentityIDs, fmt.Sprintf("u%06d", i))
		snap.Dims[1].Values = append(snap.Dims[1].Values, fmt.Sprintf("title %06d", i))
		snap.Dims[1].Codes[i] = int32(i)
	}
	ctx := context.Background()
	h := testHost(t, Options{MemoryMiB: 16, Workers: 1})
	p, err := h.Load(ctx, Spec{Path: asFaults, Config: []byte(`"error"`), Origin: "test"})
	if err != nil {
		t.Fatal(err)
	}
	dims, err := p.Derive(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	if d := dims[0]; len(d.Values) != n || d.Values[n-1] != "title 059999" || d.Codes[123] != 123 {
		t.Fatalf("title_copy: %d values, want the %d titles copied", len(d.Values), n)
	}
}

// TestAssemblyScriptStringsRoundTrip: values cross the ABI as UTF-8 and live in the
// plugin as UTF-16; the fault plugin's copy of each title (accents, CJK, emoji as
// surrogate pairs, the Kelvin sign, tabs and line breaks) comes back byte for byte.
func TestAssemblyScriptStringsRoundTrip(t *testing.T) {
	titles := asTitles()
	ctx := context.Background()
	p, err := testHost(t, Options{Workers: 1, BatchRows: 64}).Load(ctx, Spec{Path: asFaults, Config: []byte(`"error"`), Origin: "test"})
	if err != nil {
		t.Fatal(err)
	}
	dims, err := p.Derive(ctx, asSnapshot(titles))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dims[0].Values, titles) {
		t.Fatalf("title_copy values differ from the titles:\n got %q\nwant %q", dims[0].Values, titles)
	}
}

// TestAssemblyScriptFixturesFresh: the committed .wasm files were built from the sources
// as they are. scripts/assemblyscript/build.sh records the SHA-256 of every file it
// builds from; a source edited (or added) without running it fails here, not later as a
// test passing against an old module.
func TestAssemblyScriptFixturesFresh(t *testing.T) {
	root := filepath.Join("..", "..")
	recorded := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(mustRead(t, "testdata/assemblyscript/sources.sha256"))), "\n") {
		sum, path, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("sources.sha256: malformed line %q", line)
		}
		recorded[path] = true
		if got := fmt.Sprintf("%x", sha256.Sum256(mustRead(t, filepath.Join(root, path)))); got != sum {
			t.Errorf("%s changed since the AssemblyScript fixtures were built: run scripts/assemblyscript/build.sh", path)
		}
	}
	for _, dir := range []string{"plugins/examples/assemblyscript/assembly", "internal/plugins/testdata/assemblyscript"} {
		ts, _ := filepath.Glob(filepath.Join(root, dir, "*.ts"))
		for _, p := range ts {
			if rel := filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator))); !recorded[rel] {
				t.Errorf("%s is not among the sources the fixtures were built from: run scripts/assemblyscript/build.sh", rel)
			}
		}
	}
	if len(recorded) < 6 {
		t.Errorf("sources.sha256 names %d files, want the build script, asconfig.json, package-lock.json and the .ts sources", len(recorded))
	}
}
