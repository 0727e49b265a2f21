// Package plugins runs rolemine's WebAssembly criterion plugins (docs/plugins.md) on
// wazero: it loads and compiles each module once, instantiates one sandboxed instance per
// worker, feeds identity rows in batches through the ABI of ABI.md, validates what comes
// back, and adds the derived, possibly multi-valued attributes to the snapshot as ordinary
// dimensions before mining.
//
// Any fault of a plugin (trap, time limit, memory cap, malformed output, wrong ABI version,
// sandbox violation) is an *Error naming the plugin, the identity rows of the batch and the
// cause; the caller must then write no model.
package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/rolemine/rolemine/internal/uerr"
)

// ABIVersion is the version of the plugin ABI this host implements (ABI.md).
const ABIVersion = 1

// Defaults of Options.
const (
	DefaultMemoryMiB = 256
	DefaultTimeout   = 10 * time.Second
	DefaultBatchRows = 8192
)

// Options configure a Host. Zero values take the defaults.
type Options struct {
	// MemoryMiB caps the linear memory of every plugin instance (default 256 MiB).
	MemoryMiB int
	// Timeout bounds every call into a plugin: start-up, init and each batch (default 10 s).
	Timeout time.Duration
	// Workers is the number of instances per plugin working on batches in parallel
	// (default GOMAXPROCS).
	Workers int
	// BatchRows is the number of identities per batch (default 8192).
	BatchRows int
	// MemoryBudget is the memory, in bytes, that the instances of one plugin may hold
	// together (0: no bound). It lowers the instances in flight to the number whose
	// worst case, InstanceBound each, fits (at least one); docs/plugins.md#host-memory.
	MemoryBudget int64
	// CacheDir holds wazero's compilation cache, so that a new process does not compile a
	// plugin again. "" means the user cache directory (rolemine/wazero); "-" disables the
	// on-disk cache.
	CacheDir string
	Logger   *slog.Logger
}

// Host compiles and runs plugins. It is safe for one goroutine at a time; Apply runs its
// own workers. Close releases every compiled module and instance.
type Host struct {
	opts Options
	// rt runs instrumented modules (fuel.go), rtChecked the others with wazero's checks.
	rt, rtChecked wazero.Runtime
	cache         wazero.CompilationCache
	// cacheDir is the on-disk compilation cache's directory, "" when in memory only.
	cacheDir string
	log      *slog.Logger
}

