package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepositoryWithinLimits: no non-test function of the repository is over 80 lines,
// and no command function of cmd/rolemine over 60 (docs/development.md).
func TestRepositoryWithinLimits(t *testing.T) {
	fns, err := Scan("../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(fns) < 1000 {
		t.Fatalf("found only %d functions: not the repository?", len(fns))
	}
	commands := 0
	for _, fn := range fns {
		if isCommand(fn.File, fn) {
			commands++
		}
	}
	if commands < 5 {
		t.Fatalf("found only %d command functions in cmd/rolemine", commands)
	}
	for _, fn := range Over(fns, Limits{Max: 80, CmdMax: 60}) {
		t.Errorf("over the limit: %s", fn)
	}
}

// TestLimits: a function is measured from its func keyword to its closing brace (its
// doc comment not counted), methods are named by receiver type, the limits are
// inclusive, command functions have the lower one, and test files and testdata are
// skipped.
func TestLimits(t *testing.T) {
	root := t.TempDir()
	body := func(name string, lines int) string {
		// "func ... {", lines-2 statements, "}".
		return "// " + name + " has a doc comment.\nfunc " + name + " {\n" + strings.Repeat("\t_ = 0\n", lines-2) + "}\n"
	}
	write := func(rel, text string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/a.go", "package a\n\ntype T[X any] struct{}\n\n"+body("ok()", 80)+body("long()", 81)+body("(t *T[X]) method()", 81))
	write("a/a_test.go", "package a\n\n"+body("inTest()", 200))
	write("a/testdata/x.go", "package x\n\n"+body("inTestdata()", 200))
	write("cmd/rolemine/main.go", "package main\n\n"+body("cmdShort()", 60)+body("cmdLong()", 61)+body("helper()", 61))
	fns, err := Scan(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fn := range Over(fns, Limits{Max: 80, CmdMax: 60}) {
		got = append(got, fn.String())
	}
	want := []string{"a/a.go:87: long 81 lines", "a/a.go:169: T.method 81 lines", "cmd/rolemine/main.go:65: cmdLong 61 lines"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("over the limits:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(fns) != 6 {
		t.Errorf("scanned %d functions, want 6 (test files and testdata skipped)", len(fns))
	}
}
