package cuda

import (
	"context"
	"errors"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/parallel"
)

// TestGoroutineBugIsError: a panic on the backend's own goroutines (a call run on the
// driver's owner thread, an emitter worker's emit) comes back as a *parallel.PanicError
// (do's error, close's), the goroutine still serving, instead of crashing the process
// (exit 2) as on the old code. No device is needed: the panics are injected through the
// functions each is given.
func TestGoroutineBugIsError(t *testing.T) {
	o := newOwner()
	err := o.do(func() error { panic("driver call bug") })
	if !errors.As(err, new(*parallel.PanicError)) {
		t.Errorf("owner: %v, want a *parallel.PanicError", err)
	}
	if err := o.do(func() error { return nil }); err != nil {
		t.Errorf("owner after a panic: %v", err)
	}
	o.stop()

	dims := []int32{0, 1}
	e := newEmitter(context.Background(), dims, newCriterionKeys(dims, []int64{0, 5, 9}),
		func(int32, []kernels.Count) error { panic("emit bug") })
	for r := range int32(4) {
		_ = e.submit(r, foundList{})
	}
	if err := e.close(); !errors.As(err, new(*parallel.PanicError)) {
		t.Errorf("emitter: %v, want a *parallel.PanicError", err)
	}
}