// NewHost creates a wazero runtime with the sandbox of ABI.md: a WASI preview 1 module with
// no file system, network, environment or arguments, a fake deterministic clock and random
// source, the memory cap, and calls that stop when their time limit passes.
func NewHost(ctx context.Context, opts Options) (*Host, error) {
	if opts.MemoryMiB <= 0 {
		opts.MemoryMiB = DefaultMemoryMiB
	}
	if opts.MemoryMiB > 4096 {
		return nil, uerr.New("plugins: memory cap %d MiB is above the 4096 MiB a 32-bit WebAssembly module can address", opts.MemoryMiB)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = DefaultBatchRows
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Host{opts: opts, log: log}
	if opts.CacheDir != "-" {
		dir := opts.CacheDir
		if dir == "" {
			if base, err := os.UserCacheDir(); err == nil {
				dir = filepath.Join(base, "rolemine", "wazero")
			}
		}
		if dir != "" {
			c, err := wazero.NewCompilationCacheWithDir(dir)
			if err == nil {
				if err = cacheWritable(dir); err != nil {
					c.Close(ctx)
				}
			}
			if err != nil {
				log.Warn("plugin compilation cache unavailable; compiling in memory", "dir", dir, "err", err)
			} else {
				h.cache, h.cacheDir = c, dir
			}
		}
	}
	if h.cache == nil {
		h.cache = wazero.NewCompilationCache()
	}
	for _, closeOnDone := range []bool{false, true} {
		rt, err := h.newRuntime(ctx, closeOnDone)
		if err != nil {
			h.Close(ctx)
			return nil, err
		}
		if closeOnDone {
			h.rtChecked = rt
		} else {
			h.rt = rt
		}
	}
	return h, nil
}

// newRuntime creates a runtime with the sandbox's host modules and the memory cap, sharing
// the host's compilation cache. With closeOnDone wazero stops a call whose context is done
// by checking at every loop header (for modules instrument could not rewrite); without,
// only instrumented modules run on it (fuel.go). wazero's cache keys do not include that
// setting, so the two runtimes must never compile the same bytes: one gets instrumented
// modules, the other the modules instrument refused.
func (h *Host) newRuntime(ctx context.Context, closeOnDone bool) (wazero.Runtime, error) {
	rc := wazero.NewRuntimeConfig().
		WithCloseOnContextDone(closeOnDone).
		WithMemoryLimitPages(h.memoryPages()).
		WithCompilationCache(h.cache)
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	if err := instantiateSandboxWASI(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("plugins: instantiate WASI: %w", err)
	}
	if err := instantiateAbort(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("plugins: instantiate env.abort: %w", err)
	}
	return rt, nil
}

// InstanceBound is the most host memory one instance of a plugin under a memory cap of
// memoryMiB may hold while it runs a batch: its linear memory, which wazero keeps in a
// Go byte slice grown by reallocation, so up to a quarter above the cap, and the input
// batch sent to it (its answer is read in place, and decoded into values the run keeps
// whatever the number of instances). The batch is counted at a MiB: 8,192 rows of a few
// short values measured 0.13 to 0.23 MiB.
func InstanceBound(memoryMiB int) int64 { return int64(memoryMiB)<<20*5/4 + 1<<20 }

// instances is the number of instances that run a plugin's nb batches at once: the
// workers, at most one per batch, and at most as many as MemoryBudget holds.
func (h *Host) instances(nb int) int {
	n := min(h.opts.Workers, max(nb, 1))
	if b := h.opts.MemoryBudget; b > 0 {
		n = min(n, max(1, int(b/InstanceBound(h.opts.MemoryMiB))))
	}
	return n
}

// memoryPages is the memory cap in 64 KiB WebAssembly pages.
func (h *Host) memoryPages() uint32 { return uint32(h.opts.MemoryMiB) * 16 }

// Close releases the runtime and the compilation cache handle.
func (h *Host) Close(ctx context.Context) error {
	var err error
	for _, rt := range []wazero.Runtime{h.rt, h.rtChecked} {
		if rt != nil {
			if cerr := rt.Close(ctx); err == nil {
				err = cerr
			}
		}
	}
	if cerr := h.cache.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

// instCtxKey carries the calling instance into host functions.
type instCtxKey struct{}

// sandboxViolation is the panic value of a host function refusing a capability.
type sandboxViolation struct{ what string }

// instantiateSandboxWASI instantiates wasi_snapshot_preview1 with path_open replaced by a
// function that fails the plugin: no file system is granted, so opening a file is a
// sandbox violation rather than an error a plugin could ignore.
func instantiateSandboxWASI(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder(wasi_snapshot_preview1.ModuleName)
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(b)
	b.NewFunctionBuilder().WithGoModuleFunction(guardHost(wasi_snapshot_preview1.ModuleName+".path_open", func(ctx context.Context, m api.Module, stack []uint64) {
		// path_open(fd, dirflags, path, path_len, oflags, rights, rights_inh, fdflags, result_fd)
		path := "?"
		if buf, ok := m.Memory().Read(uint32(stack[2]), min(uint32(stack[3]), 256)); ok {
			path = string(buf)
		}
		v := &sandboxViolation{what: fmt.Sprintf("attempted to open file %q; plugins get no file system", path)}
		if in, ok := ctx.Value(instCtxKey{}).(*instance); ok {
			in.violation = v.what
		}
		panic(v)
	}), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32,
		api.ValueTypeI64, api.ValueTypeI64, api.ValueTypeI32, api.ValueTypeI32},
		[]api.ValueType{api.ValueTypeI32}).
		WithParameterNames("fd", "dirflags", "path", "path_len", "oflags", "fs_rights_base", "fs_rights_inheriting", "fdflags", "result.opened_fd").
		Export("path_open")
	_, err := b.Instantiate(ctx)
	return err
}

// Spec names a plugin to load.
type Spec struct {
	// Path is the .wasm file.
	Path string
	// Config is passed to the plugin's init as is (nil: no configuration).
	Config []byte
	// Origin says where the plugin was requested, for messages ("--plugin",
	// "mining.xml:12").
	Origin string
}

// Manifest is what a plugin declares at init (ABI.md).
type Manifest struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Inputs  []string `json:"inputs"`
	Outputs []string `json:"outputs"`
}

