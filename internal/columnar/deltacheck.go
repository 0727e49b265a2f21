package columnar

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/parquet-go/parquet-go/format"
)

// isDelta reports whether enc is one of the DELTA encodings whose lengths parquet-go
// trusts when it sizes its buffers (pageChecker.check bounds them first, with
// checkDeltaValues: parquet-go sizes a buffer from the DELTA_BINARY_PACKED header's value
// count and from the sum of the encoded lengths before it decodes them, so one corrupt
// byte could ask for gigabytes).
func isDelta(enc format.Encoding) bool {
	return enc == format.DeltaBinaryPacked || enc == format.DeltaLengthByteArray || enc == format.DeltaByteArray
}

// deltaScratch holds the lengths checkDeltaValues decodes, from page to page through
// deltaScratchPool: the pages of a column of unique text (identity ids) would otherwise
// each decode into fresh arrays, 27 MB in all at tier L.
type deltaScratch struct{ a, b []int64 }

var deltaScratchPool = sync.Pool{New: func() any { return new(deltaScratch) }}

// checkDeltaValues checks a DELTA page's values section holding at most n values.
func checkDeltaValues(enc format.Encoding, src []byte, n int64) error {
	s := deltaScratchPool.Get().(*deltaScratch)
	defer deltaScratchPool.Put(s)
	switch enc {
	case format.DeltaBinaryPacked:
		_, _, err := deltaInts(nil, src, n, false)
		return err
	case format.DeltaLengthByteArray:
		lengths, rest, err := deltaInts(s.a[:0], src, n, true)
		s.a = lengths[:0]
		if err != nil {
			return fmt.Errorf("DELTA_LENGTH_BYTE_ARRAY lengths: %w", err)
		}
		if sum := sumInts(lengths); sum > int64(len(rest)) {
			return fmt.Errorf("DELTA_LENGTH_BYTE_ARRAY lengths add up to %d bytes, but %d remain in the page", sum, len(rest))
		}
		return nil
	case format.DeltaByteArray:
		return s.checkDeltaByteArray(src, n)
	}
	return nil
}

// checkDeltaByteArray checks the prefix and suffix lengths of a DELTA_BYTE_ARRAY page:
// the suffixes must fit the page, each prefix within the value before it, and the values
// together within maxPageBytes.
func (s *deltaScratch) checkDeltaByteArray(src []byte, n int64) error {
	prefixes, rest, err := deltaInts(s.a[:0], src, n, true)
	s.a = prefixes[:0]
	if err != nil {
		return fmt.Errorf("DELTA_BYTE_ARRAY prefix lengths: %w", err)
	}
	suffixes, rest, err := deltaInts(s.b[:0], rest, n, true)
	s.b = suffixes[:0]
	if err != nil {
		return fmt.Errorf("DELTA_BYTE_ARRAY suffix lengths: %w", err)
	}
	if len(prefixes) != len(suffixes) {
		return fmt.Errorf("DELTA_BYTE_ARRAY has %d prefix lengths and %d suffix lengths", len(prefixes), len(suffixes))
	}
	if sum := sumInts(suffixes); sum > int64(len(rest)) {
		return fmt.Errorf("DELTA_BYTE_ARRAY suffix lengths add up to %d bytes, but %d remain in the page", sum, len(rest))
	}
	var prev, total int64
	for i, p := range prefixes {
		if p > prev {
			return fmt.Errorf("DELTA_BYTE_ARRAY value %d has prefix length %d, longer than the value before it (%d)", i, p, prev)
		}
		prev = p + suffixes[i]
		if total += prev; total > maxPageBytes {
			return fmt.Errorf("DELTA_BYTE_ARRAY values add up to more than %d bytes", maxPageBytes)
		}
	}
	return nil
}

func sumInts(v []int64) (sum int64) {
	for _, x := range v {
		sum += x
	}
	return sum
}

// deltaHeader is the header of a DELTA_BINARY_PACKED run.
type deltaHeader struct {
	blockSize, miniBlocks, total uint64
	first                        int64
}

// readDeltaHeader reads a DELTA_BINARY_PACKED header, refusing a value count above n
// (the values the page holds) and block shapes the format does not allow.
func readDeltaHeader(src []byte, n int64) (deltaHeader, []byte, error) {
	var h deltaHeader
	for _, p := range []*uint64{&h.blockSize, &h.miniBlocks, &h.total} {
		v, k := binary.Uvarint(src)
		if k <= 0 {
			return h, nil, errors.New("truncated DELTA_BINARY_PACKED header")
		}
		*p, src = v, src[k:]
	}
	first, k := binary.Varint(src)
	if k <= 0 {
		return h, nil, errors.New("truncated DELTA_BINARY_PACKED header")
	}
	h.first, src = first, src[k:]
	if h.total > uint64(n) {
		return h, nil, fmt.Errorf("DELTA_BINARY_PACKED header declares %d values, but the page holds %d", h.total, n)
	}
	if h.blockSize == 0 || h.blockSize%128 != 0 || h.blockSize > 1<<20 || h.miniBlocks == 0 ||
		h.blockSize%h.miniBlocks != 0 || (h.blockSize/h.miniBlocks)%32 != 0 {
		return h, nil, fmt.Errorf("DELTA_BINARY_PACKED block size %d with %d miniblocks is not allowed", h.blockSize, h.miniBlocks)
	}
	return h, src, nil
}

// deltaInts decodes a DELTA_BINARY_PACKED run of at most n lengths (each in [0, 2^31)),
// appended to out (empty; its room is reused), and returns them with the bytes after the
// run. For an integer page (lengths false) it only checks the header, which is all
// parquet-go sizes its buffer from.
func deltaInts(out []int64, src []byte, n int64, lengths bool) ([]int64, []byte, error) {
	h, src, err := readDeltaHeader(src, n)
	if err != nil || !lengths || h.total == 0 {
		return out, src, err
	}
	if cap(out) == 0 {
		out = make([]int64, 0, min(h.total, 1<<12))
	}
	out = append(out, h.first)
	per := h.blockSize / h.miniBlocks
	for uint64(len(out)) < h.total {
		minDelta, k := binary.Varint(src)
		if k <= 0 || uint64(len(src)-k) < h.miniBlocks {
			return nil, nil, errors.New("truncated DELTA_BINARY_PACKED block")
		}
		widths := src[k : k+int(h.miniBlocks)]
		src = src[k+int(h.miniBlocks):]
		for _, w := range widths {
			if uint64(len(out)) >= h.total {
				break
			}
			if w > 64 {
				return nil, nil, fmt.Errorf("DELTA_BINARY_PACKED bit width %d", w)
			}
			size := per * uint64(w) / 8
			if size > uint64(len(src)) {
				return nil, nil, errors.New("truncated DELTA_BINARY_PACKED miniblock")
			}
			for i := uint64(0); i < per && uint64(len(out)) < h.total; i++ {
				out = append(out, out[len(out)-1]+minDelta+int64(unpackBits(src, i*uint64(w), uint(w))))
			}
			src = src[size:]
		}
	}
	for i, v := range out {
		if v < 0 || v > math.MaxInt32 {
			return nil, nil, fmt.Errorf("length %d of value %d out of range", v, i)
		}
	}
	return out, src, nil
}

// unpackBits reads w bits at bit offset pos of src, least significant bit first.
func unpackBits(src []byte, pos uint64, w uint) uint64 {
	var v uint64
	for b := uint(0); b < w; b++ {
		bit := pos + uint64(b)
		v |= uint64(src[bit/8]>>(bit%8)&1) << b
	}
	return v
}
