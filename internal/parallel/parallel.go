// Package parallel is rolemine's one worker pool: it runs independent items on a fixed
// number of goroutines, with per-worker state, cancellation and a deterministic error.
package parallel

import (
	"context"
	"sync"
)

// Each calls fn(w, k) once for every item k in [0, n), on min(workers, n) goroutines (at
// least one). w, in [0, workers), names the goroutine making the call, so state kept per
// worker (buffers, partial counts) needs no lock. Items are handed out in ascending order.
//
// Once an item fails, items above it are no longer started, while those below still run:
// Each waits for the calls in progress and returns the error of the lowest failed item,
// the same whatever the number of workers. When ctx is done, no item starts any more and
// Each returns ctx.Err().
func Each(ctx context.Context, n, workers int, fn func(w, k int) error) error {
	workers = max(1, min(workers, n))
	var mu sync.Mutex
	next, failed := 0, n
	var firstErr error
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if next >= failed || ctx.Err() != nil {
			return -1
		}
		next++
		return next - 1
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := take(); k >= 0; k = take() {
				if err := fn(w, k); err != nil {
					mu.Lock()
					if k < failed {
						failed, firstErr = k, err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return firstErr
}
