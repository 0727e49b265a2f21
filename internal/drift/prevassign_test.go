package drift

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/uerr"
)

// TestCorruptPrevAssignments: a corrupt model assignments.parquet is a user error naming
// it, within bounded memory, not a crash: its footer's schema list declaring 2^27
// elements (parquet-go made the list first: about 13 GB, fatal under a memory limit), or
// a page header cut short.
func TestCorruptPrevAssignments(t *testing.T) {
	model, err := report.ReadModel(filepath.Join("testdata", "pair", "model"))
	if err != nil {
		t.Fatal(err)
	}
	next := load(t, filepath.Join("testdata", "pair", "next"))
	for _, c := range []struct {
		name, want string
		corrupt    func(data []byte) []byte
	}{
		{"footer list", "corrupt footer", func(data []byte) []byte {
			n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
			footer := data[len(data)-8-n : len(data)-8]
			if footer[0] != 0x15 || footer[2] != 0x19 || footer[3]>>4 == 15 {
				t.Fatalf("footer does not start with the version and a short schema list: % x", footer[:4])
			}
			// The schema list's size nibble 15: its size follows as a varint, 2^27.
			out := append(append([]byte(nil), data[:len(data)-8-n+3]...), footer[3]|0xf0, 0x80, 0x80, 0x80, 0x40)
			out = append(out, footer[4:]...)
			return append(binary.LittleEndian.AppendUint32(out, uint32(n+4)), "PAR1"...)
		}},
		{"page header", "corrupt", func(data []byte) []byte {
			data[4] = 0xff // the first page header's first field
			return data
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writePrevAssignments(t, t.TempDir())
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, c.corrupt(data), 0o644); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err = Compute(context.Background(), model, next, Baseline{PreviousAssignments: path}, Options{})
			runtime.ReadMemStats(&after)
			if err == nil || !uerr.Is(err) {
				t.Fatalf("got %v, want a user error", err)
			}
			for _, want := range []string{path, c.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
				t.Errorf("refusing the file allocated %d MB", got>>20)
			}
		})
	}
}

// TestPrevAssignmentsBugIsNotCorrupt: a panic in rolemine's own code while it reads the
// model's assignments.parquet (here a nil map given for the counts by kind) is a bug, a
// *parallel.PanicError (exit 1), not a corrupt file (a user error, exit 2).
func TestPrevAssignmentsBugIsNotCorrupt(t *testing.T) {
	model, err := report.ReadModel(filepath.Join("testdata", "pair", "model"))
	if err != nil {
		t.Fatal(err)
	}
	next := load(t, filepath.Join("testdata", "pair", "next"))
	i, r := slices.Index(next.IdentityIDs, "a4"), slices.Index(next.Roles.IDs, "CRM")
	if i < 0 || r < 0 {
		t.Fatal("no identity a4 or role CRM in testdata/pair/next")
	}
	path := writePrevAssignments(t, t.TempDir()) // (a4, CRM) is new access: not in it
	out := &unexplainedClasses{}                 // newByKind nil: counting the new access panics
	err = classifyFromAssignments(context.Background(), model, next, path, []pair{{int32(i), int32(r)}}, out)
	if !errors.As(err, new(*parallel.PanicError)) || uerr.Is(err) || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v, want a *parallel.PanicError naming %s, not a user error", err, path)
	}
}
