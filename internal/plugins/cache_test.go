package plugins

import (
	"context"
	"io/fs"
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
