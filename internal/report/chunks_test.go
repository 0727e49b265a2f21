package report

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/parquetenc"
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

// gatedWriter blocks every write after the first until gate is closed.
type gatedWriter struct {
	gate   chan struct{}
	writes int
	buf    bytes.Buffer
}

func (w *gatedWriter) Write(p []byte) (int, error) {
	if w.writes++; w.writes > 1 {
		<-w.gate
	}
	return w.buf.Write(p)
}

// TestEncodeGroupsBoundsUnwritten: while the disk does not take the first row group,
// encodeGroupsInOrder starts at most twice as many groups as it has workers (the first
// included), then writes every group in order once the disk takes them. It fails when
// groups are started as soon as an encoder is free, whatever waits to be written.
func TestEncodeGroupsBoundsUnwritten(t *testing.T) {
	const groups, workers, rows = 20, 2, 100
	template, err := parquetenc.Template[assignmentRow](assignmentsOptions("test")...)
	if err != nil {
		t.Fatal(err)
	}
	values := []string{"a", "b", "c"}
	fill := func(g int, data []parquetenc.Data) {
		for c := range data {
			data[c].Values, data[c].Codes = values, data[c].Codes[:0]
			for r := range rows {
				data[c].Codes = append(data[c].Codes, int32((g+r+c)%len(values)))
			}
		}
	}
	write := func(out io.Writer, started *atomic.Int32) error {
		pw, err := parquetenc.NewWriter(out, template)
		if err != nil {
			return err
		}
		return encodeGroupsInOrder(context.Background(), pw, assignmentColumns, groups, workers,
			func(g int, enc *parquetenc.Encoder, data []parquetenc.Data) (*parquetenc.Group, error) {
				started.Add(1)
				fill(g, data)
				return enc.Encode(data)
			})
	}
	var want bytes.Buffer
	if err := write(&want, new(atomic.Int32)); err != nil {
		t.Fatal(err)
	}
	// The first write is the file's magic bytes; the second, the first group, blocks.
	out := &gatedWriter{gate: make(chan struct{})}
	var started atomic.Int32
	done := make(chan error, 1)
	go func() { done <- write(out, &started) }()
	deadline := time.Now().Add(10 * time.Second)
	for started.Load() < 2*workers && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // room for more to start, were they allowed to
	if n := started.Load(); n != 2*workers {
		t.Errorf("%d groups started while the first waits to be written, want %d", n, 2*workers)
	}
	close(out.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.buf.Bytes(), want.Bytes()) {
		t.Error("the file differs from one written without waiting")
	}
}
