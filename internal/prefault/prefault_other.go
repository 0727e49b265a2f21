//go:build !linux

package prefault

// populate does nothing off Linux: the advice is Linux's.
func populate([]byte) {}
