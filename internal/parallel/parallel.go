// Package parallel is rolemine's one worker pool: it runs independent items on a fixed
// number of goroutines, with per-worker state, cancellation and a deterministic error.
//
// Every goroutine of rolemine's own code starts here (Each, Start, Bugs.Go) or runs its
// work through Call, and recovers live here, so that a panic (a bug) comes back as a
// *PanicError and exit code 1, never as a crash that exits 2 like bad input. The
// package's TestGoroutinesGoThroughParallel holds the module to it: it fails, naming
// file:line, on each go statement, one-argument X.Go (sync.WaitGroup's), AfterFunc or
// recover() of a non-test file outside this package that carries no reviewed exemption,
// a "// goroutine: why" or "// recover: why" comment on its line or the line above,
// listed in guard_test.go.
package parallel

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
)

// PanicError is a panic recovered on one of rolemine's goroutines: a bug in rolemine,
// never a fault of the input (RATIONALE.md, "A bug is not bad input"). The command
// reports it with exit code 1 and its stack.
type PanicError struct {
	// Value is what the code panicked with; Stack, the panicking goroutine's stack.
	Value any
	Stack []byte
}

// NewPanicError returns the PanicError of p, recovered by the caller's deferred function:
// the stack is taken there, so it still holds the frames that panicked.
func NewPanicError(p any) *PanicError {
	return &PanicError{Value: p, Stack: debug.Stack()}
}

// Recovered is the error of p, a panic recovered by the caller's deferred function: p
// itself when it is an error holding a *PanicError (a worker's, raised again by Must, its
// stack the worker's), else a new PanicError.
func Recovered(p any) error {
	if err, ok := p.(error); ok && errors.As(err, new(*PanicError)) {
		return err
	}
	return NewPanicError(p)
}

// Must panics with err unless it is nil. It is for a pool whose items cannot fail (only a
// worker's panic comes back from it) called where there is no error to return: the
// panic travels up to the nearest recover that returns it (an enclosing pool's worker,
// Load's, the command's: Recovered), with the worker's value and stack.
func Must(err error) {
	if err != nil {
		panic(err)
	}
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// InternalBug marks a PanicError as a bug in rolemine: uerr never counts it as a user
// error, whatever wraps it.
func (e *PanicError) InternalBug() {}

// Each calls fn(w, k) once for every item k in [0, n), on min(workers, n) goroutines (at
// least one). w, in [0, workers), names the goroutine making the call, so state kept per
// worker (buffers, partial counts) needs no lock. Items are handed out in ascending order.
//
// Once an item fails, items above it are no longer started, while those below still run:
// Each waits for the calls in progress and returns the error of the lowest failed item,
// the same whatever the number of workers. When ctx is done, no item starts any more and
// Each returns ctx.Err().
//
// A panic in fn is recovered on its goroutine: no item starts any more, and once the calls
// in progress return, Each returns a *PanicError (the first recovered), before any other
// error. An error of fn that wraps a PanicError (a nested pool's) stops the items the same way.
func Each(ctx context.Context, n, workers int, fn func(w, k int) error) error {
	workers = max(1, min(workers, n))
	var mu sync.Mutex
	next, failed := 0, n
	var firstErr, bug error // bug: the first error holding a *PanicError
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if next >= failed || bug != nil || ctx.Err() != nil {
			return -1
		}
		next++
		return next - 1
	}
	fail := func(k int, err error) {
		mu.Lock()
		defer mu.Unlock()
		if bug == nil && errors.As(err, new(*PanicError)) {
			bug = err
		}
		if k < failed {
			failed, firstErr = k, err
		}
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			k := take()
			// One recover for the goroutine, not one an item: a panic ends the worker,
			// and the pool, whose items all stop (bug).
			defer func() {
				if p := recover(); p != nil {
					fail(k, Recovered(p))
				}
			}()
			for ; k >= 0; k = take() {
				if err := fn(w, k); err != nil {
					fail(k, err)
				}
			}
		})
	}
	wg.Wait()
	if bug != nil {
		return bug
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return firstErr
}

// Call returns f's error, or a panic in f as a *PanicError (Recovered): for work run on a
// goroutine that keeps going, or reports its failure, after a bug in one call.
func Call(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = Recovered(p)
		}
	}()
	return f()
}

// Start runs f on a goroutine of its own through Call and returns the wait for it: wait
// returns f's error, or a panic in f as a *PanicError, once f has returned and nothing of
// the goroutine runs any more but its exit; what f wrote is then visible to the caller.
// wait may be called any number of times, from any goroutine; the goroutine ends whether
// or not it is called. When f fails (an error or a panic), cancel, unless nil, is called
// at once on f's goroutine, before wait returns, so that the work running beside f stops
// without waiting for the caller to ask.
//
// It is for the one task a function runs beside its own work (the report beside the
// model files, the closing figures beside the outputs); a pool of workers taking items
// from a queue runs each item through Call instead, or is Each.
func Start(cancel context.CancelFunc, f func() error) (wait func() error) {
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err = Call(f); err != nil && cancel != nil {
			cancel()
		}
	}()
	return func() error {
		<-done
		return err
	}
}

// Bugs keeps the first panic of the goroutines started with Go, outside the pool, as a
// *PanicError (Recovered): their starter checks Err once they are done, as it would
// their errors. The zero value is ready; its methods may be called concurrently.
type Bugs struct {
	mu    sync.Mutex
	first error
}

// Go runs f on a new goroutine of wg (wg.Go), a panic in f recovered into b.
func (b *Bugs) Go(wg *sync.WaitGroup, f func()) {
	wg.Go(func() {
		defer b.recover()
		f()
	})
}

// recover is deferred by the goroutines of Go.
func (b *Bugs) recover() {
	if p := recover(); p != nil {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.first == nil {
			b.first = Recovered(p)
		}
	}
}

// Err is the first panic recovered, nil if none.
func (b *Bugs) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.first
}
