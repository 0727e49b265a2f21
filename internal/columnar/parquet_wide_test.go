package columnar

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/rolemine/rolemine/internal/legacyparquet"
)

// The widest precision a DECIMAL stored as bytes may have (maxDecimalDigits): 307 nines.
const widest = "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"

// wideCases are the forms read through wideText (INT96, DECIMAL on BYTE_ARRAY and
// FIXED_LEN_BYTE_ARRAY) and TIME, with the text each must read as (docs/inputs.md,
// input-parquet). INT96 cells are "julianday:nanoseconds": Julian day 2440588 is
// 1970-01-01, 2461131 is 2026-03-31 (20543 days later), 2415021 is 1900-01-01.
var wideCases = []logicalCase{
	{"spark:int96", []string{"2440588:0", "2461131:29700000000000", "2461131:29700500000000", "2440587:86399999999999", "2415021:0", nullValue},
		[]string{"1970-01-01T00:00:00Z", "2026-03-31T08:15:00Z", "2026-03-31T08:15:00.5Z", "1969-12-31T23:59:59.999999999Z", "1900-01-01T00:00:00Z", ""}},
	{"impala:dictint96", []string{"2461131:29700000000000", "2461131:29700000000000", nullValue, "2440588:1"},
		[]string{"2026-03-31T08:15:00Z", "2026-03-31T08:15:00Z", "", "1970-01-01T00:00:00.000000001Z"}},
	{"small:decflba4s3", []string{"12345", "-5", "0", "-2147483648", "2147483647", nullValue},
		[]string{"12.345", "-0.005", "0.000", "-2147483.648", "2147483.647", ""}},
	{"wide:decflba16s2", []string{"12345", "-5", "99999999999999999999999999999999999999", "-99999999999999999999999999999999999999", "9223372036854775808", "-170141183460469231731687303715884105728", nullValue},
		[]string{"123.45", "-0.05", "999999999999999999999999999999999999.99", "-999999999999999999999999999999999999.99", "92233720368547758.08", "-1701411834604692317316873037158841057.28", ""}},
	{"dwide:dictdecflba16s2", []string{"12345", "12345", "-5", nullValue, "100000000000000000000"},
		[]string{"123.45", "123.45", "-0.05", "", "1000000000000000000.00"}},
	{"bytes:decbytes", []string{"12345", "-1", "127", "128", "-129", "0", nullValue},
		[]string{"123.45", "-0.01", "1.27", "1.28", "-1.29", "0.00", ""}},
	{"bytes0:decbytess0", []string{"-12345678901234567890123", "0", "255", "-9223372036854775809"},
		[]string{"-12345678901234567890123", "0", "255", "-9223372036854775809"}},
	{"widest:decbytes307s10", []string{widest, "-" + widest, "1", "-10000000000"},
		[]string{widest[:297] + "." + widest[297:], "-" + widest[:297] + "." + widest[297:], "0.0000000001", "-1.0000000000"}},
	{"tms:timems", []string{"29700000", "29700500", "0", "86399999", nullValue},
		[]string{"08:15:00", "08:15:00.5", "00:00:00", "23:59:59.999", ""}},
	{"tus:timeus", []string{"29700000001", "0", "-1", "86400000000", "36000000000"},
		[]string{"08:15:00.000001", "00:00:00", "-00:00:00.000001", "24:00:00", "10:00:00"}},
	{"tns:timens", []string{"29700123456789", nullValue, "45296000000000"},
		[]string{"08:15:00.123456789", "", "12:34:56"}},
	// BOOLEAN, optional and required, over more than one byte of packed bits.
	{"active:bool", []string{"true", "false", nullValue, "true", "true", "false", "false", "true", nullValue, "false", "true"},
		[]string{"true", "false", "", "true", "true", "false", "false", "true", "", "false", "true"}},
	{"admin:reqbool", []string{"false", "true", "false", "false", "false", "false", "false", "false", "true", "true"},
		[]string{"false", "true", "false", "false", "false", "false", "false", "false", "true", "true"}},
	// UUID (FIXED_LEN_BYTE_ARRAY(16)), plain and dictionary: lowercase canonical text.
	{"guid:uuid", []string{"0189F6A2-3C4D-7E8F-9A0B-1C2D3E4F5A6B", nullValue, "ffffffff-ffff-ffff-ffff-ffffffffffff", "00000000-0000-0000-0000-000000000000"},
		[]string{"0189f6a2-3c4d-7e8f-9a0b-1c2d3e4f5a6b", "", "ffffffff-ffff-ffff-ffff-ffffffffffff", "00000000-0000-0000-0000-000000000000"}},
	{"dguid:dictuuid", []string{"123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000", nullValue, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		[]string{"123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000", "", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}},
}

// legacyCases are columns whose legacy converted type is all older writers set; the
// logical and wide cases with a converted type are read the same way (legacyColumns).
var legacyCases = []logicalCase{
	{"name:str", []string{"Ada", nullValue, "Bo"}, []string{"Ada", "", "Bo"}},
	{"state:enum", []string{"ACTIVE", "LOCKED"}, []string{"ACTIVE", "LOCKED"}},
	{"doc:json", []string{`{"a":1}`, nullValue}, []string{`{"a":1}`, ""}},
	{"level:int8", []string{"-128", "127", "0"}, []string{"-128", "127", "0"}},
	{"big:uint32", []string{"4294967295", "0", nullValue}, []string{"4294967295", "0", ""}},
}

// legacyColumns is the converted type older writers give each column of the legacy run
// (TIMESTAMP in nanoseconds, a TIMESTAMP not adjusted to UTC and TIME in nanoseconds have
// none, and INT96 needs none).
var legacyColumns = map[string]legacyparquet.Column{
	"day": {Converted: deprecated.Date}, "hired": {Converted: deprecated.Date},
	"ms": {Converted: deprecated.TimestampMillis}, "us": {Converted: deprecated.TimestampMicros},
	"amount": {Converted: deprecated.Decimal, Scale: 2, Precision: 9},
	"rate":   {Converted: deprecated.Decimal, Scale: 4, Precision: 18},
	"count":  {Converted: deprecated.Decimal, Scale: 0, Precision: 18},
	"price":  {Converted: deprecated.Decimal, Scale: 2, Precision: 18},
	"small":  {Converted: deprecated.Decimal, Scale: 3, Precision: 9},
	"wide":   {Converted: deprecated.Decimal, Scale: 2, Precision: 38},
	"dwide":  {Converted: deprecated.Decimal, Scale: 2, Precision: 38},
	"bytes":  {Converted: deprecated.Decimal, Scale: 2, Precision: 20},
	"bytes0": {Converted: deprecated.Decimal, Scale: 0, Precision: 38},
	"widest": {Converted: deprecated.Decimal, Scale: 10, Precision: 307},
	"tms":    {Converted: deprecated.TimeMillis}, "tus": {Converted: deprecated.TimeMicros},
	"name": {Converted: deprecated.UTF8}, "state": {Converted: deprecated.Enum},
	"doc": {Converted: deprecated.Json}, "level": {Converted: deprecated.Int8},
	"big": {Converted: deprecated.Uint32},
}

// TestLoadParquetWideTypes: INT96 timestamps, DECIMALs stored as FIXED_LEN_BYTE_ARRAY
// (4 and 16 bytes, plain and dictionary) and BYTE_ARRAY (up to the widest precision), and
// TIME in each unit read as their text, nulls, negatives, the epoch and dates before 1970
// included.
func TestLoadParquetWideTypes(t *testing.T) {
	checkCases(t, wideCases, nil)
}

// TestLoadParquetLegacyConvertedTypes: a file whose columns carry only the legacy
// converted type (DATE, TIMESTAMP_MILLIS/MICROS, DECIMAL on every physical type,
// TIME_MILLIS/MICROS, UTF8, ENUM, JSON, INT_8, UINT_32), as Hive, Impala, old parquet-mr
// and Spark 2 write, reads exactly as the same columns with their logical types.
// parquet-go cannot write such a file: legacyparquet.Rewrite rewrites the footer of the
// file it wrote, dropping the logical types.
func TestLoadParquetLegacyConvertedTypes(t *testing.T) {
	var cases []logicalCase
	for _, c := range append(append(slices.Clone(logicalCases), wideCases...), legacyCases...) {
		name := colName(c.header)
		if _, ok := legacyColumns[name]; ok || strings.Contains(c.header, "int96") {
			cases = append(cases, c)
		}
	}
	if len(cases) != len(legacyColumns)+2 {
		t.Fatalf("%d cases for %d legacy columns and 2 INT96 ones", len(cases), len(legacyColumns))
	}
	checkCases(t, cases, legacyColumns)
}

// TestInt96Layout: the bytes the INT96 test cells are written as are those Spark and
// Impala write (nanoseconds in the day, little-endian, then the Julian day), found in
// the file as they are: the INT96 expectations rest on known bytes, not on how parquet-go
// holds an INT96.
func TestInt96Layout(t *testing.T) {
	dir := t.TempDir()
	p := writeParquet(t, dir, "identities", tbl{header: []string{"identity_id:req", "at:int96"}, rows: [][]string{{"a", "2461131:29700500000000"}}})
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x00, 0x8d, 0xc0, 0x2f, 0x03, 0x1b, 0x00, 0x00, 0xcb, 0x8d, 0x25, 0x00} // 29700500000000 ns, day 2461131
	if !bytes.Equal(int96Bytes(2461131, 29700500000000), want) || !bytes.Contains(data, want) {
		t.Fatalf("INT96 bytes % x not in the file", want)
	}
}

