package pipeline

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// forcedCollections returns how many collections the program has forced so far
// (runtime.GC and the like).
func forcedCollections() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/forced:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestMineCollectsAfterMining: a run forces a collection once mining is done (finishRun),
// so that classification and the outputs reuse the pages of mining's dead tables rather
// than first-touching fresh ones. Nothing else in a run forces one, so a run that skips
// it forces none.
func TestMineCollectsAfterMining(t *testing.T) {
	fs := NewFlags("mine", io.Discard)
	f := NewMineFlags(fs)
	err := fs.Parse([]string{"--data", "../report/testdata/explain/data", "--config", "../report/testdata/explain/mining.xml", "--out", t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	env := Env{Stdout: io.Discard, Stderr: io.Discard, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	before := forcedCollections()
	if err := Mine(context.Background(), fs, f, env); err != nil {
		t.Fatal(err)
	}
	if n := forcedCollections() - before; n != 1 {
		t.Fatalf("a run forced %d collections, want 1 (after mining)", n)
	}
}

// gcPercent returns the collector's percentage (GOGC) as set now.
func gcPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// TestCollectKeepingGoal: after most of the heap dies, collectKeepingGoal collects (one
// forced cycle), keeps the goal it found (not twice the smaller live heap, which the
// runtime's own pacing would set), and puts the percentage back after the next
// collection; release puts it back sooner and only once.
func TestCollectKeepingGoal(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	live := make([]byte, 4<<20)
	dead := make([][]byte, 64)
	for i := range dead {
		dead[i] = make([]byte, 1<<20)
	}
	runtime.GC() // the goal is now about twice 68 MiB
	dead = nil
	goal, forced := heapMetric("/gc/heap/goal:bytes"), forcedCollections()
	release := collectKeepingGoal()
	if n := forcedCollections() - forced; n != 1 {
		t.Errorf("%d forced collections, want 1", n)
	}
	if after := heapMetric("/gc/heap/goal:bytes"); after < goal-goal/20 {
		t.Errorf("goal %d after, %d before: not kept", after, goal)
	}
	if p := gcPercent(); p <= 100 {
		t.Fatalf("percentage %d while the goal is held, want more than 100", p)
	}
	runtime.GC() // the next collection ends the hold (its cleanup runs after it)
	for i := 0; gcPercent() != 100 && i < 1000; i++ {
		time.Sleep(time.Millisecond)
	}
	if p := gcPercent(); p != 100 {
		t.Fatalf("percentage %d after the next collection, want 100", p)
	}
	runtime.KeepAlive(live)

	// Held again, ended by release: the percentage is back at once, and a later
	// change of it is not undone by the cleanup.
	for range 64 {
		dead = append(dead, make([]byte, 1<<20))
	}
	runtime.GC()
	dead = nil
	release = collectKeepingGoal()
	release()
	if p := gcPercent(); p != 100 {
		t.Fatalf("percentage %d after release, want 100", p)
	}
	debug.SetGCPercent(150)
	runtime.GC()
	runtime.GC()
	if p := gcPercent(); p != 150 {
		t.Fatalf("percentage %d: the cleanup ran after release", p)
	}
	runtime.KeepAlive(live)
}

// TestCollectKeepingGoalOff: under GOGC=off nothing is held or changed.
func TestCollectKeepingGoalOff(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	collectKeepingGoal()()
	if p := gcPercent(); p != -1 {
		t.Fatalf("percentage %d, want -1 (off)", p)
	}
}

// TestCollectKeepingGoalOnce: while a goal is held (by another run in the process), a
// call only collects and changes no percentage, so that it cannot take the held one for
// GOGC and put it back at its release.
func TestCollectKeepingGoalOnce(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	dead := make([][]byte, 64)
	for i := range dead {
		dead[i] = make([]byte, 1<<20)
	}
	runtime.GC()
	dead = nil
	holding.Store(true) // another run's hold
	defer holding.Store(false)
	forced := forcedCollections()
	release := collectKeepingGoal()
	if n := forcedCollections() - forced; n != 1 {
		t.Errorf("%d forced collections, want 1", n)
	}
	if p := gcPercent(); p != 100 {
		t.Errorf("percentage %d while another run holds the goal, want 100 (unchanged)", p)
	}
	release()
	if !holding.Load() {
		t.Errorf("release ended another run's hold")
	}
}
