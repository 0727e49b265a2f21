// Package prefault allocates large arrays whose every element is about to be written,
// with their memory mapped in by one system call rather than one page fault per 4 KiB
// page as the writes first touch it.
//
// A fresh page costs a fault on first touch: a trap into the kernel, a zeroed page, and
// the trap's return. On a virtual machine the trap is the dear part: on the paravirtual
// guests rolemine is benchmarked on, a first touch costs about 12 µs a page, and the
// tier L universe touches half a million pages. Asking the kernel to populate the range
// (madvise MADV_POPULATE_WRITE, Linux 5.14 and later) maps the same pages in a loop
// inside the kernel, without the traps: 512 MiB took 0.72 s there against 1.55 s written
// page by page. Pages already mapped (memory Go's heap reuses) cost a walk of their page
// tables, about 20 ms for 512 MiB.
//
// The advice never changes what the memory holds, so where it is unsupported (an older
// kernel, a seccomp filter, another system) Make is a plain make.
package prefault

// MinBytes is the smallest array Make populates: below it the faults cost less than the
// system call.
const MinBytes = 64 << 10

// Make returns a zeroed slice of n elements of T (length and capacity n) whose memory is
// mapped in when it is at least MinBytes. Use it only for an array the caller writes
// whole soon after: memory it populates counts as resident from then on.
func Make[T any](n int) []T {
	s := make([]T, n)
	Populate(s)
	return s
}

// Populate maps in the whole pages under s when s is at least MinBytes (see Make).
func Populate[T any](s []T) {
	b := bytesOf(s)
	if len(b) < MinBytes {
		return
	}
	populate(b)
}
