package mining

import "github.com/rolemine/rolemine/internal/kernels"

// supportCache maps criteria to their support within one batch of roles. Criteria of one
// or two terms with small codes (nearly all of them) are packed into a uint64 key, which
// hashes and compares far faster than the 36-byte struct; the rest use the struct.
type supportCache struct {
	small map[uint64]int32
	large map[kernels.Criterion]int32
}

func newSupportCache() *supportCache {
	return &supportCache{small: map[uint64]int32{}, large: map[kernels.Criterion]int32{}}
}

// pack returns c's packed key: bits 56-63 the first dimension, 32-55 its value, 24-31 the
// second dimension plus one (0 for a single term), 0-23 its value.
func pack(c *kernels.Criterion) (uint64, bool) {
	if c.N > 2 || c.T[0].Dim > 255 || c.T[0].Val >= 1<<24 {
		return 0, false
	}
	k := uint64(c.T[0].Dim)<<56 | uint64(c.T[0].Val)<<32
	if c.N == 2 {
		if c.T[1].Dim >= 255 || c.T[1].Val >= 1<<24 {
			return 0, false
		}
		k |= uint64(c.T[1].Dim+1)<<24 | uint64(c.T[1].Val)
	}
	return k, true
}

func (s *supportCache) get(c *kernels.Criterion) (int32, bool) {
	if k, ok := pack(c); ok {
		v, found := s.small[k]
		return v, found
	}
	v, found := s.large[*c]
	return v, found
}

func (s *supportCache) set(c *kernels.Criterion, v int32) {
	if k, ok := pack(c); ok {
		s.small[k] = v
		return
	}
	s.large[*c] = v
}

func (s *supportCache) clear() {
	clear(s.small)
	clear(s.large)
}
