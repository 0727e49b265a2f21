package pipeline

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// collectKeepingGoal runs a collection and holds the heap's goal where it stood before
// it until the next collection has run, and returns what ends the hold sooner (a run's
// end). It is meant for a phase boundary where most of the heap has just died
// (RATIONALE.md, "A collection between mining and classification"): the collection lets
// the phases after it reuse the dead memory instead of first-touching fresh pages, and
// the held goal keeps two things as they were without it. The runtime returns memory to
// the OS when a collection lowers the goal (it retains about 1.1 times the new goal),
// which would fault those pages in again; and a goal of twice the smaller live heap
// would add a collection later, marking the whole heap, where the run without this one
// had none. The goal is held by raising the collector's percentage to reach it from the
// live heap; the percentage set before (GOGC) is put back once the next collection has
// run (a cleanup of an object it finds dead), since later goals must again be twice the
// live heap. Nothing is held under GOGC=off or when the goal is already that of the
// percentage.
func collectKeepingGoal() (release func()) {
	goal := heapMetric("/gc/heap/goal:bytes")
	runtime.GC()
	live := heapMetric("/gc/heap/live:bytes")
	if live == 0 || goal <= live {
		return func() {}
	}
	if !holding.CompareAndSwap(false, true) {
		return func() {} // another run in this process holds it: its release restores GOGC
	}
	held := int((goal - live) * 100 / live)
	old := debug.SetGCPercent(held)
	if old < 0 || held <= old {
		debug.SetGCPercent(old)
		holding.Store(false)
		return func() {}
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			debug.SetGCPercent(old)
			holding.Store(false)
		})
	}
	runtime.AddCleanup(new(sentinel), func(r func()) { r() }, release)
	return release
}

// holding says that a goal is held (by one run of several in one process, such as tests).
var holding atomic.Bool

// sentinel is an object made only to be found dead by the next collection (large enough
// not to share the tiny allocator's blocks, whose cleanups may never run).
type sentinel struct{ _ [64]byte }

// heapMetric reads one of the runtime's heap metrics (bytes).
func heapMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
