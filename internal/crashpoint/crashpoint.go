// Package crashpoint lets the fault-injection tests kill a rolemine process at a named
// point of a run, as kill -9 would, to check that what a crash leaves behind is always a
// complete output set and that the next run starts clean, or send it SIGTERM there, to
// check that an interrupted run stops cleanly. It does nothing unless the environment
// variable ROLEMINE_CRASH_AT names the point; users never set it.
package crashpoint

import (
	"os"
	"syscall"
	"time"
)

// Env is the environment variable naming the point at which to die.
const Env = "ROLEMINE_CRASH_AT"

// TermPrefix before a point's name in Env asks for SIGTERM at that point instead of SIGKILL.
const TermPrefix = "term:"

// Term2Prefix before a point's name in Env asks for SIGTERM at that point, then a second
// SIGTERM while the run is kept from noticing the first: a second signal must end the
// process at once.
const Term2Prefix = "term2:"

// PanicPrefix before a point's name in Env asks for a panic at that point instead, a
// stand-in for a bug in rolemine (its exit code and message, docs/cli.md#exit-codes).
const PanicPrefix = "panic:"

// Hit kills the process with SIGKILL (no deferred function runs, no file is closed
// cleanly) when ROLEMINE_CRASH_AT equals point. When it equals TermPrefix+point, Hit sends
// the process SIGTERM, gives the signal handler a moment to cancel the run's context, and
// returns: the run goes on until it notices. When it equals Term2Prefix+point, Hit sends
// SIGTERM twice and never returns. When it equals PanicPrefix+point, Hit panics.
func Hit(point string) {
	v := os.Getenv(Env)
	if v == "" {
		return
	}
	switch v {
	case point:
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			_ = p.Kill()
		}
		time.Sleep(time.Hour) // the signal is on its way
	case PanicPrefix + point:
		panic("crashpoint " + point)
	case Term2Prefix + point:
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		time.Sleep(200 * time.Millisecond)
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		time.Sleep(time.Hour) // only the second signal can end the run now
	case TermPrefix + point:
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		time.Sleep(200 * time.Millisecond)
	}
}
