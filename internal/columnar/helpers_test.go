package columnar

import (
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

// nullValue in a test table cell writes a Parquet null (CSV: an empty field).
const nullValue = "\x00null"

// tbl is a test table: header cells are "name" or "name:type" where type is one of
// str (optional plain string, the default), req (required plain string), dict (optional
// dictionary-encoded string), int32, int64 (optional integers), uint32, uint64, requint64,
// dictuint32 (unsigned integers: INT32 and INT64 with an unsigned integer logical type),
// date, dictdate (DATE, INT32 days), tsms, tsus, tsns (TIMESTAMP adjusted to UTC, INT64 in
// that unit), tslocalus (TIMESTAMP not adjusted to UTC), dec32s2, dec64s4, dec64s0,
// dictdec64s2 (DECIMAL of that scale on INT32 or INT64; cells hold the stored integer),
// timems, timeus, timens (TIME in that unit), int8 (INT32 with an 8-bit signed integer
// type), enum, json (strings), double, bool; and the forms read through wideText, whose
// cells are not the stored bytes but what the test means them to hold: int96, dictint96
// (cells "julianday:nanoseconds", int96Cell), decflba4s3, decflba16s2, dictdecflba16s2,
// decbytes (scale 2), decbytess0, decbytes307s10 (DECIMAL of that scale on
// FIXED_LEN_BYTE_ARRAY of 4 or 16 bytes or on BYTE_ARRAY; cells hold the unscaled integer
// in decimal, stored as big-endian two's complement, decimalCell).
type tbl struct {
	header []string
	rows   [][]string
}

func colName(h string) string { n, _, _ := strings.Cut(h, ":"); return n }

func colType(h string) string {
	_, t, ok := strings.Cut(h, ":")
	if !ok {
		return "str"
	}
	return t
}

// writeTable writes tb as dir/name.csv or dir/name.parquet.
func writeTable(t testing.TB, dir, name, format string, tb tbl, opts ...parquet.WriterOption) string {
	t.Helper()
	if format == "csv" {
		return writeCSV(t, dir, name, tb)
	}
	return writeParquet(t, dir, name, tb, opts...)
}

func writeCSV(t testing.TB, dir, name string, tb tbl) string {
	t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	hdr := make([]string, len(tb.header))
	for i, h := range tb.header {
		hdr[i] = colName(h)
	}
	_ = w.Write(hdr)
	for _, r := range tb.rows {
		rec := make([]string, len(r))
		for i, v := range r {
			if v != nullValue {
				rec[i] = v
			}
		}
		_ = w.Write(rec)
	}
	w.Flush()
	p := filepath.Join(dir, name+".csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func parquetNode(typ string) parquet.Node {
	switch typ {
	case "str":
		return parquet.Optional(parquet.String())
	case "req":
		return parquet.String()
	case "dict":
		return parquet.Optional(parquet.Encoded(parquet.String(), &parquet.RLEDictionary))
	case "reqdict":
		return parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
	case "int32":
		return parquet.Optional(parquet.Int(32))
	case "int64":
		return parquet.Optional(parquet.Int(64))
	case "reqint64":
		return parquet.Int(64)
	case "dictint64":
		return parquet.Optional(parquet.Encoded(parquet.Int(64), &parquet.RLEDictionary))
	case "uint32":
		return parquet.Optional(parquet.Uint(32))
	case "dictuint32":
		return parquet.Optional(parquet.Encoded(parquet.Uint(32), &parquet.RLEDictionary))
	case "uint64":
		return parquet.Optional(parquet.Uint(64))
	case "requint64":
		return parquet.Uint(64)
	case "date":
		return parquet.Optional(parquet.Date())
	case "dictdate":
		return parquet.Optional(parquet.Encoded(parquet.Date(), &parquet.RLEDictionary))
	case "tsms":
		return parquet.Optional(parquet.Timestamp(parquet.Millisecond))
	case "tsus":
		return parquet.Optional(parquet.Timestamp(parquet.Microsecond))
	case "tsns":
		return parquet.Optional(parquet.Timestamp(parquet.Nanosecond))
	case "tslocalus":
		return parquet.Optional(parquet.TimestampAdjusted(parquet.Microsecond, false))
	case "dec32s2":
		return parquet.Optional(parquet.Decimal(2, 9, parquet.Int32Type))
	case "dec64s4":
		return parquet.Optional(parquet.Decimal(4, 18, parquet.Int64Type))
	case "dec64s0":
		return parquet.Optional(parquet.Decimal(0, 18, parquet.Int64Type))
	case "dictdec64s2":
		return parquet.Optional(parquet.Encoded(parquet.Decimal(2, 18, parquet.Int64Type), &parquet.RLEDictionary))
	case "decbytes":
		return parquet.Optional(parquet.Decimal(2, 20, parquet.ByteArrayType))
	case "decbytess0":
		return parquet.Optional(parquet.Decimal(0, 38, parquet.ByteArrayType))
	case "decbytes307s10":
		return parquet.Optional(parquet.Decimal(10, 307, parquet.ByteArrayType))
	case "decflba4s3":
		return parquet.Optional(parquet.Decimal(3, 9, parquet.FixedLenByteArrayType(4)))
	case "decflba16s2":
		return parquet.Optional(parquet.Decimal(2, 38, parquet.FixedLenByteArrayType(16)))
	case "dictdecflba16s2":
		return parquet.Optional(parquet.Encoded(parquet.Decimal(2, 38, parquet.FixedLenByteArrayType(16)), &parquet.RLEDictionary))
	case "int96":
		return parquet.Optional(parquet.Leaf(parquet.Int96Type))
	case "dictint96":
		return parquet.Optional(parquet.Encoded(parquet.Leaf(parquet.Int96Type), &parquet.RLEDictionary))
	case "timems":
		return parquet.Optional(parquet.Time(parquet.Millisecond))
	case "timeus":
		return parquet.Optional(parquet.Time(parquet.Microsecond))
	case "timens":
		return parquet.Optional(parquet.Time(parquet.Nanosecond))
	case "int8":
		return parquet.Optional(parquet.Int(8))
	case "enum":
		return parquet.Optional(parquet.Enum())
	case "json":
		return parquet.Optional(parquet.JSON())
	case "double":
		return parquet.Optional(parquet.Leaf(parquet.DoubleType))
	case "bool":
		return parquet.Optional(parquet.Leaf(parquet.BooleanType))
	case "reqbool":
		return parquet.Leaf(parquet.BooleanType)
	case "uuid":
		return parquet.Optional(parquet.UUID())
	case "dictuuid":
		return parquet.Optional(parquet.Encoded(parquet.UUID(), &parquet.RLEDictionary))
	case "list":
		return parquet.Repeated(parquet.String())
	}
	panic("unknown test column type " + typ)
}

func writeParquet(t testing.TB, dir, name string, tb tbl, opts ...parquet.WriterOption) string {
	t.Helper()
	g := parquet.Group{}
	for _, h := range tb.header {
		g[colName(h)] = parquetNode(colType(h))
	}
	schema := parquet.NewSchema(name, g)
	leaf := map[string]int{}
	for i, path := range schema.Columns() {
		leaf[path[0]] = i
	}
	p := filepath.Join(dir, name+".parquet")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := parquet.NewWriter(f, append([]parquet.WriterOption{schema}, opts...)...)
	rows := make([]parquet.Row, 0, len(tb.rows))
	for _, r := range tb.rows {
		row := make(parquet.Row, len(tb.header))
		for i, h := range tb.header {
			typ, j := colType(h), leaf[colName(h)]
			v := r[i]
			optional := !strings.HasPrefix(typ, "req")
			def := 0
			if optional {
				def = 1
			}
			if v == nullValue {
				row[j] = parquet.NullValue().Level(0, 0, j)
				continue
			}
			var pv parquet.Value
			switch typ {
			case "int32":
				n, err := strconv.ParseInt(v, 10, 32)
				if err != nil {
					t.Fatal(err)
				}
				pv = parquet.Int32Value(int32(n))
			case "date", "dictdate", "dec32s2", "timems", "int8":
				n, err := strconv.ParseInt(v, 10, 32)
				if err != nil {
					t.Fatal(err)
				}
				pv = parquet.Int32Value(int32(n))
			case "int64", "reqint64", "dictint64", "tsms", "tsus", "tsns", "tslocalus", "dec64s4", "dec64s0", "dictdec64s2", "timeus", "timens":
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				pv = parquet.Int64Value(n)
			case "uint32", "dictuint32", "uint64", "requint64":
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasSuffix(typ, "32") {
					pv = parquet.Int32Value(int32(uint32(n)))
				} else {
					pv = parquet.Int64Value(int64(n))
				}
			case "double":
				n, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatal(err)
				}
				pv = parquet.DoubleValue(n)
			case "bool", "reqbool":
				pv = parquet.BooleanValue(v == "true")
			case "uuid", "dictuuid":
				pv = parquet.FixedLenByteArrayValue(uuidCell(t, v))
			case "int96", "dictint96":
				pv = parquet.Int96Value(int96Cell(t, v))
			case "decflba4s3":
				pv = parquet.FixedLenByteArrayValue(decimalCell(t, v, 4))
			case "decflba16s2", "dictdecflba16s2":
				pv = parquet.FixedLenByteArrayValue(decimalCell(t, v, 16))
			case "decbytes", "decbytess0", "decbytes307s10":
				pv = parquet.ByteArrayValue(decimalCell(t, v, 0))
			default:
				pv = parquet.ByteArrayValue([]byte(v))
			}
			row[j] = pv.Level(0, def, j)
		}
		rows = append(rows, row)
	}
	// One row per call: the writer cuts pages (and falls back from dictionary to plain
	// encoding) only between calls.
	for i := range rows {
		if _, err := w.WriteRows(rows[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// uuidCell returns the 16 bytes of the UUID text v (hex digits and hyphens).
func uuidCell(t testing.TB, v string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(v, "-", ""))
	if err != nil || len(b) != 16 {
		t.Fatalf("bad UUID cell %q", v)
	}
	return b
}

// int96Bytes returns the 12 bytes of an INT96 timestamp as Spark and Impala write them:
// nanoseconds in the day (8 bytes, little-endian), then the Julian day (4 bytes).
func int96Bytes(day int32, nanos int64) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(nanos))
	return binary.LittleEndian.AppendUint32(b, uint32(day))
}

// int96Cell turns a cell "julianday:nanoseconds" into the INT96 value of int96Bytes.
// parquet-go holds an INT96 as three little-endian 32-bit words of the 12 bytes.
func int96Cell(t testing.TB, v string) deprecated.Int96 {
	t.Helper()
	ds, ns, _ := strings.Cut(v, ":")
	day, err1 := strconv.ParseInt(ds, 10, 32)
	nanos, err2 := strconv.ParseInt(ns, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("int96 cell %q", v)
	}
	b := int96Bytes(int32(day), nanos)
	return deprecated.Int96{binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:])}
}

