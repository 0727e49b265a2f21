package plugins

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/fuzzmin"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// refusalReasons are the causes instrument gives when it refuses a module; a refusal must
// end in one of them (the wrapping, such as "function body 3: ", may come before).
var refusalReasons = regexp.MustCompile(`(not a WebAssembly 1\.0 binary module|truncated module|` +
	`LEB128 integer too long|import of unknown kind \d+|no memory, or the module already exports ` +
	`rolemine\.stop or rolemine\.start|no code section|bytes after the last function body|` +
	`instruction 0x[0-9A-F]{2} \d+ at offset \d+: not instrumented)$`)

// FuzzInstrument: instrument never panics on any input; when it refuses a module, it says
// why; when it accepts one that wazero compiles, wazero compiles its output too (the
// host's features, WebAssembly 2.0); and a small accepted module without imports leaves the
// same results and memory after calling each of its exported functions (numbers only, with
// a time limit) as the module itself. It compiles with wazero's interpreter, which
// validates as the compiler does but compiles a Go plugin in a tenth of the time (the
// seeds ran 14.6 s with the compiler, 2.7 s with it). As in the host, a module checkBounds
// refuses is not compiled, and a wazero panic while compiling is an error
// (compileGuarded); testdata/fuzz holds the two modules that crashed wazero v1.12.
func FuzzInstrument(f *testing.F) {
	fuzzmin.Off(f)
	for _, seed := range instrumentSeeds(f) {
		f.Add(seed)
		for _, n := range []int{8, 9, len(seed) / 2, len(seed) - 1} {
			if n >= 0 && n < len(seed) {
				f.Add(seed[:n])
			}
		}
	}
	ctx := context.Background()
	rc := wazero.NewRuntimeConfigInterpreter().WithMemoryLimitPages(64).WithCloseOnContextDone(true)
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	f.Cleanup(func() { rt.Close(ctx) })
	f.Fuzz(func(t *testing.T, wasm []byte) {
		in := append([]byte(nil), wasm...)
		out, err := instrument(wasm)
		if !bytes.Equal(in, wasm) {
			t.Fatal("instrument changed its input")
		}
		if err != nil {
			if !refusalReasons.MatchString(err.Error()) {
				t.Fatalf("refused with %q, which names no reason instrument gives", err)
			}
			return
		}
		if checkBounds(wasm) != nil {
			return // the host refuses it before wazero reads it (guard.go)
		}
		cm, err := compileGuarded(ctx, rt, wasm)
		if err != nil {
			return // not a module wazero takes: nothing to keep
		}
		defer cm.Close(ctx)
		icm, err := compileGuarded(ctx, rt, out)
		if err != nil {
			t.Fatalf("wazero compiles the module but not its instrumented form: %v", err)
		}
		defer icm.Close(ctx)
		if len(wasm) <= 4096 { // modules with imports do not instantiate here and are skipped
			sameResults(t, rt, cm, icm)
		}
	})
}

// instrumentSeeds are the modules the tests build or hold: the example plugins and the
// fixtures from Go and AssemblyScript, and the hand-made modules.
func instrumentSeeds(f *testing.F) [][]byte {
	paths := append(buildPlugins(f, "../../plugins/examples/titlefamily", "../../plugins/examples/nhiname",
		"../../plugins/examples/orgtree", "testdata/echo", "testdata/garbage"), asTitleFamily, asFaults)
	var seeds [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	loop := append([]byte{0x03, 0x40, 0x0c, 0x00, 0x0b}, wi32(0)...)
	return append(seeds,
		fuelModule(nil),
		fuelModule([]byte{0x12, 0x00}),
		fuelModule([]byte{0xFB, 0x01, 0x00}),
		handPlugin(1, nil),
		handPlugin(2, []string{"wasi_snapshot_preview1.fd_write(iiii)", "env.abort(iiii)"}),
		handPlugin(1, nil, wfunc{"(start)", nil, nil, loop[:5]}),
		handPlugin(1, nil, wfunc{stopExport, nil, nil, nil}),
		handPlugin(1, nil, wfunc{"rolemine_batch", []byte{wI32, wI32}, []byte{wI32}, loop}),
		[]byte("\x00asm\x02\x00\x00\x00"))
}

// sameResults instantiates both compiled modules (the instrumented one's start function
// called first, as the host does) and calls each exported function taking and returning
// numbers, in export order, with the same arguments; results, traps and memory must agree.
// A call that runs out of its time limit in either ends the comparison.
func sameResults(t *testing.T, rt wazero.Runtime, cm, icm wazero.CompiledModule) {
	ctx := context.Background()
	cfg := wazero.NewModuleConfig().WithName("")
	bctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	mod, err := rt.InstantiateModule(bctx, cm, cfg)
	cancel()
	if err != nil {
		return // its start function traps or loops, or its data does not fit
	}
	defer mod.Close(ctx)
	imod, err := rt.InstantiateModule(ctx, icm, cfg)
	if err != nil {
		t.Fatalf("the module instantiates, its instrumented form does not: %v", err)
	}
	defer imod.Close(ctx)
	if start := imod.ExportedFunction(startExport); start != nil {
		if _, err := boundedCall(start); err != nil && !timedOut(err) {
			t.Fatalf("the instrumented module's start function fails: %v", err)
		}
	}
	defs := cm.ExportedFunctions()
	for _, name := range slices.Sorted(maps.Keys(defs)) {
		def := defs[name]
		if !numeric(def.ParamTypes()) || !numeric(def.ResultTypes()) {
			continue
		}
		args := make([]uint64, len(def.ParamTypes()))
		for k := range args {
			args[k] = uint64(k + 3)
		}
		want, werr := boundedCall(mod.ExportedFunction(name), args...)
		got, gerr := boundedCall(imod.ExportedFunction(name), args...)
		if timedOut(werr) || timedOut(gerr) {
			return
		}
		if (werr == nil) != (gerr == nil) || !slices.Equal(want, got) {
			t.Fatalf("%s: module returns %v (%v), instrumented %v (%v)", name, want, werr, got, gerr)
		}
	}
	if m, im := mod.Memory(), imod.Memory(); m != nil && im != nil {
		a, _ := m.Read(0, m.Size())
		b, _ := im.Read(0, im.Size())
		if !bytes.Equal(a, b) {
			t.Fatal("the instrumented module leaves different memory")
		}
	}
}

// boundedCall calls fn with a 50 ms limit (the runtime stops it by wazero's own checks).
func boundedCall(fn api.Function, args ...uint64) ([]uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	return fn.Call(ctx, args...)
}

func timedOut(err error) bool {
	return err != nil && (errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "deadline exceeded"))
}

func numeric(ts []api.ValueType) bool {
	for _, v := range ts {
		if v != api.ValueTypeI32 && v != api.ValueTypeI64 && v != api.ValueTypeF32 && v != api.ValueTypeF64 {
			return false
		}
	}
	return true
}
