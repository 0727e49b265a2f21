package parquetenc

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestCodeOrderDict: columns a (bounds) and b (NoBounds) with CodeOrderDict read back as
// the rows parquet-go wrote, with the same page indexes and statistics, whatever the order
// the encoder is told (and with values appended from group to group); in groups large
// enough their dictionaries hold the values each chunk uses (as many as parquet-go's), in
// smaller ones the encoder writes parquet-go's bytes.
func TestCodeOrderDict(t *testing.T) {
	rows := randomRows(rand.New(rand.NewPCG(7, 8)), 150000, 50) // few enough values for Ranks
	cols := slices.Clone(testCols)
	cols[0].CodeOrderDict, cols[1].CodeOrderDict = true, true
	for _, order := range []int{orderNone, orderAscending, orderRank} {
		for _, group := range []int{40000, 160} {
			tmpl, err := Template[testRow](testOptions(group)...)
			if err != nil {
				t.Fatal(err)
			}
			what := fmt.Sprintf("order %d, groups of %d", order, group)
			got, want := encodeRowsWith(t, rows, group, order, cols, tmpl), reference(t, rows, group, 1<<16)
			if group == 160 { // fewer than codeOrderRows rows a value
				if !bytes.Equal(got, want) {
					t.Fatalf("%s: not parquet-go's bytes (first difference at %d)", what, firstDiff(got, want))
				}
				continue
			}
			if bytes.Equal(got, want) {
				t.Fatalf("%s: parquet-go's bytes, not a whole dictionary", what)
			}
			sameRowsAndIndexes(t, what, got, want)
			dictSizes(t, what, got, want)
		}
	}
}

// sameRowsAndIndexes fails t unless files got and want hold the same rows, page indexes
// and chunk statistics.
func sameRowsAndIndexes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	gf, wf := openBytes(t, got), openBytes(t, want)
	if !reflect.DeepEqual(gf.ColumnIndexes(), wf.ColumnIndexes()) {
		t.Fatalf("%s: page indexes differ", what)
	}
	gg, wg := gf.RowGroups(), wf.RowGroups()
	if len(gg) != len(wg) {
		t.Fatalf("%s: %d row groups, want %d", what, len(gg), len(wg))
	}
	for i := range gg {
		for c := range gf.Metadata().RowGroups[i].Columns {
			g, w := gf.Metadata().RowGroups[i].Columns[c].MetaData, wf.Metadata().RowGroups[i].Columns[c].MetaData
			if !reflect.DeepEqual(g.Statistics, w.Statistics) {
				t.Fatalf("%s: group %d, column %d: statistics %+v, want %+v", what, i, c, g.Statistics, w.Statistics)
			}
		}
		if g, w := allRows(t, gg[i]), allRows(t, wg[i]); !slices.EqualFunc(g, w, parquet.Row.Equal) {
			t.Fatalf("%s: group %d: rows differ", what, i)
		}
	}
}

// dictSizes fails t unless every column's dictionaries in got hold as many values as
// parquet-go's (want): the values each chunk uses.
func dictSizes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	gf, wf := openBytes(t, got), openBytes(t, want)
	for i, g := range gf.RowGroups() {
		for c, chunk := range g.ColumnChunks() {
			if testCols[c].Bool {
				continue
			}
			if n, w := dictLen(t, chunk), dictLen(t, wf.RowGroups()[i].ColumnChunks()[c]); n != w {
				t.Fatalf("%s: group %d, column %d: %d values in the dictionary, want %d", what, i, c, n, w)
			}
		}
	}
}

// dictLen returns the number of values of chunk's dictionary.
func dictLen(t *testing.T, chunk parquet.ColumnChunk) int {
	pages := chunk.Pages()
	defer pages.Close()
	p, err := pages.ReadPage()
	if err != nil {
		t.Fatal(err)
	}
	defer parquet.Release(p)
	if p.Dictionary() == nil {
		t.Fatal("no dictionary")
	}
	return p.Dictionary().Len()
}

