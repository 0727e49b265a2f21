package report

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/usage"
)

// Limits of the excess-privilege tables (docs/outputs.md#out-report-html).
const (
	topExcess    = 25
	topFindings  = 25
	topOwners    = 25
	topOverBroad = 25
	// topUsageSystems caps the usage table by system (a feed may name hundreds).
	topUsageSystems = 40
)

// excessPage is what the excess-privilege sections of report.html show for universe
// data, computed once from Bound.Effective: the top of the excess ranking per group,
// the non-human identities with an ownership finding that hold the most, and the
// owners who reach the most through what they own.
type excessPage struct {
	ranked   [2][]excessRow // [0] humans, [1] non-human identities: the top of each
	total    [2]int         // identities with excess privilege per group
	findings []ownershipRow // the top topFindings, most privileged first
	nFinding int
	owners   []ownerReach // the top topOwners
	nOwners  int
	// overBroad lists indices into Model.Rules of the over-broad rules shown, most
	// unused pairs first; nOverBroad counts them all.
	overBroad  []int
	nOverBroad int
}

// newExcessPage computes the excess-privilege sections' data; nil for flat data.
func newExcessPage(ctx context.Context, b *Bound, ruleOf []int32) (*excessPage, error) {
	if b.Effective == nil || b.Snap.Universe == nil {
		return nil, nil
	}
	snap, eff := b.Snap, b.Effective
	cls := &mining.Classification{RuleOf: ruleOf}
	x := &excessPage{}
	rows, err := excessRows(ctx, snap, cls, eff)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		g := 0
		if r.nonHuman {
			g = 1
		}
		x.total[g]++
		if len(x.ranked[g]) < topExcess {
			x.ranked[g] = append(x.ranked[g], r)
		}
	}
	findings, err := sharedOwnershipRows(ctx, snap, cls, eff)
	if err != nil {
		return nil, err
	}
	// The most privileged first, without sorting them all (or changing the shared rows).
	x.nFinding = len(findings)
	for _, k := range firstStable(len(findings), topFindings, func(a, c int) int {
		return cmp.Or(cmp.Compare(findings[c].privilegedRoles, findings[a].privilegedRoles), cmp.Compare(findings[c].roles, findings[a].roles))
	}) {
		x.findings = append(x.findings, findings[k])
	}
	owners, err := ownerReaches(ctx, snap, cls, eff)
	if err != nil {
		return nil, err
	}
	// The top owners in rank order, without ranking all of them (the page lists 25).
	x.nOwners = len(owners)
	for _, k := range firstStable(len(owners), topOwners, func(a, c int) int { return ownerOrder(&owners[a], &owners[c]) }) {
		x.owners = append(x.owners, owners[k])
	}
	x.overBroadRules(b.Model)
	return x, nil
}

// overBroadRules picks the over-broad rules of the model (rules.json over_broad): most
// unused pairs first, then the higher unused share, then rules.json order.
func (x *excessPage) overBroadRules(m *Model) {
	if m.RuleUsage == nil {
		return
	}
	for k, c := range m.RuleUsage {
		if withRuleUsage(RuleRecord{}, c).OverBroad {
			x.overBroad = append(x.overBroad, k)
		}
	}
	x.nOverBroad = len(x.overBroad)
	share := func(k int) float64 { return *withRuleUsage(RuleRecord{}, m.RuleUsage[k]).UnusedPct }
	slices.SortStableFunc(x.overBroad, func(a, c int) int {
		return cmp.Or(cmp.Compare(m.RuleUsage[c].Unused, m.RuleUsage[a].Unused), cmp.Compare(share(c), share(a)))
	})
	x.overBroad = x.overBroad[:min(len(x.overBroad), topOverBroad)]
}

// excessCSS styles the excess-privilege sections: written only on pages that have them,
// so that the page of flat data keeps its bytes.
const excessCSS = `.sw.uk,rect.uk{background:var(--mut);fill:var(--mut);fill-opacity:.45}table.hw th{white-space:normal;vertical-align:bottom}`

