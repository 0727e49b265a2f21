// Command traceidle reads a runtime execution trace (`rolemine mine --trace FILE`, or
// `rolemine bench cooccur --trace FILE`) and prints where the run left processors idle:
// for each interval of -step, how many processors ran goroutines, how many goroutines sat
// in system calls, and the goroutine groups that ran most. A group is named by the first
// function of the stack that started its goroutines which is not a scheduling helper
// (the runtime, sync, internal/parallel, columnar's forEach and eachBlock): the code that
// handed out the work. Goroutines that were running before the trace began are named by
// the outermost function of their stack. It ends with the run's processor-seconds busy
// and idle, given -procs processors (default: the trace's GOMAXPROCS).
//
//	go run ./scripts/traceidle [-step 250ms] [-procs N] [-top 3] [-below P] TRACE
//
// -below P prints only the intervals with fewer than P processors busy. A CPU profile
// says what the processors did; this says when they had nothing to do, and on what the
// rest of the run waited then (an interval with a system call and no goroutine running:
// the run waits on the kernel).
package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

func main() {
	step := flag.Duration("step", 250*time.Millisecond, "interval length")
	procs := flag.Int("procs", 0, "processors the run had (0: the trace's GOMAXPROCS)")
	top := flag.Int("top", 3, "goroutine groups printed per interval")
	below := flag.Float64("below", 0, "print only intervals with fewer busy processors than this (0: all)")
	flag.Parse()
	if flag.NArg() != 1 || *step <= 0 {
		fmt.Fprintln(os.Stderr, "usage: traceidle [-step 250ms] [-procs N] [-top 3] [-below P] TRACE")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "traceidle:", err)
		os.Exit(1)
	}
	defer f.Close()
	tl, err := analyse(f, *step)
	if err != nil {
		fmt.Fprintf(os.Stderr, "traceidle: %s: %v\n", flag.Arg(0), err)
		os.Exit(1)
	}
	if *procs > 0 {
		tl.procs = *procs
	}
	tl.print(os.Stdout, *top, *below)
}

// helper matches the functions that only schedule work on goroutines: a goroutine is
// named after the first function of its creation stack that this does not match.
var helper = regexp.MustCompile(`^(runtime|sync|internal/|golang\.org/x/sync)|/internal/parallel\.|\.forEach|\.eachBlock|\(\*Bugs\)\.Go`)

// timeline is a trace cut into intervals: for each, the time each goroutine spent
// running and in system calls, and the group each goroutine belongs to.
type timeline struct {
	step      time.Duration
	procs     int
	intervals []interval
	groups    map[trace.GoID]string
}

// interval is one step of a timeline, by goroutine.
type interval struct {
	run, sys map[trace.GoID]time.Duration
}

// analyse reads the trace in r and cuts it into intervals of step.
func analyse(r io.Reader, step time.Duration) (*timeline, error) {
	rd, err := trace.NewReader(r)
	if err != nil {
		return nil, err
	}
	tl := &timeline{step: step, groups: map[trace.GoID]string{}}
	var start trace.Time
	running, calling := map[trace.GoID]trace.Time{}, map[trace.GoID]trace.Time{}
	for {
		ev, err := rd.ReadEvent()
		if err == io.EOF {
			return tl, nil
		}
		if err != nil {
			return nil, err
		}
		if start == 0 {
			start = ev.Time()
		}
		switch ev.Kind() {
		case trace.EventMetric:
			if m := ev.Metric(); m.Name == "/sched/gomaxprocs:threads" {
				tl.procs = int(m.Value.Uint64())
			}
		case trace.EventStateTransition:
			tl.transition(ev, start, running, calling)
		}
	}
}

// transition records one goroutine's change of state: the time it ran or spent in a
// system call ends when it leaves that state. The goroutine's group comes from the stack
// that created it, or, for one that existed before the trace began, from its own stack
// the first time it stops running.
func (tl *timeline) transition(ev trace.Event, start trace.Time, running, calling map[trace.GoID]trace.Time) {
	st := ev.StateTransition()
	if st.Resource.Kind != trace.ResourceGoroutine {
		return
	}
	id := st.Resource.Goroutine()
	from, to := st.Goroutine()
	if from == trace.GoNotExist {
		tl.groups[id] = groupOf(ev.Stack(), false)
	} else if tl.groups[id] == "" && from == trace.GoRunning && ev.Goroutine() == id && ev.Stack() != trace.NoStack {
		tl.groups[id] = groupOf(ev.Stack(), true)
	}
	for _, s := range []struct {
		state trace.GoState
		open  map[trace.GoID]trace.Time
		sys   bool
	}{{trace.GoRunning, running, false}, {trace.GoSyscall, calling, true}} {
		if from == s.state {
			if at, ok := s.open[id]; ok {
				tl.add(at-start, ev.Time()-start, id, s.sys)
				delete(s.open, id)
			}
		}
		if to == s.state {
			s.open[id] = ev.Time()
		}
	}
}

