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

// advise asks for huge pages over the Size-aligned pages under the n bytes of s from
// byte from on (s has room to round them up), then drops every page of s. Go's allocator
// hands back memory it has used before, already faulted in as small pages and zeroed: the
// advice alone would not change those until khugepaged got round to them, minutes later if
// ever. Dropping them (MADV_DONTNEED) leaves s reading as zeros, as Go's own scavenger
// relies on for its private anonymous memory; the table's first writes fault in huge
// pages, and the slack around it, never written, takes no memory. A failure only loses
// the advice (an old kernel, a seccomp filter), so it is ignored.
func advise[T any](s []T, from, n int) {
	b := bytesOf(s, int(sizeOf(*new(T))))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	end := p + uintptr(len(b))
	lo := p + uintptr(from)
	hi := min((lo+uintptr(n)+Size-1)&^(Size-1), end&^(Size-1))
	if hi <= lo || lo%Size != 0 {
		return
	}
	if syscall.Madvise(b[lo-p:hi-p], syscall.MADV_HUGEPAGE) != nil {
		return
	}
	// Whole small pages only: the allocation's first and last may share a page with
	// another object.
	const small = 4 << 10
	plo, phi := (p+small-1)&^(small-1), end&^(small-1)
	_ = syscall.Madvise(b[plo-p:phi-p], syscall.MADV_DONTNEED)
}
