package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/plugins"
	"github.com/rolemine/rolemine/internal/uerr"
)

// TestHostBugExits1: a panic in a plugin host function (*plugins.InternalError) exits 1
// on the path of every bug: the one internal-error line on stderr, the stack in the log
// at error level, not on stderr; even when a user-error wrapper holds it (exit 2 on the
// old code, whose message also began otherwise and carried the stack).
func TestHostBugExits1(t *testing.T) {
	bug := &plugins.InternalError{Function: "env.abort", Value: "host bug", Stack: []byte("goroutine 7 [running]:\nhostfn()")}
	for _, err := range []error{
		fmt.Errorf("plugin p: %w", bug),
		uerr.WrapInput(fmt.Errorf("load: %w", bug)),
	} {
		var stderr, log bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&log, nil))
		if code := exitCode(context.Background(), err, &stderr, logger); code != 1 {
			t.Errorf("%v: exit %d, want 1", err, code)
		}
		out := stderr.String()
		if !strings.HasPrefix(out, internalLine) || strings.Count(out, "\n") != 1 || strings.Contains(out, "goroutine 7") {
			t.Errorf("stderr %q, want the one internal-error line", out)
		}
		if !strings.Contains(log.String(), "level=ERROR") || !strings.Contains(log.String(), "goroutine 7") {
			t.Errorf("log %q, want the stack at level ERROR", log.String())
		}
	}
}
