//go:build linux

package harness

import (
	"os"
	"runtime/debug"
	"syscall"
)

// PeakRSSSelf returns this process's peak resident set size in bytes (0 where unknown).
func PeakRSSSelf() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024 // Linux reports KiB
}

// UsageSelf returns this process's CPU time so far (user and system, in seconds) and
// its minor page faults.
func UsageSelf() (user, sys float64, faults int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, 0
	}
	return float64(ru.Utime.Nano()) / 1e9, float64(ru.Stime.Nano()) / 1e9, ru.Minflt
}

// PeakRSS returns the peak resident set size in bytes of an exited child process.
func PeakRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024
	}
	return 0
}

// ResetPeakRSS returns this process's free heap to the system and lowers the peak
// resident set size the kernel keeps for its address space to the current one
// (/proc/self/clear_refs, "5"), so that the next child's peak RSS is its own. At exec,
// Linux folds the peak of the address space a process leaves into its ru_maxrss, and a
// Go child shares this process's address space until it execs: without the reset a
// child's peak is never below the largest this process ever held (a tier generated in
// process, two output sets compared). Where the file cannot be written nothing changes.
func ResetPeakRSS() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}
