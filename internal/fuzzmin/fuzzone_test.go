package fuzzmin

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestFuzzOneScript runs scripts/fuzz-one.sh (each line of `make fuzz`) over a stand-in
// for `go` that prints what `go test -fuzz` prints in each case, and checks which runs
// pass: the coordinator's end-of-time race (go.dev/issue/75804) is repeated once and
// passed, while a failing input, any other failure and a race followed by a real failure
// fail.
func TestFuzzOneScript(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	race := "--- FAIL: FuzzX (20.06s)\n    context deadline exceeded\nFAIL\n"
	found := "--- FAIL: FuzzX (3.10s)\n    --- FAIL: FuzzX (0.00s)\n        panic: boom\n" +
		"    Failing input written to testdata/fuzz/FuzzX/5a1c\n    To re-run:\nFAIL\n"
	other := "--- FAIL: FuzzX (0.01s)\n    x_test.go:9: seed corpus entry failed\nFAIL\n"
	for _, c := range []struct {
		name  string
		runs  []string // what each call of go prints; "" is a pass (exit 0)
		code  int
		calls int
	}{
		{"pass", []string{""}, 0, 1},
		{"race then pass", []string{race, ""}, 0, 2},
		{"race twice", []string{race, race}, 0, 2},
		{"failing input", []string{found}, 1, 1},
		{"failing input at the deadline", []string{found + race}, 1, 1},
		{"other failure", []string{other}, 1, 1},
		{"race then failing input", []string{race, found}, 1, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, calls := runFuzzOne(t, c.runs)
			if code != c.code || calls != c.calls {
				t.Errorf("exit %d after %d runs of go, want exit %d after %d", code, calls, c.code, c.calls)
			}
		})
	}
}

// runFuzzOne runs the script with GO set to a stand-in that prints runs[k] on its k-th
// call (exit 1, or 0 for ""), and returns the script's exit code and the number of calls.
func runFuzzOne(t *testing.T, runs []string) (code, calls int) {
	t.Helper()
	dir := t.TempDir()
	var fake strings.Builder
	fake.WriteString("#!/usr/bin/env bash\nn=$(cat \"$(dirname \"$0\")/calls\" 2>/dev/null || echo 0)\n")
	fake.WriteString("echo $((n+1)) > \"$(dirname \"$0\")/calls\"\ncase $n in\n")
	for k, out := range runs {
		exit := 1
		if out == "" {
			exit = 0
		}
		name := filepath.Join(dir, "out"+strconv.Itoa(k))
		if err := os.WriteFile(name, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&fake, "%d) cat %s; exit %d;;\n", k, name, exit)
	}
	fake.WriteString("esac\necho 'called too often'; exit 3\n")
	goBin := filepath.Join(dir, "go")
	if err := os.WriteFile(goBin, []byte(fake.String()), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join("..", "..", "scripts", "fuzz-one.sh"), "-run", "^$", "-fuzz", "^FuzzX$", "./x")
	cmd.Env = append(os.Environ(), "GO="+goBin)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "calls"))
	if err != nil {
		t.Fatalf("go never called: %v\n%s", err, out)
	}
	if calls, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
		t.Fatal(err)
	}
	return code, calls
}
