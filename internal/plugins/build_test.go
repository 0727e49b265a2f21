package plugins

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// wasmBuild compiles plugin packages to WebAssembly once per test binary.
var wasmBuild = struct {
	mu    sync.Mutex
	dir   string
	built map[string]string
}{built: map[string]string{}}

// buildPlugins compiles the given packages (relative to plugins/, e.g.
// "../../plugins/examples/titlefamily") with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared, in parallel,
// and returns the .wasm paths in the same order.
func buildPlugins(t testing.TB, pkgs ...string) []string {
	t.Helper()
	wasmBuild.mu.Lock()
	defer wasmBuild.mu.Unlock()
	if wasmBuild.dir == "" {
		d, err := os.MkdirTemp("", "rolemine-plugins")
		if err != nil {
			t.Fatal(err)
		}
		wasmBuild.dir = d
	}
	var wg sync.WaitGroup
	errs := make([]error, len(pkgs))
	outs := make([]string, len(pkgs))
	for i, pkg := range pkgs {
		if p, ok := wasmBuild.built[pkg]; ok {
			outs[i] = p
			continue
		}
		outs[i] = filepath.Join(wasmBuild.dir, strings.ReplaceAll(pkg, "/", "_")+".wasm")
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", outs[i], "./"+pkg)
			cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = &buildErr{pkg: pkg, out: string(out), err: err}
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("build plugin: %v", err)
		}
		wasmBuild.built[pkgs[i]] = outs[i]
	}
	return outs
}

type buildErr struct {
	pkg, out string
	err      error
}

func (e *buildErr) Error() string { return e.pkg + ": " + e.err.Error() + "\n" + e.out }

// testHost is a host with a private compilation cache directory.
func testHost(t testing.TB, opts Options) *Host {
	t.Helper()
	if opts.CacheDir == "" {
		opts.CacheDir = filepath.Join(os.TempDir(), "rolemine-plugins-test-cache")
	}
	h, err := NewHost(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	return h
}
