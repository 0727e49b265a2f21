package harness

import (
	"strings"
	"testing"
)

// TestTargets checks each performance target's mark at its bound and just past it: tier L's
// wall time and peak RSS, the time per assignment against tier M, and both depths against
// DuckDB (an unequal checksum fails a ratio that would otherwise pass).
func TestTargets(t *testing.T) {
	mine := func(wall float64, peak int64, mWall float64) *MineReport {
		return &MineReport{Tiers: []MineTier{
			{Tier: "M", Assignments: 1_000_000, MedianWall: mWall},
			{Tier: "L", Assignments: 10_000_000, MedianWall: wall, PeakRSS: peak},
		}}
	}
	peers := func(r1, r2 float64, equal bool) *PeerReport {
		return &PeerReport{Cases: []PeerCase{{Tier: "M", Depth: 2, Ratio: 1}, {Tier: "L", Depth: 1, Ratio: r1, Equal: equal}, {Tier: "L", Depth: 2, Ratio: r2, Equal: equal}}}
	}
	for _, c := range []struct {
		name  string
		mine  *MineReport
		peers *PeerReport
		want  []string // one mark per line, in order
	}{
		{"all at their bounds", mine(12, 2<<30, 1.0), peers(20, 60, true), []string{"met", "met", "met", "met", "met"}},
		{"wall over", mine(60.5, 1<<30, 6), nil, []string{"**not met**", "met", "met"}},
		{"peak over", mine(10, 2<<30+1, 1), nil, []string{"met", "**not met**", "met"}},
		{"scaling over", mine(12.1, 1<<30, 1.0), nil, []string{"met", "met", "**not met**"}},
		{"depth 2 short", nil, peers(34, 47.4, true), []string{"met", "**not met**"}},
		{"checksums differ", nil, peers(90, 90, false), []string{"**not met**", "**not met**"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := targets(c.mine, c.peers)
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if strings.HasPrefix(line, "- ") {
					got = append(got, line[strings.LastIndex(line, ": ")+2:])
				}
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("marks %q, want %q in\n%s", got, c.want, out)
			}
		})
	}
	if targets(nil, &PeerReport{Cases: []PeerCase{{Tier: "M", Depth: 1}}}) != "" {
		t.Error("targets without tier L should be empty")
	}
}
