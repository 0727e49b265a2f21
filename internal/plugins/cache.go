package plugins

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tetratelabs/wazero"
)

// compile compiles a plugin: instrumented (fuel.go) on h.rt, or, when instrument cannot
// rewrite it or the rewritten module does not compile, as it is on h.rtChecked, whose
// error then speaks of the user's module. fueled tells which. A module whose counts
// claim more than its bytes hold is refused before wazero reads it (guard.go).
func (h *Host) compile(ctx context.Context, wasm []byte, path string) (cm wazero.CompiledModule, fueled bool, err error) {
	if err := checkBounds(wasm); err != nil {
		return nil, false, err
	}
	iw, err := instrument(wasm)
	if err == nil {
		if cm, err = h.compileOn(ctx, h.rt, iw, path); err == nil {
			return cm, true, nil
		}
	}
	h.log.Debug("plugin not instrumented; wazero checks its time limit", "plugin", path, "err", err)
	cm, err = h.compileOn(ctx, h.rtChecked, wasm, path)
	return cm, false, err
}

// compileOn compiles a plugin through rt and its compilation cache. The cache is
// never trusted blindly: wazero checks each entry (header, version, checksum) but fails
// the compilation when one is damaged, for good. When compiling through the cache fails
// and compiling without any cache succeeds, the cache is at fault: its entries are
// removed and the plugin compiled again, which writes a sound entry.
func (h *Host) compileOn(ctx context.Context, rt wazero.Runtime, wasm []byte, path string) (wazero.CompiledModule, error) {
	cm, err := compileGuarded(ctx, rt, wasm)
	if err == nil || h.cacheDir == "" {
		return cm, err
	}
	if !h.compilesWithoutCache(ctx, wasm) {
		return nil, err // the module itself is bad
	}
	h.log.Warn("plugin compilation cache damaged; rebuilding it", "dir", h.cacheDir, "plugin", path, "err", err)
	if perr := purgeCache(h.cacheDir); perr != nil {
		h.log.Warn("could not clear the plugin compilation cache; compiling without it", "dir", h.cacheDir, "err", perr)
	}
	return compileGuarded(ctx, rt, wasm)
}

// compilesWithoutCache reports whether wasm compiles in a throwaway runtime that has no
// compilation cache but the host's memory cap: a module whose memory starts above the cap
// fails there too, so it is not taken for a damaged cache (which would clear the cache).
func (h *Host) compilesWithoutCache(ctx context.Context, wasm []byte) bool {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithMemoryLimitPages(h.memoryPages()))
	defer rt.Close(ctx)
	cm, err := compileGuarded(ctx, rt, wasm)
	if err != nil {
		return false
	}
	_ = cm.Close(ctx)
	return true
}

// purgeCache removes every entry of the cache directory, keeping the directories wazero
// writes into: dir and its subdirectories (one per wazero version and platform). Anything
// deeper is no entry wazero wrote; a directory there, in an entry's place, is removed with
// what it holds (kept, it failed every compilation of that plugin for good).
func purgeCache(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return os.Remove(p)
		}
		if rel, _ := filepath.Rel(dir, p); rel != "." && strings.ContainsRune(rel, filepath.Separator) {
			if err := os.RemoveAll(p); err != nil {
				return err
			}
			return filepath.SkipDir
		}
		return nil
	})
}

// cacheWritable checks that entries can be added to the compilation cache in dir: in it
// and in each directory wazero keeps there (one per wazero version and platform). wazero
// fails the compilation of a module it cannot write to its cache, which compileOn took
// for a damaged cache (a false warning, a compilation more, and a plugin that lost its
// instrumentation when an entry could be neither read nor removed); a cache rolemine
// cannot write is not used.
func cacheWritable(dir string) error {
	subs, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	dirs := []string{dir}
	for _, s := range subs {
		if s.IsDir() {
			dirs = append(dirs, filepath.Join(dir, s.Name()))
		}
	}
	for _, d := range dirs {
		f, err := os.CreateTemp(d, ".rolemine-probe-*")
		if err != nil {
			return fmt.Errorf("not writable: %w", err)
		}
		f.Close()
		// (another process clearing a damaged cache may have removed it already)
		if err := os.Remove(f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("not writable: %w", err)
		}
	}
	return nil
}
