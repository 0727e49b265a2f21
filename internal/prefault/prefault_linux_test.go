package prefault

import (
	"syscall"
	"testing"
)

// minorFaults returns the process's minor page faults so far.
func minorFaults(t *testing.T) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return ru.Minflt
}

// freshMapping maps n bytes no one has touched, unmapped when the test ends.
func freshMapping(t *testing.T, n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Munmap(b) })
	return b
}

// writePages writes one byte of every page of b and returns the minor faults it took.
func writePages(t *testing.T, b []byte) int64 {
	before := minorFaults(t)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	return minorFaults(t) - before
}

// TestPopulateMapsPages checks that populate maps a fresh range in: writing it afterwards
// takes (almost) no page faults, where writing an unpopulated range of the same size
// takes one a page. A kernel without MADV_POPULATE_WRITE (before 5.14) skips.
func TestPopulateMapsPages(t *testing.T) {
	const n = 16 << 20
	probe := freshMapping(t, 1<<16)
	if err := syscall.Madvise(probe, madvPopulateWrite); err != nil {
		t.Skipf("MADV_POPULATE_WRITE unsupported here: %v", err)
	}
	plain := writePages(t, freshMapping(t, n))
	b := freshMapping(t, n)
	populate(b)
	after := writePages(t, b)
	t.Logf("faults writing %d MiB: %d plain, %d after populate", n>>20, plain, after)
	if plain < n/4096/2 {
		t.Skipf("writing a fresh mapping took only %d faults (huge pages?): nothing to compare", plain)
	}
	if after > plain/10 {
		t.Fatalf("writing a populated range took %d faults, want under a tenth of the %d of a plain one", after, plain)
	}
}
