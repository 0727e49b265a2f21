package plugins

import (
	"bytes"
	"context"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
)

// fuelLoops is the loop count of fuelModule: several refills of the fuel.
const fuelLoops = 5*fuelPerCheck + 123

// fuelModule is a module exporting memory and f() -> i64, a loop of fuelLoops iterations
// through instructions of every immediate kind instrument reads (locals, block types by
// value and by type index, br_table, memory arguments with offset and alignment, 64-bit
// and float constants, select with and without types, SIMD lanes, bulk memory), and a
// nested loop. pre comes before the loop (e.g. an instruction instrument refuses).
func fuelModule(pre []byte) []byte {
	i32, i64, cat := wi32, wi64, wcat
	f64 := func(v float64) []byte {
		b := []byte{0x44}
		u := math.Float64bits(v)
		for k := 0; k < 8; k++ {
			b = append(b, byte(u>>(8*k)))
		}
		return b
	}
	const li, lacc, lj = 0, 1, 2
	get := func(l byte) []byte { return []byte{0x20, l} }
	set := func(l byte) []byte { return []byte{0x21, l} }
	v128 := append([]byte{0xFD, 0x0C}, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0)
	body := cat(pre,
		[]byte{0x02, 0x40, 0x03, 0x40}, // block, loop
		get(lacc), get(li), []byte{0xAD}, i64(0x123456789), []byte{0x7E, 0x7C}, set(lacc),
		// mem[16 + (i&7)*4] = i (align 2, offset 16)
		get(li), i32(7), []byte{0x71}, i32(4), []byte{0x6C}, get(li), []byte{0x36, 0x02, 0x10},
		// block (result i32) 5, br_table over i&3 -> 5
		[]byte{0x02, 0x7F}, i32(5), get(li), i32(3), []byte{0x71, 0x0E, 0x02, 0x00, 0x00, 0x00, 0x0B},
		f64(1.5), f64(2), []byte{0xA2, 0xAA, 0x6A}, // + 3
		i32(1), i32(2), get(li), []byte{0x1B, 0x6A}, // + (i ? 1 : 2)
		i32(10), i32(20), i32(0), []byte{0x1C, 0x01, 0x7F, 0x6A}, // + 20
		v128, []byte{0xFD, 0x1B, 0x02, 0x6A}, // + lane 2 = 3
		[]byte{0x02, 0x00}, i64(7), []byte{0x0B, 0x1A}, // block (type 0: () -> i64), dropped
		i32(0), i32(0), i32(8), []byte{0xFC, 0x0B, 0x00}, // memory.fill
		// inner loop: j from 0 to 2
		i32(0), set(lj), []byte{0x03, 0x40}, get(lj), i32(1), []byte{0x6A, 0x22, lj}, i32(3), []byte{0x49, 0x0D, 0x00, 0x0B},
		[]byte{0xAD}, get(lacc), []byte{0x7C}, set(lacc),
		get(li), i32(1), []byte{0x6A, 0x22, li}, i32(fuelLoops), []byte{0x49, 0x0D, 0x00, 0x0B, 0x0B},
		get(lacc))
	locals := wvec(cat(uleb(1), []byte{wI32}), cat(uleb(1), []byte{wI64}), cat(uleb(1), []byte{wI32}))
	code := cat(locals, body, []byte{0x0B})
	m := []byte("\x00asm\x01\x00\x00\x00")
	m = append(m, wsection(1, wvec(cat([]byte{0x60}, wtypes(), wtypes(wI64))))...)
	m = append(m, wsection(3, wvec(uleb(0)))...)
	m = append(m, wsection(5, wvec([]byte{0x00, 0x01}))...)
	m = append(m, wsection(7, wvec(cat(wname("f"), []byte{0x00, 0x00}), cat(wname("memory"), []byte{0x02, 0x00})))...)
	return append(m, wsection(10, wvec(cat(uleb(uint64(len(code))), code)))...)
}

// fuelModuleResult is what f returns: per iteration i*0x123456789 + 31 + (i ? 1 : 2).
func fuelModuleResult() uint64 {
	n := uint64(fuelLoops)
	return 0x123456789*(n*(n-1)/2) + 32*n + 1
}

