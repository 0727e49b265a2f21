package parquetenc

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// nullPatternRows returns rows whose 64-row blocks each hold, in the optional columns c
// and d, one run of n values at offset n followed by nulls to the end of the block (n = 1
// to 32, one block each), the pattern whose nulls parquet-go v0.32.0's writer of a string
// column writes as "". want[k] is whether row k's c and d are values.
func nullPatternRows() (rows []testRow, want []bool) {
	for n := 1; n <= 32; n++ {
		for k := range 64 {
			r := testRow{A: fmt.Sprintf("a%d", n), B: "b", Flag: k%2 == 0}
			if k >= n && k < 2*n {
				r.C, r.D = fmt.Sprintf("c%d", k), "d"
			}
			rows = append(rows, r)
			want = append(want, r.C != "")
		}
	}
	return rows, want
}

// readOptional reads columns c and d of file back with parquet-go as pointers (nil for
// null), and again as parquet-go's generic rows (as scripts/parquetrows -dump does),
// and returns for each row whether c and d are values by each reading, and the "" cells.
func readOptional(t *testing.T, file []byte) (viaPointers, viaRows [][2]bool, empty int) {
	t.Helper()
	r := parquet.NewGenericReader[refRow](bytes.NewReader(file))
	got := make([]refRow, r.NumRows())
	if n, err := r.Read(got); n != len(got) || (err != nil && err != io.EOF) {
		t.Fatalf("read %d of %d rows: %v", n, len(got), err)
	}
	for _, x := range got {
		viaPointers = append(viaPointers, [2]bool{x.C != nil, x.D != nil})
		if (x.C != nil && *x.C == "") || (x.D != nil && *x.D == "") {
			empty++
		}
	}
	f, err := parquet.OpenFile(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	gr := parquet.NewReader(bytes.NewReader(file), f.Schema())
	defer gr.Close()
	for {
		row := map[string]any{}
		if err := gr.Read(&row); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		viaRows = append(viaRows, [2]bool{row["c"] != nil, row["d"] != nil})
	}
	return viaPointers, viaRows, empty
}

// TestEncoderOptionalNulls: every null of an optional column reads back as null, with
// parquet-go's struct reader and its generic rows, on the pattern that parquet-go's own
// writer of string columns writes some nulls of as "" (checked first, so that the test
// keeps covering that pattern). The encoder reproduced that defect until the eighteenth
// session.
func TestEncoderOptionalNulls(t *testing.T) {
	rows, want := nullPatternRows()
	for _, group := range []int{64 * 5, 1 << 20} {
		var pg bytes.Buffer
		pw := parquet.NewGenericWriter[testRow](&pg, testOptions(group)...)
		if _, err := pw.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		if _, _, empty := readOptional(t, pg.Bytes()); empty == 0 {
			t.Fatalf("group %d: parquet-go's string writer wrote no null as \"\": the pattern no longer triggers its defect", group)
		}
		file := encodeRows(t, rows, group)
		viaPointers, viaRows, empty := readOptional(t, file)
		if empty != 0 || len(viaPointers) != len(rows) || len(viaRows) != len(rows) {
			t.Fatalf("group %d: %d \"\" cells in %d rows (%d generic rows), want none in %d", group, empty, len(viaPointers), len(viaRows), len(rows))
		}
		for k, w := range want {
			if viaPointers[k] != [2]bool{w, w} || viaRows[k] != [2]bool{w, w} {
				t.Fatalf("group %d: row %d (block offset %d): values c, d %v (struct) %v (rows), want %v", group, k, k%64, viaPointers[k], viaRows[k], w)
			}
		}
		if !bytes.Equal(file, reference(t, rows, group, 1<<16)) {
			t.Fatalf("group %d: not the bytes of parquet-go's writer of pointers", group)
		}
	}
}
