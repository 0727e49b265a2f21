package report

import (
	"cmp"
	"context"
	"fmt"
	"html"
	"io"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Limits of the report's tables; charts and aggregate tables show everything.
const (
	topUnexplainedRoles = 30
	topIdentities       = 25
	lowRules            = 25
	// An application (entitlement source) is flagged when its explained share is this
	// many points below the overall share, with at least lowAppMinAssignments assignments.
	lowAppGapPoints      = 20
	lowAppMinAssignments = 20
)

// ContentSecurityPolicy is the policy report.html declares: nothing may be fetched, only
// the page's own inline style and script run, images only from data: URLs.
const ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

// counts is an explained/unexplained split of assignments.
type counts struct {
	label                string
	holders, explained   int64
	roles                int64
	keyPrefix            string
	flagged, nonHuman    bool
	unexplainedKey, note string
}

func (c *counts) unexplained() int64 { return c.holders - c.explained }

// pageData is everything report.html shows, computed once.
type pageData struct {
	b          *Bound
	sum        *Summary
	kinds      []string // human first, then non-human kinds by name
	categories []counts
	apps       []counts
	overallPct float64
	outcomes   []outcomeCount
	idents     [2][]identCount // [0] humans, [1] non-human identities
	// x holds the excess-privilege sections (universe data); nil otherwise.
	x *excessPage
}

type outcomeCount struct {
	label   string
	covered bool
	n       int64
}

type identCount struct {
	ident              int32
	held, unexplained  int64
	validationsOfUnexp int64
}

// reasonNumbers turns "best set reaches precision 93.10% < 97%" into a class label.
var reasonNumbers = regexp.MustCompile(`precision [0-9.]+% <`)

// outcomeLabel classes a role: the mining rule that covered it, or its reason without
// role-specific details.
func outcomeLabel(rec *RoleRecord) string {
	if rec.Covered && rec.MiningRule != nil {
		return fmt.Sprintf("covered by MiningRule#%d (policy %s)", rec.MiningRule.Index+1, rec.MiningRule.Policy)
	}
	label, _, _ := strings.Cut(rec.Reason, " (")
	label = reasonNumbers.ReplaceAllString(label, "precision <")
	if label == "" {
		label = "no rule"
	}
	return label
}

func newPageData(ctx context.Context, b *Bound, ruleOf []int32) (*pageData, error) {
	if b.Model.Summary == nil {
		return nil, fmt.Errorf("report: the model has no summary")
	}
	if len(ruleOf) != len(b.Snap.IdentIdx) {
		return nil, fmt.Errorf("report: %d statuses for %d assignments", len(ruleOf), len(b.Snap.IdentIdx))
	}
	p := &pageData{b: b, sum: b.Model.Summary, overallPct: b.Model.Summary.Assignments.ExplainedPct}
	for k := range p.sum.Assignments.ByKind {
		p.kinds = append(p.kinds, k)
	}
	slices.SortFunc(p.kinds, func(a, c string) int {
		return cmp.Or(boolCmp(a != "human", c != "human"), strings.Compare(a, c))
	})
	p.countRoles()
	var err error
	if p.x, err = newExcessPage(ctx, b, ruleOf); err != nil {
		return nil, err
	}
	// A universe's page ranks identities by excess privilege (p.x) in place of the
	// unexplained-only top lists: those are made only for the pages that show them.
	if p.x == nil {
		if err := p.rankIdentities(ctx, ruleOf); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// countRoles counts categories, applications and outcomes from roles.json: a role's
// explained assignments are its TP (its rules carry its mining rule's scope), the rest of
// its holders are unexplained.
func (p *pageData) countRoles() {
	cats, apps := map[string]*counts{}, map[string]*counts{}
	outc := map[string]*outcomeCount{}
	for k := range p.b.Model.Roles {
		rec := &p.b.Model.Roles[k]
		for _, agg := range []struct {
			m      map[string]*counts
			name   string
			prefix string
		}{{cats, rec.Category, "category"}, {apps, rec.Application, "application"}} {
			c := agg.m[agg.name]
			if c == nil {
				label := agg.name
				if label == "" {
					label = "(none)"
				}
				c = &counts{label: label, keyPrefix: agg.prefix + ":" + agg.name}
				agg.m[agg.name] = c
			}
			c.roles++
			c.holders += rec.Holders
			c.explained += rec.TP
		}
		l := outcomeLabel(rec)
		if outc[l] == nil {
			outc[l] = &outcomeCount{label: l, covered: rec.Covered}
		}
		outc[l].n++
	}
	byShare := func(a, c counts) int {
		return cmp.Or(cmp.Compare(share(a), share(c)), cmp.Compare(c.holders, a.holders), strings.Compare(a.label, c.label))
	}
	for _, c := range cats {
		p.categories = append(p.categories, *c)
	}
	slices.SortFunc(p.categories, byShare)
	for _, c := range apps {
		c.flagged = c.holders >= lowAppMinAssignments && share(*c) < p.overallPct-lowAppGapPoints
		p.apps = append(p.apps, *c)
	}
	slices.SortFunc(p.apps, byShare)
	for _, o := range outc {
		p.outcomes = append(p.outcomes, *o)
	}
	slices.SortFunc(p.outcomes, func(a, c outcomeCount) int {
		return cmp.Or(boolCmp(!a.covered, !c.covered), cmp.Compare(c.n, a.n), strings.Compare(a.label, c.label))
	})
}

// rankIdentities keeps the identities with the most unexplained assignments (then the most
// validations among them), humans and non-humans apart, topIdentities of each.
func (p *pageData) rankIdentities(ctx context.Context, ruleOf []int32) error {
	snap := p.b.Snap
	for i := range snap.NumIdentities() {
		if i&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		ic := identCount{ident: int32(i), held: snap.IdentOff[i+1] - snap.IdentOff[i]}
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			if ruleOf[k] < 0 {
				ic.unexplained++
				if r := snap.IdentIdx[k]; int(r) < len(snap.Roles.Validations) {
					ic.validationsOfUnexp += int64(snap.Roles.Validations[r])
				}
			}
		}
		if ic.unexplained == 0 {
			continue
		}
		g := 0
		if snap.Kind(i) != "human" {
			g = 1
		}
		p.idents[g] = keepTop(p.idents[g], ic, topIdentities)
	}
	return nil
}

// identRank orders identities for the report's top lists: most unexplained assignments
// first, then the most validations among them, then in identities-file order.
func identRank(a, c identCount) int {
	return cmp.Or(cmp.Compare(c.unexplained, a.unexplained), cmp.Compare(c.validationsOfUnexp, a.validationsOfUnexp), cmp.Compare(a.ident, c.ident))
}

// keepTop adds ic to top, the first n identities in identRank order met so far (sorted),
// and returns it: the first n of all of them sorted, without sorting all of them.
func keepTop(top []identCount, ic identCount, n int) []identCount {
	if len(top) == n && identRank(ic, top[n-1]) >= 0 {
		return top
	}
	at, _ := slices.BinarySearchFunc(top, ic, identRank)
	if len(top) < n {
		top = append(top, identCount{})
	}
	copy(top[at+1:], top[at:len(top)-1])
	top[at] = ic
	return top
}

// firstStable returns the first k of the indices 0..n-1 in their stable order by cmp (the
// prefix of slices.SortStableFunc's order, equal ones in index order), keeping the k
// first met so far sorted instead of sorting all n: the report lists a few of tens of
// thousands of rules and roles.
func firstStable(n, k int, cmp func(a, b int) int) []int {
	if k <= 0 {
		return []int{}
	}
	top := make([]int, 0, min(n, k)+1)
	for i := range n {
		if len(top) == k && cmp(i, top[k-1]) >= 0 {
			continue // after the last kept: equal ones come in index order
		}
		// After every kept index that i does not precede.
		at := sort.Search(len(top), func(j int) bool { return cmp(i, top[j]) < 0 })
		top = slices.Insert(top, at, i)
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}

// share is the explained percentage of c's assignments (0 for none).
func share(c counts) float64 { return pct(c.explained, c.holders) }

// WriteHTML writes report.html: one self-contained page (inline CSS, SVG and script, no
// network) over the model's records and the classification ruleOf (Bound.Classify or
// mining.Classification.RuleOf). Every figure taken from summary.json or roles.json
// carries data-k naming its source, so tests can hold the page against those files.
func (b *Bound) WriteHTML(ctx context.Context, w io.Writer, ruleOf []int32) error {
	p, err := newPageData(ctx, b, ruleOf)
	if err != nil {
		return err
	}
	var h htmlWriter
	p.write(&h)
	_, err = io.WriteString(w, h.String())
	return err
}

// htmlWriter is a strings.Builder with escaping helpers.
type htmlWriter struct{ strings.Builder }

func (h *htmlWriter) f(format string, args ...any) { fmt.Fprintf(&h.Builder, format, args...) }

// esc escapes text and attribute values, and shows each Unicode bidirectional control
// (U+202E and the like, [unicode.Bidi_Control]) as its Go escape, \u202e: left in, one
// would reorder the text after it, so that a value "\u202eevil" would read "live".
func esc(s string) string {
	if strings.ContainsFunc(s, isBidiControl) {
		var b strings.Builder
		for _, r := range s {
			if isBidiControl(r) {
				fmt.Fprintf(&b, `\u%04x`, r)
				continue
			}
			b.WriteRune(r)
		}
		s = b.String()
	}
	return html.EscapeString(s)
}

// isBidiControl reports whether r is a Unicode bidirectional control character.
func isBidiControl(r rune) bool { return unicode.Is(unicode.Bidi_Control, r) }

// escKey escapes a data-k key as it is: keys name the model files' entries, so the
// tests that hold each figure against those files find the ids unchanged.
func escKey(s string) string { return html.EscapeString(s) }

// fmtInt renders n with thousands separators.
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for k, c := range s {
		if k > 0 && (len(s)-k)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtPct renders a percentage with two decimals.
func fmtPct(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "%" }

// num writes an integer figure with its source key and exact value.
func (h *htmlWriter) num(key string, n int64) {
	h.f(`<span class="n" data-k="%s" data-v="%d">%s</span>`, escKey(key), n, fmtInt(n))
}

// pctf writes a percentage figure with its source key and exact value.
func (h *htmlWriter) pctf(key string, v float64) {
	h.f(`<span class="n" data-k="%s" data-v="%s">%s</span>`, escKey(key), strconv.FormatFloat(v, 'f', -1, 64), fmtPct(v))
}

// tdNum and tdPct are table cells holding a figure (sortable by data-v).
func (h *htmlWriter) tdNum(key string, n int64) {
	h.f(`<td class="r" data-v="%d">`, n)
	if key != "" {
		h.num(key, n)
	} else {
		h.WriteString(fmtInt(n))
	}
	h.WriteString("</td>")
}

func (h *htmlWriter) tdPct(key string, v float64) {
	h.f(`<td class="r" data-v="%s">`, strconv.FormatFloat(v, 'f', -1, 64))
	if key != "" {
		h.pctf(key, v)
	} else {
		h.WriteString(fmtPct(v))
	}
	h.WriteString("</td>")
}

// splitBar writes an inline SVG bar: explained then unexplained, scaled so that max fills
// the width.
func (h *htmlWriter) splitBar(explained, unexplained, max int64, keyPrefix string) {
	const w = 1000.0
	if max <= 0 {
		max = 1
	}
	we := w * float64(explained) / float64(max)
	wu := w * float64(unexplained) / float64(max)
	h.f(`<svg class="bar" viewBox="0 0 1000 16" preserveAspectRatio="none" role="img" aria-label="%s explained, %s unexplained">`,
		fmtInt(explained), fmtInt(unexplained))
	h.f(`<rect class="ex" x="0" y="0" width="%.1f" height="16" data-k="%s:explained" data-v="%d"></rect>`, we, escKey(keyPrefix), explained)
	h.f(`<rect class="un" x="%.1f" y="0" width="%.1f" height="16" data-k="%s:unexplained" data-v="%d"></rect></svg>`, we, wu, escKey(keyPrefix), unexplained)
}

// oneBar writes an inline SVG bar of n out of max.
func (h *htmlWriter) oneBar(class string, n, max int64, key string) {
	if max <= 0 {
		max = 1
	}
	h.f(`<svg class="bar" viewBox="0 0 1000 16" preserveAspectRatio="none" role="img" aria-label="%s"><rect class="%s" x="0" y="0" width="%.1f" height="16" data-k="%s" data-v="%d"></rect></svg>`,
		fmtInt(n), class, 1000*float64(n)/float64(max), escKey(key), n)
}

func (p *pageData) write(h *htmlWriter) {
	p.writeHead(h)
	p.writeHeadline(h)
	p.writeByKind(h)
	p.writeGroup(h, "category", "Explained and unexplained access by role category", "category", p.categories,
		`<p class="note">Sums over roles.json: a role's explained assignments are its <code>tp</code>, the rest of its <code>holders</code> are unexplained.</p>`)
	p.writeOutcomes(h)
	s := p.sum

	p.writeRules(h)
	p.writeMiningRules(h)
	p.writeTopRoles(h)
	if p.x != nil {
		writeExcessRanking(h, p.b, p.x)
	} else {
		p.writeIdentities(h)
	}

	p.writeGroup(h, "apps", "Explained share per application (entitlement source)", "application", p.apps,
		fmt.Sprintf(`<p class="note">Flagged <span class="flag">low coverage</span>: at least %d assignments and an explained share more than %d points below the overall `, lowAppMinAssignments, lowAppGapPoints)+
			fmtPct(p.overallPct)+`. Incomplete entitlement data from a source makes mined roles reflect reporting gaps rather than real access: check the feed before trusting its rules.</p>`)

	if s.Effective != nil {
		writeEffective(h, s)
	}
	if p.x != nil && s.Usage != nil {
		writeUsage(h, s)
		writeOverBroad(h, p.b.Model, p.x)
	}
	if p.x != nil && s.NHIOwnership != nil {
		writeOwnership(h, s, p.b.Snap, p.x)
	}
	if p.b.Drift != nil {
		writeDrift(h, p.b.Drift)
	}
	if p.b.Discovered != nil {
		writeDiscovered(h, p.b.Discovered)
	}
	// Skipped dimensions.
	h.WriteString(`<section id="skipped"><h2>Skipped dimensions</h2>`)
	if len(s.SkippedDimensions) == 0 {
		h.WriteString(`<p>None.</p>`)
	} else {
		h.WriteString(`<div class="tw"><table><thead><tr><th>dimension</th><th class="r">distinct values</th><th>reason</th></tr></thead><tbody>`)
		for k, d := range s.SkippedDimensions {
			h.f(`<tr><td>%s</td>`, esc(d.Name))
			h.tdNum(fmt.Sprintf("skipped_dimensions.%d.distinct_values", k), int64(d.Distinct))
			h.f(`<td>%s</td></tr>`, esc(d.Reason))
		}
		h.WriteString(`</tbody></table></div>`)
	}
	if p.x != nil {
		h.WriteString(`</section></main><footer><p>Generated by rolemine from summary.json, roles.json and rules.json in the same directory, and the data they were mined from (effective privilege, excess and ownership). Review exports: review.csv (unexplained effective pairs ranked by risk), excess.csv, ownership.csv (when owners are given) and suggestions.csv.</p></footer>`)
	} else {
		h.WriteString(`</section></main><footer><p>Generated by rolemine from summary.json, roles.json and rules.json in the same directory. Review exports: review.csv (unexplained assignments ranked by risk) and suggestions.csv.</p></footer>`)
	}
	h.WriteString(`<script>` + pageJS + `</script></body></html>
`)
}

// barsLegend explains the split bars of the per-kind, per-category and per-application
// sections.
const barsLegend = `<p class="legend">Each bar is 100% of the row's assignments: <span class="sw ex"></span> explained <span class="sw un"></span> unexplained</p>`

// writeHead writes the document head and the page header with its navigation.
func (p *pageData) writeHead(h *htmlWriter) {
	s := p.sum
	h.WriteString(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="` + ContentSecurityPolicy + `">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>rolemine report</title>
<style>` + pageCSS + `</style>`)
	if p.x != nil {
		h.WriteString(`<style>` + excessCSS + `</style>`)
	}
	h.WriteString(`</head><body>
`)
	// Nothing that varies between runs of the same input (start time, backend, workers)
	// goes into the page: report.html is byte-identical across reruns; summary.json has them.
	h.f(`<header><h1>rolemine report</h1><p class="meta">rolemine %s · configuration <code>%s</code> · run details in summary.json`,
		esc(s.Version), esc(s.Config))
	h.WriteString(`</p><nav><a href="#kind">By kind</a> <a href="#category">By category</a> <a href="#outcome">Roles by outcome</a> <a href="#rules">Rule precision</a> <a href="#mining">Mining rules</a> <a href="#unexplained">Top unexplained</a> <a href="#identities">Identities</a> <a href="#apps">Applications</a>`)
	if p.x != nil {
		p.writeExcessNav(h)
	}
	h.WriteString(`</nav></header><main>`)
}

// writeHeadline writes the headline figures.
func (p *pageData) writeHeadline(h *htmlWriter) {
	s := p.sum
	// Headline figures.
	a := &s.Assignments
	h.WriteString(`<section id="headline" class="cards">`)
	// card writes one headline figure; sub, when set, writes the line under it.
	card := func(title string, main func(), sub func()) {
		h.f(`<div class="card"><div class="ct">%s</div><div class="cv">`, title)
		main()
		if sub != nil {
			h.WriteString(`<span class="n2">`)
			sub()
			h.WriteString(`</span>`)
		}
		h.WriteString(`</div></div>`)
	}
	text := func(s string) { h.WriteString(s) }
	card("Explained assignments", func() { h.pctf("assignments.explained_pct", a.ExplainedPct) }, func() {
		h.num("assignments.explained", a.Explained)
		text(" of ")
		h.num("assignments.known", a.Known)
		text(" known")
	})
	card("Unexplained assignments", func() { h.num("assignments.unexplained", a.Unexplained) }, func() {
		h.pctf("assignments.unexplained_pct", a.UnexplainedPct)
		if p.x != nil {
			// Hidden names inherited access on this data; these are direct grants.
			text(" of known direct assignments: exceptional access no rule explains")
		} else {
			text(" of known: hidden or exceptional access")
		}
	})
	card("Identities", func() { h.num("identities.total", s.Identities.Total) }, nil)
	card("Roles covered", func() { h.num("roles.covered", s.Roles.Covered) }, func() {
		text("of ")
		h.num("roles.total", s.Roles.Total)
		text(" roles; ")
		h.num("roles.excluded", s.Roles.Excluded)
		text(" excluded, ")
		h.num("roles.implicit", s.Roles.Implicit)
		text(" implicit")
	})
	card("Rules", func() { h.num("rules.total", s.Rules.Total) }, func() {
		for k, t := range []string{"required", "requested_automatically", "suggested"} {
			if k > 0 {
				text(", ")
			}
			h.num("rules.by_type."+t, s.Rules.ByType[t])
			text(" " + strings.ReplaceAll(t, "_", " "))
		}
	})
	card("Suggestions", func() { h.num("suggestions", s.Suggestions) }, func() { text("grants the rules would make") })
	card("Orphan assignments", func() { h.num("assignments.orphans", a.Orphans) }, func() {
		h.num("assignments.orphan_identities", a.OrphanIdentities)
		text(" unknown identities")
	})
	h.WriteString(`</section><p class="note">Percentages of assignments are of <em>known</em> assignments (explained + unexplained; orphans excluded). Duplicates removed at load: `)
	h.num("assignments.duplicates", a.Duplicates)
	h.WriteString(`. Total distinct assignments: `)
	h.num("assignments.total", a.Total)
	h.WriteString(`.`)
	if p.x != nil {
		h.WriteString(` On this data these figures, the splits by kind, category and application and the top unexplained entitlements count direct assignments (granted to the identity or to one of its accounts); access inherited through nested grants is counted in the <a href="#effective">effective privilege</a> section, and review.csv lists every unexplained effective pair.`)
	}
	h.WriteString(`</p>`)
}

// writeByKind writes explained and unexplained access by identity kind.
func (p *pageData) writeByKind(h *htmlWriter) {
	s := p.sum
	a := &s.Assignments
	legend := barsLegend
	// By kind.
	h.f(`<section id="kind"><h2>Explained and unexplained access by identity kind</h2>%s<div class="bars">`, legend)
	for _, k := range p.kinds {
		ka := a.ByKind[k]
		group := "non-human"
		if k == "human" {
			group = "human"
		}
		h.f(`<div class="row"><div class="lab">%s <small>%s</small></div>`, esc(k), group)
		h.splitBar(ka.Explained, ka.Unexplained, ka.Total, "assignments.by_kind."+k)
		h.WriteString(`<div class="val">`)
		h.pctf("assignments.by_kind."+k+".explained_pct", ka.ExplainedPct)
		h.WriteString(`</div></div>`)
	}
	h.WriteString(`</div><div class="tw"><table class="sortable"><thead><tr><th>kind</th><th class="r">identities</th><th class="r">assignments</th><th class="r">explained</th><th class="r">unexplained</th><th class="r">explained %</th><th class="r">unexplained %</th></tr></thead><tbody>`)
	for _, k := range p.kinds {
		ka := a.ByKind[k]
		pre := "assignments.by_kind." + k
		h.f(`<tr><td>%s</td>`, esc(k))
		h.tdNum("identities.by_kind."+k, s.Identities.ByKind[k])
		h.tdNum(pre+".total", ka.Total)
		h.tdNum(pre+".explained", ka.Explained)
		h.tdNum(pre+".unexplained", ka.Unexplained)
		h.tdPct(pre+".explained_pct", ka.ExplainedPct)
		h.tdPct(pre+".unexplained_pct", ka.UnexplainedPct)
		h.WriteString(`</tr>`)
	}
	h.WriteString(`</tbody></table></div></section>`)
}

// writeGroup writes one section of split bars and its table: by role category, or by
// application.
func (p *pageData) writeGroup(h *htmlWriter, id, title, what string, rows []counts, intro string) {
	legend := barsLegend
	h.f(`<section id="%s"><h2>%s</h2>%s%s<div class="bars">`, id, title, intro, legend)
	for _, c := range rows {
		flag := ""
		if c.flagged {
			flag = ` <span class="flag" title="explained share suspiciously low">low coverage</span>`
		}
		h.f(`<div class="row"><div class="lab">%s%s</div>`, esc(c.label), flag)
		h.splitBar(c.explained, c.unexplained(), c.holders, c.keyPrefix)
		h.WriteString(`<div class="val">`)
		h.pctf(c.keyPrefix+":explained_pct", share(c))
		h.WriteString(`</div></div>`)
	}
	h.f(`</div><div class="tw"><table class="sortable"><thead><tr><th>%s</th><th class="r">roles</th><th class="r">assignments</th><th class="r">explained</th><th class="r">unexplained</th><th class="r">explained %%</th><th>flag</th></tr></thead><tbody>`, what)
	for _, c := range rows {
		cls := ""
		if c.flagged {
			cls = ` class="flagged"`
		}
		h.f(`<tr%s><td>%s</td>`, cls, esc(c.label))
		h.tdNum(c.keyPrefix+":roles", c.roles)
		h.tdNum(c.keyPrefix+":holders", c.holders)
		h.tdNum(c.keyPrefix+":explained", c.explained)
		h.tdNum(c.keyPrefix+":unexplained", c.unexplained())
		h.tdPct(c.keyPrefix+":explained_pct", share(c))
		if c.flagged {
			h.WriteString(`<td>low coverage</td></tr>`)
		} else {
			h.WriteString(`<td></td></tr>`)
		}
	}
	h.WriteString(`</tbody></table></div></section>`)
}

// writeOutcomes writes the roles by outcome.
func (p *pageData) writeOutcomes(h *htmlWriter) {
	// Roles by outcome.
	h.WriteString(`<section id="outcome"><h2>Roles by outcome</h2><p class="note">Covered roles by the mining rule that covered them; the others by the reason they got no rule (roles.json <code>reason</code>, role-specific figures removed).`)
	if p.x != nil {
		h.WriteString(` Mining counts direct holders: a role held only through nested grants has no holders in scope, and its inherited pairs take the status of the grant they come through.`)
	}
	h.WriteString(`</p><div class="bars">`)
	var mxo int64
	for _, o := range p.outcomes {
		mxo = max(mxo, o.n)
	}
	for _, o := range p.outcomes {
		cls := "un"
		if o.covered {
			cls = "ex"
		}
		h.f(`<div class="row"><div class="lab">%s</div>`, esc(o.label))
		h.oneBar(cls, o.n, mxo, "outcome:"+o.label)
		h.WriteString(`<div class="val">`)
		h.num("outcome:"+o.label, o.n)
		h.WriteString(`</div></div>`)
	}
	h.WriteString(`</div></section>`)
}

// writeRules writes the rule precision chart: every rule as a point (holders explained on
// a log scale, precision over the identities it matches), points on the same pixel merged.
func (p *pageData) writeRules(h *htmlWriter) {
	rules := p.b.Model.Rules
	h.WriteString(`<section id="rules"><h2>Rule precision against the holders each rule explains</h2>`)
	if len(rules) == 0 {
		h.WriteString(`<p>`)
		h.num("rules.total", p.sum.Rules.Total)
		h.WriteString(` rules: no role got one (roles by outcome says why).</p></section>`)
		return
	}
	h.f(`<p class="note">Each of the `)
	h.num("rules.total", p.sum.Rules.Total)
	h.f(` rules: holders it explains (<code>tp</code>, log scale) against its precision <code>tp / support</code>. Points on the same spot are merged (hover for counts).</p>`)
	const W, H, L, B, T, R = 640.0, 300.0, 56.0, 40.0, 12.0, 16.0
	var maxTP int64 = 1
	minPrec := 100.0
	for k := range rules {
		maxTP = max(maxTP, rules[k].TP)
		minPrec = min(minPrec, ruleHitRate(&rules[k]))
	}
	lo := math.Floor(minPrec/5) * 5
	if lo > 90 {
		lo = 90
	}
	if lo < 0 {
		lo = 0
	}
	lmax := math.Log10(float64(maxTP) + 1)
	if lmax == 0 {
		lmax = 1
	}
	x := func(tp int64) float64 { return L + (W-L-R)*math.Log10(float64(tp)+1)/lmax }
	y := func(prec float64) float64 { return T + (H-T-B)*(100-prec)/(100-lo) }
	h.f(`<div class="chart"><svg id="rule-scatter" viewBox="0 0 %.0f %.0f" role="img" aria-label="rule precision scatter">`, W, H)
	// Axes and grid.
	for v := lo; v <= 100.0001; v += (100 - lo) / 5 {
		h.f(`<line class="grid" x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f"></line><text class="ax" x="%.0f" y="%.1f" text-anchor="end">%s%%</text>`,
			L, W-R, y(v), y(v), L-6, y(v)+4, strconv.FormatFloat(v, 'f', -1, 64))
	}
	for t := int64(1); t <= maxTP*10; t *= 10 {
		if t > maxTP && t > 1 {
			break
		}
		h.f(`<line class="grid" x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f"></line><text class="ax" x="%.1f" y="%.0f" text-anchor="middle">%s</text>`,
			x(t), x(t), T, H-B, x(t), H-B+16, fmtInt(t))
	}
	h.f(`<text class="ax" x="%.0f" y="%.0f" text-anchor="middle">holders explained (tp)</text>`, (L+W)/2, H-4)
	type pt struct{ x, y int }
	seen := map[pt]int{}
	var order []pt
	for k := range rules {
		q := pt{int(math.Round(x(rules[k].TP))), int(math.Round(y(ruleHitRate(&rules[k]))))}
		if seen[q] == 0 {
			order = append(order, q)
		}
		seen[q]++
	}
	for _, q := range order {
		h.f(`<circle class="pt" cx="%d" cy="%d" r="3"><title>%d rule(s)</title></circle>`, q.x, q.y, seen[q])
	}
	h.WriteString(`</svg></div>`)

	// The least precise rules, each rule's precision worked out once.
	rates := make([]float64, len(rules))
	for k := range rules {
		rates[k] = ruleHitRate(&rules[k])
	}
	idx := firstStable(len(rules), lowRules, func(a, c int) int { return cmp.Compare(rates[a], rates[c]) })
	h.f(`<h3>The %d least precise rules</h3><div class="tw"><table class="sortable"><thead><tr><th>role</th><th>criterion</th><th>type</th><th>scope</th><th class="r">support</th><th class="r">tp</th><th class="r">fp</th><th class="r">precision</th></tr></thead><tbody>`, len(idx))
	for _, k := range idx {
		r := &rules[k]
		h.f(`<tr><td>%s</td><td><code>%s</code></td><td>%s</td><td>%s</td>`, esc(r.RoleID), esc(criterionString(r)), esc(r.RuleType), esc(r.EntityType))
		h.tdNum("rule:"+r.RuleID+":support", r.Support)
		h.tdNum("rule:"+r.RuleID+":tp", r.TP)
		h.tdNum("rule:"+r.RuleID+":fp", r.FP)
		h.tdPct("", ruleHitRate(r))
		h.WriteString(`</tr>`)
	}
	h.WriteString(`</tbody></table></div></section>`)
}

// writeMiningRules writes coverage by mining rule.
func (p *pageData) writeMiningRules(h *htmlWriter) {
	mrs := p.sum.MiningRules
	h.WriteString(`<section id="mining"><h2>Coverage by mining rule</h2><div class="bars">`)
	var mx int64
	for _, m := range mrs {
		mx = max(mx, m.RolesCovered)
	}
	for k, m := range mrs {
		h.f(`<div class="row"><div class="lab">MiningRule#%d <small>%s</small></div>`, m.Index+1, esc(m.Policy))
		h.oneBar("ex", m.RolesCovered, mx, fmt.Sprintf("mining_rules.%d.roles_covered", k))
		h.WriteString(`<div class="val">`)
		h.num(fmt.Sprintf("mining_rules.%d.roles_covered", k), m.RolesCovered)
		h.WriteString(` roles</div></div>`)
	}
	h.WriteString(`</div><div class="tw"><table class="sortable"><thead><tr><th>#</th><th class="r">line</th><th class="r">priority</th><th>scope</th><th>policy</th><th>rule policy</th><th>exclude</th><th class="r">scope size</th><th class="r">roles covered</th><th class="r">rules</th><th>skipped dimensions</th></tr></thead><tbody>`)
	for k, m := range mrs {
		pre := fmt.Sprintf("mining_rules.%d.", k)
		h.f(`<tr><td data-v="%d">MiningRule#%d</td>`, m.Index, m.Index+1)
		h.tdNum(pre+"line", int64(m.Line))
		h.tdNum(pre+"priority", int64(m.Priority))
		h.f(`<td>%s</td><td>%s</td><td>%s</td><td>%t</td>`, esc(m.EntityType), esc(m.Policy), esc(m.RulePolicy), m.ExcludeRole)
		h.tdNum(pre+"scope_size", m.ScopeSize)
		h.tdNum(pre+"roles_covered", m.RolesCovered)
		h.tdNum(pre+"rules", m.Rules)
		h.f(`<td>%s</td></tr>`, esc(strings.Join(m.SkippedDimensions, ", ")))
	}
	h.WriteString(`</tbody></table></div></section>`)
}

// writeTopRoles writes the roles with the most unexplained holders.
func (p *pageData) writeTopRoles(h *htmlWriter) {
	roles := p.b.Model.Roles
	var some []int
	for k := range roles {
		if roles[k].Holders-roles[k].TP > 0 {
			some = append(some, k)
		}
	}
	idx := firstStable(len(some), topUnexplainedRoles, func(a, c int) int {
		return cmp.Compare(roles[some[c]].Holders-roles[some[c]].TP, roles[some[a]].Holders-roles[some[a]].TP)
	})
	for j, a := range idx {
		idx[j] = some[a]
	}
	if len(idx) == 0 {
		h.WriteString(`<section id="unexplained"><h2>Top unexplained entitlements</h2><p>None: every holder of every role is explained (holders − tp is 0 for each role of roles.json).</p></section>`)
		return
	}
	h.f(`<section id="unexplained"><h2>Top unexplained entitlements</h2><p class="note">The %d roles with the most unexplained holders (holders − tp, from roles.json). review.csv lists every unexplained assignment, ranked by risk. Bars are to the scale of the largest role listed: <span class="sw ex"></span> explained <span class="sw un"></span> unexplained.</p>`, len(idx))
	var mx int64
	for _, k := range idx {
		mx = max(mx, roles[k].Holders)
	}
	h.WriteString(`<div class="tw"><table class="sortable"><thead><tr><th>role</th><th>category</th><th>application</th><th class="r">validations</th><th class="r">holders</th><th class="r">explained</th><th class="r">unexplained</th><th class="bc">explained / unexplained</th><th>outcome</th></tr></thead><tbody>`)
	for _, k := range idx {
		r := &roles[k]
		key := "roles.json:" + r.RoleID
		h.f(`<tr><td>%s</td><td>%s</td><td>%s</td>`, esc(r.RoleID), esc(r.Category), esc(r.Application))
		h.tdNum(key+":validations", int64(r.Validations))
		h.tdNum(key+":holders", r.Holders)
		h.tdNum(key+":tp", r.TP)
		h.tdNum(key+":unexplained", r.Holders-r.TP)
		h.WriteString(`<td class="bc">`)
		h.splitBar(r.TP, r.Holders-r.TP, mx, key+":bar")
		h.f(`</td><td>%s</td></tr>`, esc(outcomeLabel(r)))
	}
	h.WriteString(`</tbody></table></div></section>`)
}

// writeIdentities writes the most over-privileged identities, non-humans apart.
func (p *pageData) writeIdentities(h *htmlWriter) {
	snap := p.b.Snap
	h.f(`<section id="identities"><h2>Most over-privileged identities</h2><p class="note">Identities with the most unexplained assignments (top %d per group); ties broken by the validations their unexplained roles need.</p><div class="two">`, topIdentities)
	for g, title := range []string{"Humans", "Non-human identities"} {
		h.f(`<div><h3>%s</h3>`, title)
		if len(p.idents[g]) == 0 {
			h.WriteString(`<p>None with unexplained access.</p></div>`)
			continue
		}
		h.WriteString(`<div class="tw"><table class="sortable"><thead><tr><th>identity</th><th>kind</th><th class="r">roles held</th><th class="r">unexplained</th><th class="r">validations</th></tr></thead><tbody>`)
		for _, ic := range p.idents[g] {
			id := snap.IdentityIDs[ic.ident]
			h.f(`<tr><td>%s</td><td>%s</td>`, esc(id), esc(snap.Kind(int(ic.ident))))
			h.tdNum("identity:"+id+":held", ic.held)
			h.tdNum("identity:"+id+":unexplained", ic.unexplained)
			h.tdNum("", ic.validationsOfUnexp)
			h.WriteString(`</tr>`)
		}
		h.WriteString(`</tbody></table></div></div>`)
	}
	h.WriteString(`</div></section>`)
}

const pageCSS = `
:root{--bg:#fff;--fg:#1b1f24;--mut:#5a6472;--line:#d9dee5;--card:#f5f7fa;--ex:#2f7d5b;--un:#c2452d;--pt:#2b5fa8;--flag:#9a5b00}
@media (prefers-color-scheme:dark){:root{--bg:#14171b;--fg:#e6e9ee;--mut:#9aa4b2;--line:#313843;--card:#1d2228;--ex:#4fb387;--un:#ef7a62;--pt:#7eb0ff;--flag:#f0b45a}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main,footer{max-width:1180px;margin:0 auto;padding:0 16px}
h1{font-size:1.6em;margin:16px 0 4px}h2{font-size:1.2em;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:1em;margin:16px 0 6px}
.meta,.note,footer{color:var(--mut);font-size:.9em}
nav{display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 0 10px}nav a{color:var(--pt);text-decoration:none}
code{font-size:.92em}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;margin-top:14px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.ct{font-size:.8em;color:var(--mut);text-transform:uppercase;letter-spacing:.03em}.cv{font-size:1.6em;font-weight:600}.n2{display:block;font-size:.55em;font-weight:400;color:var(--mut)}.cn{font-size:.8em;color:var(--mut)}
.legend{font-size:.85em;color:var(--mut)}.sw{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin-left:8px}
.sw.ex,rect.ex{background:var(--ex);fill:var(--ex)}.sw.un,rect.un{background:var(--un);fill:var(--un)}
.bars{display:grid;gap:4px;margin:8px 0 12px}
.row{display:grid;grid-template-columns:minmax(120px,260px) 1fr 90px;gap:10px;align-items:center}
.lab{overflow-wrap:anywhere}.lab small{color:var(--mut)}.val{text-align:right;font-variant-numeric:tabular-nums}
svg.bar{width:100%;height:16px;display:block;background:var(--card);border-radius:2px}
.chart svg{width:100%;max-width:760px;height:auto}
line.grid{stroke:var(--line);stroke-width:1}text.ax{fill:var(--mut);font-size:11px}circle.pt{fill:var(--pt);fill-opacity:.55}
.tw{overflow-x:auto;margin:6px 0 10px}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
td code{white-space:normal;overflow-wrap:anywhere}
th{position:sticky;top:0;background:var(--bg)}
table.sortable th{cursor:pointer;user-select:none}table.sortable th:after{content:" \2195";color:var(--mut);font-size:.8em}
th[aria-sort=ascending]:after{content:" \2191"}th[aria-sort=descending]:after{content:" \2193"}
.r{text-align:right;font-variant-numeric:tabular-nums}td.bc{min-width:160px;width:22%}
.flag{color:var(--flag);font-weight:600;font-size:.85em}tr.flagged td:first-child{color:var(--flag);font-weight:600}
.two{display:grid;grid-template-columns:1fr 1fr;gap:20px}
@media (max-width:700px){.row{grid-template-columns:1fr 70px}.row .lab{grid-column:1/-1}.two{grid-template-columns:1fr}.cv{font-size:1.3em}}
@media print{:root{--bg:#fff;--fg:#000;--mut:#444;--line:#bbb;--card:#f3f3f3;--ex:#2f7d5b;--un:#c2452d;--pt:#2b5fa8}
nav{display:none}section{break-inside:avoid-page}th{position:static}.tw{overflow:visible}body{font-size:11px}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}table.sortable th:after{content:""}}
`

// pageJS sorts tables by a click on a header: by each cell's data-v when present (numbers),
// else its text. It marks the body once ready so that tests can tell the script ran.
const pageJS = `
(function(){
  function key(td){var v=td.getAttribute('data-v');if(v!==null&&v!==''&&!isNaN(+v))return +v;return td.textContent.trim().toLowerCase();}
  document.querySelectorAll('table.sortable').forEach(function(t){
    var ths=t.tHead.rows[0].cells;
    Array.prototype.forEach.call(ths,function(th,col){
      th.tabIndex=0;
      function sort(){
        var asc=th.getAttribute('aria-sort')!=='ascending';
        Array.prototype.forEach.call(ths,function(o){o.removeAttribute('aria-sort');});
        th.setAttribute('aria-sort',asc?'ascending':'descending');
        var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,b){var x=key(a.cells[col]),y=key(b.cells[col]);var c=x<y?-1:x>y?1:0;return asc?c:-c;});
        rows.forEach(function(r){body.appendChild(r);});
      }
      th.addEventListener('click',sort);
      th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sort();}});
    });
  });
  document.body.setAttribute('data-ready','1');
})();
`
