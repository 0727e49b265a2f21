package parallel

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
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
