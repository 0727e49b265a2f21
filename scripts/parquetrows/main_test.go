package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type row struct {
	A string `parquet:"a,dict"`
	B string `parquet:"b,optional,dict"`
}

// bRow is row with column b uncompressed.
type bRow struct {
	A string `parquet:"a,dict"`
	B string `parquet:"b,optional,dict,uncompressed"`
}

func write[T any](t *testing.T, rows []T, opts ...parquet.WriterOption) []byte {
	var buf bytes.Buffer
	pw := parquet.NewGenericWriter[T](&buf, append([]parquet.WriterOption{parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(700)}, opts...)...)
	if _, err := pw.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCompare: a file is the same as itself; one with column b uncompressed holds the
// same rows and passes only when b may differ; a changed row, a changed codec of a
// column that may not differ, or another schema fail.
func TestCompare(t *testing.T) {
	rows := make([]row, 3000)
	for i := range rows {
		rows[i] = row{A: strings.Repeat("x", i%7), B: strings.Repeat("yz", i%13)}
	}
	base := write(t, rows, parquet.NewSchema("row", parquet.SchemaOf(row{})))
	if _, err := Compare(base, base, nil); err != nil {
		t.Fatalf("a file against itself: %v", err)
	}
	asB := make([]bRow, len(rows))
	for i, r := range rows {
		asB[i] = bRow(r)
	}
	other := write(t, asB, parquet.NewSchema("row", parquet.SchemaOf(bRow{})))
	if bytes.Equal(base, other) {
		t.Fatal("b uncompressed wrote the same bytes")
	}
	if msg, err := Compare(base, other, []string{"b"}); err != nil || !strings.Contains(msg, "columns: b") {
		t.Fatalf("b uncompressed, b may differ: %q, %v", msg, err)
	}
	if _, err := Compare(base, other, []string{"a"}); err == nil {
		t.Fatal("b uncompressed, only a may differ: no error")
	}
	changed := append([]row(nil), rows...)
	changed[2500].B = "changed"
	if _, err := Compare(base, write(t, changed, parquet.NewSchema("row", parquet.SchemaOf(row{}))), []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "row 400 differs") {
		t.Fatalf("a changed row: %v", err)
	}
	if _, err := Compare(base, write(t, rows, parquet.NewSchema("other", parquet.SchemaOf(row{}))), []string{"a", "b"}); err == nil {
		t.Fatal("another schema name: no error")
	}
}

// TestDump: -dump prints every row as a JSON object keyed by column name, in schema
// order, with null for a missing optional value.
func TestDump(t *testing.T) {
	rows := []row{{A: "x", B: "y"}, {A: "", B: ""}, {A: "q\"r", B: "z"}}
	path := t.TempDir() + "/f.parquet"
	if err := os.WriteFile(path, write(t, rows, parquet.NewSchema("row", parquet.SchemaOf(row{}))), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := dumpFile(path, &out); err != nil {
		t.Fatal(err)
	}
	want := `{"a":"x","b":"y"}` + "\n" + `{"a":"","b":null}` + "\n" + `{"a":"q\"r","b":"z"}` + "\n"
	if out.String() != want {
		t.Fatalf("dump:\n%s\nwant:\n%s", out.String(), want)
	}
}
