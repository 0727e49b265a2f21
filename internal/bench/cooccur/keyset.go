package cooccur

// keySet is an open-addressing hash set of uint64 keys (linear probing) that numbers keys
// in insertion order. Slots hold key+1, so 0 marks an empty slot; a key of 2^64-1 cannot
// occur (term ids are below 2^32 - 1). The table doubles at half load.
type keySet struct {
	keys  []uint64
	vals  []int32
	n     int
	shift uint
}

func newKeySet(size int) *keySet {
	bits := uint(4)
	for 1<<bits < size {
		bits++
	}
	return &keySet{keys: make([]uint64, 1<<bits), vals: make([]int32, 1<<bits), shift: 64 - bits}
}

// mix spreads key bits (Fibonacci hashing after a xor-shift).
func mix(k uint64) uint64 {
	k ^= k >> 29
	return k * 0x9E3779B97F4A7C15
}

// shard assigns a key to one of w shards, using bits the set's slot choice does not favour.
func shard(k uint64, w int) int {
	if w <= 1 {
		return 0
	}
	return int((mix(k) & 0xffffffff) % uint64(w))
}

// insert adds k if absent and returns its number.
func (s *keySet) insert(k uint64) int32 {
	if 2*(s.n+1) > len(s.keys) {
		s.grow()
	}
	mask := uint64(len(s.keys) - 1)
	for i := mix(k) >> s.shift; ; i = (i + 1) & mask {
		switch s.keys[i] {
		case 0:
			s.keys[i], s.vals[i] = k+1, int32(s.n)
			s.n++
			return s.vals[i]
		case k + 1:
			return s.vals[i]
		}
	}
}

// get returns k's number, or -1 when absent.
func (s *keySet) get(k uint64) int32 {
	mask := uint64(len(s.keys) - 1)
	for i := mix(k) >> s.shift; ; i = (i + 1) & mask {
		switch s.keys[i] {
		case 0:
			return -1
		case k + 1:
			return s.vals[i]
		}
	}
}

func (s *keySet) grow() {
	old, oldVals := s.keys, s.vals
	s.keys = make([]uint64, 2*len(old))
	s.vals = make([]int32, 2*len(old))
	s.shift--
	mask := uint64(len(s.keys) - 1)
	for j, k := range old {
		if k == 0 {
			continue
		}
		i := mix(k-1) >> s.shift
		for s.keys[i] != 0 {
			i = (i + 1) & mask
		}
		s.keys[i], s.vals[i] = k, oldVals[j]
	}
}
