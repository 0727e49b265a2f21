package hugepage

import (
	"os"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// supported reports whether transparent huge pages may be advised: the kernel's mode is
// `always` or `madvise`. It is read once; a missing file (no THP support) means no.
var supported = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return false
	}
	return !strings.Contains(string(b), "[never]")
})

// advise asks for huge pages over the whole Size-aligned part of s, then drops the pages
// already there. Go's allocator hands back memory it has used before, already faulted in
// as small pages (and zeroed): the advice alone would not change those until khugepaged
// got round to them, minutes later if ever. Dropping them (MADV_DONTNEED) leaves the range
// reading as zeros, as Go's own scavenger relies on for its private anonymous memory, and
// the first write faults in a huge page. A failure only loses the advice (an old kernel, a
// seccomp filter), so it is ignored.
func advise[T any](s []T, size int) {
	b := bytesOf(s, size)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (p + Size - 1) &^ (Size - 1)
	hi := (p + uintptr(len(b))) &^ (Size - 1)
	if hi <= lo {
		return
	}
	r := b[lo-p : hi-p]
	if syscall.Madvise(r, syscall.MADV_HUGEPAGE) == nil {
		_ = syscall.Madvise(r, syscall.MADV_DONTNEED)
	}
}
