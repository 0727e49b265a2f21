package columnar

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go/format"
	"github.com/pierrec/lz4/v4"
)

// lz4Block compresses b as one LZ4 block.
func lz4Block(t *testing.T, b []byte) []byte {
	t.Helper()
	out := make([]byte, lz4.CompressBlockBound(len(b)))
	n, err := lz4.CompressBlock(b, out, nil)
	if err != nil || n == 0 {
		t.Fatalf("compress: %d, %v", n, err)
	}
	return out[:n]
}

// TestDecompressLZ4: LZ4_RAW is one block; LZ4 is Hadoop framed blocks (several in a
// page) or, failing that, one block, as the Arrow readers take it; data that does not
// decompress into exactly the declared size is refused.
func TestDecompressLZ4(t *testing.T) {
	a := bytes.Repeat([]byte("alpha-"), 300)
	b := []byte(strings.Repeat("0123456789abcdef", 40))
	whole := append(append([]byte{}, a...), b...)
	var hadoop []byte
	for _, part := range [][]byte{a, b} {
		c := lz4Block(t, part)
		hadoop = binary.BigEndian.AppendUint32(hadoop, uint32(len(part)))
		hadoop = binary.BigEndian.AppendUint32(hadoop, uint32(len(c)))
		hadoop = append(hadoop, c...)
	}
	raw := lz4Block(t, whole)
	for _, c := range []struct {
		name  string
		codec format.CompressionCodec
		src   []byte
		size  int
		ok    bool
	}{
		{"LZ4_RAW block", format.Lz4Raw, raw, len(whole), true},
		{"LZ4 Hadoop frames", format.Lz4, hadoop, len(whole), true},
		{"LZ4 single block", format.Lz4, raw, len(whole), true},
		{"LZ4_RAW given Hadoop frames", format.Lz4Raw, hadoop, len(whole), false},
		{"declared one byte short", format.Lz4Raw, raw, len(whole) - 1, false},
		{"declared one byte long", format.Lz4, hadoop, len(whole) + 1, false},
		{"not LZ4", format.Lz4, []byte("definitely not lz4 data"), 100, false},
	} {
		dst := make([]byte, c.size)
		ok := decompressLZ4(c.codec, c.src, dst)
		if ok != c.ok || ok && !bytes.Equal(dst, whole) {
			t.Errorf("%s: ok %v, want %v (same bytes: %v)", c.name, ok, c.ok, bytes.Equal(dst, whole))
		}
	}
}

// TestRLEBooleans: the RLE encoding of booleans (a length prefix, then repeated runs of
// any length and bit-packed groups of eight) decodes into PLAIN bits, least significant
// first, across byte boundaries; a short page is refused when the count is exact.
func TestRLEBooleans(t *testing.T) {
	// 3 x true (a run), 8 values bit-packed (1 group: 0b10110010), 10 x false, 2 x true.
	body := []byte{3 << 1, 1, 1<<1 | 1, 0b10110010, 10 << 1, 0, 2 << 1, 1}
	src := binary.LittleEndian.AppendUint32(nil, uint32(len(body)))
	src = append(src, body...)
	want := "111" + "01001101" + "0000000000" + "11"
	got, err := rleBooleans(src, len(want), true)
	if err != nil {
		t.Fatal(err)
	}
	var s strings.Builder
	for i := range len(want) {
		s.WriteByte('0' + got[i/8]>>(i%8)&1)
	}
	if s.String() != want || len(got) != (len(want)+7)/8 {
		t.Errorf("bits %s (%d bytes), want %s", s.String(), len(got), want)
	}
	if _, err := rleBooleans(src, len(want)+1, true); err == nil {
		t.Error("one value more than the page holds: no error")
	}
	if got, err := rleBooleans(src, 5, false); err != nil || len(got) != 1 || got[0] != 0b10111 {
		t.Errorf("first 5 values: % x, %v", got, err)
	}
	for _, bad := range [][]byte{{1, 0}, {9, 0, 0, 0, 2}, {2, 0, 0, 0, 3 << 1}} {
		if _, err := rleBooleans(bad, 3, true); err == nil {
			t.Errorf("% x: no error", bad)
		}
	}
}
