// Package testroot gives a test binary one private temporary directory and removes it
// when the binary's tests end.
//
// Tests that build the rolemine binary, generate a tier or compile plugins once per test
// binary keep those files for the whole run, so they cannot use t.TempDir. Without a
// common root they would stay in the system's temporary directory after every run.
package testroot

import (
	"fmt"
	"os"
	"testing"
)

// Main points TMPDIR (and so os.TempDir, os.MkdirTemp("", ...), t.TempDir and the
// commands the tests start) at a fresh directory, runs the tests, removes the directory
// and returns the tests' exit code. Use it from TestMain: os.Exit(testroot.Main(m)).
func Main(m *testing.M) int {
	dir, err := os.MkdirTemp("", "rolemine-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testroot:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.Setenv("TMPDIR", dir); err != nil {
		fmt.Fprintln(os.Stderr, "testroot:", err)
		return 1
	}
	return m.Run()
}
