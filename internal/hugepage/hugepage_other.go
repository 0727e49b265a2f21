//go:build !linux

package hugepage

// supported is false: only Linux has transparent huge pages to advise.
func supported() bool { return false }

// advise is never reached off Linux.
func advise[T any](s []T, from, n int) {}
