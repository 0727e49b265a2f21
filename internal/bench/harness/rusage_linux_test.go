//go:build linux

package harness

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"testing"
)

// TestChildPeakRSSIsItsOwn: a child's peak RSS is not the parent's. The parent touches
// 256 MiB and lets it go, as `rolemine bench` does after generating a tier in process;
// `true` then runs as a benchmarked child, and its peak RSS must be its own few MiB, not
// the parent's 256 (which Linux hands a child at exec unless the parent's peak is reset).
func TestChildPeakRSSIsItsOwn(t *testing.T) {
	bin, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true command")
	}
	if f, err := os.OpenFile("/proc/self/clear_refs", os.O_WRONLY, 0); err != nil {
		t.Skipf("the peak RSS cannot be reset here: %v", err)
	} else {
		f.Close()
	}
	b := make([]byte, 256<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	runtime.KeepAlive(b)
	b = nil
	ch, err := runChild(context.Background(), bin)
	if err != nil {
		t.Fatal(err)
	}
	if ch.peakRSS <= 0 || ch.peakRSS >= 64<<20 {
		t.Errorf("peak RSS of true: %d MiB, want its own (under 64 MiB), not the parent's 256", ch.peakRSS>>20)
	}
}
