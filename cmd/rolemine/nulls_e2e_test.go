package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestUniverseNullsReadAsNull generates a tier-S universe with usage, mines it and reads
// every optional column of assignments.parquet back value by value: a cell is a value or
// a null, never "" (docs/outputs.md, "assignments.parquet"). Until the eighteenth session
// the writer reproduced parquet-go's defect of writing some nulls as "": on this universe
// 66 account_id and 690 via cells.
func TestUniverseNullsReadAsNull(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and mines tier S")
	}
	data, out := filepath.Join(t.TempDir(), "data"), filepath.Join(t.TempDir(), "out")
	if _, stderr, code := runBin(t, "gen", "--tier", "S", "--seed", "3", "--universe", "--usage", "--out", data); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, stderr)
	}
	if _, stderr, code := runBin(t, "mine", "--data", data, "--out", out); code != 0 {
		t.Fatalf("mine: exit %d: %s", code, stderr)
	}
	nulls, empty := optionalCells(t, filepath.Join(out, "assignments.parquet"))
	for _, name := range []string{"rule_id", "system", "account_id", "via", "usage"} {
		if _, ok := nulls[name]; !ok {
			t.Errorf("assignments.parquet has no optional column %s", name)
		}
		if empty[name] != 0 {
			t.Errorf("%s: %d cells hold \"\" (%d nulls), want none", name, empty[name], nulls[name])
		}
	}
	if nulls["account_id"] == 0 || nulls["via"] == 0 || nulls["rule_id"] == 0 {
		t.Errorf("nulls %v: want some in rule_id, account_id and via", nulls)
	}
}

// optionalCells counts, for each optional column of the Parquet file at path, its null
// cells and its cells that hold "", from the values of every page.
func optionalCells(t *testing.T, path string) (nulls, empty map[string]int) {
	t.Helper()
	f := openParquetFile(t, path)
	nulls, empty = map[string]int{}, map[string]int{}
	fields := f.Schema().Fields()
	for _, rg := range f.RowGroups() {
		for c, cc := range rg.ColumnChunks() {
			if !fields[c].Optional() {
				continue
			}
			name := fields[c].Name()
			nulls[name] += 0
			pages := cc.Pages()
			for {
				p, err := pages.ReadPage()
				if err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				vals := make([]parquet.Value, p.NumValues())
				n, err := p.Values().ReadValues(vals)
				if err != nil && err != io.EOF {
					t.Fatal(err)
				}
				for _, v := range vals[:n] {
					if v.IsNull() {
						nulls[name]++
					} else if len(v.ByteArray()) == 0 {
						empty[name]++
					}
				}
			}
			pages.Close()
		}
	}
	return nulls, empty
}

// openParquetFile opens the Parquet file at path for the test, closing it at the test's end.
func openParquetFile(t *testing.T, path string) *parquet.File {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fh.Close() })
	st, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(fh, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return f
}
