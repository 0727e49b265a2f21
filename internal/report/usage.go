package report

import (
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/usage"
)

// The types of summary.json, declared in package model.
type (
	usageSummary = model.UsageSummary
)

// initUsage gives the walker the usage state of every direct pair, computed once per run
// (directStates) and shared by every walker of the run.
func (w *pairWalker) initUsage() {
	u := w.snap.Universe
	if u == nil || u.LastUsed == nil || w.eff == nil || w.eff.Usage == nil {
		return
	}
	w.eff.usageOnce.Do(func() {
		if w.eff.States == nil {
			w.eff.States = w.directStates(w.eff.Usage)
		}
	})
	w.states = w.eff.States
}

// directStates returns the usage state under p of every direct pair, aligned with
// snap.IdentIdx (docs/excess-privilege.md). A pair with a last_used date is judged by
// it; a pair without one is unused in a system with usage data (datedSystems) and of
// unknown usage in any other. Each distinct date is judged once.
func (w *pairWalker) directStates(p *usage.Params) []usage.State {
	u := w.snap.Universe
	known := w.datedSystems()
	byDate := make([]usage.State, len(u.Dates))
	for d, t := range u.Dates {
		byDate[d] = p.Of(t, true)
	}
	never := p.Of(usage.Never, true)
	states := make([]usage.State, len(u.LastUsed))
	for k, d := range u.LastUsed {
		switch {
		case d >= 0:
			states[k] = byDate[d]
		case known[w.systemAt(int64(k))+1]:
			states[k] = never
		}
		// otherwise usage.Unknown, the zero State
	}
	return states
}

// datedSystems returns, by system index + 1 (0 for no system), whether the system has
// usage data: an assignments row of a known identity in it has a last_used date, a
// row being in its account's system, else in its role's application. The rows decide,
// not the pairs: a pair held through accounts in two systems is in the system of the
// smaller account but takes the latest date of all its rows, which must not give that
// system usage data it never sent. A universe loaded without the rows' dates
// (DatedRoles nil) is read from its pairs.
func (w *pairWalker) datedSystems() []bool {
	u := w.snap.Universe
	known := make([]bool, len(w.systemNames)+1)
	if u.DatedRoles == nil {
		for k, d := range u.LastUsed {
			if d >= 0 {
				known[w.systemAt(int64(k))+1] = true
			}
		}
		return known
	}
	for c, dated := range u.DatedSystems {
		if dated {
			known[w.acctSystem[c]+1] = true
		}
	}
	for r, dated := range u.DatedRoles {
		if dated {
			known[w.roleSystem[r]+1] = true
		}
	}
	return known
}

// usageOf returns the usage state of the direct pair at CSR position k.
func (w *pairWalker) usageOf(k int64) usage.State {
	if w.states == nil {
		return usage.Unknown
	}
	return w.states[k]
}

// withUsage adds the usage state to a row of assignments.parquet (none for orphans).
func withUsage(r effectiveRow, v *pairView) effectiveUsageRow {
	row := effectiveUsageRow{
		IdentityID: r.IdentityID, RoleID: r.RoleID, Kind: r.Kind, Status: r.Status, RuleID: r.RuleID,
		System: r.System, AccountID: r.AccountID, Inherited: r.Inherited, Via: r.Via,
		Redundant: r.Redundant, Hidden: r.Hidden,
	}
	if v != nil {
		row.Usage = v.usage.String()
	}
	return row
}

// usageTally is the usage state of every effective pair of a run counted once: overall,
// by kind code and by system (index s+1, 0 for pairs without one), for the usage summary
// and report.html.
type usageTally struct {
	snap     *columnar.Snapshot
	cls      *mining.Classification
	total    usage.Counts
	byKind   []usage.Counts
	bySystem []usage.Counts
	systems  []string
}

// usageTallyOf returns the tally of the run's pairs, walking them on the first call for
// snap and cls and reusing the result after; nil without usage data.
func usageTallyOf(snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) *usageTally {
	if eff == nil || eff.Usage == nil || snap.Universe == nil || snap.Universe.LastUsed == nil {
		return nil
	}
	eff.tallyMu.Lock()
	defer eff.tallyMu.Unlock()
	if t := eff.tally; t != nil && t.snap == snap && t.cls == cls {
		return t
	}
	w := newPairWalker(snap, cls, eff)
	kd := &snap.Dims[snap.KindDim]
	t := &usageTally{
		snap: snap, cls: cls, systems: w.systemNames,
		byKind:   make([]usage.Counts, len(kd.Values)),
		bySystem: make([]usage.Counts, len(w.systemNames)+1),
	}
	for i := range snap.IdentityIDs {
		kind := &t.byKind[kd.Codes[i]]
		w.each(i, func(v *pairView) {
			t.total.Add(v.usage)
			kind.Add(v.usage)
			t.bySystem[v.system+1].Add(v.usage)
		})
	}
	eff.tally = t
	return t
}

