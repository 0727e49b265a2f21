package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"time"

	"github.com/rolemine/rolemine/internal/uerr"
)

// startCPUProfile starts a CPU profile into path ("" for none) and returns what stops it.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	pf, err := os.Create(path)
	if err != nil {
		return nil, uerr.New("mine: --cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(pf); err != nil {
		pf.Close()
		return nil, fmt.Errorf("start CPU profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); pf.Close() }, nil
}

// peakSample is how often the heap profiler looks at the live heap.
const peakSample = 250 * time.Millisecond

// startPeakHeapProfile keeps, while the run lasts, the heap profile of the largest live
// heap seen (the heap marked live by the last collection, checked every peakSample), and
// writes it into path when stopped ("" for none). A profile taken at the end of a run
// shows what is left, not what set the peak resident memory.
func startPeakHeapProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	pf, err := os.Create(path)
	if err != nil {
		return nil, uerr.New("mine: --memprofile: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan []byte)
	go func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var best uint64
		var prof bytes.Buffer
		tick := time.NewTicker(peakSample)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if live := sample[0].Value.Uint64(); live > best+best/20 || prof.Len() == 0 {
				best = live
				prof.Reset()
				_ = pprof.Lookup("heap").WriteTo(&prof, 0)
			}
			select {
			case <-ctx.Done():
				done <- prof.Bytes()
				return
			case <-tick.C:
			}
		}
	}()
	return func() error {
		cancel()
		_, werr := pf.Write(<-done)
		if cerr := pf.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("write heap profile %s: %w", path, werr)
		}
		return nil
	}, nil
}
