package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestUsageErrorsOneLine: a usage error (an unknown command or flag, a value of the wrong
// type, a flag without its value, an extra argument, an out-of-range value) exits 2 with
// nothing on stdout and one line on stderr naming the flag and what it expects
// (docs/cli.md#cli-usage-errors). Found by the semantic audit: the flag package's message
// was followed by every flag of the command (up to 53 lines), and a wrong type said only
// "parse error".
func TestUsageErrorsOneLine(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"bogus"}, `unknown command "bogus": expected gen, mine,`},
		{nil, "no command given: expected gen, mine,"},
		{[]string{"mine", "--bogus"}, "mine: unknown flag --bogus (rolemine mine -h lists its flags)"},
		{[]string{"mine", "--data", "d", "--out", "o", "--workers", "x"}, `mine: --workers "x": expected a whole number`},
		{[]string{"mine", "--workers", "99999999999999999999"}, "expected a whole number (this one is out of range)"},
		{[]string{"mine", "--precision", "abc"}, `mine: --precision "abc": expected a number`},
		{[]string{"mine", "--rule-type", "Foo"}, `mine: --rule-type "Foo": expected 0 (Required), 1`},
		{[]string{"mine", "--used-only=maybe"}, `mine: --used-only "maybe": expected true or false`},
		{[]string{"mine", "--plugin-timeout", "3"}, `mine: --plugin-timeout "3": expected a duration`},
		{[]string{"mine", "--data", "d", "--out"}, "mine: --out needs a value"},
		{[]string{"mine", "--workers"}, "mine: --workers needs a value: expected a whole number"},
		{[]string{"mine", "--data", "d", "--out", "o", "extra"}, `mine: unexpected argument "extra": expected flags only`},
		{[]string{"mine", "--data", "d", "--out", "o", "--shard", "3/2"}, "is not below the shard count 2"},
		{[]string{"mine", "--data", "d", "--out", "o", "--workers", "-1"}, "mine: --workers -1: expected 1 to 1024"},
		{[]string{"gen", "--out", "g", "--seed", "-1"}, `gen: --seed "-1": expected a whole number from 0`},
		{[]string{"discover", "--budget", "x"}, `discover: --budget "x": expected a duration`},
		{[]string{"drift", "--model"}, "drift: --model needs a value"},
		{[]string{"explain", "--json=2"}, `explain: --json "2": expected true or false`},
		{[]string{"merge", "--workers", "two", "s0"}, `merge: --workers "two": expected a whole number`},
		{[]string{"report", "--nope"}, "report: unknown flag --nope"},
		{[]string{"bench", "cooccur", "--depth", "x"}, `bench cooccur: --depth "x": expected a whole number`},
		{[]string{"bench", "foo"}, `bench: unknown subcommand "foo": expected cooccur, peers or doc`},
		{[]string{"version", "x"}, `version: unexpected argument "x"`},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(c.args, &stdout, &stderr)
		lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
		if code != 2 || stdout.Len() != 0 || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Errorf("rolemine %s: exit %d, stdout %q, stderr %q; want exit 2 and one line containing %q",
				strings.Join(c.args, " "), code, stdout.String(), stderr.String(), c.want)
		}
		if strings.HasPrefix(lines[0], "rolemine: rolemine ") {
			t.Errorf("rolemine %s: %q names rolemine twice", strings.Join(c.args, " "), lines[0])
		}
	}
}

// TestHelpOnStdout: help asked for is the command's result, on stdout with exit 0 and
// nothing on stderr, for every command as for `rolemine -h` (found by the semantic audit:
// `rolemine mine -h | less` showed nothing, the flags going to stderr).
func TestHelpOnStdout(t *testing.T) {
	for _, c := range [][]string{{"-h"}, {"help"}, {"gen", "-h"}, {"mine", "--help"}, {"merge", "-h"}, {"drift", "-h"},
		{"explain", "-h"}, {"report", "-h"}, {"discover", "-h"}, {"bench", "-h"}, {"bench", "doc", "-h"}, {"version", "-h"}} {
		var stdout, stderr bytes.Buffer
		if code := run(c, &stdout, &stderr); code != 0 || stdout.Len() == 0 || stderr.Len() != 0 {
			t.Errorf("rolemine %s: exit %d, stdout %d bytes, stderr %q; want exit 0, the help on stdout only",
				strings.Join(c, " "), code, stdout.Len(), stderr.String())
		}
	}
}