// decimalCell returns the big-endian two's complement bytes of the integer v (decimal
// text): width bytes, or as few as hold it when width is 0.
func decimalCell(t testing.TB, v string, width int) []byte {
	t.Helper()
	n, ok := new(big.Int).SetString(v, 10)
	if !ok {
		t.Fatalf("decimal cell %q", v)
	}
	size := width
	if size == 0 {
		size = n.BitLen()/8 + 1 // room for the sign bit
	}
	x := new(big.Int).Set(n)
	if n.Sign() < 0 {
		x.Add(x, new(big.Int).Lsh(big.NewInt(1), uint(8*size)))
	}
	b := x.FillBytes(make([]byte, size))
	if back := new(big.Int).SetBytes(b); n.Sign() < 0 != (b[0]&0x80 != 0) || (n.Sign() >= 0 && back.Cmp(n) != 0) {
		t.Fatalf("decimal cell %q does not fit %d bytes", v, size)
	}
	return b
}

// checkInvariants verifies every invariant documented on Snapshot.
func checkInvariants(t testing.TB, s *Snapshot) {
	t.Helper()
	n := len(s.IdentityIDs)
	seen := map[string]bool{}
	for _, id := range s.IdentityIDs {
		if id == "" || seen[id] {
			t.Fatalf("identity id %q empty or duplicate", id)
		}
		seen[id] = true
	}
	if !slices.IsSortedFunc(s.Dims, func(a, b Dimension) int { return strings.Compare(a.Name, b.Name) }) {
		t.Fatalf("dims not sorted")
	}
	if s.KindDim < 0 || s.KindDim >= len(s.Dims) || s.Dims[s.KindDim].Name != KindDimension {
		t.Fatalf("KindDim %d wrong", s.KindDim)
	}
	for i, d := range s.Dims {
		if i > 0 && s.Dims[i-1].Name == d.Name {
			t.Fatalf("duplicate dimension %q", d.Name)
		}
		if len(d.Codes) != n {
			t.Fatalf("dim %s: %d codes for %d identities", d.Name, len(d.Codes), n)
		}
		for j, v := range d.Values {
			if v == "" || (j > 0 && d.Values[j-1] >= v) {
				t.Fatalf("dim %s: values not sorted unique non-empty: %q", d.Name, d.Values)
			}
		}
		for _, c := range d.Codes {
			if c < -1 || int(c) >= len(d.Values) || (i == s.KindDim && c < 0) {
				t.Fatalf("dim %s: bad code %d", d.Name, c)
			}
		}
		if d.Skipped != (d.SkipReason != "") {
			t.Fatalf("dim %s: Skipped %v with reason %q", d.Name, d.Skipped, d.SkipReason)
		}
	}
	nr := len(s.Roles.IDs)
	for _, col := range [][]string{s.Roles.Category, s.Roles.Application, s.Roles.Description} {
		if len(col) != nr {
			t.Fatalf("roles columns have different lengths")
		}
	}
	if len(s.Roles.Validations) != nr || len(s.Roles.Implicit) != nr {
		t.Fatalf("roles columns have different lengths")
	}
	for r := 1; r < nr; r++ {
		if s.Roles.IDs[r-1] >= s.Roles.IDs[r] {
			t.Fatalf("roles not sorted unique: %q", s.Roles.IDs)
		}
	}
	if len(s.RoleOff) != nr+1 || len(s.IdentOff) != n+1 || s.RoleOff[0] != 0 || s.IdentOff[0] != 0 {
		t.Fatalf("CSR offsets have wrong lengths")
	}
	if int(s.RoleOff[nr]) != len(s.RoleIdx) || int(s.IdentOff[n]) != len(s.IdentIdx) || len(s.RoleIdx) != len(s.IdentIdx) {
		t.Fatalf("CSR sizes disagree")
	}
	pairs := map[[2]int32]bool{}
	for r := range nr {
		h := s.Holders(r)
		for j, i := range h {
			if i < 0 || int(i) >= n || (j > 0 && h[j-1] >= i) {
				t.Fatalf("role %d holders not ascending unique: %v", r, h)
			}
			pairs[[2]int32{i, int32(r)}] = true
		}
	}
	for i := range n {
		rs := s.RolesOf(i)
		for j, r := range rs {
			if r < 0 || int(r) >= nr || (j > 0 && rs[j-1] >= r) {
				t.Fatalf("identity %d roles not ascending unique: %v", i, rs)
			}
			if !pairs[[2]int32{int32(i), r}] {
				t.Fatalf("identity view has (%d,%d) the role view lacks", i, r)
			}
		}
	}
	for j, o := range s.Orphans {
		if seen[o.IdentityID] || o.Role < 0 || int(o.Role) >= nr {
			t.Fatalf("bad orphan %+v", o)
		}
		if j > 0 {
			p := s.Orphans[j-1]
			pk := [3]string{p.IdentityID, p.System, p.AccountID}
			ok := [3]string{o.IdentityID, o.System, o.AccountID}
			if cmpKey(pk, ok) > 0 || (pk == ok && p.Role >= o.Role) {
				t.Fatalf("orphans not sorted unique")
			}
		}
	}
	if s.Findings.OrphanAssignments != len(s.Orphans) {
		t.Fatalf("OrphanAssignments %d != %d orphans", s.Findings.OrphanAssignments, len(s.Orphans))
	}
	if !slices.IsSorted(s.Findings.OrphanIdentities) || len(slices.Compact(slices.Clone(s.Findings.OrphanIdentities))) != len(s.Findings.OrphanIdentities) {
		t.Fatalf("orphan identities not sorted unique")
	}
}

