package hugepage

import (
	"fmt"
	"runtime"
	"testing"
	"unsafe"
)

func TestMakeLengthZeroAligned(t *testing.T) {
	for _, n := range []int{0, 1, 1000, MinBytes/4 - 1, MinBytes / 4, 3*MinBytes/4 + 7} {
		s := Make[int32](n)
		if len(s) != n || cap(s) != n {
			t.Fatalf("Make(%d): len %d cap %d", n, len(s), cap(s))
		}
		for i, v := range s {
			if v != 0 {
				t.Fatalf("Make(%d)[%d] = %d, expected 0", n, i, v)
			}
		}
		p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
		big := n*4 >= MinBytes && supported()
		if big && p%Size != 0 {
			t.Errorf("Make(%d) starts at %#x, expected a multiple of %d", n, p, Size)
		}
	}
}

// TestMakeReusedZeroed checks that a table allocated where an earlier one was written
// comes back zeroed, with the earlier one's values nowhere.
func TestMakeReusedZeroed(t *testing.T) {
	const n = 3 << 20
	for range 3 {
		s := Make[uint64](n)
		for i, v := range s {
			if v != 0 {
				t.Fatalf("[%d] = %d, expected 0", i, v)
			}
		}
		for i := range s {
			s[i] = ^uint64(0)
		}
		runtime.GC()
	}
}

func TestMakeOddElement(t *testing.T) {
	type triple struct{ a, b, c int32 }
	s := Make[triple](MinBytes/12 + 5)
	if len(s) != MinBytes/12+5 || s[len(s)-1] != (triple{}) {
		t.Fatalf("len %d, last %v", len(s), s[len(s)-1])
	}
	s[len(s)-1].c = 7 // writable to the end
}

func TestMakeSmallIsPlain(t *testing.T) {
	s := Make[byte](MinBytes - 1)
	if cap(s) != MinBytes-1 {
		t.Fatalf("cap %d, expected %d", cap(s), MinBytes-1)
	}
}

// BenchmarkRandomRead alternates a plain table and a Make table of each size: fill in
// order, then 4M reads at random addresses per op.
func BenchmarkRandomRead(b *testing.B) {
	for _, mb := range []int{8, 32, 128} {
		for _, way := range []string{"plain", "huge"} {
			b.Run(fmt.Sprintf("%dMB/%s", mb, way), func(b *testing.B) {
				n := mb << 20 / 4
				s := filledTable(way, n)
				x, sum := uint64(88172645463325252), int32(0)
				for b.Loop() {
					for range 4 << 20 {
						x ^= x << 13
						x ^= x >> 7
						x ^= x << 17
						sum += s[x%uint64(n)]
					}
				}
				if sum == 1 {
					b.Log(sum)
				}
			})
		}
	}
}

// BenchmarkMakeFill is the cost of a table's first touch: Make (or make) and one write in
// order per element, plain and huge in turn.
func BenchmarkMakeFill(b *testing.B) {
	for _, mb := range []int{8, 32, 128} {
		for _, way := range []string{"plain", "huge"} {
			b.Run(fmt.Sprintf("%dMB/%s", mb, way), func(b *testing.B) {
				n := mb << 20 / 4
				for b.Loop() {
					filledTable(way, n)
				}
			})
		}
	}
}

// filledTable makes a table of n values the way named ("huge": Make, else make) and
// writes each element once, in order.
func filledTable(way string, n int) []int32 {
	var s []int32
	if way == "huge" {
		s = Make[int32](n)
	} else {
		s = make([]int32, n)
	}
	for i := range s {
		s[i] = int32(i)
	}
	return s
}
