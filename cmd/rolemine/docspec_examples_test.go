package main

// The command lines the README and docs show must run as shown: the demo's commands
// (which must also be what `make demo` runs) with the output shape the README gives, the
// flags of every synopsis line, the make targets and test names the pages cite.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// codeBlockAfter returns the lines of the first fenced block of doc after the text marker.
func codeBlockAfter(t *testing.T, doc, marker string) []string {
	t.Helper()
	i := strings.Index(doc, marker)
	if i < 0 {
		t.Fatalf("no %q", marker)
	}
	rest := doc[i:]
	open := strings.Index(rest, "\n```")
	if open < 0 {
		t.Fatalf("no code block after %q", marker)
	}
	rest = rest[open+4:]
	rest = rest[strings.Index(rest, "\n")+1:]
	block, _, _ := strings.Cut(rest, "\n```")
	return strings.Split(block, "\n")
}

// commandLines joins continued lines (ending in \) and splits each command into words.
func commandLines(lines []string) [][]string {
	var out [][]string
	cur := ""
	for _, l := range lines {
		cur += " " + strings.TrimSuffix(strings.TrimSpace(l), "\\")
		if !strings.HasSuffix(strings.TrimSpace(l), "\\") {
			if f := strings.Fields(cur); len(f) > 0 {
				out = append(out, f)
			}
			cur = ""
		}
	}
	return out
}

