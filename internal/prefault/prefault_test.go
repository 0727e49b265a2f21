package prefault

import "testing"

// TestMakeShapes checks Make's length, capacity and zeros on both sides of MinBytes.
func TestMakeShapes(t *testing.T) {
	for _, n := range []int{0, 1, MinBytes/8 - 1, MinBytes / 8, 3 * MinBytes} {
		s := Make[uint64](n)
		if len(s) != n || cap(s) != n {
			t.Fatalf("Make(%d): len %d cap %d", n, len(s), cap(s))
		}
		for i, v := range s {
			if v != 0 {
				t.Fatalf("Make(%d)[%d] = %d, want 0", n, i, v)
			}
		}
	}
}

// TestPopulateKeepsContents checks that the advice leaves what the memory holds alone: an
// advice that drops pages (MADV_DONTNEED, MADV_FREE) would read back as zeros.
func TestPopulateKeepsContents(t *testing.T) {
	s := make([]uint32, 4*MinBytes/4+123)
	for i := range s {
		s[i] = uint32(i)*2654435761 | 1
	}
	Populate(s)
	Populate(s[7 : len(s)-5]) // unaligned ends
	for i, v := range s {
		if v != uint32(i)*2654435761|1 {
			t.Fatalf("s[%d] = %d after Populate, want %d", i, v, uint32(i)*2654435761|1)
		}
	}
}