// usageSummaryOf counts the effective pairs by usage state; nil without usage data.
func usageSummaryOf(snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) *usageSummary {
	t := usageTallyOf(snap, cls, eff)
	if t == nil {
		return nil
	}
	us := &usageSummary{
		AsOf: usage.Format(eff.Usage.AsOf), UnusedDays: eff.Usage.UnusedDays,
		Counts: t.total, ByKind: map[string]*usage.Counts{}, BySystem: map[string]*usage.Counts{},
	}
	merge := func(m map[string]*usage.Counts, key string, c usage.Counts) {
		if c.Used+c.Unused+c.Unknown == 0 {
			return
		}
		if m[key] == nil {
			m[key] = &usage.Counts{}
		}
		m[key].Used += c.Used
		m[key].Unused += c.Unused
		m[key].Unknown += c.Unknown
	}
	kd := &snap.Dims[snap.KindDim]
	for code, c := range t.byKind {
		merge(us.ByKind, kd.Values[code], c)
	}
	for s, c := range t.bySystem {
		name := noSystem
		if s > 0 {
			name = t.systems[s-1]
		}
		merge(us.BySystem, name, c)
	}
	return us
}

// DefaultAsOf returns the default --as-of: the newest last_used of any assignments row,
// orphan rows included (a date says how recent the export is, whoever's access it is on),
// or usage.Never and false when no row has one (every pair's usage is then unknown).
func DefaultAsOf(snap *columnar.Snapshot) (usage.Instant, bool) {
	u := snap.Universe
	if u == nil || len(u.Dates) == 0 {
		return usage.Never, false
	}
	return u.Dates[len(u.Dates)-1], true
}

// UsageCounts counts the effective pairs of known identities by usage state (all
// unknown without usage data).
func UsageCounts(snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) usage.Counts {
	if us := usageSummaryOf(snap, cls, eff); us != nil {
		return us.Counts
	}
	return usage.Counts{}
}

// overBroadPct is the unused share above which a rule is over-broad: it grants mostly
// access that is not used.
const overBroadPct = 50

// ruleUsageRecord is a rules.json record, for data with usage, with the usage states of
// the rule's matched holders (docs/excess-privilege.md#rule-usage).
type ruleUsageRecord struct {
	ruleRecord
	Usage usage.Counts `json:"usage"`
	// UnusedPct is 100*unused/(used+unused); null when no matched holder has known usage.
	UnusedPct *float64 `json:"unused_pct"`
	OverBroad bool     `json:"over_broad"`
}

// ruleUsageCounts is the rules' usage of one model over one snapshot, counted once for
// rules.json and report.html.
type ruleUsageCounts struct {
	snap   *columnar.Snapshot
	m      *mining.Model
	counts []usage.Counts
}

// ruleUsage counts, per rule, the usage states of its matched holders
// (docs/excess-privilege.md#rule-usage): every effective pair (i, r) of the rule's role r,
// direct or inherited, whose identity i the rule matches (scope and terms), each rule on
// its own, whether the pair is explained, by this rule or another, or not. nil without
// usage data.
func ruleUsage(snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, eff *Effective) []usage.Counts {
	if eff == nil || eff.Usage == nil || snap.Universe == nil || snap.Universe.LastUsed == nil {
		return nil
	}
	eff.ruleUsageMu.Lock()
	defer eff.ruleUsageMu.Unlock()
	if c := eff.ruleUsage; c != nil && c.snap == snap && c.m == m {
		return slices.Clone(c.counts)
	}
	// The rules of role r are m.Rules[first[r]:first[r+1]] (m.Rules is sorted by role).
	first := make([]int, len(snap.Roles.IDs)+1)
	for k := range m.Rules {
		first[m.Rules[k].Role+1]++
	}
	for r := range len(snap.Roles.IDs) {
		first[r+1] += first[r]
	}
	counts := make([]usage.Counts, len(m.Rules))
	w := newPairWalker(snap, cls, eff)
	for i := range snap.IdentityIDs {
		w.each(i, func(v *pairView) {
			lo, hi := matchCandidates(v, first[v.role], first[v.role+1])
			for k := lo; k < hi; k++ {
				if k == int(v.rule) || m.Rules[k].Matches(snap, i) {
					counts[k].Add(v.usage)
				}
			}
		})
	}
	eff.ruleUsage = &ruleUsageCounts{snap: snap, m: m, counts: counts}
	return slices.Clone(counts)
}

// matchCandidates narrows the rules [lo, hi) of pair v's role to those that may match
// its identity, from what the classification found: the rule that explains the pair is
// the first of its role that matches (the earlier ones do not); a pair that is neither
// explained nor unexplained for being unused under UsedOnly matches none. The role's
// rules are [lo, hi) of the model (an inherited pair of a role without rules carries its
// source's rule, which is not one of them); any other pair has them all checked.
func matchCandidates(v *pairView, lo, hi int) (int, int) {
	switch {
	case int(v.rule) >= lo && int(v.rule) < hi:
		return int(v.rule), hi
	case v.rule < 0 && !v.unusedOnly:
		return lo, lo
	}
	return lo, hi
}

// withRuleUsage makes the rules.json record of a rule whose matched holders count c.
func withRuleUsage(rec ruleRecord, c usage.Counts) ruleUsageRecord {
	r := ruleUsageRecord{ruleRecord: rec, Usage: c}
	if known := c.Used + c.Unused; known > 0 {
		pct := round4(100 * float64(c.Unused) / float64(known))
		r.UnusedPct = &pct
		r.OverBroad = pct > overBroadPct
	}
	return r
}

// DirectUsage returns the usage state of every direct pair of snap under p, aligned with
// snap.IdentIdx (all unknown without usage data).
func DirectUsage(snap *columnar.Snapshot, p *usage.Params) []usage.State {
	if snap.Universe == nil || snap.Universe.LastUsed == nil {
		return make([]usage.State, len(snap.IdentIdx))
	}
	return newPairWalker(snap, nil, nil).directStates(p)
}
