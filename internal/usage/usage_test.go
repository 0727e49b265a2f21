package usage

import (
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
		{"2026-03-31T08:15:00.25Z", "2026-03-31T08:15:00Z"},
		{"2026-03-31 08:15:00Z", ""},
		{"2026-02-30", ""},
		{"31/03/2026", ""},
		{"2026-3-31", ""},
		{"2026-03-31T08:15:00", ""},
		{"yesterday", ""},
		{" 2026-03-31", ""},
	} {
		got, err := Parse(c.in)
		if c.want == "" {
			if err == nil {
				t.Errorf("Parse(%q) = %d, want an error", c.in, got)
			}
			continue
		}
		if err != nil || time.Unix(got, 0).UTC().Format(time.RFC3339) != c.want {
			t.Errorf("Parse(%q) = %d, %v; want %s", c.in, got, err, c.want)
		}
	}
}

// TestOf: the threshold by hand. As of 2026-06-30 with 90 days, 2026-04-01 is 90 days
// back (29 days of April, 31 of May, 30 of June): used; 2026-03-31 is 91: unused.
func TestOf(t *testing.T) {
	d := func(s string) int64 { v, _ := Parse(s); return v }
	p := Params{AsOf: d("2026-06-30"), UnusedDays: 90}
	for _, c := range []struct {
		last  int64
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
	} {
		if got := p.Of(c.last, c.known); got != c.want {
			t.Errorf("Of(%s, known=%v) = %v, want %v", Format(c.last), c.known, got, c.want)
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
		back, err := Parse(time.Unix(v, 0).UTC().Format(time.RFC3339))
		if err != nil || back != v {
			t.Fatalf("%q -> %d does not round-trip (%d, %v)", s, v, back, err)
		}
	})
}
