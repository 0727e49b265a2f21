package columnar

import (
	"runtime"
	"strings"

	"github.com/rolemine/rolemine/internal/parallel"
)

// The Parquet reader recovers panics, since parquet-go panics on some corrupt metadata:
// such a panic is the file's fault, reported as a corrupt file (a user error). A panic
// raised in rolemine's own code is a bug, whatever the file holds (RATIONALE.md, "A bug
// is not bad input"): the recovers return it as a *parallel.PanicError (exit code 1),
// which also fails the fuzz targets, as any error that is not a user error does.

// ownBug returns the *parallel.PanicError of p, recovered by the caller's deferred
// function, when the panic was raised in rolemine's code (ownPanic), else nil.
func ownBug(p any) *parallel.PanicError {
	if !ownPanic() {
		return nil
	}
	return parallel.NewPanicError(p)
}

// OwnBug is ownBug for the other readers that recover parquet-go's panics (drift's read
// of a model's assignments.parquet): called by the deferred function that recovered p.
func OwnBug(p any) *parallel.PanicError { return ownBug(p) }

// rolemineCode is the start of the names of rolemine's functions.
const rolemineCode = "github.com/rolemine/rolemine/"

// ownPanic says whether the panic in progress was raised in rolemine's code: the first
// frame below runtime.gopanic outside the standard library (whose package paths have no
// dot in their first element: an index check or a nil dereference panics through runtime
// frames, strings.Repeat through its own) is one of rolemine's functions.
func ownPanic() bool {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	below := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			below = true
		case below && !standardLibrary(f.Function):
			return strings.HasPrefix(f.Function, rolemineCode)
		}
		if !more {
			return false
		}
	}
}

// standardLibrary says whether function, a frame's full name, belongs to the standard
// library (or to a package main): its path, before any type arguments, has one element,
// or a first element without a dot.
func standardLibrary(function string) bool {
	function, _, _ = strings.Cut(function, "[")
	first, _, nested := strings.Cut(function, "/")
	return !nested || !strings.Contains(first, ".")
}
