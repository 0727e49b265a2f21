package usage

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/fuzzmin"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // RFC 3339 in UTC, "" for an error
	}{
		{"2026-03-31", "2026-03-31T00:00:00Z"},
		{"2026-03-31T08:15:00Z", "2026-03-31T08:15:00Z"},
		{"2026-03-31T10:15:00+02:00", "2026-03-31T08:15:00Z"},
		{"2026-03-31T08:15:00.25Z", "2026-03-31T08:15:00.25Z"},
		{"2026-03-31T10:15:00.000000001+02:00", "2026-03-31T08:15:00.000000001Z"},
		{"1601-01-01T00:00:00Z", "1601-01-01T00:00:00Z"},
		{"2026-03-31 08:15:00Z", ""},
		{"2026-02-30", ""},
		{"31/03/2026", ""},
		{"2026-3-31", ""},
		{"2026-03-31T08:15:00", ""},
		{"yesterday", ""},
		// Surrounding spaces and tabs are ignored, as in validations: a typed value means
		// the same whatever its spacing (RATIONALE.md, text values); spaces alone are not
		// empty.
		{" 2026-03-31", "2026-03-31T00:00:00Z"},
		{"2026-03-31T08:15:00Z\t", "2026-03-31T08:15:00Z"},
		{"   ", ""},
		{"2026-03-31\n", ""},
		// Refused on purpose (docs/excess-privilege.md#usage): lower-case t and z, which
		// RFC 3339 lets a specification rule out, and a leap second.
		{"2026-03-31t08:15:00Z", ""},
		{"2026-03-31T08:15:00z", ""},
		{"2016-12-31T23:59:60Z", ""},
	} {
		got, err := Parse(c.in)
		if c.want == "" {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || time.Unix(got.Sec, int64(got.Nsec)).UTC().Format(time.RFC3339Nano) != c.want {
			t.Errorf("Parse(%q) = %v, %v; want %s", c.in, got, err, c.want)
		}
	}
}

// TestOf: the threshold by hand. As of 2026-06-30 with 90 days, 2026-04-01 is 90 days
// back (29 days of April, 31 of May, 30 of June): used; 2026-03-31 is 91: unused.
func TestOf(t *testing.T) {
	d := func(s string) Instant { v, _ := Parse(s); return v }
	p := Params{AsOf: d("2026-06-30"), UnusedDays: 90}
	for _, c := range []struct {
		last  Instant
		known bool
		want  State
	}{
		{d("2026-04-01"), true, Used},
		{d("2026-03-31"), true, Unused},
		{d("2026-03-31T23:59:59Z"), true, Unused},
		{d("2026-07-15"), true, Used},
		{Never, true, Unused},
		{d("2026-06-30"), false, Unknown},
		{Never, false, Unknown},
		// Fractions of a second count: half a second more than 90 days is unused.
		{d("2026-03-31T23:59:59.5Z"), true, Unused},
		{d("2026-03-31T23:59:59.999999999Z"), true, Unused},
	} {
		if got := p.Of(c.last, c.known); got != c.want {
			t.Errorf("Of(%s, known=%v) = %v, want %v", Format(c.last), c.known, got, c.want)
		}
	}
}

// TestOfExact: the threshold to the nanosecond, and thresholds too long to count in
// seconds. As of 2026-06-30T00:00:00.5Z, 2026-04-01 (midnight) is half a second more
// than 90 days back, and 2026-04-01T00:00:00.5Z exactly 90 days.
func TestOfExact(t *testing.T) {
	d := func(s string) Instant { v, _ := Parse(s); return v }
	p := Params{AsOf: d("2026-06-30T00:00:00.5Z"), UnusedDays: 90}
	for _, c := range []struct {
		last string
		want State
	}{
		{"2026-04-01", Unused},
		{"2026-04-01T00:00:00.499999999Z", Unused},
		{"2026-04-01T00:00:00.5Z", Used},
		{"2026-04-01T02:00:00.5+02:00", Used},
		{"2026-06-30T00:00:00.6Z", Used},
	} {
		if got := p.Of(d(c.last), true); got != c.want {
			t.Errorf("as of %s: Of(%s) = %v, want %v", Format(p.AsOf), c.last, got, c.want)
		}
	}
	// A threshold of more days than int64 seconds can count holds every date: nothing
	// is unused by age, however old (the product in seconds would overflow).
	for _, days := range []int{math.MaxInt64 / 86400, math.MaxInt64/86400 + 1, math.MaxInt64} {
		p := Params{AsOf: d("9999-12-31T23:59:59Z"), UnusedDays: days}
		if got := p.Of(d("0000-01-01"), true); got != Used {
			t.Errorf("--unused-days %d: Of(0000-01-01) = %v, want used", days, got)
		}
	}
}

// TestFormat: a midnight UTC is a date; any other instant a date-time in UTC with its
// fraction, without trailing zeros.
func TestFormat(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2026-03-31", "2026-03-31"},
		{"2026-03-31T02:00:00+02:00", "2026-03-31"},
		{"2026-03-31T00:00:00.500Z", "2026-03-31T00:00:00.5Z"},
		{"1601-01-01", "1601-01-01"},
		{"1969-12-31T23:59:59.25Z", "1969-12-31T23:59:59.25Z"},
	} {
		v, err := Parse(c.in)
		if err != nil || Format(v) != c.want {
			t.Errorf("Format(Parse(%q)) = %q (%v), want %q", c.in, Format(v), err, c.want)
		}
	}
	if got := Format(Never); got != "" {
		t.Errorf("Format(Never) = %q, want empty", got)
	}
}

// TestParseHints: the forms exports write in place of RFC 3339 are refused with what to
// write instead; other values get the plain message.
func TestParseHints(t *testing.T) {
	for in, want := range map[string]string{
		"never":                   `"never" is not an RFC 3339 date (2006-01-02) or date-time (2006-01-02T15:04:05Z): leave it empty for access never used`,
		"N/A":                     "leave it empty for access never used",
		"0":                       "leave it empty for access never used",
		"  ":                      "a value of spaces alone is not empty",
		"133552800000000000":      "a number (Unix time, Windows FILETIME) is not a date",
		"1711872900":              "a number (Unix time, Windows FILETIME) is not a date",
		"2026-03-31T08:15:00":     "a date-time needs its zone, Z for UTC or an offset such as +02:00",
		"2026-03-31 08:15:00.123": "write T between the date and the time, and its zone",
		"2026-03-31 08:15:00Z":    "write T between the date and the time",
		"31/03/2026":              `"31/03/2026" is not an RFC 3339 date (2006-01-02) or date-time (2006-01-02T15:04:05Z)`,
	} {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q): %v, want %q", in, err, want)
		}
		if in == "31/03/2026" && strings.Contains(err.Error(), ": ") {
			t.Errorf("Parse(%q): %v, want no hint", in, err)
		}
	}
}

// FuzzParse: Parse never panics, and an accepted value is a date or date-time that
// means the same instant when read again from its UTC form.
func FuzzParse(f *testing.F) {
	fuzzmin.Off(f)
	for _, s := range []string{"2026-03-31", "2026-03-31T08:15:00Z", "2026-03-31T10:15:00.5+02:00", "", "x", "2026-13-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		if len(s) < len(time.DateOnly) {
			t.Fatalf("accepted %q, shorter than a date", s)
		}
		back, err := Parse(Format(v))
		if err != nil || back != v {
			t.Fatalf("%q -> %v does not round-trip through %q (%v, %v)", s, v, Format(v), back, err)
		}
	})
}