// groupOf names a goroutine after stk: the first frame no helper matches, or with
// outermost the last such frame. A stack of helpers alone (the runtime's collector
// workers) is named by its outermost frame, and an empty one "?".
func groupOf(stk trace.Stack, outermost bool) string {
	name, last := "", ""
	for fr := range stk.Frames() {
		last = fr.Func
		if helper.MatchString(fr.Func) {
			continue
		}
		name = fr.Func
		if !outermost {
			break
		}
	}
	if name == "" {
		name = last
	}
	if name == "" {
		return "?"
	}
	return shortName(name)
}

// shortName drops a function's import path but for its last element.
func shortName(fn string) string {
	if i := strings.LastIndex(fn, "/"); i >= 0 {
		return fn[i+1:]
	}
	return fn
}

// add counts the time from lo to hi (since the trace's start) for goroutine id, in each
// interval it overlaps, as running or in a system call.
func (tl *timeline) add(lo, hi trace.Time, id trace.GoID, sys bool) {
	step := trace.Time(tl.step)
	for lo < hi {
		k := int(lo / step)
		end := min(trace.Time(k+1)*step, hi)
		for len(tl.intervals) <= k {
			tl.intervals = append(tl.intervals, interval{run: map[trace.GoID]time.Duration{}, sys: map[trace.GoID]time.Duration{}})
		}
		m := tl.intervals[k].run
		if sys {
			m = tl.intervals[k].sys
		}
		m[id] += time.Duration(end - lo)
		lo = end
	}
}

// busy returns the processors an interval kept running goroutines on average, and the
// goroutines in system calls.
func (tl *timeline) busy(iv interval) (run, sys float64) {
	for _, d := range iv.run {
		run += float64(d) / float64(tl.step)
	}
	for _, d := range iv.sys {
		sys += float64(d) / float64(tl.step)
	}
	return run, sys
}

// print writes the intervals (those below below busy processors, when below > 0), each
// with its top groups, and the totals.
func (tl *timeline) print(w io.Writer, top int, below float64) {
	fmt.Fprintf(w, "%8s %5s %5s  %s\n", "t(s)", "busy", "sys", "groups running most (processors)")
	for k, iv := range tl.intervals {
		run, sys := tl.busy(iv)
		if below > 0 && run >= below {
			continue
		}
		fmt.Fprintf(w, "%8.2f %5.2f %5.2f  %s\n", (time.Duration(k) * tl.step).Seconds(), run, sys, tl.topGroups(iv, top))
	}
	busy, idle := tl.totals()
	fmt.Fprintf(w, "%.2f s on %d processors: %.2f processor-s busy, %.2f idle\n",
		(time.Duration(len(tl.intervals)) * tl.step).Seconds(), tl.procs, busy, idle)
}

// topGroups lists the n groups that ran most in iv, with their processors.
func (tl *timeline) topGroups(iv interval, n int) string {
	byGroup := map[string]time.Duration{}
	for id, d := range iv.run {
		byGroup[cmp.Or(tl.groups[id], "?")] += d
	}
	names := make([]string, 0, len(byGroup))
	for g := range byGroup {
		names = append(names, g)
	}
	sort.Slice(names, func(i, j int) bool {
		if byGroup[names[i]] != byGroup[names[j]] {
			return byGroup[names[i]] > byGroup[names[j]]
		}
		return names[i] < names[j]
	})
	parts := []string{}
	for _, g := range names[:min(n, len(names))] {
		parts = append(parts, fmt.Sprintf("%s %.2f", g, float64(byGroup[g])/float64(tl.step)))
	}
	return strings.Join(parts, " | ")
}

// totals returns the processor-seconds the run kept busy, and those left idle of procs
// processors over every interval (an interval busier than procs counts none idle).
func (tl *timeline) totals() (busy, idle float64) {
	for _, iv := range tl.intervals {
		run, _ := tl.busy(iv)
		busy += run * tl.step.Seconds()
		idle += max(0, float64(tl.procs)-run) * tl.step.Seconds()
	}
	return busy, idle
}
