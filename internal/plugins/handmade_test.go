package plugins

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/uerr"
)

// Hand-assembled modules: what a plugin written in another language, or a broken build,
// may look like (no name section, foreign imports, a large initial memory), which the Go
// SDK's plugins never are.

const (
	wI32 = 0x7f
	wI64 = 0x7e
)

func uleb(n uint64) []byte {
	var b []byte
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func sleb(n int64) []byte {
	var b []byte
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n == 0 && c&0x40 == 0 || n == -1 && c&0x40 != 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func wvec(items ...[]byte) []byte {
	b := uleb(uint64(len(items)))
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

func wi32(v int64) []byte { return append([]byte{0x41}, sleb(v)...) }
func wi64(v int64) []byte { return append([]byte{0x42}, sleb(v)...) }

func wcat(bs ...[]byte) []byte {
	var b []byte
	for _, x := range bs {
		b = append(b, x...)
	}
	return b
}

// setResult stores the i64 on the stack into the global rolemine_result returns.
var setResult = []byte{0x24, 0x00}

func wname(s string) []byte { return append(uleb(uint64(len(s))), s...) }

func wsection(id byte, payload []byte) []byte {
	return append(append([]byte{id}, uleb(uint64(len(payload)))...), payload...)
}

func wtypes(ts ...byte) []byte {
	b := uleb(uint64(len(ts)))
	return append(b, ts...)
}

// wfunc is one exported function of a hand-made module.
type wfunc struct {
	name        string
	params, res []byte
	code        []byte // body without locals and the final end
}

// handPlugin is a module shaped like a rolemine plugin: the five ABI exports answering a
// manifest with one output ("hx") and, per batch, one row count with no values. Entries
// of over replace the export of the same name, or are exported besides the five (such as
// "_initialize"). pages is the initial memory; imports are "module.name" functions of
// type () -> (), or "module.name(iiii)" with an i32 parameter for each i. An entry of over
// named "(start)" is not exported but is the module's start function.
func handPlugin(pages int, imports []string, over ...wfunc) []byte {
	manifest := `{"name":"hand","version":"1","inputs":["title"],"outputs":["hx"]}`
	const moff, out = 1024, 8192
	i32, i64, cat := wi32, wi64, wcat
	fns := []wfunc{
		{"rolemine_abi_version", nil, []byte{wI32}, i32(1)},
		{"rolemine_alloc", []byte{wI32}, []byte{wI32}, i32(4096)},
		{"rolemine_init", []byte{wI32, wI32}, []byte{wI32}, cat(i64(moff<<32|int64(len(manifest))), setResult, i32(0))},
		{"rolemine_batch", []byte{wI32, wI32}, []byte{wI32}, cat(
			i32(out), []byte{0x20, 0x00, 0x28, 0x02, 0x00, 0x36, 0x02, 0x00}, // store(out, load(ptr))
			i32(out+4), i32(1), []byte{0x36, 0x02, 0x00}, // store(out+4, 1)
			i64(out<<32), []byte{0x20, 0x00, 0x28, 0x02, 0x00}, i32(4), []byte{0x6c}, i32(8), []byte{0x6a, 0xad, 0x84},
			setResult, i32(0))},
		{"rolemine_result", nil, []byte{wI64}, []byte{0x23, 0x00}},
	}
	for _, o := range over {
		k := slices.IndexFunc(fns, func(f wfunc) bool { return f.name == o.name })
		if k < 0 {
			fns = append(fns, o)
		} else {
			fns[k] = o
		}
	}
	var start []byte
	var types, imps, funcs, exps, bodies [][]byte
	for _, imp := range imports {
		mod, name, _ := strings.Cut(imp, ".")
		name, sig, _ := strings.Cut(name, "(")
		params := bytes.Repeat([]byte{wI32}, strings.Count(sig, "i"))
		types = append(types, cat([]byte{0x60}, wtypes(params...), wtypes()))
		imps = append(imps, cat(wname(mod), wname(name), []byte{0x00}, uleb(uint64(len(types)-1))))
	}
	for k, f := range fns {
		types = append(types, cat([]byte{0x60}, wtypes(f.params...), wtypes(f.res...)))
		funcs = append(funcs, uleb(uint64(len(types)-1)))
		if f.name == "(start)" {
			start = uleb(uint64(len(imports) + k))
		} else {
			exps = append(exps, cat(wname(f.name), []byte{0x00}, uleb(uint64(len(imports)+k))))
		}
		body := cat([]byte{0x00}, f.code, []byte{0x0b})
		bodies = append(bodies, cat(uleb(uint64(len(body))), body))
	}
	exps = append(exps, cat(wname("memory"), []byte{0x02, 0x00}))
	data := cat([]byte{0x00}, i32(moff), []byte{0x0b}, wname(manifest))
	m := []byte("\x00asm\x01\x00\x00\x00")
	m = append(m, wsection(1, wvec(types...))...)
	if len(imps) > 0 {
		m = append(m, wsection(2, wvec(imps...))...)
	}
	m = append(m, wsection(3, wvec(funcs...))...)
	m = append(m, wsection(5, wvec(cat([]byte{0x00}, uleb(uint64(pages)))))...)
	m = append(m, wsection(6, wvec(cat([]byte{wI64, 0x01}, i64(0), []byte{0x0b})))...)
	m = append(m, wsection(7, wvec(exps...))...)
	if start != nil {
		m = append(m, wsection(8, start)...)
	}
	m = append(m, wsection(10, wvec(bodies...))...)
	return append(m, wsection(11, wvec(data))...)
}

func writeWasm(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hand.wasm")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHandMadeModules runs the hand-made plugin and its faults: the sound one derives its
// (empty) attribute; the others fail with the cause named, the call named by its export
// although the module has no name section, and guest bytes escaped.
func TestHandMadeModules(t *testing.T) {
	loop := []byte{0x03, 0x40, 0x0c, 0x00, 0x0b}
	// The result: the manifest's 65 bytes at 1024 and 15 zero bytes after them.
	result := wcat(wi64(1024<<32|80), setResult)
	// AssemblyScript strings "bad" at 2052 and "a.ts" at 2064 (UTF-16LE, byte length in the
	// 4 bytes before), then abort("bad", "a.ts", 12, 5) as its runtime calls it.
	store := func(addr, v int64) []byte { return wcat(wi32(addr), wi32(v), []byte{0x36, 0x02, 0x00}) }
	abort := wcat(store(2048, 6), store(2052, 0x00610062), store(2056, 0x64),
		store(2060, 8), store(2064, 0x002e0061), store(2068, 0x00730074),
		wi32(2052), wi32(2064), wi32(12), wi32(5), []byte{0x10, 0x00, 0x00})
	for _, tc := range []struct {
		name    string
		imports []string
		over    []wfunc
		cause   string
	}{
		{"sound", nil, nil, ""},
		{"sound, importing env.abort", []string{"env.abort(iiii)"}, nil, ""},
		{"AssemblyScript abort in a batch", []string{"env.abort(iiii)"}, []wfunc{{"rolemine_batch", []byte{wI32, wI32}, []byte{wI32}, abort}},
			"plugin aborted in rolemine_batch: bad (at a.ts:12:5)"},
		{"endless loop in the start function", nil, []wfunc{{"(start)", nil, nil, loop}},
			"time limit of 1s per call exceeded in start-up (start function)"},
		{"unreachable in _initialize", nil, []wfunc{{"_initialize", nil, nil, []byte{0x00}}},
			"trap in start-up (_initialize): wasm error: unreachable"},
		{"start function and _initialize", nil, []wfunc{{"(start)", nil, nil, nil}, {"_initialize", nil, nil, []byte{0x00}}},
			"trap in start-up (start function, _initialize): wasm error: unreachable"},
		{"endless loop in init", nil, []wfunc{{"rolemine_init", []byte{wI32, wI32}, []byte{wI32}, append(loop, 0x41, 0x00)}},
			"time limit of 1s per call exceeded in rolemine_init"},
		{"endless loop in a batch", nil, []wfunc{{"rolemine_batch", []byte{wI32, wI32}, []byte{wI32}, append(loop, 0x41, 0x00)}},
			"time limit of 1s per call exceeded in rolemine_batch"},
		{"unreachable in a batch", nil, []wfunc{{"rolemine_batch", []byte{wI32, wI32}, []byte{wI32}, []byte{0x00}}},
			"trap in rolemine_batch: wasm error: unreachable"},
		{"status 7", nil, []wfunc{{"rolemine_batch", []byte{wI32, wI32}, []byte{wI32}, wcat(result, wi32(7))}},
			"rolemine_batch returned status 7; expected 0 (success) or 1 (error"},
		{"error without a message", nil, []wfunc{{"rolemine_batch", []byte{wI32, wI32}, []byte{wI32}, wcat(wi64(0), setResult, wi32(1))}},
			"plugin reported an error: (the plugin gave no message)"},
		{"init error without a message", nil, []wfunc{{"rolemine_init", []byte{wI32, wI32}, []byte{wI32}, wi32(1)}},
			"init failed: (the plugin gave no message)"},
		{"error with control bytes", nil, []wfunc{{"rolemine_batch", []byte{wI32, wI32}, []byte{wI32}, wcat(result, wi32(1))}},
			`plugin reported an error: {"name":"hand","version":"1","inputs":["title"],"outputs":["hx"]}\x00\x00`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := testHost(t, Options{Timeout: time.Second, BatchRows: 4, Workers: 1})
			p, err := h.Load(context.Background(), Spec{Path: writeWasm(t, handPlugin(1, tc.imports, tc.over...)), Origin: "test"})
			if err == nil {
				err = Apply(context.Background(), faultSnapshot(), []*Plugin{p})
			}
			if tc.cause == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var pe *Error
			if !errors.As(err, &pe) || !strings.Contains(pe.Cause, tc.cause) || strings.ContainsRune(err.Error(), 0) {
				t.Fatalf("err = %q, want a plugin fault with cause %q and no NUL byte", err, tc.cause)
			}
		})
	}
}

// TestForeignImportsRefusedAtCompile: a module importing anything but WASI preview 1's
// functions can never be instantiated; Compile (run before any data is read) refuses it as
// a usage error naming the import, rather than the run failing after loading with a "trap".
func TestForeignImportsRefusedAtCompile(t *testing.T) {
	for imp, want := range map[string]string{
		"env.foo":                           "imports env.foo; a plugin may import only wasi_snapshot_preview1 and env.abort",
		"env.console.log":                   "imports env.console.log, which asc adds for AssemblyScript's console.log (docs/plugins.md#writing-a-plugin-in-assemblyscript); a plugin may import only",
		"env.seed":                          "imports env.seed, which asc adds for AssemblyScript's Math.random (docs/plugins.md",
		"other.trace":                       "imports other.trace; a plugin may import only",
		"env.abort":                         "imports env.abort with signature () -> (); the host's (AssemblyScript's) is (i32, i32, i32, i32) -> ()",
		"wasi_snapshot_preview1.no_such_fn": "imports wasi_snapshot_preview1.no_such_fn, which WASI preview 1 does not define",
		"wasi_snapshot_preview1.fd_write":   "imports wasi_snapshot_preview1.fd_write with signature () -> (); WASI preview 1 defines (i32, i32, i32, i32) -> (i32)",
	} {
		h := testHost(t, Options{})
		_, err := h.Compile(context.Background(), Spec{Path: writeWasm(t, handPlugin(1, []string{imp})), Origin: "test"})
		if err == nil || !strings.Contains(err.Error(), want) || !uerr.Is(err) {
			t.Errorf("import %s: err = %v, want a usage error containing %q", imp, err, want)
		}
	}
}

// TestMemoryAboveCapKeepsCache: a module whose initial memory is above the cap fails to
// compile with and without the cache; that is the module's fault, so the compilation
// cache is left alone (it was cleared as "damaged", with a warning, before the audit).
func TestMemoryAboveCapKeepsCache(t *testing.T) {
	cache := t.TempDir()
	sentinel := filepath.Join(cache, "entry")
	if err := os.WriteFile(sentinel, []byte("another plugin's entry"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	h := testHost(t, Options{CacheDir: cache, MemoryMiB: 64, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	_, err := h.Compile(context.Background(), Spec{Path: writeWasm(t, handPlugin(4096, nil)), Origin: "test"})
	if err == nil || !uerr.Is(err) || !strings.Contains(err.Error(), "its initial memory, 4096 pages (256.0 MiB), is above the memory cap of 64 MiB (--plugin-memory)") {
		t.Fatalf("err = %v, want the memory over the cap", err)
	}
	if _, err := os.Stat(sentinel); err != nil {
		t.Errorf("the compilation cache was cleared: %v", err)
	}
	if strings.Contains(logged.String(), "damaged") {
		t.Errorf("warned of a damaged cache: %s", logged.String())
	}
}

// TestWrongBuildsExitTwo: a module built for another ABI version, and a WASI command
// (exporting _start, as a Go plugin built without -buildmode=c-shared does), are the wrong
// file for this rolemine, found before any data is read: usage errors (exit 2) saying so.
// The first exited 1 as a plugin fault; the second trapped in rolemine_abi_version ("call
// _start first" from a Go guest), exit 1.
func TestWrongBuildsExitTwo(t *testing.T) {
	for _, tc := range []struct {
		name string
		over wfunc
		want string
	}{
		{"ABI version 2", wfunc{"rolemine_abi_version", nil, []byte{wI32}, wi32(2)},
			"at start-up: plugin implements ABI version 2; this rolemine implements version 1 (see plugins/ABI.md)"},
		{"command module", wfunc{"_start", nil, nil, []byte{0x00}},
			"at start-up: a WASI command module (it exports _start); a plugin must be a WASI reactor (see plugins/ABI.md): with Go, build it with -buildmode=c-shared"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := testHost(t, Options{Timeout: time.Second})
			_, err := h.Load(context.Background(), Spec{Path: writeWasm(t, handPlugin(1, nil, tc.over)), Origin: "test"})
			var pe *Error
			if err == nil || !uerr.Is(err) || !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a usage error (exit 2) naming the plugin, with %q", err, tc.want)
			}
		})
	}
}
