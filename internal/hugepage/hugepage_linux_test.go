package hugepage

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// TestMakeHugeBacked checks that a table is backed by huge pages once written, also where
// Go hands back memory an earlier table used (already faulted in as small pages), as long
// as the system gives huge pages to fresh memory at all.
func TestMakeHugeBacked(t *testing.T) {
	if !supported() {
		t.Skip("transparent huge pages not available")
	}
	const n = 16 << 20 / 8
	fill := func(s []int64) int {
		for i := range s {
			s[i] = int64(i)
		}
		kb, err := anonHugeKB(uintptr(unsafe.Pointer(&s[0])))
		if err != nil {
			t.Skip(err)
		}
		return kb
	}
	if !systemGives(t) {
		t.Skip("the system gives fresh memory no huge pages now")
	}
	// A plain table written and dropped, then a Make of the same size: Go reuses its span.
	fill(make([]int64, n+Size/8))
	runtime.GC()
	if kb := fill(Make[int64](n)); kb < n*8/1024/2 {
		t.Errorf("reused memory: %d kB in huge pages of a %d kB table", kb, n*8/1024)
	}
}

// systemGives reports whether fresh memory mapped outside Go's heap and advised gets a
// huge page when written.
func systemGives(t *testing.T) bool {
	b, err := syscall.Mmap(-1, 0, 2*Size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Skip(err)
	}
	defer syscall.Munmap(b)
	p := uintptr(unsafe.Pointer(&b[0]))
	r := b[(Size-p%Size)%Size:][:Size]
	if err := syscall.Madvise(r, syscall.MADV_HUGEPAGE); err != nil {
		return false
	}
	for i := range r {
		r[i] = 1
	}
	kb, err := anonHugeKB(uintptr(unsafe.Pointer(&r[0])))
	return err == nil && kb > 0
}

// anonHugeKB is the AnonHugePages figure of the mapping holding addr in
// /proc/self/smaps.
func anonHugeKB(addr uintptr) (int, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		if lo, hi, ok := mappingRange(line); ok {
			in = lo <= addr && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, "AnonHugePages:") {
			return strconv.Atoi(strings.Fields(line)[1])
		}
	}
	return 0, fmt.Errorf("no mapping holds %#x", addr)
}

func mappingRange(line string) (lo, hi uintptr, ok bool) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return 0, 0, false
	}
	a, b, found := strings.Cut(f[0], "-")
	if !found {
		return 0, 0, false
	}
	x, err1 := strconv.ParseUint(a, 16, 64)
	y, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uintptr(x), uintptr(y), true
}
