//go:build linux

package harness

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
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

// TestWarmMemoryTouchesEveryPage: WarmMemory(64) faults in all of its 64 MiB (16,384
// pages of 4 KiB, counted in this process's minor faults whether populated by the advice
// or written page by page) and leaves nothing of it resident.
func TestWarmMemoryTouchesEveryPage(t *testing.T) {
	_, _, before := UsageSelf()
	resident := residentPages(t)
	if err := WarmMemory(64); err != nil {
		t.Fatal(err)
	}
	_, _, after := UsageSelf()
	if pages := after - before; pages < 16384*9/10 {
		t.Errorf("WarmMemory(64) faulted %d pages, want about 16384", pages)
	}
	if grown := residentPages(t) - resident; grown > 16384/4 {
		t.Errorf("WarmMemory(64) left %d more pages resident, want its memory unmapped", grown)
	}
	if err := WarmMemory(0); err != nil {
		t.Errorf("WarmMemory(0): %v, want nothing done", err)
	}
}

// residentPages returns this process's resident pages (/proc/self/statm's second field).
func residentPages(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc/self/statm: %v", err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		t.Fatalf("/proc/self/statm: %q, expected at least two fields", b)
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatalf("/proc/self/statm: %v", err)
	}
	return n
}
