package columnar

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestRecoveredRepanicsOwn: with repanicOwn set, a recovered panic raised in this
// package (explicit, an index out of range, a nil dereference) is raised again and one
// raised elsewhere (package strings) is not; without it none is.
func TestRecoveredRepanicsOwn(t *testing.T) {
	t.Cleanup(func() { repanicOwn = false })
	escapes := func(f func()) (escaped bool) {
		defer func() { escaped = recover() != nil }()
		func() {
			defer func() {
				if p := recover(); p != nil {
					recovered(p)
				}
			}()
			f()
		}()
		return false
	}
	var nilCol *column
	i := len(os.Args) + 1
	own := map[string]func(){
		"explicit": func() { panic("own") },
		"index":    func() { _ = []int{1}[i] },
		"nil":      func() { _ = nilCol.vals },
	}
	foreign := func() { _ = strings.Repeat("x", -i) }
	for _, on := range []bool{false, true} {
		repanicOwn = on
		for name, f := range own {
			if got := escapes(f); got != on {
				t.Errorf("repanicOwn %v, own panic %s: raised again %v", on, name, got)
			}
		}
		if escapes(foreign) {
			t.Errorf("repanicOwn %v: a panic in package strings was raised again", on)
		}
	}
}

// TestDecodeRepanicsOwn: decodeParquetColumn's recover reports a panic of its own code
// (here a nil column) as corrupt data, and raises it again when repanicOwn is set.
func TestDecodeRepanicsOwn(t *testing.T) {
	t.Cleanup(func() { repanicOwn = false })
	p := writeParquet(t, t.TempDir(), "identities", tbl{header: []string{"identity_id:req"}, rows: [][]string{{"u1"}}})
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	leaf := pf.Root().Column("identity_id")
	if err := decodeParquetColumn(context.Background(), pf, leaf, nil, nil); err == nil || !strings.Contains(err.Error(), "corrupt data") {
		t.Fatalf("error %v, want corrupt data", err)
	}
	repanicOwn = true
	defer func() {
		if recover() == nil {
			t.Error("repanicOwn: decodeParquetColumn's own panic was not raised again")
		}
	}()
	_ = decodeParquetColumn(context.Background(), pf, leaf, nil, nil)
}
