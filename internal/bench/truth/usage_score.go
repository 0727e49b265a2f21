package truth

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/usage"
)

// TopN is how many ranked identities of each group ScoreUsage checks.
const TopN = 100

// UsageFound is what a run reported: summary.json's usage and nhi_ownership, and the
// excess ranking (identity ids in rank order, humans and non-human identities apart).
type UsageFound struct {
	AsOf       string
	UnusedDays int
	usage.Counts
	ByKind, BySystem map[string]*usage.Counts
	Owners           Owners
	Humans, NonHuman []string
	// UsedOnly is set when a mining rule mined used access only; UnusedOnly then counts
	// the direct pairs a rule matches that are unexplained for being unused.
	UsedOnly   bool
	UnusedOnly int64
}

// UsageQuality compares a run with the planted usage truth.
type UsageQuality struct {
	Planted, Found *Usage
	FoundOwners    Owners
	// UsedOnly and UnusedOnly are the run's (UsageFound).
	UsedOnly   bool
	UnusedOnly int64
	// Differ names every count that differs from the truth ("by_kind svc: ..."); empty
	// when usage and ownership are exact.
	Differ []string
	// Top scores the first TopN identities of each group of the excess ranking.
	Top []TopScore
}

// TopScore is one group's head of the excess ranking: Ranked identities (TopN, or fewer
// when fewer have excess), Planted of them planted over-privileged.
type TopScore struct {
	Group           string
	Ranked, Planted int
	Share           float64
}

// ScoreUsage compares found with the truth u.
func ScoreUsage(u *Usage, found *UsageFound) *UsageQuality {
	q := &UsageQuality{Planted: u, FoundOwners: found.Owners, Found: &Usage{AsOf: found.AsOf, UnusedDays: found.UnusedDays,
		Counts: found.Counts, ByKind: found.ByKind, BySystem: found.BySystem},
		UsedOnly: found.UsedOnly, UnusedOnly: found.UnusedOnly}
	if found.AsOf != u.AsOf || found.UnusedDays != u.UnusedDays {
		q.Differ = append(q.Differ, fmt.Sprintf("judged as of %s after %d days, truth as of %s after %d days",
			found.AsOf, found.UnusedDays, u.AsOf, u.UnusedDays))
	}
	q.Differ = append(q.Differ, countsDiffer("overall", map[string]*usage.Counts{"": &u.Counts}, map[string]*usage.Counts{"": &found.Counts})...)
	q.Differ = append(q.Differ, countsDiffer("by_kind", u.ByKind, found.ByKind)...)
	q.Differ = append(q.Differ, countsDiffer("by_system", u.BySystem, found.BySystem)...)
	if u.Owners != found.Owners {
		q.Differ = append(q.Differ, fmt.Sprintf("nhi_ownership: planted %+v, found %+v", u.Owners, found.Owners))
	}
	for _, g := range []struct {
		name string
		ids  []string
	}{{GroupHuman, found.Humans}, {GroupNonHuman, found.NonHuman}} {
		t := TopScore{Group: g.name, Ranked: min(TopN, len(g.ids))}
		for _, id := range g.ids[:t.Ranked] {
			if _, ok := u.Planted[id]; ok {
				t.Planted++
			}
		}
		t.Share = fratio(t.Planted, t.Ranked)
		q.Top = append(q.Top, t)
	}
	return q
}

// countsDiffer lists the keys whose counts differ between planted and found.
func countsDiffer(what string, planted, found map[string]*usage.Counts) []string {
	keys := slices.Sorted(maps.Keys(planted))
	for k := range found {
		if _, ok := planted[k]; !ok {
			keys = append(keys, k)
		}
	}
	var out []string
	for _, k := range keys {
		var p, f usage.Counts
		if c := planted[k]; c != nil {
			p = *c
		}
		if c := found[k]; c != nil {
			f = *c
		}
		if p != f {
			out = append(out, fmt.Sprintf("%s %s: planted %+v, found %+v", what, k, p, f))
		}
	}
	return out
}

func fratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// String renders q for the mine command's output.
func (q *UsageQuality) String() string {
	var b strings.Builder
	p, f := q.Planted, q.Found
	fmt.Fprintf(&b, "usage (planted/found): used %d/%d, unused %d/%d, unknown %d/%d",
		p.Used, f.Used, p.Unused, f.Unused, p.Unknown, f.Unknown)
	if len(q.Differ) == 0 {
		b.WriteString("; by kind, by system and ownership exact\n")
	} else {
		fmt.Fprintf(&b, "; %d differences:\n", len(q.Differ))
		for _, d := range q.Differ {
			fmt.Fprintf(&b, "  %s\n", d)
		}
	}
	if n := p.Used + p.Unused + p.Unknown; n > 0 {
		pct := func(c int64) float64 { return 100 * float64(c) / float64(n) }
		fmt.Fprintf(&b, "planted unused share: %.3f%% of the pairs in all; UsedOnly target %.3f%%: unused access planted rules grant "+
			"(unused_rule_granted; the other %.3f%% is planted noise or project-role access, unexplained either way)\n",
			pct(p.Unused), pct(p.UnusedRuleGranted), pct(p.Unused-p.UnusedRuleGranted))
		if q.UsedOnly {
			fmt.Fprintf(&b, "UsedOnly: %d pairs (%.3f%%) unexplained for being unused, %+.3f points from the target\n",
				q.UnusedOnly, pct(q.UnusedOnly), pct(q.UnusedOnly)-pct(p.UnusedRuleGranted))
		}
	}
	for _, t := range q.Top {
		fmt.Fprintf(&b, "excess top %d %s: %d planted over-privileged (%.1f%%)\n", t.Ranked, t.Group, t.Planted, 100*t.Share)
	}
	return b.String()
}

// Match is one list of found items against its truth: Listed found, Truth planted, Hits
// in both; Precision = Hits/Listed and Recall = Hits/Truth (1 when empty).
type Match struct {
	Listed, Truth, Hits int
	Precision, Recall   float64
}

func (m *Match) finish() { m.Precision, m.Recall = fratio(m.Hits, m.Listed), fratio(m.Hits, m.Truth) }

// ActionQuality scores drift's revoke-unused and reassign-owner actions against the
// usage truth of the new snapshot.
type ActionQuality struct {
	// RevokeUnused: revoke-unused actions against the planted unused direct pairs.
	RevokeUnused Match
	// ReassignOwner: reassign-owner actions against the non-human identities whose
	// owner names no identity; OwnersLeft of those lost their owner in this step, and
	// LeftReassigned of them got the action.
	ReassignOwner              Match
	OwnersLeft, LeftReassigned int
}

// ScoreActions scores the (identity id, role id) pairs of revoke-unused actions and the
// identity ids of reassign-owner actions.
func ScoreActions(u *Usage, revokeUnused [][2]string, reassign []string) *ActionQuality {
	q := &ActionQuality{}
	q.RevokeUnused.Truth = len(u.UnusedPairs)
	for _, k := range revokeUnused {
		q.RevokeUnused.Listed++
		if u.UnusedPairs[k] {
			q.RevokeUnused.Hits++
		}
	}
	for _, f := range u.Findings {
		if f == FindingOwnerUnknown {
			q.ReassignOwner.Truth++
		}
	}
	q.OwnersLeft = len(u.OwnerLeft)
	for _, id := range reassign {
		q.ReassignOwner.Listed++
		if u.Findings[id] == FindingOwnerUnknown {
			q.ReassignOwner.Hits++
		}
		if u.OwnerLeft[id] {
			q.LeftReassigned++
		}
	}
	q.RevokeUnused.finish()
	q.ReassignOwner.finish()
	return q
}

// String renders q for the drift command's output.
func (q *ActionQuality) String() string {
	var b strings.Builder
	line := func(name string, m Match, truth string) {
		fmt.Fprintf(&b, "%-15s %7d listed, %7d %s, precision %.2f%%, recall %.2f%%\n", name, m.Listed, m.Truth, truth, 100*m.Precision, 100*m.Recall)
	}
	line("revoke-unused:", q.RevokeUnused, "unused")
	line("reassign-owner:", q.ReassignOwner, "owner unknown")
	fmt.Fprintf(&b, "                %7d non-human identities whose owner left in this step, %d of them reassigned\n", q.OwnersLeft, q.LeftReassigned)
	return b.String()
}