// TestLoadParquetWideIdentityIDs: INT96 and byte DECIMAL values serve as identity ids
// (the identities' raw column: plain pages and dictionary pages go through their own
// paths there) and join the assignments that name them as text.
func TestLoadParquetWideIdentityIDs(t *testing.T) {
	for _, typ := range []string{"int96", "dictint96", "decflba16s2", "dictdecflba16s2", "uuid", "dictuuid"} {
		ids := tbl{header: []string{"identity_id:" + typ, "team"}}
		asg := tbl{header: []string{"identity_id:req", "role_id:req"}}
		var want []string
		for i := range 5000 { // beyond minSizingRows: the plain column turns raw too
			stored, text := fmt.Sprintf("2461131:%d", int64(i)*1000), ""
			switch {
			case strings.Contains(typ, "int96"):
				text = time.Date(2026, 3, 31, 0, 0, 0, i*1000, time.UTC).Format(time.RFC3339Nano)
			case strings.Contains(typ, "uuid"):
				stored = fmt.Sprintf("0189F6A2-0000-7000-8000-%012X", i*7919)
				text = strings.ToLower(stored)
			default:
				stored = fmt.Sprint(100000 + i)
				text = fmt.Sprintf("%d.%02d", (100000+i)/100, (100000+i)%100)
			}
			ids.rows = append(ids.rows, []string{stored, "T"})
			asg.rows = append(asg.rows, []string{text, "R"})
			want = append(want, text)
		}
		_, s := loadParquetPair(t, ids, asg)
		if got := slices.Sorted(slices.Values(s.IdentityIDs)); !reflect.DeepEqual(got, slices.Sorted(slices.Values(want))) {
			t.Errorf("%s: identity ids differ (%d read, first %q)", typ, len(got), got[:min(len(got), 3)])
		}
		if n := len(holdings(s)); n != len(want) {
			t.Errorf("%s: %d holdings, want %d", typ, n, len(want))
		}
	}
}

