package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"runtime/trace"
	"time"

	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/uerr"
)

// startCPUProfile starts a CPU profile into path ("" for none) and returns what stops it.
func startCPUProfile(path string) (stop func(), err error) {
	return startRecording("cpuprofile", "CPU profile", path, pprof.StartCPUProfile, pprof.StopCPUProfile)
}

// startTrace starts a runtime execution trace into path ("" for none) and returns what
// stops it. A trace shows when each goroutine ran, waited or sat in a system call, and so
// where a run leaves processors idle, which a CPU profile cannot show.
func startTrace(path string) (stop func(), err error) {
	return startRecording("trace", "execution trace", path, trace.Start, trace.Stop)
}

// startRecording creates path ("" for none) and starts a recorder writing into it (start,
// stop: a CPU profile or an execution trace, what it is named in an error, flag the flag
// that gave path), and returns what stops the recorder and closes the file.
func startRecording(flag, what, path string, start func(io.Writer) error, stop func()) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, uerr.New("mine: --%s: %w", flag, err)
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", what, err)
	}
	return func() { stop(); f.Close() }, nil
}

// phaseLabel labels the calling goroutine, and every goroutine it starts from here on,
// with the run's phase ("phase" in a --cpuprofile's samples: `go tool pprof -tagfocus
// phase=write`), so that a profile splits by phase although the phases' work runs on
// worker goroutines. The labels cost nothing while no profile runs.
func phaseLabel(ctx context.Context, name string) {
	pprof.SetGoroutineLabels(pprof.WithLabels(ctx, pprof.Labels("phase", name)))
}

// peakSample is how often the heap profiler looks at the live heap.
const peakSample = 250 * time.Millisecond

// startPeakHeapProfile keeps, while the run lasts, the heap profile of the largest live
// heap seen (the heap marked live by the last collection, checked every peakSample), and
// writes it into path when stopped ("" for none). A profile taken at the end of a run
// shows what is left, not what set the peak resident memory. A panic on the sampling
// goroutine (a bug) is stop's error (parallel.Start); ctx only carries a test's fault
// (heapFaultKey).
func startPeakHeapProfile(ctx context.Context, path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	pf, err := os.Create(path)
	if err != nil {
		return nil, uerr.New("mine: --memprofile: %w", err)
	}
	fault, _ := ctx.Value(heapFaultKey{}).(func())
	sctx, cancel := context.WithCancel(context.Background())
	var prof []byte
	wait := parallel.Start(nil, func() error {
		prof = samplePeakHeap(sctx, fault)
		return nil
	})
	return func() error {
		cancel()
		if err := wait(); err != nil {
			pf.Close()
			return fmt.Errorf("heap profile %s: %w", path, err)
		}
		_, werr := pf.Write(prof)
		if cerr := pf.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("write heap profile %s: %w", path, werr)
		}
		return nil
	}, nil
}

// heapFaultKey is the context key of a test's stand-in for a bug in the heap sampler: a
// func() it calls before each sample.
type heapFaultKey struct{}

// samplePeakHeap samples the live heap every peakSample until ctx is done, and returns
// the heap profile taken at the largest seen (fault, unless nil, is called first each time).
func samplePeakHeap(ctx context.Context, fault func()) []byte {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var best uint64
	var prof bytes.Buffer
	tick := time.NewTicker(peakSample)
	defer tick.Stop()
	for {
		if fault != nil {
			fault()
		}
		metrics.Read(sample)
		if live := sample[0].Value.Uint64(); live > best+best/20 || prof.Len() == 0 {
			best = live
			prof.Reset()
			_ = pprof.Lookup("heap").WriteTo(&prof, 0)
		}
		select {
		case <-ctx.Done():
			return prof.Bytes()
		case <-tick.C:
		}
	}
}
