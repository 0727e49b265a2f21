package report

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/parquetenc"
)

// TestGoroutineBugIsError: a panic on one of the report's own goroutines (the small
// model files' writer, an encoding worker, a formatting worker, a sorting or merging
// part) comes back to the caller as a *parallel.PanicError, returned or raised again on
// the caller's goroutine, instead of crashing the process (exit 2). The panics are
// injected through the functions each one is given. On the old code the test binary
// crashes.
func TestGoroutineBugIsError(t *testing.T) {
	ok := func(context.Context, *columnar.OutputFile) error { return nil }
	bug := func(context.Context, *columnar.OutputFile) error { panic("small job bug") }
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"model jobs", func() error {
			return runModelJobs(context.Background(), []modelJob{{RulesJSONFile, bug}},
				modelJob{AssignmentsParquetFile, ok}, make([]*columnar.OutputFile, 2))
		}},
		{"encode groups", func() error {
			template, err := parquetenc.Template[assignmentRow](assignmentsOptions("test")...)
			if err != nil {
				return err
			}
			pw, err := parquetenc.NewWriter(io.Discard, template)
			if err != nil {
				return err
			}
			return encodeGroupsInOrder(context.Background(), pw, assignmentColumns, 8, 2,
				func(g int, _ *parquetenc.Encoder, _ []parquetenc.Data) (*parquetenc.Group, error) {
					panic("encoder bug")
				})
		}},
		{"write chunks", func() error {
			return writeChunks(context.Background(), io.Discard, 4<<14, func(_ *bytes.Buffer, lo, _ int) error {
				if lo > 0 {
					panic("format bug")
				}
				return nil
			})
		}},
		{"sort part", func() error {
			return recovered(func() {
				sortParts(make([]int, 4<<16), cmp.Compare[int], 4, func([]int) { panic("sort bug") })
			})
		}},
		{"merge", func() error {
			return recovered(func() {
				sortParts(make([]int, 4<<16), func(a, b int) int { panic("compare bug") }, 4, func([]int) {})
			})
		}},
	} {
		err := c.run()
		if !errors.As(err, new(*parallel.PanicError)) {
			t.Errorf("%s: got %v, want a *parallel.PanicError", c.name, err)
		}
	}
}

// recovered runs f and returns what it panicked with, as an error (nil if it returned).
func recovered(f func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			e, ok := p.(error)
			if !ok {
				e = errors.New("not an error")
			}
			err = e
		}
	}()
	f()
	return nil
}
