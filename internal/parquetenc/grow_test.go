package parquetenc

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"unsafe"
)

// TestAppendDoubling: the parts are appended in order; storage with room is kept, and
// storage without is replaced by one at least twice as large.
func TestAppendDoubling(t *testing.T) {
	part := func(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }
	for _, tc := range []struct {
		name     string
		len, cap int
		parts    [][]byte
	}{
		{"fits", 10, 100, [][]byte{part(30, 'a'), part(60, 'b')}},
		{"empty", 0, 0, [][]byte{part(5, 'a')}},
		{"just over", 90, 100, [][]byte{part(6, 'a'), part(5, 'b')}},
		{"far over", 10, 16, [][]byte{part(1000, 'a'), nil, part(3, 'c')}},
		{"large, full", 1 << 20, 1 << 20, [][]byte{part(1, 'a')}}, // append: a quarter more
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := append(make([]byte, 0, tc.cap), part(tc.len, 'x')...)
			want := bytes.Clone(dst)
			n := 0
			for _, p := range tc.parts {
				want = append(want, p...)
				n += len(p)
			}
			got := appendDoubling(dst, tc.parts...)
			if !bytes.Equal(got, want) {
				t.Fatalf("appended %q, want %q", got, want)
			}
			kept := cap(dst) > 0 && unsafe.SliceData(got) == unsafe.SliceData(dst)
			if fits := tc.len+n <= tc.cap; fits != kept {
				t.Fatalf("storage kept %v with %d+%d bytes in a capacity of %d", kept, tc.len, n, tc.cap)
			}
			if !kept && cap(got) < max(tc.len+n, 2*tc.cap) {
				t.Fatalf("capacity %d from %d for %d bytes: not doubled", cap(got), tc.cap, tc.len+n)
			}
		})
	}
}

// TestLargeDictionaryAllocations encodes, with a fresh encoder, one row group of a column
// with 150,000 distinct values (a dictionary page of 5.7 MB, uncompressed): the bytes it
// allocates must stay under 7.5 times the page. Grown a quarter at a time, the
// dictionary's buffer, the group's storage and the chunk's tables allocated 9.9 times
// the page, all of it fresh memory in a run's last phase; grown once or by doubling, 6.
// (The group's storage, doubled from nothing past the page, is half of that.)
func TestLargeDictionaryAllocations(t *testing.T) {
	const n = 150_000
	values := make([]string, n)
	codes := make([]int32, n)
	raw := 0
	for k := range values {
		values[k] = fmt.Sprintf("account-%026d", k*7919%n)
		codes[k] = int32(k)
		raw += 4 + len(values[k])
	}
	for _, col := range []Column{{Name: "a", Codec: Uncompressed}, {Name: "a", Codec: Uncompressed, Optional: true}} {
		e := NewEncoder([]Column{col})
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		g, err := e.Encode([]Data{{Values: values, Codes: codes}})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Data) < raw {
			t.Fatalf("group of %d bytes, under its dictionary's %d", len(g.Data), raw)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > uint64(15*raw/2) {
			t.Errorf("optional %v: encoding a %d-byte dictionary allocated %d bytes (%.1f times)", col.Optional, raw, got, float64(got)/float64(raw))
		}
	}
}

// TestPushDoubling: a value is appended; a full slice's capacity at least doubles, where
// append would add a quarter to a large one.
func TestPushDoubling(t *testing.T) {
	for _, n := range []int{0, 1, 300, 1 << 20} {
		s := make([]int32, n)
		for k := range s {
			s[k] = int32(k)
		}
		got := pushDoubling(s, -1)
		if len(got) != n+1 || got[n] != -1 || (n > 0 && got[n-1] != int32(n-1)) {
			t.Fatalf("n=%d: pushed into %d values, last %d", n, len(got), got[len(got)-1])
		}
		if cap(got) < max(2*n, 256) {
			t.Fatalf("n=%d: capacity %d after pushing into a full slice", n, cap(got))
		}
	}
}

// TestCompRoom: the compressed pages' storage is kept while it has room and at least
// doubled when it has not.
func TestCompRoom(t *testing.T) {
	e := NewEncoder([]Column{{Name: "a"}})
	for _, tc := range []struct{ n, min int }{{100, 100}, {150, 200}, {120, 200}, {1000, 1000}, {1001, 2000}} {
		before := e.comp
		got := e.compRoom(tc.n)
		if len(got) != 0 || cap(got) < tc.min {
			t.Fatalf("room for %d: length %d, capacity %d, want 0 and at least %d", tc.n, len(got), cap(got), tc.min)
		}
		if kept := cap(before) > 0 && unsafe.SliceData(got) == unsafe.SliceData(before); kept != (tc.n <= cap(before)) {
			t.Fatalf("room for %d in %d bytes: storage kept %v", tc.n, cap(before), kept)
		}
	}
}
