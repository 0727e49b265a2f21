package columnar

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/legacyparquet"
)

// logicalCase is a column of a Parquet logical type: the stored integers (nullValue for a
// null) and the text each must read as (docs/inputs.md, input-parquet).
type logicalCase struct {
	header string
	stored []string
	want   []string
}

var logicalCases = []logicalCase{
	{"day:date", []string{"20543", "0", "-1", "-25567", nullValue},
		[]string{"2026-03-31", "1970-01-01", "1969-12-31", "1900-01-01", ""}},
	{"hired:dictdate", []string{"20543", "20543", "-1", nullValue},
		[]string{"2026-03-31", "2026-03-31", "1969-12-31", ""}},
	{"ms:tsms", []string{"1774944900000", "1774944900500", "0", "-1", nullValue},
		[]string{"2026-03-31T08:15:00Z", "2026-03-31T08:15:00.5Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z", ""}},
	{"us:tsus", []string{"1774944900000000", "1774944900000001", "-1500000", "0"},
		[]string{"2026-03-31T08:15:00Z", "2026-03-31T08:15:00.000001Z", "1969-12-31T23:59:58.5Z", "1970-01-01T00:00:00Z"}},
	{"ns:tsns", []string{"1774944900000000000", "1774944900123456789", "-1", nullValue, "0"},
		[]string{"2026-03-31T08:15:00Z", "2026-03-31T08:15:00.123456789Z", "1969-12-31T23:59:59.999999999Z", "", "1970-01-01T00:00:00Z"}},
	{"wall:tslocalus", []string{"1774944900000000", "-86400000000"},
		[]string{"2026-03-31T08:15:00Z", "1969-12-31T00:00:00Z"}},
	{"amount:dec32s2", []string{"12345", "-5", "0", "10000", "-2147483648", nullValue},
		[]string{"123.45", "-0.05", "0.00", "100.00", "-21474836.48", ""}},
	{"rate:dec64s4", []string{"1", "-123456789", "9223372036854775807", "-9223372036854775808", "-10000"},
		[]string{"0.0001", "-12345.6789", "922337203685477.5807", "-922337203685477.5808", "-1.0000"}},
	{"count:dec64s0", []string{"100", "-7", "0"}, []string{"100", "-7", "0"}},
	{"price:dictdec64s2", []string{"12345", "12345", "-5", nullValue, "99"},
		[]string{"123.45", "123.45", "-0.05", "", "0.99"}},
}

// caseTables returns an identities table with one column per case (row i holds case
// value i modulo its length), the assignments naming them, and the text each column's
// rows must read as.
func caseTables(cases []logicalCase) (tbl, tbl, map[string][]string) {
	ids := tbl{header: []string{"identity_id:req"}}
	for _, c := range cases {
		ids.header = append(ids.header, c.header)
	}
	asg := tbl{header: []string{"identity_id:req", "role_id:req"}}
	want := map[string][]string{}
	for i := range 24 {
		row := []string{fmt.Sprintf("id%02d", i)}
		for _, c := range cases {
			row = append(row, c.stored[i%len(c.stored)])
			want[colName(c.header)] = append(want[colName(c.header)], c.want[i%len(c.want)])
		}
		ids.rows = append(ids.rows, row)
		asg.rows = append(asg.rows, []string{row[0], "R"})
	}
	return ids, asg, want
}

// TestLoadParquetLogicalTypes: DATE, TIMESTAMP (every unit, UTC-adjusted or not) and
// DECIMAL (INT32, INT64, dictionary-encoded) columns read as their text, through the full
// load and the lean one, in one row group and in many small ones.
func TestLoadParquetLogicalTypes(t *testing.T) {
	checkCases(t, logicalCases, nil)
}

// checkCases writes the cases as the identities' columns (the identities' footer then
// rewritten by legacyparquet.Rewrite with legacy, when not nil) and checks that each
// column reads as its text through the full load and the lean one, in one row group and
// in many small ones.
func checkCases(t *testing.T, cases []logicalCase, legacy map[string]legacyparquet.Column) {
	t.Helper()
	ids, asg, want := caseTables(cases)
	for _, opts := range [][]parquet.WriterOption{nil, {parquet.MaxRowsPerRowGroup(7), parquet.PageBufferSize(64)}} {
		dir := t.TempDir()
		p := writeParquet(t, dir, "identities", ids, opts...)
		if legacy != nil {
			if err := legacyparquet.Rewrite(p, legacy); err != nil {
				t.Fatal(err)
			}
		}
		writeParquet(t, dir, "assignments", asg, opts...)
		s, err := load(t, dir, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range cases {
			name := colName(c.header)
			names = append(names, name)
			if got := dimValues(t, s, name); !reflect.DeepEqual(got, want[name]) {
				t.Errorf("%s (%d row groups)\n got %q\nwant %q", name, len(opts), got, want[name])
			}
		}
		checkLeanCases(t, dir, names, want)
	}
}

// checkLeanCases checks that LoadHoldings reads the dimensions names of dir as want.
func checkLeanCases(t *testing.T, dir string, names []string, want map[string][]string) {
	t.Helper()
	h, err := LoadHoldings(context.Background(), dir, HoldingsOptions{Dims: names})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range h.Dims {
		got := make([]string, len(d.Codes))
		for i, c := range d.Codes {
			if c >= 0 {
				got[i] = d.Values[c]
			}
		}
		if !reflect.DeepEqual(got, want[d.Name]) {
			t.Errorf("lean load %s\n got %q\nwant %q", d.Name, got, want[d.Name])
		}
	}
	if len(h.Dims) != len(names) {
		t.Errorf("lean load read %d dims, want %d", len(h.Dims), len(names))
	}
}

// TestAppendDecimal: the exact text of v * 10^-scale at the edges of int64.
func TestAppendDecimal(t *testing.T) {
	for _, c := range []struct {
		v     int64
		scale int
		want  string
	}{
		{12345, 2, "123.45"}, {-5, 2, "-0.05"}, {100, 0, "100"}, {0, 3, "0.000"}, {-1, 1, "-0.1"},
		{-9223372036854775808, 18, "-9.223372036854775808"}, {9223372036854775807, 18, "9.223372036854775807"},
		{5, 18, "0.000000000000000005"}, {-10, 1, "-1.0"},
	} {
		if got := string(appendDecimal([]byte("x"), c.v, c.scale)); got != "x"+c.want {
			t.Errorf("appendDecimal(%d, %d) = %q, want %q", c.v, c.scale, got, "x"+c.want)
		}
	}
}
