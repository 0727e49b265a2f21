// Package hugepage allocates the large tables that rolemine reads at random addresses
// (per-identity rows, pattern numbers, support and counter tables) so that the kernel may
// back them with 2 MiB pages. With 4 KiB pages, a table of tens of megabytes read at
// random costs a TLB miss on most loads; one 2 MiB page covers what 512 small ones do.
//
// Only such tables should use it. Large arrays written once in order and then scanned
// (pairs, decoded columns, output buffers) gain nothing from 2 MiB pages and pay for them:
// the first touch of a fresh 2 MiB page can make the kernel compact memory to find one,
// which on a fragmented machine costs more system time than the small pages' faults.
//
// The advice (madvise MADV_HUGEPAGE) only changes where memory lives, never what it
// holds: with transparent huge pages set to `never`, or on a system other than Linux,
// Make is a plain make.
package hugepage

// Size is the huge page size the allocation aligns to (2 MiB on x86-64 and arm64 Linux).
const Size = 2 << 20

// MinBytes is the smallest table Make advises: below it a plain make is returned, since
// a table of a few hundred small pages stays in the TLB anyway. A table above it takes
// whole huge pages (its last one rounded up).
const MinBytes = 1 << 20

// Make returns a zeroed slice of n elements of T (length and capacity n). When the table
// is at least MinBytes, T's size is a power of two and the system supports it, the slice
// starts on a Size boundary and its pages are advised as huge before anything writes
// them. T should hold no pointers: the memory is ordinary Go heap either way, but the
// point is dense tables of numbers.
func Make[T any](n int) []T {
	if n < 0 {
		panic("hugepage: negative length")
	}
	var zero T
	size := int(sizeOf(zero))
	if size == 0 || n*size < MinBytes || !supported() {
		return make([]T, n)
	}
	// slack elements enough to move the start to the next Size boundary and to round the
	// end up to the one after.
	slack := (2*Size + size - 1) / size
	s := make([]T, n+slack)
	off := alignOffset(s, size)
	advise(s, off*size, n*size)
	return s[off : off+n : off+n]
}
