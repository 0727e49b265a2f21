package plugins

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/tetratelabs/wazero/api"
)

// wazero recovers a panic in a host function and returns it from the plugin's call as
// an error, which faultOf would report as the plugin's trap. rolemine's own host
// functions panic on purpose only to end a plugin (sandboxViolation, abortFault); any
// other panic in them is a bug in rolemine, and guardHost makes it an InternalError that
// no one reads as the plugin's fault.

// InternalError is an unexpected panic in one of rolemine's host functions while a
// plugin called it: a bug in rolemine, not in the plugin. It is a uerr.Internal: the run
// fails with exit code 1 and the internal-error line, as for any panic
// (parallel.PanicError), its stack in the log.
type InternalError struct {
	// Function is the host function, as the plugin imports it ("env.abort").
	Function string
	// Value is what it panicked with; Stack, the Go stack where it did.
	Value any
	Stack []byte
}

// Error names the host function and the panic's value; the stack is Stack (the command
// logs it).
func (e *InternalError) Error() string {
	return fmt.Sprintf("rolemine's host function %s panicked while a plugin called it (not the plugin's fault): panic: %v",
		e.Function, e.Value)
}

// InternalBug marks the error as a bug in rolemine (uerr.Internal): never a user error,
// whatever wraps it.
func (e *InternalError) InternalBug() {}

// abortFault is env.abort's panic value: the plugin aborted.
type abortFault struct{ what string }

func (a *abortFault) Error() string { return "abort: " + a.what }

// hostFaultKey is the context key of a test's stand-in for a bug in a host function: a
// func(function string) every guarded host function calls first when the plugin's call
// carries one (tests only).
type hostFaultKey struct{}

// guardHost wraps fn, the host function imported as function, so that a panic other than
// the deliberate ones (sandboxViolation, abortFault) panics again as an *InternalError,
// which faultOf passes on as it is.
func guardHost(function string, fn api.GoModuleFunc) api.GoModuleFunc {
	return func(ctx context.Context, m api.Module, stack []uint64) {
		defer func() {
			// recover: a host function's bug is raised again as an *InternalError (exit 1)
			switch p := recover().(type) {
			case nil:
			case *sandboxViolation, *abortFault, *InternalError:
				panic(p)
			default:
				panic(&InternalError{Function: function, Value: p, Stack: debug.Stack()})
			}
		}()
		if fault, ok := ctx.Value(hostFaultKey{}).(func(string)); ok {
			fault(function)
		}
		fn(ctx, m, stack)
	}
}

// internalError returns the *InternalError err carries (wazero wraps a panic's error
// value), or nil.
func internalError(err error) *InternalError {
	var ie *InternalError
	if errors.As(err, &ie) {
		return ie
	}
	return nil
}
