package report

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"testing"
)

// TestWriteChunksInOrder: writeChunks writes every row once, in order, whatever the
// number of chunks (none, part of one, many more than the buffers in flight), and
// returns the first failure of format without writing past it.
func TestWriteChunksInOrder(t *testing.T) {
	line := func(buf *bytes.Buffer, lo, hi int) error {
		for k := lo; k < hi; k++ {
			buf.WriteString(strconv.Itoa(k))
			buf.WriteByte('\n')
		}
		return nil
	}
	for _, n := range []int{0, 1, 1<<14 - 1, 1 << 14, 1<<14 + 1, 37*(1<<14) + 5} {
		var want, got bytes.Buffer
		if err := line(&want, 0, n); err != nil {
			t.Fatal(err)
		}
		if err := writeChunks(context.Background(), &got, n, line); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("%d rows: %d bytes written, want %d (or the order differs)", n, got.Len(), want.Len())
		}
	}
	boom := errors.New("boom")
	var got bytes.Buffer
	err := writeChunks(context.Background(), &got, 20*(1<<14), func(buf *bytes.Buffer, lo, hi int) error {
		if lo == 7*(1<<14) {
			return boom
		}
		return line(buf, lo, hi)
	})
	var want bytes.Buffer
	line(&want, 0, 7*(1<<14))
	if !errors.Is(err, boom) || !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("failure at chunk 7: err %v, %d bytes written, want the 7 chunks before it (%d bytes)", err, got.Len(), want.Len())
	}
}
