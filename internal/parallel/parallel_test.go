package parallel

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestEachRunsEveryItemOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 3, 64} {
		for _, n := range []int{0, 1, 7, 1000} {
			seen := make([]atomic.Int32, n)
			var badWorker atomic.Bool
			err := Each(context.Background(), n, workers, func(w, k int) error {
				if w < 0 || w >= max(1, workers) {
					badWorker.Store(true)
				}
				seen[k].Add(1)
				return nil
			})
			if err != nil {
				t.Fatalf("workers %d, n %d: %v", workers, n, err)
			}
			if badWorker.Load() {
				t.Fatalf("workers %d, n %d: a worker index out of range", workers, n)
			}
			for k := range seen {
				if c := seen[k].Load(); c != 1 {
					t.Fatalf("workers %d, n %d: item %d ran %d times", workers, n, k, c)
				}
			}
		}
	}
}

// TestEachLowestError: whatever the number of workers, the error returned is the lowest
// failing item's, and items above a failure may be skipped but items below never are.
func TestEachLowestError(t *testing.T) {
	for _, workers := range []int{1, 2, 8} {
		var ran [100]atomic.Bool
		err := Each(context.Background(), 100, workers, func(w, k int) error {
			ran[k].Store(true)
			if k == 40 || k == 70 {
				return fmt.Errorf("item %d", k)
			}
			return nil
		})
		if err == nil || err.Error() != "item 40" {
			t.Fatalf("workers %d: error %v, want item 40", workers, err)
		}
		for k := range 40 {
			if !ran[k].Load() {
				t.Fatalf("workers %d: item %d below the failure did not run", workers, k)
			}
		}
	}
}

func TestEachCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int32
	err := Each(ctx, 1000, 4, func(w, k int) error {
		if ran.Add(1) == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if n := ran.Load(); n >= 1000 {
		t.Fatalf("%d items ran after cancellation", n)
	}
}

// TestEachPanic: a panic in a worker comes back from Each as a *PanicError holding the
// value and the panicking frames, before an ordinary error of another item; no item
// starts after it, and every worker goroutine has ended when Each returns.
func TestEachPanic(t *testing.T) {
	for _, workers := range []int{1, 2, 8} {
		before := runtime.NumGoroutine()
		var ran atomic.Int32
		err := Each(context.Background(), 1000, workers, func(w, k int) error {
			ran.Add(1)
			switch k {
			case 12:
				return errors.New("item 12")
			case 10:
				panicHere(k)
			}
			return nil
		})
		var pe *PanicError
		if !errors.As(err, &pe) {
			t.Fatalf("workers %d: error %v, want a *PanicError", workers, err)
		}
		if pe.Value != "bug at item 10" || !strings.Contains(string(pe.Stack), "parallel.panicHere") {
			t.Fatalf("workers %d: value %v, stack\n%s", workers, pe.Value, pe.Stack)
		}
		if n := ran.Load(); n > int32(11+workers) {
			t.Fatalf("workers %d: %d items ran; the pool went on after the panic", workers, n)
		}
		// A worker has called Done just before it exits: give the exits a moment.
		after := settledGoroutines(before)
		if after > before {
			t.Fatalf("workers %d: %d goroutines before Each, %d after", workers, before, after)
		}
	}
}

//go:noinline
func panicHere(k int) { panic(fmt.Sprintf("bug at item %d", k)) }

// TestEachNestedPanic: a worker returning an inner pool's PanicError, wrapped, stops the
// outer pool too, and Each returns that error, its context kept.
func TestEachNestedPanic(t *testing.T) {
	var ran atomic.Int32
	err := Each(context.Background(), 1000, 1, func(_, k int) error {
		ran.Add(1)
		if k == 5 {
			inner := Each(context.Background(), 4, 2, func(_, j int) error {
				if j == 2 {
					panic("inner")
				}
				return nil
			})
			return fmt.Errorf("part %d: %w", k, inner)
		}
		return nil
	})
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "inner" || !strings.HasPrefix(err.Error(), "part 5: ") {
		t.Fatalf("error %v, want part 5's PanicError", err)
	}
	if n := ran.Load(); n != 6 {
		t.Fatalf("%d items ran, want 6", n)
	}
}

// BenchmarkEach is the pool's own cost per item (taking an item, the call with its
// recover): items that do almost nothing, on two workers.
func BenchmarkEach(b *testing.B) {
	sums := make([]int64, 2*8) // one cache line per worker
	for b.Loop() {
		_ = Each(context.Background(), 1024, 2, func(w, k int) error {
			sums[w*8] += int64(k)
			return nil
		})
	}
}

// TestMustRecovered: a pool's PanicError raised again by Must and recovered (Recovered)
// is the worker's, its stack the worker's; another recovered value becomes a new one.
func TestMustRecovered(t *testing.T) {
	recoverOf := func(f func()) (err error) {
		defer func() { err = Recovered(recover()) }()
		f()
		return nil
	}
	err := recoverOf(func() {
		Must(Each(context.Background(), 3, 2, func(_, k int) error {
			if k == 1 {
				panicHere(k)
			}
			return nil
		}))
	})
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "bug at item 1" || !strings.Contains(string(pe.Stack), "parallel.panicHere") {
		t.Fatalf("Must's panic recovered as %v", err)
	}
	err = recoverOf(func() { panic(errors.New("plain")) })
	if !errors.As(err, &pe) || pe.Value.(error).Error() != "plain" || !strings.Contains(string(pe.Stack), "TestMustRecovered") {
		t.Fatalf("a plain panic recovered as %v", err)
	}
	Must(nil)
}

// TestBugs: a panic on a goroutine of Bugs.Go is kept, the first of them, and the
// goroutine ends (the WaitGroup's wait returns); without one, Err is nil.
func TestBugs(t *testing.T) {
	var b Bugs
	var wg sync.WaitGroup
	b.Go(&wg, func() {})
	wg.Wait()
	if b.Err() != nil {
		t.Fatalf("no panic: %v", b.Err())
	}
	b.Go(&wg, func() { panicHere(1) })
	wg.Wait()
	b.Go(&wg, func() { panicHere(2) })
	wg.Wait()
	var pe *PanicError
	if !errors.As(b.Err(), &pe) || pe.Value != "bug at item 1" || !strings.Contains(string(pe.Stack), "parallel.panicHere") {
		t.Fatalf("Err %v", b.Err())
	}
}

// TestCall: Call returns f's error, or its panic as a PanicError with f's frames.
func TestCall(t *testing.T) {
	if err := Call(func() error { return errors.New("plain") }); err == nil || err.Error() != "plain" {
		t.Fatalf("error %v", err)
	}
	err := Call(func() error { panicHere(3); return nil })
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "bug at item 3" || !strings.Contains(string(pe.Stack), "parallel.panicHere") {
		t.Fatalf("error %v", err)
	}
}

// TestStartWaitsForF: Start's wait returns f's error only once f has returned (f is held
// until after Start returns), what f wrote is visible then (-race checks it), and a
// second wait returns the same error.
func TestStartWaitsForF(t *testing.T) {
	release := make(chan struct{})
	var wrote int
	fErr := errors.New("f failed")
	wait := Start(nil, func() error {
		<-release
		wrote = 42
		return fErr
	})
	close(release)
	if err := wait(); err != fErr {
		t.Fatalf("wait: %v, want f's error", err)
	}
	if wrote != 42 {
		t.Fatalf("f's write not seen after wait: %d", wrote)
	}
	if err := wait(); err != fErr {
		t.Fatalf("second wait: %v, want f's error", err)
	}
	if err := Start(nil, func() error { return nil })(); err != nil {
		t.Fatalf("wait of a nil f: %v", err)
	}
}

// TestStartPanic: a panic in f comes back from the wait as a *PanicError with f's frames,
// and cancel has been called by then, as it has for an error; when f succeeds, cancel is
// not called.
func TestStartPanic(t *testing.T) {
	for _, c := range []struct {
		name       string
		f          func() error
		wantCancel bool
	}{
		{"panic", func() error { panicHere(4); return nil }, true},
		{"error", func() error { return errors.New("plain") }, true},
		{"success", func() error { return nil }, false},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		err := Start(cancel, c.f)()
		if cancelled := ctx.Err() != nil; cancelled != c.wantCancel {
			t.Errorf("%s: cancelled %v when wait returned, want %v", c.name, cancelled, c.wantCancel)
		}
		cancel()
		var pe *PanicError
		if isPanic := errors.As(err, &pe); isPanic != (c.name == "panic") {
			t.Errorf("%s: error %v", c.name, err)
		} else if isPanic && (pe.Value != "bug at item 4" || !strings.Contains(string(pe.Stack), "parallel.panicHere")) {
			t.Errorf("%s: value %v, stack\n%s", c.name, pe.Value, pe.Stack)
		}
	}
}

// TestStartGoroutineEnds: Start's goroutine has ended once its wait has returned (given
// the moment its exit takes), after an error, a panic or a success, and also when no
// one waits for it.
func TestStartGoroutineEnds(t *testing.T) {
	before := runtime.NumGoroutine()
	_ = Start(nil, func() error { return errors.New("plain") })()
	_ = Start(nil, func() error { panicHere(5); return nil })()
	_ = Start(nil, func() error { return nil })()
	ran := make(chan struct{})
	_ = Start(nil, func() error { defer close(ran); return nil }) // never waited for
	<-ran
	after := settledGoroutines(before)
	if after > before {
		t.Fatalf("%d goroutines before Start, %d after its waits", before, after)
	}
}

// settledGoroutines returns the number of goroutines once it is at most before, or after
// about a second of waiting: a goroutine that has signalled its end may still be exiting.
func settledGoroutines(before int) int {
	after := runtime.NumGoroutine()
	for try := 0; after > before && try < 1000; try++ {
		runtime.Gosched()
		time.Sleep(time.Millisecond)
		after = runtime.NumGoroutine()
	}
	return after
}