// writeExcessRanking writes the top of the excess ranking (excess.csv), humans and
// non-human identities apart, in place of the unexplained-only identities section.
func writeExcessRanking(h *htmlWriter, b *Bound, x *excessPage) {
	snap := b.Snap
	h.f(`<section id="identities"><h2>Excess privilege</h2><p class="note">The top %d of each group of excess.csv. An identity's score counts its effective roles that are unexplained plus those that are unused (an unexplained, unused role counts twice). Each role also weighs 1 + its validations: the unexplained and unused weights add those weights the same way, and ties on the score go to the higher sum of the two weights, then to the higher unexplained weight.`, topExcess)
	if b.Effective.Usage == nil {
		h.WriteString(` The data has no <code>last_used</code> column: the scores count unexplained access only.`)
	}
	h.WriteString(`</p>`)
	for g, title := range []string{"Humans", "Non-human identities"} {
		h.f(`<h3>%s: `, title)
		h.num("excess:"+groupName(g), int64(x.total[g]))
		h.WriteString(` with excess privilege</h3>`)
		if len(x.ranked[g]) == 0 {
			h.WriteString(`<p>None.</p>`)
			continue
		}
		h.WriteString(`<div class="tw"><table class="sortable hw"><thead><tr><th class="r">rank</th><th>identity</th><th>kind</th><th class="r">score</th><th class="r">unexplained weight</th><th class="r">unused weight</th><th class="r">effective roles</th><th class="r">unexplained</th><th class="r">unused</th><th class="r">unknown usage</th></tr></thead><tbody>`)
		for k, r := range x.ranked[g] {
			id := snap.IdentityIDs[r.ident]
			key := "excess:" + id + ":"
			h.WriteString(`<tr>`)
			h.tdNum(key+"rank", int64(k+1))
			h.f(`<td>%s</td><td>%s</td>`, esc(id), esc(snap.Kind(int(r.ident))))
			h.tdNum(key+"excess_score", r.score())
			h.tdNum(key+"unexplained_weight", r.unexplainedWeight)
			h.tdNum(key+"unused_weight", r.unusedWeight)
			h.tdNum(key+"effective_roles", int64(r.roles))
			h.tdNum(key+"unexplained", int64(r.unexplained))
			h.tdNum(key+"unused", int64(r.unused))
			h.tdNum(key+"unknown_usage", int64(r.unknown))
			h.WriteString(`</tr>`)
		}
		h.WriteString(`</tbody></table></div>`)
	}
	h.WriteString(`</section>`)
}

// groupName is excess.csv's group of index g.
func groupName(g int) string {
	if g == 1 {
		return "non_human"
	}
	return "human"
}

// unusedShare is the stale share of c: unused pairs as a percentage of the pairs whose
// usage is known (0 when none is).
func unusedShare(c usage.Counts) float64 { return pct(c.Unused, c.Used+c.Unused) }

// usageBar writes an inline SVG bar of c: used, unused, then unknown, scaled to max.
func (h *htmlWriter) usageBar(c usage.Counts, max int64, keyPrefix string) {
	if max <= 0 {
		max = 1
	}
	h.f(`<svg class="bar" viewBox="0 0 1000 16" preserveAspectRatio="none" role="img" aria-label="%s used, %s unused, %s unknown">`,
		fmtInt(c.Used), fmtInt(c.Unused), fmtInt(c.Unknown))
	x := 0.0
	for _, part := range []struct {
		class, name string
		n           int64
	}{{"ex", "used", c.Used}, {"un", "unused", c.Unused}, {"uk", "unknown", c.Unknown}} {
		w := 1000 * float64(part.n) / float64(max)
		h.f(`<rect class="%s" x="%.1f" y="0" width="%.1f" height="16" data-k="%s.%s" data-v="%d"></rect>`, part.class, x, w, escKey(keyPrefix), part.name, part.n)
		x += w
	}
	h.WriteString(`</svg>`)
}

// writeUsage writes the usage section (data with a last_used column): the effective
// pairs by usage state, overall, by kind and by system, with each one's stale share.
func writeUsage(h *htmlWriter, s *Summary) {
	u := s.Usage
	h.WriteString(`<section id="usage"><h2>Usage</h2>`)
	if u.AsOf == "" {
		h.WriteString(`<p class="flag">Usage unknown: the <code>last_used</code> column holds no date, so no access can be told used or unused.</p><p>`)
	} else {
		h.f(`<p>As of %s, access last used more than `, esc(u.AsOf))
		h.num("usage.unused_days", int64(u.UnusedDays))
		h.WriteString(` days before (or never) is unused. `)
	}
	h.WriteString(`Effective pairs: `)
	h.num("usage.used", u.Used)
	h.WriteString(` used, `)
	h.num("usage.unused", u.Unused)
	h.WriteString(` unused, `)
	h.num("usage.unknown", u.Unknown)
	h.WriteString(` unknown (their system reports no usage; an inherited pair takes the state of the grant it comes through). Stale share: `)
	h.pctf("usage:unused_pct", unusedShare(u.Counts))
	h.WriteString(` of the pairs whose usage is known are unused.</p>`)
	h.WriteString(`<p class="legend">Each bar is 100% of the row's effective pairs: <span class="sw ex"></span> used <span class="sw un"></span> unused <span class="sw uk"></span> unknown</p>`)
	usageTable(h, "kind", "usage.by_kind.", u.ByKind, kindOrder(u.ByKind))
	names := usageSystems(u.BySystem)
	if len(names) < len(u.BySystem) {
		h.f(`<p class="note">The %d of %d systems with no usage data or the most unused pairs (summary.json <code>usage.by_system</code> has them all):</p>`, len(names), len(u.BySystem))
	}
	usageTable(h, "system", "usage.by_system.", u.BySystem, names)
	h.WriteString(`</section>`)
}

