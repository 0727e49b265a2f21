package pipeline

import (
	"strings"
	"testing"

	lastused "github.com/rolemine/rolemine/internal/usage"
)

// TestPrintUsage: the usage line names the as-of and the threshold, and says there is no
// as-of rather than printing an empty one when the data has no date.
func TestPrintUsage(t *testing.T) {
	asOf, _ := lastused.Parse("2026-06-30")
	for _, c := range []struct {
		p    lastused.Params
		want string
	}{
		{lastused.Params{AsOf: asOf, UnusedDays: 90}, "  usage: 1 used, 2 unused, 3 unknown (as of 2026-06-30, unused after 90 days)\n"},
		{lastused.Params{AsOf: lastused.Never, UnusedDays: 90}, "  usage: 1 used, 2 unused, 3 unknown (no last_used date in the data: no as-of)\n"},
	} {
		var b strings.Builder
		printUsage(&b, &c.p, lastused.Counts{Used: 1, Unused: 2, Unknown: 3})
		if b.String() != c.want {
			t.Errorf("printUsage = %q, want %q", b.String(), c.want)
		}
	}
}
