package pipeline

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress prints a single updating status line on a terminal, at most a few times a
// second, and nothing at all when the output is not a terminal.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	on    bool
	last  time.Time
	dirty bool
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.on = true
		}
	}
	return p
}

// Printf replaces the status line (rate-limited unless force).
func (p *progress) update(force bool, format string, args ...any) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !force && time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r\033[K"+format, args...)
	p.dirty = true
}

// step returns a function that shows "COMMAND: STEP ..." on the status line, for a
// long step that reports only its start (gen's).
func (p *progress) step(command string) func(string) {
	return func(name string) { p.update(true, "%s: %s ...", command, name) }
}

// done clears the status line.
func (p *progress) done() {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dirty {
		fmt.Fprint(p.w, "\r\033[K")
		p.dirty = false
	}
}
