// Package crashpoint lets the fault-injection tests kill a rolemine process at a named
// point of a run, as kill -9 would, to check that what a crash leaves behind is always a
// complete output set and that the next run starts clean. It does nothing unless the
// environment variable ROLEMINE_CRASH_AT names the point; users never set it.
package crashpoint

import (
	"os"
	"time"
)

// Env is the environment variable naming the point at which to die.
const Env = "ROLEMINE_CRASH_AT"

// Hit kills the process with SIGKILL (no deferred function runs, no file is closed
// cleanly) when ROLEMINE_CRASH_AT equals point.
func Hit(point string) {
	if v := os.Getenv(Env); v == "" || v != point {
		return
	}
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Kill()
	}
	time.Sleep(time.Hour) // the signal is on its way
}
