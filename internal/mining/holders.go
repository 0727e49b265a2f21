package mining

import (
	"math/bits"
	"slices"
)

// sparseHolders is the most holders, per word of the role's holder bitset, that a
// candidate keeps as a list: a list entry takes half a word, and testing it against a
// bitset costs about what a word of andNotCount does.
const sparseHolders = 1

// gain counts the holders of c that cov (a bitset over the role's holders) lacks.
func (c *cand) gain(cov []uint64) int64 {
	if c.hold != nil {
		return andNotCount(c.hold, cov)
	}
	var n uint64
	for _, h := range c.holdIdx {
		n += ^cov[h>>6] >> (uint32(h) & 63) & 1
	}
	return int64(n)
}

// orInto adds the holders of c to the bitset dst.
func (c *cand) orInto(dst []uint64) {
	if c.hold != nil {
		for k, w := range c.hold {
			dst[k] |= w
		}
		return
	}
	for _, h := range c.holdIdx {
		dst[h>>6] |= 1 << (uint32(h) & 63)
	}
}

// orCountInto sets dst to src (whose bits number srcCount) with the holders of c added,
// and returns the number of bits set in dst.
func (c *cand) orCountInto(dst, src []uint64, srcCount int64) int64 {
	if c.hold != nil {
		// Words past c.hold (only in tests, where candidates may be narrower) are src's.
		copy(dst[len(c.hold):], src[len(c.hold):])
		return orCount(dst[:len(c.hold)], src, c.hold) + count(src[len(c.hold):])
	}
	copy(dst, src)
	n := srcCount
	for _, h := range c.holdIdx {
		bit := uint64(1) << (uint32(h) & 63)
		if dst[h>>6]&bit == 0 {
			dst[h>>6] |= bit
			n++
		}
	}
	return n
}

// has reports whether holder h is one of c's.
func (c *cand) has(h int32) bool {
	if c.hold != nil {
		return int(h>>6) < len(c.hold) && c.hold[h>>6]>>(uint32(h)&63)&1 != 0
	}
	_, ok := slices.BinarySearch(c.holdIdx, h)
	return ok
}

// appendMissing appends to dst, ascending, the holders of c that cov lacks (every holder
// of c when cov is nil).
func (c *cand) appendMissing(dst []int32, cov []uint64) []int32 {
	if c.hold == nil {
		for _, h := range c.holdIdx {
			if cov == nil || cov[h>>6]>>(uint32(h)&63)&1 == 0 {
				dst = append(dst, h)
			}
		}
		return dst
	}
	for k, w := range c.hold {
		if cov != nil {
			w &^= cov[k]
		}
		for ; w != 0; w &= w - 1 {
			dst = append(dst, int32(k<<6+bits.TrailingZeros64(w)))
		}
	}
	return dst
}

// hasAll reports whether c has every holder of hs (ascending).
func (c *cand) hasAll(hs []int32) bool {
	if int64(len(hs)) > c.nhold {
		return false
	}
	if c.hold != nil {
		for _, h := range hs {
			if int(h>>6) >= len(c.hold) || c.hold[h>>6]>>(uint32(h)&63)&1 == 0 {
				return false
			}
		}
		return true
	}
	// Both ascending: each search starts past the previous match.
	own := c.holdIdx
	for _, h := range hs {
		k, ok := slices.BinarySearch(own, h)
		if !ok {
			return false
		}
		own = own[k+1:]
	}
	return true
}

// holdSubset reports whether every holder of a is one of b's.
func holdSubset(a, b *cand) bool {
	if a.hold != nil && b.hold != nil {
		return subset(a.hold, b.hold)
	}
	if a.nhold > b.nhold {
		return false
	}
	if a.hold == nil {
		return b.hasAll(a.holdIdx)
	}
	return b.hasAll(a.appendMissing(nil, nil))
}

// holdWords is the number of words a bitset over the holders of cs needs.
func holdWords(cs []cand) int {
	w := 0
	for k := range cs {
		if c := &cs[k]; c.hold != nil {
			w = max(w, len(c.hold))
		} else if n := len(c.holdIdx); n > 0 {
			w = max(w, int(c.holdIdx[n-1]>>6)+1)
		}
	}
	return w
}