// makeDemo returns the commands of the Makefile's demo recipe that echo nothing, with
// $(BIN), $(TIER) and $(DEMO) at their defaults as the Makefile sets them.
func makeDemo(t *testing.T) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	mk := string(b)
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Z]+)\s*\??:?=\s*(\S+)$`).FindAllStringSubmatch(mk, -1) {
		vars["$("+m[1]+")"] = m[2]
	}
	_, recipe, ok := strings.Cut(mk, "\ndemo:")
	if !ok {
		t.Fatal("Makefile has no demo target")
	}
	var lines []string
	for _, l := range strings.Split(recipe, "\n")[1:] {
		if !strings.HasPrefix(l, "\t") {
			break
		}
		if l = strings.TrimSpace(l); !strings.HasPrefix(l, "@") {
			for k, v := range vars {
				l = strings.ReplaceAll(l, k, v)
			}
			lines = append(lines, l)
		}
	}
	return commandLines(lines)
}

// shapeRE turns a line of the README's output shape into a pattern: each <placeholder>
// matches one word, runs of spaces any run of spaces.
func shapeRE(line string) *regexp.Regexp {
	var b strings.Builder
	for i, part := range regexp.MustCompile(`<[^>]+>`).Split(line, -1) {
		if i > 0 {
			b.WriteString(`\S+?`)
		}
		b.WriteString(regexp.MustCompile(` +`).ReplaceAllString(regexp.QuoteMeta(part), `\s+`))
	}
	return regexp.MustCompile(`^` + b.String() + `$`)
}

// TestReadmeDemoRuns runs the README's demo commands as shown, in a directory laid out
// as the repository (bin/rolemine, bin/plugins built as `make plugins` builds them,
// examples/), checks they are the commands `make demo` runs, that mine prints what the
// README's output shape says, line by line, and that the files the README lists exist.
func TestReadmeDemoRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and mines tier S with plugins")
	}
	readme := readDoc(t, "./README.md")
	cmds := commandLines(codeBlockAfter(t, readme, "`make demo` runs the following commands:"))
	if want := makeDemo(t); !slices.EqualFunc(cmds, want, slices.Equal) {
		t.Errorf("README's demo commands:\n%q\nMakefile's demo recipe:\n%q", cmds, want)
	}
	dir := demoTree(t, cmds)
	var mineOut string
	for _, c := range cmds {
		cmd := exec.Command(filepath.Join(dir, c[0]), c[1:]...)
		cmd.Dir = dir
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s%s", strings.Join(c, " "), err, o.String(), e.String())
		}
		if c[1] == "mine" {
			mineOut = o.String()
		}
	}
	shape := codeBlockAfter(t, readme, "The `mine` step prints output in this shape:")
	got := strings.Split(strings.TrimRight(mineOut, "\n"), "\n")
	if len(got) != len(shape) {
		t.Errorf("mine printed %d lines, the README shows %d:\n%s", len(got), len(shape), mineOut)
	}
	for i := 0; i < len(got) && i < len(shape); i++ {
		if !shapeRE(shape[i]).MatchString(got[i]) {
			t.Errorf("mine's line %d %q does not fit the README's %q", i+1, got[i], shape[i])
		}
	}
	listed, _, _ := strings.Cut(readme[strings.Index(readme, "It then prints where the outputs are"):], "The `mine` step")
	for _, f := range ticks(listed) {
		if _, err := os.Stat(filepath.Join(dir, "demo", "out", filepath.Base(f))); err != nil {
			t.Errorf("the README lists %s among the demo's outputs: %v", f, err)
		}
	}
}

// demoTree lays out a directory for the demo's commands: bin/rolemine (the built
// binary), the plugins they name under bin/plugins built from plugins/examples, and
// examples/.
func demoTree(t *testing.T, cmds [][]string) string {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("build rolemine: %v", err)
	}
	dir := t.TempDir()
	abs, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin", "plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, l := range [][2]string{{bin, "bin/rolemine"}, {filepath.Join(abs, "examples"), "examples"}} {
		if err := os.Symlink(l[0], filepath.Join(dir, l[1])); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cmds {
		for i, w := range c {
			if i == 0 || c[i-1] != "--plugin" {
				continue
			}
			wasm, _, _ := strings.Cut(w, "=")
			name := strings.TrimSuffix(filepath.Base(wasm), ".wasm")
			build := exec.Command("go", "build", "-trimpath", "-buildmode=c-shared", "-o", filepath.Join(dir, wasm), "./plugins/examples/"+name)
			build.Dir, build.Env = abs, append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build plugin %s: %v\n%s", name, err, out)
			}
		}
	}
	return dir
}

var flagRE = regexp.MustCompile(`--([a-z][a-z0-9-]*)`)

// TestSynopsesNameRealFlags checks every synopsis line of the README's "Commands" and of
// docs/cli.md: each --flag it shows is a flag of its command (`rolemine CMD -h`).
func TestSynopsesNameRealFlags(t *testing.T) {
	helps := map[string]string{}
	help := func(cmd []string) string {
		k := strings.Join(cmd, " ")
		if h, ok := helps[k]; ok {
			return h
		}
		var o, e bytes.Buffer
		if code := run(append(slices.Clone(cmd), "-h"), &o, &e); code != 0 {
			t.Errorf("rolemine %s -h: exit %d", k, code)
		}
		helps[k] = o.String() + e.String()
		return helps[k]
	}
	blocks := map[string][]string{
		"README.md": codeBlockAfter(t, readDoc(t, "./README.md"), "## Commands"),
		"cli.md":    codeBlockAfter(t, readDoc(t, "cli.md"), "# Command line"),
	}
	for doc, lines := range blocks {
		var cmd []string
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) > 1 && f[0] == "rolemine" {
				cmd = []string{f[1]}
				if f[1] == "bench" && len(f) > 2 && wordRE.MatchString(f[2]) {
					cmd = append(cmd, f[2])
				}
			}
			if cmd == nil || cmd[0] == "version" {
				continue
			}
			for _, m := range flagRE.FindAllStringSubmatch(l, -1) {
				if !strings.Contains(help(cmd), "\n  -"+m[1]+" ") && !strings.Contains(help(cmd), "\n  -"+m[1]+"\n") {
					t.Errorf("%s: %q shows --%s, which rolemine %s does not have", doc, strings.TrimSpace(l), m[1], strings.Join(cmd, " "))
				}
			}
		}
	}
}

// repoPathRE finds a path of the repository in a page's text (not one under bin/).
var repoPathRE = regexp.MustCompile(`(?:^|[^A-Za-z0-9_./-])((?:scripts|internal|cmd|plugins|examples|deploy|tools|bench)/[A-Za-z0-9_./*-]*[A-Za-z0-9_*])`)

var wordRE = regexp.MustCompile(`^[a-z]+$`)

// TestDocsNameRealTests checks that every test or fuzz target and every path of the
// repository the specification, README and RATIONALE name exist (the benchmarks log, a
// history, is left out), and every make target of docs/development.md's table is a
// target of the Makefile.
func TestDocsNameRealTests(t *testing.T) {
	root := filepath.Join("..", "..")
	declared := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		for _, m := range regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)[A-Z]\w*)\(`).FindAllSubmatch(b, -1) {
			declared[string(m[1])] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	pages, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	pages = append(pages, filepath.Join(root, "README.md"), filepath.Join(root, "RATIONALE.md"))
	for _, p := range pages {
		if filepath.Base(p) == "benchmarks-log.md" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range regexp.MustCompile(`\b(?:Test|Fuzz)[A-Z]\w*`).FindAllString(string(b), -1) {
			if !declared[n] {
				t.Errorf("%s names %s, which no test file declares", filepath.Base(p), n)
			}
		}
		for _, m := range repoPathRE.FindAllStringSubmatch(string(b), -1) {
			if regexp.MustCompile(`\.[A-Z]`).MatchString(m[1]) {
				continue // a Go identifier (internal/hugepage.Make)
			}
			if found, _ := filepath.Glob(filepath.Join(root, m[1])); len(found) == 0 {
				t.Errorf("%s names %s, which the repository does not hold", filepath.Base(p), m[1])
			}
		}
	}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z0-9 -]*):`).FindAllSubmatch(mk, -1) {
		for _, n := range strings.Fields(string(m[1])) {
			targets[n] = true
		}
	}
	dev := docTables(docSection(t, readDoc(t, "development.md"), "## Make targets"))[0]
	for _, r := range dev[1:] {
		for _, target := range ticks(r[0]) {
			if !targets[target] {
				t.Errorf("docs/development.md lists make target %s, which the Makefile lacks", target)
			}
		}
	}
}

// TestCLIFlagTablesMatchHelp holds docs/cli.md's command sections to the commands' flags:
// every flag a section's flag tables list is a flag of the command, and every flag of the
// command is in the flag tables of its sections, or named in one of its sections without
// a flag table (`rolemine gen --evolve`, and the commands described in prose).
func TestCLIFlagTablesMatchHelp(t *testing.T) {
	cli := readDoc(t, "cli.md")
	documented, mentioned := map[string]map[string]bool{}, map[string]map[string]bool{}
	add := func(m map[string]map[string]bool, cmd, text string) {
		if m[cmd] == nil {
			m[cmd] = map[string]bool{}
		}
		for _, f := range flagRE.FindAllStringSubmatch(text, -1) {
			m[cmd][f[1]] = true
		}
	}
	for _, m := range regexp.MustCompile("(?m)^## `rolemine ([a-z]+)( --[a-z]+)?`$").FindAllStringSubmatch(cli, -1) {
		sec, tables := docSection(t, cli, m[0]), 0
		for _, tb := range docTables(sec) {
			if tb[0][0] != "flag" {
				continue
			}
			for _, r := range tb[1:] {
				add(documented, m[1], r[0])
			}
			tables++
		}
		if tables == 0 {
			add(mentioned, m[1], sec) // a section in prose
		}
	}
	cmds := keysOf(documented)
	for _, c := range keysOf(mentioned) {
		if !slices.Contains(cmds, c) {
			cmds = append(cmds, c)
		}
	}
	if len(documented) < 3 || len(cmds) < 8 {
		t.Fatalf("cli.md: flag tables for only %v, sections for %v", keysOf(documented), cmds)
	}
	for _, cmd := range cmds {
		var o, e bytes.Buffer
		run([]string{cmd, "-h"}, &o, &e)
		have := map[string]bool{}
		for _, f := range regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`).FindAllStringSubmatch(o.String()+e.String(), -1) {
			have[f[1]] = true
		}
		for _, f := range keysOf(documented[cmd]) {
			if !have[f] {
				t.Errorf("cli.md lists --%s for rolemine %s, which does not have it", f, cmd)
			}
		}
		for _, f := range keysOf(have) {
			if !documented[cmd][f] && !mentioned[cmd][f] {
				t.Errorf("rolemine %s has --%s, which cli.md's sections on it do not name", cmd, f)
			}
		}
	}
}
