package main

import (
	"debug/buildinfo"
	"os"
	"path/filepath"
	"testing"
)

// TestBuildUsesProfile checks that a plain `go build` of the command, as `make build`, the
// end-to-end tests and the Docker image run it, is optimised with the committed CPU profile
// (default.pgo beside main.go, Go's -pgo=auto; scripts/pgo.sh rewrites it).
func TestBuildUsesProfile(t *testing.T) {
	if os.Getenv("ROLEMINE_BIN") != "" {
		t.Skip("a prebuilt binary: its build is not this test's")
	}
	if _, err := os.Stat("default.pgo"); err != nil {
		t.Fatalf("cmd/rolemine/default.pgo: %v (scripts/pgo.sh writes it)", err)
	}
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range info.Settings {
		if s.Key == "-pgo" {
			if filepath.Base(s.Value) != "default.pgo" {
				t.Fatalf("built with -pgo=%s, want the committed default.pgo", s.Value)
			}
			return
		}
	}
	t.Fatalf("built without a profile (no -pgo build setting in %v)", info.Settings)
}
