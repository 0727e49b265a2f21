package cuda

import (
	"errors"
	"runtime"

	"github.com/rolemine/rolemine/internal/parallel"
)

// owner runs every driver call on one goroutine locked to its OS thread, so that the CUDA
// context made current there is current for every call, whichever goroutine asks. The
// thread is never unlocked: when the goroutine ends, the runtime retires the thread with it.
type owner struct {
	calls chan func()
	done  chan struct{}
}

// errOwnerClosed is returned by do after stop.
var errOwnerClosed = errors.New("cuda: backend is closed")

func newOwner() *owner {
	o := &owner{calls: make(chan func()), done: make(chan struct{})}
	// goroutine: runs only do's closures, each through parallel.Call
	go func() {
		runtime.LockOSThread()
		defer close(o.done)
		for fn := range o.calls {
			fn()
		}
	}()
	return o
}

// do runs fn on the owner thread and returns its error; a panic in fn (a bug) is returned
// as a *parallel.PanicError (parallel.Call), and the owner goes on.
func (o *owner) do(fn func() error) (err error) {
	errc := make(chan error, 1)
	select {
	case <-o.done:
		return errOwnerClosed
	default:
	}
	o.calls <- func() { errc <- parallel.Call(fn) }
	return <-errc
}

// stop ends the owner goroutine after the calls already accepted; do must not be called
// concurrently with or after stop.
func (o *owner) stop() {
	close(o.calls)
	<-o.done
}
