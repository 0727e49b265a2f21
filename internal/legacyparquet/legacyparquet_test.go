package legacyparquet

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

// TestRewrite: the rewritten column keeps only its converted type, the others keep their
// logical type, the rows read back the same, and a name that is no column is an error.
func TestRewrite(t *testing.T) {
	type row struct {
		Day  int32  `parquet:"day,date"`
		Name string `parquet:"name"`
	}
	p := filepath.Join(t.TempDir(), "f.parquet")
	if err := parquet.WriteFile(p, []row{{Day: 20543, Name: "a"}, {Day: -1, Name: "b"}}); err != nil {
		t.Fatal(err)
	}
	if err := Rewrite(p, map[string]Column{"day": {Converted: deprecated.Date}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	md, _, err := footer(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, el := range md.Schema[1:] {
		legacy := el.Name == "day"
		if (el.LogicalType.Value == nil) != legacy || legacy && (!el.ConvertedType.Valid || el.ConvertedType.V != deprecated.Date) {
			t.Errorf("column %s: logical type %v, converted type %v", el.Name, el.LogicalType.Value, el.ConvertedType)
		}
	}
	rows, err := parquet.ReadFile[row](p)
	if err != nil || len(rows) != 2 || rows[0] != (row{20543, "a"}) || rows[1] != (row{-1, "b"}) {
		t.Errorf("read back %v, %v", rows, err)
	}
	if err := Rewrite(p, map[string]Column{"nope": {Converted: deprecated.Date}}); err == nil {
		t.Error("a name that is no column was not refused")
	}
}
