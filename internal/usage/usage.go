// Package usage decides whether access is used, from the last_used dates of assignments
// (docs/excess-privilege.md): it parses the dates, and classifies each pair as used,
// unused or of unknown usage against an as-of date and a threshold in days.
package usage

import (
	"fmt"
	"math"
	"time"
)

// Never is the last use of access never used (an empty last_used), or of a pair no row
// gives a date.
const Never int64 = math.MinInt64

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
// an upper-case T) and
// returns it as Unix seconds. The error says what was expected.
func Parse(s string) (int64, error) {
	layout := time.DateOnly
	if len(s) > len(time.DateOnly) {
		layout = time.RFC3339Nano
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return 0, fmt.Errorf("%q is not an RFC 3339 date (2006-01-02) or date-time (2006-01-02T15:04:05Z)", s)
	}
	return t.Unix(), nil
}

// Format writes Unix seconds as an RFC 3339 date-time in UTC (a date alone at midnight);
// Never as "".
func Format(sec int64) string {
	if sec == Never {
		return ""
	}
	t := time.Unix(sec, 0).UTC()
	if sec%86400 == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339)
}

// Params say when access counts as unused: last used more than UnusedDays days before
// AsOf (Unix seconds).
type Params struct {
	AsOf       int64
	UnusedDays int
}

// Of returns the state of a pair last used at lastUsed (Never for never), in a system
// that has (known) or lacks usage data. Access last used exactly UnusedDays days before
// AsOf is still used.
func (p Params) Of(lastUsed int64, known bool) State {
	switch {
	case !known:
		return Unknown
	case lastUsed == Never:
		return Unused
	case p.AsOf-lastUsed > int64(p.UnusedDays)*86400:
		return Unused
	}
	return Used
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