// callF instantiates wasm on a plain runtime and calls f.
func callF(t *testing.T, wasm []byte) (uint64, uint64) {
	t.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	res, err := mod.ExportedFunction("f").Call(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res[0], uint64(mod.Memory().Size())
}

// TestInstrumentKeepsResults: the instrumented module computes what the module computes,
// through refills of its fuel (whose memory.grow 0 leaves the memory as it was), and has
// a check after each of its two loops.
func TestInstrumentKeepsResults(t *testing.T) {
	wasm := fuelModule(nil)
	want, mem := callF(t, wasm)
	if want != fuelModuleResult() {
		t.Fatalf("the module itself returns %d, want %d", want, fuelModuleResult())
	}
	iw, err := instrument(wasm)
	if err != nil {
		t.Fatal(err)
	}
	check := fuelCheck(0, 1)
	if n := bytes.Count(iw, check); n != 2 {
		t.Errorf("instrumented module holds %d checks, want 2 (one per loop)", n)
	}
	got, gotMem := callF(t, iw)
	if got != want || gotMem != mem {
		t.Errorf("instrumented: f() = %d with %d bytes of memory, want %d with %d", got, gotMem, want, mem)
	}
	again, _ := instrument(wasm)
	if !bytes.Equal(again, iw) {
		t.Error("instrument is not deterministic")
	}
}

// TestInstrumentRefuses: instrument refuses what it cannot read or would break (a tail
// call, an unknown instruction, no memory, its own export names taken), and such a module
// runs as it is, its time limit kept by wazero.
func TestInstrumentRefuses(t *testing.T) {
	for name, wasm := range map[string][]byte{
		"return_call":     fuelModule([]byte{0x12, 0x00}),
		"GC instruction":  fuelModule([]byte{0xFB, 0x01, 0x00}),
		"no memory":       bytes.Replace(fuelModule(nil), wsection(5, wvec([]byte{0x00, 0x01})), nil, 1),
		"rolemine.stop":   handPlugin(1, nil, wfunc{stopExport, nil, nil, nil}),
		"truncated":       fuelModule(nil)[:60],
		"not WebAssembly": []byte("\x00asm\x02\x00\x00\x00"),
	} {
		if _, err := instrument(wasm); err == nil {
			t.Errorf("%s: instrumented", name)
		}
	}
	loop := append([]byte{0x03, 0x40, 0x0c, 0x00, 0x0b}, wi32(0)...)
	for _, over := range []wfunc{{"rolemine_batch", []byte{wI32, wI32}, []byte{wI32}, loop}, {"(start)", nil, nil, loop[:5]}} {
		h := testHost(t, Options{Timeout: time.Second, BatchRows: 4, Workers: 1})
		spec := Spec{Path: writeWasm(t, handPlugin(1, nil, wfunc{stopExport, nil, nil, nil}, over)), Origin: "test"}
		p, err := h.Compile(context.Background(), spec)
		if err != nil || p.fueled {
			t.Fatalf("%s: err = %v, fueled %v; want it compiled as it is", over.name, err, p != nil && p.fueled)
		}
		if err = p.Start(context.Background()); err == nil {
			err = Apply(context.Background(), faultSnapshot(), []*Plugin{p})
		}
		var pe *Error
		if !errors.As(err, &pe) || !strings.Contains(pe.Cause, "time limit of 1s per call exceeded") {
			t.Errorf("%s: err = %v, want the time limit", over.name, err)
		}
	}
}

// TestExamplePluginsInstrumented: every example plugin and fixture, from Go and from asc, is
// instrumented (a toolchain emitting an instruction instrument does not know would lose
// the speed, not the time limit).
func TestExamplePluginsInstrumented(t *testing.T) {
	paths := append(buildPlugins(t, "../../plugins/examples/titlefamily", "../../plugins/examples/nhiname",
		"../../plugins/examples/orgtree", "testdata/echo"), asTitleFamily, asFaults)
	h := testHost(t, Options{})
	for _, path := range paths {
		p, err := h.Compile(context.Background(), Spec{Path: path, Origin: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if !p.fueled {
			t.Errorf("%s: not instrumented", path)
		}
	}
}

// TestEndlessLoopLetsCollectorRun: while an instrumented plugin loops without end, Go's
// collector can still stop the world (the fuel's memory.grow leaves for Go), so the rest of
// the process goes on and the time limit is reported. Without those exits the collection
// would wait for the loop, and the timer that raises the stop flag for the collection.
func TestEndlessLoopLetsCollectorRun(t *testing.T) {
	loop := append([]byte{0x03, 0x40, 0x0c, 0x00, 0x0b}, wi32(0)...)
	h := testHost(t, Options{Timeout: 10 * time.Second, BatchRows: 4, Workers: 1})
	p, err := h.Load(context.Background(), Spec{Path: writeWasm(t, handPlugin(1, nil, wfunc{"rolemine_batch", []byte{wI32, wI32}, []byte{wI32}, loop})), Origin: "test"})
	if err != nil || !p.fueled {
		t.Fatalf("err = %v, fueled %v", err, p != nil && p.fueled)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Apply(ctx, faultSnapshot(), []*Plugin{p}) }()
	collected := make(chan struct{})
	go func() {
		time.Sleep(200 * time.Millisecond) // into the loop
		runtime.GC()
		close(collected)
	}()
	select {
	case <-collected:
	case err := <-done:
		t.Fatalf("Apply returned %v before the collection", err)
	}
	cancel() // the stop flag ends the loop at once
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want the cancellation", err)
	}
}

// TestGoGuestCollects: a Go plugin making 64 KiB of garbage per row runs through 16,384
// distinct inputs under a 64 MiB cap. Under wazero's fake monotonic clock its collector
// stopped after about 5,000 rows and the heap grew by 64 KiB a row to the cap.
func TestGoGuestCollects(t *testing.T) {
	path := buildPlugins(t, "testdata/garbage")[0]
	snap := distinctSnapshot(16384, "title")
	snap.Dims[1].Name = "title"
	h := testHost(t, Options{Workers: 1, MemoryMiB: 64, BatchRows: 1024})
	p, err := h.Load(context.Background(), Spec{Path: path, Origin: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Apply(context.Background(), snap, []*Plugin{p}); err != nil {
		t.Fatal(err)
	}
}
