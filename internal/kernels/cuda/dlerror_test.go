package cuda

import (
	"runtime"
	"strings"
	"sync"
	"testing"
)

// TestLoadFailureAlwaysNamesTheReason loads a missing library many times from many
// goroutines while others keep the scheduler busy: every failure must carry dlerror's
// text. dlerror is per OS thread, so reading it on another thread than the dlopen ran on
// gives "" (issue 16, defect 11: TestAvailableHere failed about once in seven runs with
// "load libcuda.so.1: " on a machine without libcuda1).
func TestLoadFailureAlwaysNamesTheReason(t *testing.T) {
	const path = "/nonexistent/libcuda-dlerror-test.so"
	stop := make(chan struct{})
	var busy sync.WaitGroup
	for range 2 * runtime.GOMAXPROCS(0) {
		busy.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					runtime.Gosched()
				}
			}
		})
	}
	defer func() { close(stop); busy.Wait() }()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []string
	for range 8 {
		wg.Go(func() {
			for range 300 {
				_, err := loadDriver(path)
				msg := ""
				if err != nil {
					msg = err.Error()
				}
				if !strings.HasPrefix(msg, "load "+path+": ") || len(msg) == len("load "+path+": ") {
					mu.Lock()
					bad = append(bad, msg)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d of 2400 failed loads lack dlerror's reason, e.g. %q", len(bad), bad[0])
	}
}
