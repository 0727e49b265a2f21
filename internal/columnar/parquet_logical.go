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
	intTime                     // TIME (of day): 08:15:00, 08:15:00.5
)

// intText is the choice made once per integer column: its kind, and for a timestamp the
// units in a second and nanoseconds in a unit, for a decimal its scale. A timestamp not
// adjusted to UTC (a wall-clock time in no zone) is written as if its clock were UTC, with
// the Z: internal/usage.Parse, which reads assignments.last_used, needs a zone, and a
// Parquet local timestamp stores its wall clock counted as UTC from 1970.
type intText struct {
	kind   intKind
	perSec int64 // a TIMESTAMP's or TIME's units per second
	nsUnit int64 // a TIMESTAMP's or TIME's nanoseconds per unit
	scale  int   // a DECIMAL's digits after the point
}

// intTextOf chooses how the integer values of a column of type t are written, from its
// logical type. parquet-go gives a column with only a legacy converted type (DATE,
// TIMESTAMP_MILLIS, TIME_MICROS, DECIMAL, INT_8, UINT_64, ...) the logical type it stands
// for, so such a column reads as its logical counterpart; the unsigned converted types are
// also checked here in case a type reports one without the other.
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
		case *format.TimeType:
			if v.Unit.Value != nil {
				ns := int64(v.Unit.Value.Duration())
				return intText{kind: intTime, perSec: int64(time.Second) / ns, nsUnit: ns}
			}
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

// appendLogical appends v's text for a DATE, TIMESTAMP, DECIMAL or TIME column to b.
func (x intText) appendLogical(b []byte, v int64) []byte {
	switch x.kind {
	case intDate:
		return time.Unix(v*86400, 0).UTC().AppendFormat(b, time.DateOnly)
	case intTimestamp:
		return time.Unix(v/x.perSec, (v%x.perSec)*x.nsUnit).UTC().AppendFormat(b, time.RFC3339Nano)
	case intDecimal:
		return appendDecimal(b, v, x.scale)
	case intTime:
		return appendTimeOfDay(b, v, x.perSec, x.nsUnit)
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
	return placePoint(b, start, scale)
}

// placePoint puts the decimal point scale digits from the right into the integer text
// b[start:] (a sign, then digits), with a 0 before the point when no digit is left there.
func placePoint(b []byte, start, scale int) []byte {
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

// checkDecimal checks a DECIMAL column: on INT32 or INT64 a scale from 0 to 18; stored as
// bytes, what checkWideDecimal asks.
func checkDecimal(file string, c *parquet.Column) error {
	lt := c.Type().LogicalType()
	if lt == nil {
		return nil
	}
	dt, ok := lt.Value.(*format.DecimalType)
	if !ok {
		return nil
	}
	switch k := c.Type().Kind(); k {
	case parquet.Int32, parquet.Int64:
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return checkWideDecimal(file, c, dt)
	default:
		return fmt.Errorf("%s column %s: is a DECIMAL stored as %s; expected INT32, INT64, BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY", file, c.Name(), k)
	}
	if dt.Scale < 0 || dt.Scale > 18 {
		return fmt.Errorf("%s column %s: is a DECIMAL with scale %d; expected a scale from 0 to 18", file, c.Name(), dt.Scale)
	}
	return nil
}

// appendTimeOfDay appends the text of a TIME value v (units since midnight, perSec a
// second, nsUnit nanoseconds each): 08:15:00, with a fraction only when it is not zero
// and no trailing zeros (08:15:00.5), as RFC 3339 writes a timestamp's time. A value
// outside the day, which the format does not allow, is written the same way: 24:00:00 or
// more hours, or a minus sign before a negative one.
func appendTimeOfDay(b []byte, v, perSec, nsUnit int64) []byte {
	u := uint64(v)
	if v < 0 {
		b = append(b, '-')
		u = -u
	}
	sec, frac := u/uint64(perSec), (u%uint64(perSec))*uint64(nsUnit)
	if h := sec / 3600; h < 10 {
		b = append(b, '0', byte('0'+h))
	} else {
		b = strconv.AppendUint(b, h, 10)
	}
	b = append(b, ':', byte('0'+sec/600%6), byte('0'+sec/60%10), ':', byte('0'+sec%60/10), byte('0'+sec%10))
	if frac == 0 {
		return b
	}
	var ns [10]byte
	ns[0] = '.'
	for i := 9; i >= 1; i-- {
		ns[i] = byte('0' + frac%10)
		frac /= 10
	}
	end := 10
	for ns[end-1] == '0' {
		end--
	}
	return append(b, ns[:end]...)
}
