package parquetenc

import (
	"encoding/binary"
	"math/bits"
	"unsafe"

	"github.com/parquet-go/parquet-go/encoding/rle"
)

// indexEncodings are the RLE/bit-packed hybrid encodings of each bit width, 0 to 32.
var indexEncodings = func() (e [33]rle.Encoding) {
	for w := range e {
		e[w].BitWidth = w
	}
	return e
}()

// appendIndexes returns dst's storage holding the RLE_DICTIONARY body of a page's
// dictionary indexes idx, the largest of them top: the bit width byte, then the indexes
// in parquet-go's hybrid runs, the bytes rle.DictionaryEncoding writes (which first
// scans the indexes for their width; the adds know it).
func appendIndexes(dst []byte, idx []int32, top int32) ([]byte, error) {
	w := bits.Len32(uint32(top))
	// Room for the worst case (a bit-packed group of 32-bit values is 32 bytes for 8
	// values; the encoder asks for some slack), so that the runs are written in place.
	if need := 1 + 5*len(idx) + 128; cap(dst) < need {
		dst = make([]byte, 0, need)
	}
	dst = append(dst[:0], byte(w))
	body, err := indexEncodings[w].EncodeInt32(dst[1:1], idx)
	if err != nil {
		return dst, err
	}
	if len(body) > 0 && unsafe.SliceData(body) != unsafe.SliceData(dst[1:]) {
		return append(dst, body...), nil // grown elsewhere after all
	}
	return dst[:1+len(body)], nil
}

// appendMask appends the bits of present for n rows (up to 64), a byte for each 8 rows
// (row k at bit k%8 of byte k/8), to mask, which holds whole bytes of earlier rows.
func appendMask(mask []byte, present uint64, n int) []byte {
	if n == 64 {
		return binary.LittleEndian.AppendUint64(mask, present)
	}
	for k := 0; k < n; k += 8 {
		mask = append(mask, byte(present>>k))
	}
	return mask
}

// appendLevels appends the definition levels (bit width 1) of rows rows whose presence
// mask holds (appendMask), encoded as parquet-go's rle.Encoding writes levels of one byte
// each: runs of 8 levels as words, a word equal to its first byte repeated starting a
// run-length run and the runs of such words joined; otherwise a bit-packed run that goes
// on while a word differs from the previous word's first byte repeated; then the last
// rows%8 levels as run-length runs of equal levels.
func appendLevels(dst []byte, mask []byte, rows int) []byte {
	full := rows / 8
	g := mask[:full]
	// uniform returns the byte of 8 levels that all equal the first level of b.
	uniform := func(b byte) byte { return -(b & 1) }
	for i := 0; i < full; {
		j := i
		for p := uniform(g[i]); j < full && g[j] == p; {
			j++
		}
		if i < j {
			dst = binary.AppendUvarint(dst, uint64(8*(j-i))<<1)
			dst = append(dst, g[i]&1)
		} else {
			for j++; j < full && g[j] != uniform(g[j-1]); {
				j++
			}
			dst = binary.AppendUvarint(dst, uint64(j-i)<<1|1)
			dst = append(dst, g[i:j]...)
		}
		i = j
	}
	if rest := rows % 8; rest > 0 {
		b := mask[full]
		for k := 0; k < rest; {
			v := b >> k & 1
			j := k + 1
			for j < rest && b>>j&1 == v {
				j++
			}
			dst = binary.AppendUvarint(dst, uint64(j-k)<<1)
			dst = append(dst, v)
			k = j
		}
	}
	return dst
}
