package pipeline

import (
	"errors"
	"testing"

	"github.com/rolemine/rolemine/internal/parallel"
)

// TestClosingBugIsError: a panic on startClosing's goroutine (injected through a run
// with no prepared input) comes back from its wait as a *parallel.PanicError (mine then
// exits 1) instead of crashing the process with exit 2, as it does on the old code.
func TestClosingBugIsError(t *testing.T) {
	_, err := startClosing(&MineFlags{}, nil, nil, nil)()
	if !errors.As(err, new(*parallel.PanicError)) {
		t.Fatalf("error %v, want a *parallel.PanicError", err)
	}
}