// TestLoadParquetRefusedForms: the forms rolemine does not read are refused with a
// message naming the file, the column and what is read.
func TestLoadParquetRefusedForms(t *testing.T) {
	for _, c := range []struct {
		node parquet.Node
		want string
	}{
		{parquet.Leaf(parquet.DoubleType), "identities.parquet column x: has type DOUBLE; expected a string (BYTE_ARRAY), integer (INT32, INT64), BOOLEAN, INT96 timestamp, DECIMAL or UUID column"},
		{parquet.Leaf(parquet.FloatType), "identities.parquet column x: has type FLOAT; expected a string"},
		{parquet.Leaf(parquet.FixedLenByteArrayType(12)), "identities.parquet column x: has type FIXED_LEN_BYTE_ARRAY(12) (FIXED_LEN_BYTE_ARRAY(12)); rolemine reads it only as a DECIMAL or a UUID: expected"},
		{parquet.Decimal(5, 4, parquet.ByteArrayType), "identities.parquet column x: is a DECIMAL(4, 5) stored as BYTE_ARRAY; expected a precision from 1 to 307 and a scale from 0 to the precision"},
		{parquet.Decimal(0, 308, parquet.ByteArrayType), "identities.parquet column x: is a DECIMAL(308, 0) stored as BYTE_ARRAY; expected a precision from 1 to 307"},
		{parquet.Decimal(2, 300, parquet.FixedLenByteArrayType(200)), "identities.parquet column x: is a DECIMAL stored as FIXED_LEN_BYTE_ARRAY(200); expected 1 to 128 bytes"},
		{parquet.Decimal(19, 18, parquet.Int64Type), "identities.parquet column x: is a DECIMAL with scale 19; expected a scale from 0 to 18"},
	} {
		dir := t.TempDir()
		writeNodeFile(t, dir, c.node, nil)
		writeParquet(t, dir, "assignments", tbl{header: []string{"identity_id:req", "role_id:req"}, rows: [][]string{{"a", "R"}}})
		_, err := load(t, dir, LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.node.Type(), err, c.want)
		}
	}
	// A BYTE_ARRAY DECIMAL value wider than 128 bytes, found in a page.
	dir := t.TempDir()
	writeNodeFile(t, dir, parquet.Decimal(0, 300, parquet.ByteArrayType), parquet.ByteArrayValue(bytes.Repeat([]byte{0x7f}, 129)))
	writeParquet(t, dir, "assignments", tbl{header: []string{"identity_id:req", "role_id:req"}, rows: [][]string{{"a", "R"}}})
	want := "identities.parquet column x: row group 0: a DECIMAL value of 129 bytes; expected at most 128"
	if _, err := load(t, dir, LoadOptions{}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("129-byte decimal: error %v, want one containing %q", err, want)
	}
}

// writeNodeFile writes dir/identities.parquet with a required identity_id "a" and an
// optional column x of node, holding v (a null when v is nil).
func writeNodeFile(t *testing.T, dir string, node parquet.Node, v any) {
	t.Helper()
	schema := parquet.NewSchema("identities", parquet.Group{"identity_id": parquet.String(), "x": parquet.Optional(node)})
	f, err := os.Create(filepath.Join(dir, "identities.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := parquet.NewWriter(f, schema)
	x := parquet.NullValue().Level(0, 0, 1)
	if pv, ok := v.(parquet.Value); ok {
		x = pv.Level(0, 1, 1)
	}
	if _, err := w.WriteRows([]parquet.Row{{parquet.ByteArrayValue([]byte("a")).Level(0, 0, 0), x}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
