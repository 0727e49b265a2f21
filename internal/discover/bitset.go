package discover

import "math/bits"

func trailingZeros(w uint64) int { return bits.TrailingZeros64(w) }

// bitset is a fixed-size set of small non-negative integers.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int32)       { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) clear(i int32)     { b[i>>6] &^= 1 << (uint(i) & 63) }
func (b bitset) has(i int32) bool  { return b[i>>6]&(1<<(uint(i)&63)) != 0 }
func (b bitset) clone() bitset     { return append(bitset(nil), b...) }
func (b bitset) copyFrom(a bitset) { copy(b, a) }
func (b bitset) andWith(a bitset)  { andInto(b, b, a) }
func (b bitset) andNotWith(a bitset) {
	for i := range b {
		b[i] &^= a[i]
	}
}

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

func (b bitset) equal(a bitset) bool {
	for i := range b {
		if b[i] != a[i] {
			return false
		}
	}
	return true
}

// subsetOf reports whether b ⊆ a.
func (b bitset) subsetOf(a bitset) bool {
	for i := range b {
		if b[i]&^a[i] != 0 {
			return false
		}
	}
	return true
}

// intersects reports whether b ∩ a is not empty.
func (b bitset) intersects(a bitset) bool {
	for i := range b {
		if b[i]&a[i] != 0 {
			return true
		}
	}
	return false
}

// andCount returns |b ∩ a|.
func andCount(b, a bitset) int {
	n := 0
	for i := range b {
		n += bits.OnesCount64(b[i] & a[i])
	}
	return n
}

// andInto sets dst = a ∩ b.
func andInto(dst, a, b bitset) {
	for i := range dst {
		dst[i] = a[i] & b[i]
	}
}

// forEach calls f for every member, ascending.
func (b bitset) forEach(f func(i int32)) {
	for wi, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			f(int32(wi<<6 | t))
			w &= w - 1
		}
	}
}

// members returns the members, ascending.
func (b bitset) members() []int32 {
	out := make([]int32, 0, b.count())
	b.forEach(func(i int32) { out = append(out, i) })
	return out
}
