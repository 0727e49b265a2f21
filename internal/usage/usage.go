// Package usage decides whether access is used, from the last_used dates of assignments
// (docs/excess-privilege.md): it parses the dates, and classifies each pair as used,
// unused or of unknown usage against an as-of date and a threshold in days.
package usage

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Instant is a point in time exact to the nanosecond: Unix seconds and the nanoseconds
// within the second (0 to 999,999,999). Nanoseconds since 1970 in one int64 would only
// reach the years 1678 to 2262, and a last_used may be any RFC 3339 year (AD writes
// 1601-01-01 for never), so the two parts are kept apart.
type Instant struct {
	Sec  int64
	Nsec int32
}

// Never is the last use of access never used (an empty last_used), or of a pair no row
// gives a date.
var Never = Instant{Sec: math.MinInt64}

// Compare returns -1, 0 or +1 as a is before, at or after b.
func (a Instant) Compare(b Instant) int {
	if c := cmp.Compare(a.Sec, b.Sec); c != 0 {
		return c
	}
	return cmp.Compare(a.Nsec, b.Nsec)
}

// DaysBefore returns the whole days (of 24 hours) from t to a, rounded down.
func (a Instant) DaysBefore(t Instant) int64 {
	d := a.Sec - t.Sec
	if a.Nsec < t.Nsec {
		d--
	}
	return d / daySeconds
}

// daySeconds is the length of a day of the threshold: 24 hours.
const daySeconds = 86400

// DefaultUnusedDays is the default of --unused-days.
const DefaultUnusedDays = 90

// State is the usage of one (identity, role) pair.
type State uint8

const (
	// Unknown: the pair's system has no last_used value at all.
	Unknown State = iota
	// Used: last used within the threshold before the as-of date (or after it).
	Used
	// Unused: never used, or last used longer ago than the threshold.
	Unused
)

// String returns the name written in the outputs.
func (s State) String() string {
	switch s {
	case Used:
		return "used"
	case Unused:
		return "unused"
	}
	return "unknown"
}

// Parse reads an RFC 3339 date (2026-03-31, taken as 00:00 UTC) or date-time
// (2026-03-31T08:15:00Z, 2026-03-31T10:15:00+02:00, fractions of a second allowed,
// an upper-case T), with surrounding spaces or tabs ignored as in any typed value of the
// data, and returns the instant, exact to the nanosecond. The error says what was
// expected and, for the forms exports write instead (a date-time without a zone or with a
// space before the time, a number, a word for never), what to write.
func Parse(s string) (Instant, error) {
	v := strings.Trim(s, " \t")
	layout := time.DateOnly
	if len(v) > len(time.DateOnly) {
		layout = time.RFC3339Nano
	}
	t, err := time.Parse(layout, v)
	if err != nil || v == "" {
		return Instant{}, fmt.Errorf("%q is not an RFC 3339 date (2006-01-02) or date-time (2006-01-02T15:04:05Z)%s", s, parseHint(v))
	}
	return Instant{Sec: t.Unix(), Nsec: int32(t.Nanosecond())}, nil
}

// parseHint says, after Parse's error, how to write v when it is one of the forms exports
// write in place of RFC 3339; "" for anything else.
func parseHint(v string) string {
	switch {
	case v == "":
		return ": a value of spaces alone is not empty; leave it empty for access never used"
	case slices.Contains([]string{"never", "none", "n/a", "na", "null", "nil", "-", "0"}, strings.ToLower(v)):
		return ": leave it empty for access never used"
	case len(v) > 8 && strings.Trim(v, "0123456789") == "":
		return ": a number (Unix time, Windows FILETIME) is not a date; convert it to RFC 3339"
	}
	const zone = "its zone, Z for UTC or an offset such as +02:00"
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if _, err := time.Parse(layout, v); err == nil {
			return ": a date-time needs " + zone
		}
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if _, err := time.Parse(layout, v); err == nil {
			return ": write T between the date and the time, and " + zone
		}
	}
	if _, err := time.Parse("2006-01-02 15:04:05Z07:00", v); err == nil {
		return ": write T between the date and the time"
	}
	return ""
}

// Unix returns the instant sec Unix seconds, with no fraction.
func Unix(sec int64) Instant { return Instant{Sec: sec} }

// Format writes an instant as an RFC 3339 date-time in UTC (a date alone at midnight),
// with its fraction of a second when it has one (without trailing zeros), so that Parse
// reads back the same instant; Never as "".
func Format(t Instant) string {
	if t == Never {
		return ""
	}
	u := time.Unix(t.Sec, int64(t.Nsec)).UTC()
	if t.Nsec == 0 && t.Sec%daySeconds == 0 {
		return u.Format(time.DateOnly)
	}
	return u.Format(time.RFC3339Nano)
}

// Params say when access counts as unused: last used more than UnusedDays days before
// AsOf.
type Params struct {
	AsOf       Instant
	UnusedDays int
}

// Of returns the state of a pair last used at lastUsed (Never for never), in a system
// that has (known) or lacks usage data. Access last used exactly UnusedDays days before
// AsOf is still used.
func (p Params) Of(lastUsed Instant, known bool) State {
	switch {
	case !known:
		return Unknown
	case lastUsed == Never:
		return Unused
	case p.olderThanThreshold(lastUsed):
		return Unused
	}
	return Used
}

// olderThanThreshold reports whether t is more than UnusedDays days (of 24 hours) before
// AsOf, to the nanosecond. A threshold longer than any span of int64 seconds holds every
// date (no product that would overflow is formed).
func (p Params) olderThanThreshold(t Instant) bool {
	if p.AsOf == Never || int64(p.UnusedDays) > math.MaxInt64/daySeconds {
		return false
	}
	d, limit := p.AsOf.Sec-t.Sec, int64(p.UnusedDays)*daySeconds
	if d != limit {
		return d > limit
	}
	return p.AsOf.Nsec > t.Nsec
}

// Counts tallies pairs by usage state.
type Counts struct {
	Used    int64 `json:"used"`
	Unused  int64 `json:"unused"`
	Unknown int64 `json:"unknown"`
}

// Add counts one pair of state s.
func (c *Counts) Add(s State) {
	switch s {
	case Used:
		c.Used++
	case Unused:
		c.Unused++
	default:
		c.Unknown++
	}
}
