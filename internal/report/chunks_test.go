package report

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
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

// TestSortParallelMatchesSortFunc: sortParallel gives slices.SortFunc's order for a total
// order (keys with many ties, broken by a unique index), for any number of workers,
// including an odd part out of a merge round.
func TestSortParallelMatchesSortFunc(t *testing.T) {
	type row struct{ key, id int }
	compare := func(a, b row) int { return cmp.Or(cmp.Compare(b.key, a.key), cmp.Compare(a.id, b.id)) }
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 5, 1 << 16, 3<<16 + 7, 5<<16 + 3} {
		rows := make([]row, n)
		for k := range rows {
			rows[k] = row{key: rng.IntN(50), id: k}
		}
		rng.Shuffle(n, func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		want := slices.Clone(rows)
		slices.SortFunc(want, compare)
		for _, workers := range []int{1, 2, 3, 5} {
			if got := sortParallel(slices.Clone(rows), compare, workers); !slices.Equal(got, want) {
				t.Fatalf("%d rows, %d workers: not slices.SortFunc's order", n, workers)
			}
		}
	}
}