func openBytes(t *testing.T, b []byte) *parquet.File {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// allRows returns every row of g.
func allRows(t *testing.T, g parquet.RowGroup) []parquet.Row {
	rows := g.Rows()
	defer rows.Close()
	var all []parquet.Row
	buf := make([]parquet.Row, 256)
	for {
		n, err := rows.ReadRows(buf)
		for _, r := range buf[:n] {
			all = append(all, r.Clone())
		}
		if err == io.EOF {
			return all
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestCodeOrderDictBadCode: a CodeOrderDict column refuses a null code and a code past its
// values, within a page and as its first row, with bounds from codes, from ranks and with
// none.
func TestCodeOrderDictBadCode(t *testing.T) {
	values := []string{"a", "b", "c", "d"}
	cols := []Column{{Name: "c", CodeOrderDict: true}, {Name: "c", CodeOrderDict: true, NoBounds: true}}
	for _, col := range cols {
		for _, d := range []Data{{Values: values, Ascending: true}, {Values: values, Rank: []int32{3, 2, 1, 0}}} {
			for _, bad := range []int32{-1, 4} {
				for _, at := range []int{0, 37} {
					d.Codes = make([]int32, 40)
					d.Codes[at] = bad
					_, err := NewEncoder([]Column{col}).Encode([]Data{d})
					want := "null in required column c"
					if bad >= 0 {
						want = "column c: code 4, want 0..3"
					}
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("code %d at %d: error %v, want one containing %q", bad, at, err, want)
					}
				}
			}
		}
	}
}

// TestCodeOrderDictValuesAppended: values appended in place between two groups (the same
// array, longer) make the second group's dictionary anew, with every value; a third group
// that uses three of the four values has those three in its dictionary.
func TestCodeOrderDictValuesAppended(t *testing.T) {
	values := append(make([]string, 0, 8), "w", "x")
	var groups []Data
	var want []string
	for _, n := range []int{2, 4, 3} {
		if n == 4 {
			values = append(values, "y", "z") // in the same array
		}
		codes := make([]int32, 64)
		for k := range codes {
			codes[k] = int32(k % n)
			if n == 3 { // 0, 3 and 2 (of 4): three values
				codes[k] = int32(k % n * 3 % 4)
			}
			want = append(want, values[codes[k]])
		}
		groups = append(groups, Data{Codes: codes, Values: values, Ascending: true})
	}
	f := codeOrderFile(t, groups)
	var got []string
	for i, g := range f.RowGroups() {
		if n := dictLen(t, g.ColumnChunks()[0]); n != []int{2, 4, 3}[i] {
			t.Fatalf("group %d: %d values in the dictionary, want %d", i, n, []int{2, 4, 3}[i])
		}
		for _, r := range allRows(t, g) {
			got = append(got, r[0].String())
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
}

// codeOrderFile writes groups, one row group each, as one CodeOrderDict string column "a"
// (Snappy) through one encoder, and opens the file written.
func codeOrderFile(t *testing.T, groups []Data) *parquet.File {
	t.Helper()
	type row struct {
		A string `parquet:"a,dict"`
	}
	tmpl, err := Template[row](parquet.Compression(&parquet.Snappy))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEncoder([]Column{{Name: "a", CodeOrderDict: true}})
	for _, d := range groups {
		g, err := e.Encode([]Data{d})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteGroup(g); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return openBytes(t, buf.Bytes())
}

// TestCodeOrderDictRuns: a chunk using runs of codes across and along the bitmap's words
// (a whole word among them) has exactly those values in its dictionary, and its rows read
// back.
func TestCodeOrderDictRuns(t *testing.T) {
	values := make([]string, 200)
	for k := range values {
		values[k] = fmt.Sprintf("v%03d-%s", k, strings.Repeat("x", k%5))
	}
	var codes []int32
	var want []string
	for _, r := range [][2]int32{{0, 70}, {128, 192}, {195, 196}, {60, 66}} {
		for code := r[0]; code < r[1]; code++ {
			for range 20 { // (codeOrderRows rows a value at least)
				codes = append(codes, code)
				want = append(want, values[code])
			}
		}
	}
	f := codeOrderFile(t, []Data{{Codes: codes, Values: values, Ascending: true}})
	if n := dictLen(t, f.RowGroups()[0].ColumnChunks()[0]); n != 70+64+1 {
		t.Fatalf("%d values in the dictionary, want %d", n, 70+64+1)
	}
	var got []string
	for _, r := range allRows(t, f.RowGroups()[0]) {
		got = append(got, r[0].String())
	}
	if !slices.Equal(got, want) {
		t.Fatal("rows differ")
	}
}
