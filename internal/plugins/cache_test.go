package plugins

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDamagedCacheRebuilt damages every entry of the on-disk compilation cache: the next
// host must still load the plugin, rewrite the cache, and the one after must load it from
// a sound cache (issue 16, defect 10: a damaged entry broke the plugin for good).
func TestDamagedCacheRebuilt(t *testing.T) {
	wasm := buildPlugins(t, "testdata/echo")[0]
	cache := t.TempDir()
	load := func() error {
		h := testHost(t, Options{CacheDir: cache})
		_, err := h.Load(context.Background(), Spec{Path: wasm, Origin: "test"})
		return err
	}
	if err := load(); err != nil {
		t.Fatal(err)
	}
	entries := cacheFiles(t, cache)
	if len(entries) == 0 {
		t.Fatal("the first load wrote no cache entry")
	}
	for _, e := range entries {
		b, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		for i := len(b) / 2; i < len(b); i += 7 {
			b[i] ^= 0x5a
		}
		if err := os.WriteFile(e, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := load(); err != nil {
		t.Fatalf("load with a damaged cache: %v", err)
	}
	for _, e := range cacheFiles(t, cache) {
		b, _ := os.ReadFile(e)
		if len(b) == 0 {
			t.Fatalf("cache entry %s empty after the rebuild", e)
		}
	}
	if err := load(); err != nil {
		t.Fatalf("load after the rebuild: %v", err)
	}
	// A module that is not WebAssembly is still refused, cache or not.
	bad := filepath.Join(t.TempDir(), "bad.wasm")
	os.WriteFile(bad, []byte("\x00asm\x01\x00\x00\x00garbage"), 0o644)
	h := testHost(t, Options{CacheDir: cache})
	if _, err := h.Load(context.Background(), Spec{Path: bad, Origin: "test"}); err == nil || !strings.Contains(err.Error(), "not a valid WebAssembly module") {
		t.Fatalf("bad module: %v", err)
	}
}

func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestReadOnlyCacheNotUsed: a compilation cache rolemine cannot write, holding a damaged
// entry, is not used: the plugin compiles in memory, instrumented (fuel.go), with one
// warning that the cache is unavailable. Before, wazero failed every compilation it could
// not write, which was taken for a damaged cache ("rebuilding it", then "could not clear"),
// and the plugin ran uninstrumented, with wazero's slower time-limit check. Root writes
// anyway, so the test needs another user.
func TestReadOnlyCacheNotUsed(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into a read-only directory")
	}
	wasm := buildPlugins(t, "testdata/echo")[0]
	cache := t.TempDir()
	if _, err := testHost(t, Options{CacheDir: cache}).Load(context.Background(), Spec{Path: wasm, Origin: "test"}); err != nil {
		t.Fatal(err)
	}
	for _, e := range cacheFiles(t, cache) {
		if err := os.WriteFile(e, []byte("WAZEVO damaged"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o555)
			t.Cleanup(func() { os.Chmod(p, 0o755) })
		}
		return nil
	})
	var logged strings.Builder
	h := testHost(t, Options{CacheDir: cache, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	p, err := h.Load(context.Background(), Spec{Path: wasm, Origin: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if !p.fueled {
		t.Error("the plugin runs uninstrumented")
	}
	if l := logged.String(); strings.Contains(l, "damaged") || !strings.Contains(l, "plugin compilation cache unavailable; compiling in memory") {
		t.Errorf("log %q: want one warning that the cache is unavailable", l)
	}
}

// TestPurgeCacheRemovesDirectoryEntries: clearing a damaged cache removes every entry,
// a directory in an entry's place included, and keeps the directories wazero writes
// into. A directory entry was kept, so the plugin's compilation failed in every run and
// it ran uninstrumented (found by the semantic audit).
func TestPurgeCacheRemovesDirectoryEntries(t *testing.T) {
	dir := t.TempDir()
	ver := filepath.Join(dir, "wazero-v1-amd64-linux")
	for _, p := range []string{filepath.Join(ver, "entrydir", "sub"), filepath.Join(dir, "other")} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(ver, "entry"), filepath.Join(ver, "entrydir", "sub", "x"), filepath.Join(dir, "stray")} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := purgeCache(dir); err != nil {
		t.Fatal(err)
	}
	var left []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(dir, p)
		left = append(left, rel)
		return nil
	})
	if want := []string{".", "other", "wazero-v1-amd64-linux"}; strings.Join(left, " ") != strings.Join(want, " ") {
		t.Errorf("left %v, want %v", left, want)
	}
}
