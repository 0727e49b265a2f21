package columnar

import (
	"fmt"
	"math/big"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// kindWide is the pageDecoder kind of a column whose stored values are turned into text
// by wideText: INT96 timestamps, DECIMALs stored as BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY,
// UUIDs and BOOLEANs (docs/inputs.md, input-parquet). It is no Parquet kind: the choice
// is made once per column, so the string and integer cases of the page switches never
// test for these forms.
const kindWide parquet.Kind = -1

// maxDecimalBytes bounds a DECIMAL stored as bytes, and maxDecimalDigits its precision:
// 128 bytes of two's complement hold every integer of 307 digits.
const (
	maxDecimalBytes  = 128
	maxDecimalDigits = 307
)

// julianUnixDay is the Julian day number of 1970-01-01, the day INT96 timestamps count from.
const julianUnixDay = 2440588

// uuidBytes is the length of a UUID: FIXED_LEN_BYTE_ARRAY(16).
const uuidBytes = 16

// wideText is the choice made once per INT96, byte-stored DECIMAL, UUID or BOOLEAN
// column: the stored values' physical kind and, for a decimal, its scale.
type wideText struct {
	phys  parquet.Kind // Int96, ByteArray, FixedLenByteArray or Boolean
	scale int          // a DECIMAL's digits after the point
	uuid  bool         // a FIXED_LEN_BYTE_ARRAY(16) UUID, not a DECIMAL
}

// wideTextOf says whether a column of type t is read through wideText: an INT96 or
// BOOLEAN column, a DECIMAL stored as BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY (from its
// logical type, or from the legacy converted type, which parquet-go turns into the same
// logical type), or a UUID (FIXED_LEN_BYTE_ARRAY(16) with the UUID logical type).
func wideTextOf(t parquet.Type) (wideText, bool) {
	switch k := t.Kind(); k {
	case parquet.Int96, parquet.Boolean:
		return wideText{phys: k}, true
	case parquet.ByteArray, parquet.FixedLenByteArray:
		lt := t.LogicalType()
		if lt == nil {
			break
		}
		switch v := lt.Value.(type) {
		case *format.DecimalType:
			return wideText{phys: k, scale: int(v.Scale)}, true
		case *format.UUIDType:
			if k == parquet.FixedLenByteArray && t.Length() == uuidBytes {
				return wideText{phys: k, uuid: true}, true
			}
		}
	}
	return wideText{}, false
}

// texts returns the number of values in data (a page's or a dictionary's) and a function
// that appends the text of value i to b. count is the number of values data holds, which
// only BOOLEAN's bit-packed values need to be told. A byte-stored DECIMAL value longer
// than maxDecimalBytes is an error.
func (w wideText) texts(data *encoding.Values, count int) (int, func(b []byte, i int) []byte, error) {
	switch {
	case w.phys == parquet.Boolean:
		bits := data.Boolean()
		if count < 0 || count > 8*len(bits) {
			return 0, nil, fmt.Errorf("%d BOOLEAN values in %d bytes", count, len(bits))
		}
		return count, func(b []byte, i int) []byte { return appendBool(b, bits[i>>3]>>(i&7)&1 != 0) }, nil
	case w.uuid:
		vals, size := data.FixedLenByteArray()
		if size != uuidBytes {
			return 0, nil, fmt.Errorf("UUID values of %d bytes; expected %d", size, uuidBytes)
		}
		return len(vals) / size, func(b []byte, i int) []byte { return appendUUID(b, vals[i*size:(i+1)*size]) }, nil
	}
	switch w.phys {
	case parquet.Int96:
		v := data.Int96()
		return len(v), func(b []byte, i int) []byte { return appendInt96(b, v[i]) }, nil
	case parquet.ByteArray:
		vals, offs := data.ByteArray()
		n := max(len(offs)-1, 0)
		for i := range n {
			if l := offs[i+1] - offs[i]; l > maxDecimalBytes {
				return 0, nil, fmt.Errorf("a DECIMAL value of %d bytes; expected at most %d", l, maxDecimalBytes)
			}
		}
		return n, func(b []byte, i int) []byte {
			return appendByteDecimal(b, vals[offs[i]:offs[i+1]], w.scale)
		}, nil
	case parquet.FixedLenByteArray:
		vals, size := data.FixedLenByteArray()
		if size <= 0 || size > maxDecimalBytes {
			return 0, nil, fmt.Errorf("DECIMAL values of %d bytes; expected 1 to %d", size, maxDecimalBytes)
		}
		return len(vals) / size, func(b []byte, i int) []byte {
			return appendByteDecimal(b, vals[i*size:(i+1)*size], w.scale)
		}, nil
	}
	return 0, nil, fmt.Errorf("unsupported physical type %s", w.phys)
}

// appendInt96 appends the RFC 3339 UTC text of an INT96 timestamp (as TIMESTAMP columns
// are written): its first 8 bytes (little-endian) count nanoseconds in the day, its last
// 4 the Julian day. deprecated.Int96 holds the 12 bytes as three little-endian words.
func appendInt96(b []byte, v deprecated.Int96) []byte {
	ns := int64(uint64(v[1])<<32 | uint64(v[0]))
	day := int64(int32(v[2]))
	return time.Unix((day-julianUnixDay)*86400, ns).UTC().AppendFormat(b, time.RFC3339Nano)
}

// appendBool appends a BOOLEAN's text: true or false.
func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendUUID appends the canonical text of the 16 bytes of a UUID: 32 lowercase hex
// digits in groups of 8, 4, 4, 4 and 12 joined by hyphens (RFC 9562), as DuckDB, Spark and
// PostgreSQL write a UUID as text.
func appendUUID(b, v []byte) []byte {
	const hexDigits = "0123456789abcdef"
	for i, c := range v {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

// appendByteDecimal appends the exact decimal text of v * 10^-scale, v a big-endian two's
// complement integer (a DECIMAL stored as bytes). Up to 8 bytes it goes through int64 as
// the INT32 and INT64 decimals do; math/big only for wider values. An empty v appends
// nothing (the row reads as empty).
func appendByteDecimal(b, v []byte, scale int) []byte {
	if len(v) == 0 {
		return b
	}
	if len(v) <= 8 {
		x := int64(int8(v[0])) // sign-extended
		for _, c := range v[1:] {
			x = x<<8 | int64(c)
		}
		return appendDecimal(b, x, scale)
	}
	n := new(big.Int).SetBytes(v)
	if v[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(v))))
	}
	start := len(b)
	b = n.Append(b, 10)
	if scale == 0 {
		return b
	}
	return placePoint(b, start, scale)
}