// usageSystems returns the systems the usage section lists, at most topUsageSystems:
// those without usage data first, then the most unused pairs, then by name.
func usageSystems(m map[string]*usage.Counts) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	noData := func(c *usage.Counts) bool { return c.Used+c.Unused == 0 }
	slices.SortFunc(names, func(a, c string) int {
		x, y := m[a], m[c]
		return cmp.Or(boolCmp(!noData(x), !noData(y)), cmp.Compare(y.Unused, x.Unused), strings.Compare(a, c))
	})
	return names[:min(len(names), topUsageSystems)]
}

// kindOrder returns the kinds of m, human first, then the others by name.
func kindOrder[T any](m map[string]T) []string {
	kinds := make([]string, 0, len(m))
	for k := range m {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, c string) int {
		return cmp.Or(boolCmp(a != columnar.HumanKind, c != columnar.HumanKind), strings.Compare(a, c))
	})
	return kinds
}

// usageTable writes one table of usage counts, a row per name in order, with its bar
// (100% of the row's pairs) and stale share. A row whose usage is all unknown is
// flagged: its system (or kind) reports no usage.
func usageTable(h *htmlWriter, what, prefix string, m map[string]*usage.Counts, names []string) {
	h.f(`<div class="tw"><table class="sortable hw"><thead><tr><th>%s</th><th class="r">used</th><th class="r">unused</th><th class="r">unknown</th><th class="r">stale share</th><th class="bc">used / unused / unknown</th><th>flag</th></tr></thead><tbody>`, what)
	for _, name := range names {
		c, key := m[name], prefix+name
		h.f(`<tr><td>%s</td>`, esc(name))
		h.tdNum(key+".used", c.Used)
		h.tdNum(key+".unused", c.Unused)
		h.tdNum(key+".unknown", c.Unknown)
		h.tdPct(key+":unused_pct", unusedShare(*c))
		h.WriteString(`<td class="bc">`)
		h.usageBar(*c, c.Used+c.Unused+c.Unknown, key)
		if c.Used+c.Unused == 0 {
			h.WriteString(`</td><td><span class="flag">no usage data</span></td></tr>`)
		} else {
			h.WriteString(`</td><td></td></tr>`)
		}
	}
	h.WriteString(`</tbody></table></div>`)
}

// writeOverBroad writes the over-broad rules (rules.json over_broad): rules most of
// whose matched holders, among those with known usage, do not use the role.
func writeOverBroad(h *htmlWriter, m *Model, x *excessPage) {
	h.WriteString(`<section id="overbroad"><h2>Over-broad rules</h2><p class="note">`)
	h.num("rules:over_broad", int64(x.nOverBroad))
	h.f(` of the `)
	h.num("rules.total", int64(len(m.Rules)))
	h.f(` rules grant mostly unused access: above %d%% of the holders they match (with known usage) do not use the role. The attribute such a rule keys on predicts who has the access, not who needs it. The %d with the most unused holders:</p>`, overBroadPct, len(x.overBroad))
	if len(x.overBroad) == 0 {
		h.WriteString(`<p>None.</p></section>`)
		return
	}
	h.WriteString(`<div class="tw"><table class="sortable hw"><thead><tr><th>role</th><th>criterion</th><th>scope</th><th class="r">used</th><th class="r">unused</th><th class="r">unknown</th><th class="r">unused %</th></tr></thead><tbody>`)
	for _, k := range x.overBroad {
		r, c := &m.Rules[k], m.RuleUsage[k]
		key := "rule:" + r.RuleID + ":"
		h.f(`<tr><td>%s</td><td><code>%s</code></td><td>%s</td>`, esc(r.RoleID), esc(criterionString(r)), esc(r.EntityType))
		h.tdNum(key+"usage.used", c.Used)
		h.tdNum(key+"usage.unused", c.Unused)
		h.tdNum(key+"usage.unknown", c.Unknown)
		h.tdPct(key+"unused_pct", *withRuleUsage(*r, c).UnusedPct)
		h.WriteString(`</tr>`)
	}
	h.WriteString(`</tbody></table></div></section>`)
}

