//go:build !linux

package harness

import "os"

// PeakRSSSelf returns 0: peak RSS is only measured on Linux.
func PeakRSSSelf() int64 { return 0 }

// PeakRSS returns 0: peak RSS is only measured on Linux.
func PeakRSS(*os.ProcessState) int64 { return 0 }

// UsageSelf returns zeros: CPU time and page faults are only measured on Linux.
func UsageSelf() (user, sys float64, faults int64) { return 0, 0, 0 }

// ResetPeakRSS does nothing: peak RSS is only measured on Linux.
func ResetPeakRSS() {}

// WarmMemory does nothing: the memory is only warmed on Linux.
func WarmMemory(int) error { return nil }