// checkWideDecimal checks a DECIMAL stored as bytes: scale from 0 to the precision, a
// precision of at most maxDecimalDigits, fixed-length values of at most maxDecimalBytes.
func checkWideDecimal(file string, c *parquet.Column, dt *format.DecimalType) error {
	if dt.Precision < 1 || dt.Precision > maxDecimalDigits || dt.Scale < 0 || dt.Scale > dt.Precision {
		return fmt.Errorf("%s column %s: is a DECIMAL(%d, %d) stored as %s; expected a precision from 1 to %d and a scale from 0 to the precision",
			file, c.Name(), dt.Precision, dt.Scale, c.Type().Kind(), maxDecimalDigits)
	}
	if c.Type().Kind() == parquet.FixedLenByteArray {
		if n := c.Type().Length(); n < 1 || n > maxDecimalBytes {
			return fmt.Errorf("%s column %s: is a DECIMAL stored as FIXED_LEN_BYTE_ARRAY(%d); expected 1 to %d bytes", file, c.Name(), n, maxDecimalBytes)
		}
	}
	return nil
}

// expectedTypes ends the message refusing a column of a type rolemine does not read.
const expectedTypes = "expected a string (BYTE_ARRAY), integer (INT32, INT64), BOOLEAN, INT96 timestamp, DECIMAL or UUID column"
