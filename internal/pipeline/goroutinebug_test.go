package pipeline

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/uerr"
)

// TestClosingBugIsError: a panic on startClosing's goroutine (injected through a run
// with no prepared input) comes back from its wait as a *parallel.PanicError (mine then
// exits 1) instead of crashing the process with exit 2, as it does on the old code.
func TestClosingBugIsError(t *testing.T) {
	_, err := startClosing(&MineFlags{}, nil, nil, nil)()
	if !errors.As(err, new(*parallel.PanicError)) {
		t.Fatalf("error %v, want a *parallel.PanicError", err)
	}
}

// TestHeapSamplerBugIsError: a panic on the --memprofile sampler's goroutine (injected
// through the context, heapFaultKey) is the profile's stop error, a *parallel.PanicError
// (exit 1), instead of crashing the process (exit 2) as on the old code.
func TestHeapSamplerBugIsError(t *testing.T) {
	ctx := context.WithValue(context.Background(), heapFaultKey{}, func() { panic("sampler bug") })
	stop, err := startPeakHeapProfile(ctx, t.TempDir()+"/heap.pprof")
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); !errors.As(err, new(*parallel.PanicError)) {
		t.Fatalf("stop: %v, want a *parallel.PanicError", err)
	}
}

// TestHeapProfileWritten: without a fault the sampler's profile is written on stop.
func TestHeapProfileWritten(t *testing.T) {
	path := t.TempDir() + "/heap.pprof"
	stop, err := startPeakHeapProfile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("profile %s: %v, %v", path, st, err)
	}
}

// TestTraceWritten: --trace writes a runtime execution trace of what ran between start
// and stop (its file begins with the trace format's header), and a path that cannot be
// created is a user error naming the flag.
func TestTraceWritten(t *testing.T) {
	path := t.TempDir() + "/run.trace"
	stop, err := startTrace(path)
	if err != nil {
		t.Fatal(err)
	}
	parallel.Must(parallel.Each(context.Background(), 4, 2, func(_, _ int) error { return nil }))
	stop()
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasPrefix(string(b), "go 1.") || len(b) < 100 {
		t.Fatalf("trace %s: %d bytes starting %q, %v; want a trace", path, len(b), b[:min(len(b), 16)], err)
	}
	if _, err := startTrace(t.TempDir() + "/no/such/dir/run.trace"); !uerr.Is(err) || !strings.Contains(err.Error(), "--trace") {
		t.Errorf("trace into a missing directory: error %v, want a user error naming --trace", err)
	}
}
