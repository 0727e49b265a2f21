package pipeline

import (
	"bytes"
	"context"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/parallel"
)

// TestPhaseLabelReachesWorkers: a goroutine started after phaseLabel carries the phase
// label, which is what splits a --cpuprofile by phase although the phases' work runs on
// worker goroutines; one started before it carries none, and a later phaseLabel
// replaces the label rather than adding to it.
func TestPhaseLabelReachesWorkers(t *testing.T) {
	defer pprof.SetGoroutineLabels(context.Background())
	release := make(chan struct{})
	waitBefore := parallel.Start(nil, func() error { return labelTestBefore(release) })
	phaseLabel(context.Background(), "load")
	phaseLabel(context.Background(), "classify")
	waitAfter := parallel.Start(nil, func() error { return labelTestAfter(release) })

	records := goroutineRecords(t, "labelTestBefore", "labelTestAfter")
	close(release)
	if err := waitBefore(); err != nil {
		t.Fatal(err)
	}
	if err := waitAfter(); err != nil {
		t.Fatal(err)
	}
	if r := records["labelTestAfter"]; !strings.Contains(r, `# labels: {"phase":"classify"}`) {
		t.Errorf("goroutine started after phaseLabel: want the label phase=classify alone, got record:\n%s", r)
	}
	if r := records["labelTestBefore"]; strings.Contains(r, "# labels:") {
		t.Errorf("goroutine started before phaseLabel: want no labels, got record:\n%s", r)
	}
}

//go:noinline
func labelTestBefore(release chan struct{}) error { <-release; return nil }

//go:noinline
func labelTestAfter(release chan struct{}) error { <-release; return nil }

// goroutineRecords returns, for each of funcs, the record of the goroutine profile
// (debug=1: a record per stack and labels) whose stack names it, once every one is found.
func goroutineRecords(t *testing.T, funcs ...string) map[string]string {
	t.Helper()
	for range 1000 {
		var buf bytes.Buffer
		if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
			t.Fatal(err)
		}
		found := map[string]string{}
		for _, rec := range strings.Split(buf.String(), "\n\n") {
			for _, f := range funcs {
				if strings.Contains(rec, "."+f+"+") {
					found[f] = rec
				}
			}
		}
		if len(found) == len(funcs) {
			return found
		}
		time.Sleep(time.Millisecond) // the goroutines have not reached their stacks yet
	}
	t.Fatalf("goroutines running %v not found in the goroutine profile", funcs)
	return nil
}
