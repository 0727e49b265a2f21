package parquetenc

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/rle"
)

// randomRuns returns n values below limit, drawn in runs of random lengths (some of
// them whole and aligned words of 8, some across words, some single values), so that
// the hybrid encoding meets run-length runs, bit-packed runs and their edges.
func randomRuns(rng *rand.Rand, n int, limit int32) []int32 {
	out := make([]int32, 0, n)
	for len(out) < n {
		v := rng.Int32N(limit)
		size := 1 + rng.IntN(3)
		switch rng.IntN(4) {
		case 0:
			size = 8 * (1 + rng.IntN(4))
		case 1:
			size = 1 + rng.IntN(40)
		}
		for range min(size, n-len(out)) {
			out = append(out, v)
		}
	}
	return out
}

// TestAppendLevelsMatchesParquetGo: the definition levels appendLevels writes from a
// presence mask are the bytes parquet-go's level encoding writes for one byte a row, for
// random patterns of up to 3,000 rows (odd lengths, runs of every length, values
// alternating within words). It fails with the bit-packed run ended at a uniform word of
// the other level, or with the last rows%8 levels taken as one run.
func TestAppendLevelsMatchesParquetGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ref := &rle.Encoding{BitWidth: 1}
	for round := range 3000 {
		rows := rng.IntN(3000)
		if round < 70 {
			rows = round
		}
		levels := randomRuns(rng, rows, 2)
		if round%5 == 0 {
			for k := range levels {
				levels[k] = rng.Int32N(2)
			}
		}
		defs := make([]byte, rows)
		var mask []byte
		for lo := 0; lo < rows; lo += 64 {
			var w uint64
			for k := lo; k < min(lo+64, rows); k++ {
				defs[k] = byte(levels[k])
				w |= uint64(levels[k]) << (k - lo)
			}
			mask = appendMask(mask, w, min(64, rows-lo))
		}
		want, err := ref.EncodeLevels(nil, defs)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendLevels(nil, mask, rows); !bytes.Equal(got, want) {
			t.Fatalf("round %d, %d rows %v: got % x, want % x", round, rows, levels, got, want)
		}
	}
}

// TestAppendIndexesMatchesParquetGo: appendIndexes, given the largest index, writes the
// bytes of parquet-go's dictionary index encoding (which finds the bit width itself),
// for random indexes of every bit width from 0 to 31, in runs and not, into a buffer too
// small or large enough. It fails with the width taken from top+1 or a run's bytes not
// written in place.
func TestAppendIndexesMatchesParquetGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	ref := &rle.DictionaryEncoding{}
	buf := make([]byte, 0, 64)
	for round := range 2000 {
		n := rng.IntN(5000)
		if round < 40 {
			n = round
		}
		limit := int32(min(int64(1)<<(round%32), math.MaxInt32))
		idx := randomRuns(rng, n, limit)
		if round%3 == 0 {
			for k := range idx {
				idx[k] = rng.Int32N(limit)
			}
		}
		top := int32(0)
		for _, v := range idx {
			top = max(top, v)
		}
		want, err := ref.EncodeInt32(nil, idx)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendIndexes(buf, idx, top)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d, %d indexes up to %d: got %d bytes, want %d; first difference at %d", round, n, top, len(got), len(want), firstDiff(got, want))
		}
		if round%2 == 0 {
			buf = got // reused, as the encoder does
		}
	}
}

// TestPackBools: packBools and boolBounds against a bit-by-bit loop, for every length up
// to 80 and all-false, all-true and mixed values. It fails with the bits gathered in the
// wrong order or the last byte's unused bits counted for the bounds.
func TestPackBools(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for n := range 81 {
		for pattern := range 3 {
			vals := make([]bool, n)
			for k := range vals {
				vals[k] = pattern == 1 || pattern == 2 && rng.IntN(2) == 0
			}
			var want []byte
			wantLo, wantHi := true, false
			for k, v := range vals {
				if k%8 == 0 {
					want = append(want, 0)
				}
				if v {
					want[k/8] |= 1 << (k % 8)
				}
				wantLo, wantHi = wantLo && v, wantHi || v
			}
			got := packBools([]byte{0xAB}, vals)
			if !bytes.Equal(got[1:], want) || got[0] != 0xAB {
				t.Fatalf("%d values %v: packed % x, want % x after ab", n, vals, got, want)
			}
			if lo, hi := boolBounds(got[1:], n); n > 0 && (lo != wantLo || hi != wantHi) {
				t.Fatalf("%d values %v: bounds %v %v, want %v %v", n, vals, lo, hi, wantLo, wantHi)
			}
		}
	}
}
