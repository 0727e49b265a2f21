//go:build linux

package harness

import (
	"os"
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
