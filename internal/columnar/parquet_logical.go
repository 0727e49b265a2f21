package columnar

import (
	"fmt"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// intKind says how the values of an integer Parquet column are written as text
// (docs/inputs.md, input-parquet).
type intKind uint8

const (
	intSigned    intKind = iota // the decimal text of the signed value
	intUnsigned                 // UINT_32, UINT_64: the decimal text of the unsigned value
	intDate                     // DATE (days since 1970-01-01): 2026-03-31
	intTimestamp                // TIMESTAMP: RFC 3339 in UTC, 2026-03-31T08:15:00.5Z
	intDecimal                  // DECIMAL(p, s): the exact decimal text, 123.45
)

// intText is the choice made once per integer column: its kind, and for a timestamp the
// units in a second and nanoseconds in a unit, for a decimal its scale. A timestamp not
// adjusted to UTC (a wall-clock time in no zone) is written as if its clock were UTC, with
// the Z: internal/usage.Parse, which reads assignments.last_used, needs a zone, and a
// Parquet local timestamp stores its wall clock counted as UTC from 1970.
type intText struct {
	kind   intKind
	perSec int64 // a TIMESTAMP's units per second
	nsUnit int64 // a TIMESTAMP's nanoseconds per unit
	scale  int   // a DECIMAL's digits after the point
}

// intTextOf chooses how the integer values of a column of type t are written, from its
// logical type (or, for the unsigned types only, the legacy converted type when there is
// none).
func intTextOf(t parquet.Type) intText {
	if lt := t.LogicalType(); lt != nil && lt.Value != nil {
		switch v := lt.Value.(type) {
		case *format.IntType:
			if !v.IsSigned {
				return intText{kind: intUnsigned}
			}
		case *format.DateType:
			return intText{kind: intDate}
		case *format.TimestampType:
			if v.Unit.Value != nil {
				ns := int64(v.Unit.Value.Duration())
				return intText{kind: intTimestamp, perSec: int64(time.Second) / ns, nsUnit: ns}
			}
		case *format.DecimalType:
			return intText{kind: intDecimal, scale: int(v.Scale)}
		}
		return intText{}
	}
	if ct := t.ConvertedType(); ct != nil {
		switch *ct {
		case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32, deprecated.Uint64:
			return intText{kind: intUnsigned}
		}
	}
	return intText{}
}

// appendLogical appends v's text for a DATE, TIMESTAMP or DECIMAL column to b.
func (x intText) appendLogical(b []byte, v int64) []byte {
	switch x.kind {
	case intDate:
		return time.Unix(v*86400, 0).UTC().AppendFormat(b, time.DateOnly)
	case intTimestamp:
		return time.Unix(v/x.perSec, (v%x.perSec)*x.nsUnit).UTC().AppendFormat(b, time.RFC3339Nano)
	case intDecimal:
		return appendDecimal(b, v, x.scale)
	}
	return strconv.AppendInt(b, v, 10)
}

// appendDecimal appends the exact decimal text of v * 10^-scale: every digit of the scale,
// a 0 before the point when there is no other, no exponent.
func appendDecimal(b []byte, v int64, scale int) []byte {
	start := len(b)
	b = strconv.AppendInt(b, v, 10)
	if scale == 0 {
		return b
	}
	digits := b[start:]
	neg := digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	var tmp [40]byte
	d := append(tmp[:0], digits...)
	b = b[:start]
	if neg {
		b = append(b, '-')
	}
	if len(d) <= scale {
		b = append(b, '0', '.')
		for range scale - len(d) {
			b = append(b, '0')
		}
		return append(b, d...)
	}
	b = append(b, d[:len(d)-scale]...)
	b = append(b, '.')
	return append(b, d[len(d)-scale:]...)
}

// checkDecimal refuses a DECIMAL column that is not stored as INT32 or INT64 (the byte
// array forms) or whose scale is out of range.
func checkDecimal(file string, c *parquet.Column) error {
	lt := c.Type().LogicalType()
	if lt == nil {
		return nil
	}
	dt, ok := lt.Value.(*format.DecimalType)
	if !ok {
		return nil
	}
	if k := c.Type().Kind(); k != parquet.Int32 && k != parquet.Int64 {
		return fmt.Errorf("%s column %s: is a DECIMAL stored as %s; rolemine reads DECIMAL columns stored as INT32 or INT64 (precision up to 18), or the value as a string", file, c.Name(), k)
	}
	if dt.Scale < 0 || dt.Scale > 18 {
		return fmt.Errorf("%s column %s: is a DECIMAL with scale %d; expected a scale from 0 to 18", file, c.Name(), dt.Scale)
	}
	return nil
}
