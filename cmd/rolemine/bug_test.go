package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/crashpoint"
)

// internalLine is the first line of stderr when rolemine fails of a bug.
const internalLine = "rolemine: internal error (a bug in rolemine, not in your data): "

// copySet copies the output set in ref to a new directory and returns it.
func copySet(t *testing.T, ref string) string {
	t.Helper()
	out := t.TempDir()
	if b, err := exec.Command("cp", "-a", ref+"/.", out).CombinedOutput(); err != nil {
		t.Fatalf("copy the previous set: %v: %s", err, b)
	}
	return out
}

// mineExits1 runs the built binary's mine on data into out with the crashpoint spec set
// (crashpoint.Env), fails the test unless it exits 1, and returns its stderr.
func mineExits1(t *testing.T, bin, data, out, spec string) string {
	t.Helper()
	cmd := exec.Command(bin, "mine", "--data", data, "--out", out, "--precision", "60")
	cmd.Env = append(os.Environ(), crashpoint.Env+"="+spec)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("crashpoint %s: %v, want exit 1; stderr: %s", spec, err, stderr.String())
	}
	return stderr.String()
}

// TestDecodePanicExits1: a panic in a Parquet column's decoding worker (a bug, injected
// through the run's context) makes mine exit 1 with the internal-error line and the stack
// in the log, and leaves the previous output set as it was.
func TestDecodePanicExits1(t *testing.T) {
	data := small(t)
	ref, prev := previousSet(t, data)
	out := copySet(t, ref)
	ctx := columnar.WithDecodeFault(context.Background(), func(file, column string) {
		if file == "assignments.parquet" && column == "role_id" {
			panic("decoder bug")
		}
	})
	var stdout, stderr bytes.Buffer
	code := runContext(ctx, []string{"mine", "--data", data, "--out", out, "--precision", "60"}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr: %s", code, stderr.String())
	}
	first, rest, _ := strings.Cut(stderr.String(), "\n")
	if !strings.HasPrefix(first, internalLine) || !strings.Contains(first, "assignments.parquet") ||
		!strings.HasSuffix(first, "panic: decoder bug; please report it with the log") {
		t.Errorf("first line of stderr %q", first)
	}
	if !strings.Contains(rest, "level=ERROR") || !strings.Contains(rest, "TestDecodePanicExits1") {
		t.Errorf("no stack in the log: %q", rest)
	}
	if got := oneSet(t, out); !sameSet(t, got, prev, out, ref) {
		t.Error("the failed run changed the previous output set")
	}
}

// TestExitCodesEndToEnd runs the built binary: 0 for a run that succeeds, 2 for bad input
// (a malformed identities file), and 1 for a bug, a panic (crashpoint) after the load and
// while the output set is being staged, which leaves the previous output set whole.
func TestExitCodesEndToEnd(t *testing.T) {
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	data := small(t)
	ref, prev := previousSet(t, data)

	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "identities.csv"), []byte("identity_id,department\nu1,Sales,extra\n"), 0o644)
	os.WriteFile(filepath.Join(bad, "assignments.csv"), []byte("identity_id,role_id\nu1,R1\n"), 0o644)
	if _, stderr, code := runBin(t, "mine", "--data", bad, "--out", t.TempDir()); code != 2 || !strings.Contains(stderr, "identities.csv") {
		t.Errorf("bad input: exit %d, want 2; stderr: %s", code, stderr)
	}

	// After the load, on the command's goroutine; while the model's files are staged, on
	// it too; while the report's are, on the goroutine writing them beside the model's.
	for _, point := range []string{"mine:loaded", "outdir:create:rules.json", "outdir:create:report.html"} {
		out := copySet(t, ref)
		stderr := mineExits1(t, bin, data, out, crashpoint.PanicPrefix+point)
		want := internalLine + "panic: crashpoint " + point + "; please report it with the log\n"
		if !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, "crashpoint.Hit") {
			t.Errorf("panic at %s: stderr %q, want %q then the stack", point, stderr, want)
		}
		if got := oneSet(t, out); !sameSet(t, got, prev, out, ref) {
			t.Errorf("panic at %s changed the previous output set", point)
		}
	}
}