// Error is a plugin fault. Rows are 1-based positions in the identities file order
// (0, 0 when the fault happened before any batch).
type Error struct {
	Plugin   string
	Path     string
	FirstRow int
	LastRow  int
	// FirstID and LastID are the identity ids of FirstRow and LastRow.
	FirstID, LastID string
	// Inputs is the number of distinct input tuples in the batch (identities with equal
	// inputs share one).
	Inputs int
	Cause  string
}

func (e *Error) Error() string {
	where := "at start-up"
	if e.FirstRow > 0 {
		where = fmt.Sprintf("batch of identity rows %d-%d (%s .. %s; %d distinct inputs)", e.FirstRow, e.LastRow, e.FirstID, e.LastID, e.Inputs)
	}
	return fmt.Sprintf("plugin %s (%s): %s: %s", e.Plugin, e.Path, where, e.Cause)
}

// Plugin is a compiled plugin, with its manifest once started.
type Plugin struct {
	h        *Host
	spec     Spec
	name     string
	compiled wazero.CompiledModule
	// fueled: compiled from instrumented bytes (fuel.go), run on h.rt; else on h.rtChecked.
	fueled bool
	// startup names what instantiation runs, for fault messages: the module's start
	// function (asc emits one for top-level code), its _initialize export (Go and WASI
	// reactors), or both.
	startup  string
	manifest Manifest
	// digest is the SHA-256 of the module's bytes as read, hex-encoded.
	digest string
	// first is the instance Start created to read the manifest; Apply reuses it.
	first *instance
	// instances is the number of instances the last Derive ran at once.
	instances int
}

// Manifest returns the manifest the plugin declared.
func (p *Plugin) Manifest() Manifest { return p.manifest }

// Name returns the plugin's declared name.
func (p *Plugin) Name() string { return p.name }

// Digest returns the hex SHA-256 of the module file's bytes: what identifies a build of
// the plugin in a model's summary.json (docs/plugins.md#model-record).
func (p *Plugin) Digest() string { return p.digest }

// Spec returns what the plugin was loaded from.
func (p *Plugin) Spec() Spec { return p.spec }

