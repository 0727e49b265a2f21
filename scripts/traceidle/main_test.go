//go:build linux

package main

import (
	"bytes"
	rtrace "runtime/trace"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/exp/trace"
)

// TestAnalyseSpinSleepSyscall traces three goroutines started by three functions: one
// spinning 200 ms, one sleeping 200 ms, one blocked 200 ms in a system call. Each is
// grouped by the function that started it; only the spinner runs (about 0.2 s, spread
// over the 50 ms intervals it spans), only the third sits in a system call, and the idle
// processor-seconds are what the processors given did not run.
func TestAnalyseSpinSleepSyscall(t *testing.T) {
	var buf bytes.Buffer
	if err := rtrace.Start(&buf); err != nil {
		t.Skipf("cannot trace: %v", err)
	}
	var wg sync.WaitGroup
	startSpinner(&wg)
	startSleeper(&wg)
	startSyscaller(&wg)
	wg.Wait()
	rtrace.Stop()

	tl, err := analyse(&buf, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	run, sys, spanned := map[string]float64{}, map[string]float64{}, 0
	for _, iv := range tl.intervals {
		for id, d := range iv.run {
			run[funcOf(tl.groups[id])] += d.Seconds()
			if funcOf(tl.groups[id]) == "startSpinner" && d > 10*time.Millisecond {
				spanned++
			}
		}
		for id, d := range iv.sys {
			sys[funcOf(tl.groups[id])] += d.Seconds()
		}
	}
	if s := run["startSpinner"]; s < 0.15 || s > 0.4 {
		t.Errorf("spinner ran %.3f s, want about 0.2 (groups: %v)", s, run)
	}
	if spanned < 3 {
		t.Errorf("spinner's time falls in %d intervals of 50 ms, want 3 or more", spanned)
	}
	if s := run["startSleeper"] + run["startSyscaller"]; s > 0.05 {
		t.Errorf("sleeper and system call ran %.3f s, want next to none", s)
	}
	if s := sys["startSyscaller"]; s < 0.15 || s > 0.4 {
		t.Errorf("system call took %.3f s in system calls, want about 0.2 (groups: %v)", s, sys)
	}
	if s := sys["startSpinner"] + sys["startSleeper"]; s > 0.05 {
		t.Errorf("spinner and sleeper spent %.3f s in system calls, want next to none", s)
	}
	tl.procs = 4
	busy, idle := tl.totals()
	span := float64(len(tl.intervals)) * 0.05
	if d := busy + idle - 4*span; d < -1e-9 || d > 1e-9 {
		t.Errorf("busy %.3f + idle %.3f != 4 processors x %.3f s", busy, idle, span)
	}
	var out bytes.Buffer
	tl.print(&out, 2, 0)
	if !strings.Contains(out.String(), ".startSpinner ") || !strings.Contains(out.String(), "processor-s busy") {
		t.Errorf("print lacks the spinner's group or the totals:\n%s", out.String())
	}
}

// funcOf is a group's function name without its package.
func funcOf(group string) string { return group[strings.LastIndex(group, ".")+1:] }

//go:noinline
func startSpinner(wg *sync.WaitGroup) {
	wg.Go(func() {
		for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); {
		}
	})
}

//go:noinline
func startSleeper(wg *sync.WaitGroup) {
	wg.Go(func() { time.Sleep(200 * time.Millisecond) })
}

//go:noinline
func startSyscaller(wg *sync.WaitGroup) {
	wg.Go(func() {
		ts := syscall.NsecToTimespec(int64(200 * time.Millisecond))
		_ = syscall.Nanosleep(&ts, nil)
	})
}

// TestGroupOfEmptyStack: a goroutine with no stack known is "?".
func TestGroupOfEmptyStack(t *testing.T) {
	if g := groupOf(trace.NoStack, true); g != "?" {
		t.Errorf("groupOf(NoStack) = %q, want ?", g)
	}
}

// TestAddSplitsAcrossIntervals: time from 30 ms to 130 ms with intervals of 50 ms falls
// 20, 50 and 30 ms into the first three, as running or in a system call.
func TestAddSplitsAcrossIntervals(t *testing.T) {
	tl := &timeline{step: 50 * time.Millisecond, groups: map[trace.GoID]string{}}
	ms := func(n int) trace.Time { return trace.Time(time.Duration(n) * time.Millisecond) }
	tl.add(ms(30), ms(130), 7, false)
	tl.add(ms(60), ms(70), 8, true)
	want := []time.Duration{20 * time.Millisecond, 50 * time.Millisecond, 30 * time.Millisecond}
	if len(tl.intervals) != len(want) {
		t.Fatalf("%d intervals, want %d", len(tl.intervals), len(want))
	}
	for k, w := range want {
		if got := tl.intervals[k].run[7]; got != w {
			t.Errorf("interval %d: goroutine 7 ran %v, want %v", k, got, w)
		}
	}
	if got := tl.intervals[1].sys[8]; got != 10*time.Millisecond || len(tl.intervals[1].run) != 1 {
		t.Errorf("interval 1: goroutine 8 in system calls %v (want 10ms), running %v (want only goroutine 7)", got, tl.intervals[1].run)
	}
}