// writeOwnership writes the ownership section (data with an owner_id column): the
// counts of summary.json nhi_ownership, the non-human identities with a finding that
// hold the most privileged roles, and the owners who reach the most through the
// non-human identities they own.
func writeOwnership(h *htmlWriter, s *Summary, snap *columnar.Snapshot, x *excessPage) {
	o := s.NHIOwnership
	h.WriteString(`<section id="ownership"><h2>Ownership of non-human identities</h2><p>Of `)
	h.num("nhi_ownership.non_human", o.NonHuman)
	h.WriteString(` non-human identities, `)
	h.num("nhi_ownership.owned_by_human", o.OwnedByHuman)
	h.WriteString(` are owned by a human; `)
	h.num("nhi_ownership.no_owner", o.NoOwner)
	h.WriteString(` have no owner, `)
	h.num("nhi_ownership.owner_unknown", o.OwnerUnknown)
	h.WriteString(` name an owner absent from identities (mistyped, or gone), and `)
	h.num("nhi_ownership.owner_not_human", o.OwnerNotHuman)
	h.f(` are owned by another non-human identity. ownership.csv lists all of them; below, the %d holding the most privileged roles (2 or more validations).</p>`, len(x.findings))
	if len(x.findings) > 0 {
		h.WriteString(`<div class="tw"><table class="sortable hw"><thead><tr><th>identity</th><th>kind</th><th>owner_id</th><th>finding</th><th class="r">effective roles</th><th class="r">unexplained</th><th class="r">privileged roles</th></tr></thead><tbody>`)
		for _, r := range x.findings {
			id := snap.IdentityIDs[r.ident]
			key := "ownership:" + id + ":"
			h.f(`<tr><td>%s</td><td>%s</td><td>%s</td><td><span class="flag">%s</span></td>`,
				esc(id), esc(snap.Kind(int(r.ident))), esc(snap.Universe.Owners[r.ident]), esc(r.finding))
			h.tdNum(key+"effective_roles", int64(r.roles))
			h.tdNum(key+"unexplained", int64(r.unexplained))
			h.tdNum(key+"privileged_roles", int64(r.privilegedRoles))
			h.WriteString(`</tr>`)
		}
		h.WriteString(`</tbody></table></div>`)
	}
	writeOwners(h, snap, x)
	h.WriteString(`</section>`)
}

// writeOwners writes the owners who reach the most privilege through the non-human
// identities they own.
func writeOwners(h *htmlWriter, snap *columnar.Snapshot, x *excessPage) {
	h.WriteString(`<h3>Privilege reachable through owned non-human identities</h3><p class="note">`)
	h.num("owners:count", int64(x.nOwners))
	h.f(` identities own non-human identities. The %d who reach the most: the distinct roles their non-human identities hold effectively, weighted 1 + validations; how many are privileged; and how many the owner does not hold itself (<code>rolemine explain</code> lists them).</p>`, len(x.owners))
	if len(x.owners) == 0 {
		return
	}
	h.WriteString(`<div class="tw"><table class="sortable hw"><thead><tr><th>owner</th><th>kind</th><th class="r">owns</th><th class="r">roles reachable</th><th class="r">privileged</th><th class="r">not held by the owner</th><th class="r">weight</th></tr></thead><tbody>`)
	for _, r := range x.owners {
		id := snap.IdentityIDs[r.ident]
		key := "owner:" + id + ":"
		h.f(`<tr><td>%s</td><td>%s</td>`, esc(id), esc(snap.Kind(int(r.ident))))
		h.tdNum(key+"owned", int64(r.owned))
		h.tdNum(key+"roles", int64(r.roles))
		h.tdNum(key+"privileged", int64(r.privileged))
		h.tdNum(key+"not_held", int64(r.notHeld))
		h.tdNum(key+"weight", r.weight)
		h.WriteString(`</tr>`)
	}
	h.WriteString(`</tbody></table></div>`)
}

// writeExcessNav adds the links of the universe sections to the page's navigation.
func (p *pageData) writeExcessNav(h *htmlWriter) {
	s := p.sum
	if s.Effective != nil {
		h.WriteString(` <a href="#effective">Effective privilege</a>`)
	}
	if s.Usage != nil {
		h.WriteString(` <a href="#usage">Usage</a> <a href="#overbroad">Over-broad rules</a>`)
	}
	if s.NHIOwnership != nil {
		h.WriteString(` <a href="#ownership">Ownership</a>`)
	}
}