// Load reads and compiles a plugin (Compile) and starts it (Start).
func (h *Host) Load(ctx context.Context, spec Spec) (*Plugin, error) {
	p, err := h.Compile(ctx, spec)
	if err != nil {
		return nil, err
	}
	if err := p.Start(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// Compile reads and compiles a plugin and checks that it exports the functions ABI.md
// requires, without running it: a run compiles its plugins before it reads any data
// (docs/cli.md#cli-checks). A missing or unreadable file, a file that is not WebAssembly
// and a module that is not a rolemine plugin are user errors (exit 2) naming spec.Origin
// and the file.
func (h *Host) Compile(ctx context.Context, spec Spec) (*Plugin, error) {
	wasm, err := os.ReadFile(spec.Path)
	if err != nil {
		return nil, uerr.New("%s: plugin: %w", spec.Origin, err)
	}
	sum := sha256.Sum256(wasm)
	p := &Plugin{h: h, spec: spec, name: strings.TrimSuffix(filepath.Base(spec.Path), ".wasm"), digest: hex.EncodeToString(sum[:])}
	t := time.Now()
	p.compiled, p.fueled, err = h.compile(ctx, wasm, spec.Path)
	if err != nil {
		if pages, ok := initialMemoryPages(wasm); ok && pages > uint64(h.memoryPages()) {
			// A valid module, too large for the cap: say so rather than "not valid".
			return nil, uerr.New("%s: plugin %s: its initial memory, %d pages (%.1f MiB), is above the memory cap of %d MiB (--plugin-memory)",
				spec.Origin, spec.Path, pages, float64(pages)/16, h.opts.MemoryMiB)
		}
		return nil, uerr.New("%s: plugin %s: not a valid WebAssembly module: %w", spec.Origin, spec.Path, err)
	}
	h.log.Debug("plugin compiled", "path", spec.Path, "seconds", time.Since(t).Seconds())
	if err := checkExports(p.compiled); err != nil {
		// Not a rolemine plugin, or another ABI: the user gave the wrong file (exit 2).
		return nil, uerr.Wrap(p.fault(0, 0, 0, nil, err.Error()))
	}
	if err := h.checkImports(p.compiled); err != nil {
		// It could never be instantiated: found here, before any data is read.
		return nil, uerr.Wrap(p.fault(0, 0, 0, nil, err.Error()))
	}
	_, initialize := p.compiled.ExportedFunctions()["_initialize"]
	switch start := hasStartSection(wasm); {
	case start && initialize:
		p.startup = "start-up (start function, _initialize)"
	case start:
		p.startup = "start-up (start function)"
	default:
		p.startup = "start-up (_initialize)"
	}
	return p, nil
}

// hasStartSection reports whether a module that compiled has a start section, the
// function WebAssembly runs when the module is instantiated.
func hasStartSection(wasm []byte) bool {
	b := wasm[min(8, len(wasm)):] // after the magic number and version
	for len(b) > 0 {
		id := b[0]
		size, n := binary.Uvarint(b[1:])
		if n <= 0 || size > uint64(len(b)-1-n) {
			return false
		}
		if id == 8 {
			return true
		}
		b = b[1+n+int(size):]
	}
	return false
}

// Start instantiates a compiled plugin once, checks its ABI version and calls its init
// with the configuration to get its manifest. A plugin that fails at start-up is an
// *Error.
func (p *Plugin) Start(ctx context.Context) error {
	in, err := p.instantiate(ctx)
	if err != nil {
		return err
	}
	m, err := in.init(ctx, p.spec.Config)
	if err != nil {
		in.close(ctx)
		return err
	}
	p.manifest = *m
	p.name = m.Name
	p.first = in
	return nil
}

// fault builds the *Error of a fault in a batch of count distinct inputs spanning identity
// rows [lo, hi) (0, 0: at start-up).
func (p *Plugin) fault(lo, hi, count int, ids []string, cause string) *Error {
	e := &Error{Plugin: p.name, Path: p.spec.Path, Inputs: count, Cause: cause}
	if hi > lo {
		e.FirstRow, e.LastRow = lo+1, hi
		if ids != nil {
			e.FirstID, e.LastID = ids[lo], ids[hi-1]
		}
	}
	return e
}

// checkExports verifies the exports and signatures ABI.md requires, and that the module
// is a WASI reactor, not a command.
func checkExports(m wazero.CompiledModule) error {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	want := []struct {
		name        string
		params, res []api.ValueType
	}{
		{"rolemine_abi_version", nil, []api.ValueType{i32}},
		{"rolemine_alloc", []api.ValueType{i32}, []api.ValueType{i32}},
		{"rolemine_init", []api.ValueType{i32, i32}, []api.ValueType{i32}},
		{"rolemine_batch", []api.ValueType{i32, i32}, []api.ValueType{i32}},
		{"rolemine_result", nil, []api.ValueType{i64}},
	}
	fns := m.ExportedFunctions()
	for _, w := range want {
		f, ok := fns[w.name]
		if !ok {
			if w.name == "rolemine_abi_version" {
				return errors.New("not a rolemine plugin: no export rolemine_abi_version (see plugins/ABI.md)")
			}
			return fmt.Errorf("ABI version %d requires the export %s", ABIVersion, w.name)
		}
		if !sameTypes(f.ParamTypes(), w.params) || !sameTypes(f.ResultTypes(), w.res) {
			return fmt.Errorf("export %s has signature %s -> %s; ABI version %d expects %s -> %s",
				w.name, typeNames(f.ParamTypes()), typeNames(f.ResultTypes()), ABIVersion, typeNames(w.params), typeNames(w.res))
		}
	}
	if _, ok := fns["_start"]; ok {
		// A WASI command: its exports may not be called before _start, which runs its
		// main and exits (a Go guest traps with "call _start first").
		return errors.New("a WASI command module (it exports _start); a plugin must be a WASI reactor (see plugins/ABI.md): with Go, build it with -buildmode=c-shared")
	}
	if len(m.ExportedMemories()) == 0 {
		return errors.New("the module exports no memory")
	}
	return nil
}

// checkImports verifies that the module imports only functions of the sandbox's
// wasi_snapshot_preview1 and env.abort, with their signatures (ABI.md, Sandbox), and no
// memory.
func (h *Host) checkImports(m wazero.CompiledModule) error {
	wasi := h.rt.Module(wasi_snapshot_preview1.ModuleName).ExportedFunctionDefinitions()
	for _, f := range m.ImportedFunctions() {
		mod, name, _ := f.Import()
		if mod == abortModule && name == abortName {
			if !sameTypes(f.ParamTypes(), abortParams) || len(f.ResultTypes()) > 0 {
				return fmt.Errorf("imports %s.%s with signature %s -> %s; the host's (AssemblyScript's) is %s -> ()",
					mod, name, typeNames(f.ParamTypes()), typeNames(f.ResultTypes()), typeNames(abortParams))
			}
			continue
		}
		if mod != wasi_snapshot_preview1.ModuleName {
			return fmt.Errorf("imports %s.%s%s; a plugin may import only %s and %s.%s (see plugins/ABI.md)", mod, name, ascImportHint(mod, name), wasi_snapshot_preview1.ModuleName, abortModule, abortName)
		}
		w, ok := wasi[name]
		if !ok {
			return fmt.Errorf("imports %s.%s, which WASI preview 1 does not define", mod, name)
		}
		if !sameTypes(f.ParamTypes(), w.ParamTypes()) || !sameTypes(f.ResultTypes(), w.ResultTypes()) {
			return fmt.Errorf("imports %s.%s with signature %s -> %s; WASI preview 1 defines %s -> %s",
				mod, name, typeNames(f.ParamTypes()), typeNames(f.ResultTypes()), typeNames(w.ParamTypes()), typeNames(w.ResultTypes()))
		}
	}
	for _, mem := range m.ImportedMemories() {
		mod, name, _ := mem.Import()
		return fmt.Errorf("imports memory %s.%s; a plugin must define and export its own memory (see plugins/ABI.md)", mod, name)
	}
	return nil
}

// ascImportHint names the AssemblyScript function for which asc adds an env import the
// sandbox refuses (console.log, trace, Math.random, Date.now), so that the first
// AssemblyScript user to call one learns why the plugin is refused; "" for other imports.
func ascImportHint(mod, name string) string {
	what := ""
	switch {
	case mod != abortModule:
	case strings.HasPrefix(name, "console."), name == "trace", name == "Date.now", name == "performance.now":
		what = name
	case name == "seed":
		what = "Math.random"
	}
	if what == "" {
		return ""
	}
	return fmt.Sprintf(", which asc adds for AssemblyScript's %s (docs/plugins.md#writing-a-plugin-in-assemblyscript)", what)
}

func sameTypes(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func typeNames(ts []api.ValueType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = api.ValueTypeName(t)
	}
	return "(" + strings.Join(s, ", ") + ")"
}