// loadParquetPair writes ids and asg as identities.parquet and assignments.parquet (with
// opts) in a new directory and loads it; a load error fails the test.
func loadParquetPair(t testing.TB, ids, asg tbl, opts ...parquet.WriterOption) (string, *Snapshot) {
	t.Helper()
	dir := t.TempDir()
	writeParquet(t, dir, "identities", ids, opts...)
	writeParquet(t, dir, "assignments", asg, opts...)
	s, err := load(t, dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return dir, s
}

func load(t testing.TB, dir string, opts LoadOptions) (*Snapshot, error) {
	t.Helper()
	s, err := Load(context.Background(), dir, opts)
	if err != nil {
		return nil, err
	}
	checkInvariants(t, s)
	return s, nil
}

// holdings renders the assignments of s as "identity:role" strings, sorted.
func holdings(s *Snapshot) []string {
	var out []string
	for i := range s.IdentityIDs {
		for _, r := range s.RolesOf(i) {
			out = append(out, s.IdentityIDs[i]+":"+s.Roles.IDs[r])
		}
	}
	slices.Sort(out)
	return out
}

// dimValues renders dimension name as one value per identity ("" for none).
func dimValues(t testing.TB, s *Snapshot, name string) []string {
	t.Helper()
	d := s.DimIndex(name)
	if d < 0 {
		t.Fatalf("no dimension %q", name)
	}
	out := make([]string, len(s.IdentityIDs))
	for i, c := range s.Dims[d].Codes {
		if c >= 0 {
			out[i] = s.Dims[d].Values[c]
		}
	}
	return out
}

// cmpKey compares string triples element by element.
func cmpKey(a, b [3]string) int {
	for k := range a {
		if a[k] != b[k] {
			if a[k] < b[k] {
				return -1
			}
			return 1
		}
	}
	return 0
}
