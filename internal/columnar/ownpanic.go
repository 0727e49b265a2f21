package columnar

import (
	"runtime"
	"strings"
)

// repanicOwn is set only by the fuzz tests. The Parquet reader recovers every panic as a
// "corrupt Parquet" user error, since parquet-go panics on some corrupt metadata; that
// also hides a panic in rolemine's own decoding from the fuzzer. With repanicOwn set,
// the recovers re-panic a panic raised in this package's code.
var repanicOwn bool

// recovered is called by a deferred function with what it recovered, p (not nil): when
// repanicOwn is set and the panic was raised in this package, it panics with p again.
func recovered(p any) {
	if !repanicOwn {
		return
	}
	pc, _, _, _ := runtime.Caller(0)
	self := runtime.FuncForPC(pc).Name() // the package's path, then ".recovered"
	if panickedIn(strings.TrimSuffix(self, "recovered")) {
		panic(p)
	}
}

// panickedIn says whether the function that raised the panic in progress (the first
// frame below runtime.gopanic that is not the runtime's own: an index check or a nil
// dereference panics through runtime frames) has a name beginning with prefix.
func panickedIn(prefix string) bool {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	below := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			below = true
		case below && !strings.HasPrefix(f.Function, "runtime."):
			return strings.HasPrefix(f.Function, prefix)
		}
		if !more {
			return false
		}
	}
}
