package prefault

import (
	"syscall"
	"unsafe"
)

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14), which the syscall package does
// not name; it has this value on every architecture.
const madvPopulateWrite = 23

// pageSize is the small page size populate rounds to.
var pageSize = uintptr(syscall.Getpagesize())

// populate advises the whole pages inside b (its first and last may share a page with
// another object, which the advice would not harm either, but there is no need). A
// failure only loses the advice, so it is ignored.
func populate(b []byte) {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (p + pageSize - 1) &^ (pageSize - 1)
	hi := (p + uintptr(len(b))) &^ (pageSize - 1)
	if hi <= lo {
		return
	}
	_ = syscall.Madvise(b[lo-p:hi-p], madvPopulateWrite)
}
