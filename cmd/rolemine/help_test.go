package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestHelpNamesFlagTypes checks every command's -h output: each flag line is the flag's
// name, then its value's type. The flag package takes a word in back quotes in a flag's
// usage text for the name of the value (so "output directory of `rolemine mine`" printed
// "-model rolemine mine"); no usage text may use back quotes that way.
func TestHelpNamesFlagTypes(t *testing.T) {
	line := regexp.MustCompile(`^  -[a-z0-9-]+(( (string|int|uint|float|duration|value))?$|\t)`)
	commands := [][]string{
		{"gen"}, {"mine"}, {"merge"}, {"drift"}, {"explain"}, {"report"}, {"discover"},
		{"bench"}, {"bench", "cooccur"}, {"bench", "peers"}, {"bench", "doc"},
	}
	for _, c := range commands {
		var stdout, stderr bytes.Buffer
		if code := run(append(c, "-h"), &stdout, &stderr); code != 0 {
			t.Fatalf("%v -h: exit %d, want 0", c, code)
		}
		help := stdout.String() + stderr.String()
		flags := 0
		for _, l := range strings.Split(help, "\n") {
			if !strings.HasPrefix(l, "  -") {
				continue
			}
			flags++
			if !line.MatchString(l) {
				t.Errorf("rolemine %s -h: flag line %q is not `-name [type]`", strings.Join(c, " "), l)
			}
		}
		if flags == 0 {
			t.Errorf("rolemine %s -h lists no flag:\n%s", strings.Join(c, " "), help)
		}
	}
}

// TestUsageNamesEveryBackend checks that the command summary (rolemine -h) offers the
// backends docs/cli.md documents for mine, and report's --drift.
func TestUsageNamesEveryBackend(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-h"}, &stdout, &stderr); code != 0 {
		t.Fatalf("rolemine -h: exit %d", code)
	}
	for _, want := range []string{"--backend auto|cpu|cuda", "--model OUT [--drift DRIFT]", "merge   --out OUT [--data DIR] [--workers N]"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("rolemine -h does not contain %q:\n%s", want, stdout.String())
		}
	}
}

// TestVersionTakesNoArguments: `rolemine version` prints the version; anything after it
// is a usage error (it was ignored).
func TestVersionTakesNoArguments(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"version"}, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "rolemine ") {
		t.Fatalf("rolemine version: exit %d, stdout %q", code, stdout.String())
	}
	stdout.Reset()
	if code := run([]string{"version", "x"}, &stdout, &stderr); code != 2 || stdout.Len() != 0 || !strings.Contains(stderr.String(), `unexpected argument "x"`) {
		t.Fatalf("rolemine version x: exit %d, stdout %q, stderr %q; want exit 2 naming the argument", code, stdout.String(), stderr.String())
	}
}
