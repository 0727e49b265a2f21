package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/model"
)

// hiddenGrantsShown is how many grant edges the hidden-inherited-access table lists.
const hiddenGrantsShown = 25

// writeEffective writes the effective-privilege sections of report.html (data with
// accounts or grants): coverage per system with the systems flagged as possibly
// incomplete, and the grant edges that hand out hidden inherited access.
func writeEffective(h *htmlWriter, s *Summary) {
	e := s.Effective
	h.WriteString(`<section id="effective"><h2>Effective privilege</h2>`)
	h.WriteString(`<p>Direct pairs `)
	h.num("effective.direct.total", e.Direct.Total)
	h.WriteString(`; effective pairs `)
	h.num("effective.effective.total", e.Effective.Total)
	h.WriteString(` (`)
	h.num("effective.effective.explained", e.Effective.Explained)
	h.WriteString(` explained, `)
	h.num("effective.effective.unexplained", e.Effective.Unexplained)
	h.WriteString(` unexplained), of which `)
	h.num("effective.effective.inherited", e.Effective.Inherited)
	h.WriteString(` held only through nested grants and `)
	h.num("effective.effective.hidden_inherited", e.Effective.Hidden)
	h.WriteString(` hidden (inherited, on roles whose rules do not match the identity); `)
	h.num("effective.direct.redundant", e.Direct.Redundant)
	h.WriteString(` direct grants are redundant (also handed out by a chain). `)
	h.f(`%d grant cycles.</p>`, len(e.Cycles))

	names := make([]string, 0, len(s.Systems))
	for name := range s.Systems {
		names = append(names, name)
	}
	slices.Sort(names)
	h.WriteString(`<h3>Coverage per system</h3><p class="note">A system is flagged possibly incomplete when the grants the rules suggest on its roles (grants the data lacks) number at least 10 and are over 2% of all the grants the rules make there and over twice the median share of the other systems, or when more than 5% of its correlated accounts are missing: identities without an account in it although over 80% of their peers (5 or more of the same kind, department and title) have one. Its mined roles may then reflect reporting gaps rather than access. Pairs are the effective (identity, role) pairs on the system's roles, orphan access apart; explained % is the system's coverage, explained of those pairs.</p><div class="tw"><table class="hw"><thead><tr><th>system</th><th class="r">accounts</th><th class="r">uncorrelated</th><th class="r">pairs</th><th class="r">explained</th><th class="r">unexplained</th><th class="r">explained %</th><th class="r">inherited</th><th class="r">hidden</th><th class="r">orphan access</th><th class="r">suggested grants</th><th class="r">suggested %</th><th class="r">missing accounts</th><th>possibly incomplete</th></tr></thead><tbody>`)
	for _, name := range names {
		st := s.Systems[name]
		k := "systems." + name + "."
		h.f(`<tr><td>%s</td>`, esc(name))
		h.tdNum(k+"accounts", st.Accounts)
		h.tdNum(k+"uncorrelated_accounts", st.UncorrelatedAccounts)
		h.tdNum(k+"assignments", st.Assignments)
		h.tdNum(k+"explained", st.Explained)
		h.tdNum(k+"unexplained", st.Unexplained)
		h.tdPct("systems."+name+":explained_pct", pct(st.Explained, st.Assignments))
		h.tdNum(k+"inherited", st.Inherited)
		h.tdNum(k+"hidden_inherited", st.Hidden)
		h.tdNum(k+"orphans", st.Orphans)
		h.tdNum(k+"suggestions", st.Suggestions)
		h.tdPct(k+"suggested_pct", st.SuggestedPercent)
		h.tdNum(k+"missing_accounts", st.MissingAccounts)
		if st.PossiblyIncomplete {
			h.f(`<td><span class="flag">possibly incomplete</span> %s</td></tr>`, esc(st.Reason))
		} else {
			h.WriteString(`<td></td></tr>`)
		}
	}
	h.WriteString(`</tbody></table></div>`)

	h.WriteString(`<h3>Hidden inherited access</h3>`)
	writeHiddenByGrant(h, e)
	writePrivilegedOnlyInherited(h, e)
	h.WriteString(`</section>`)
}

// writeHiddenByGrant writes the grant edges that hand out hidden inherited access.
func writeHiddenByGrant(h *htmlWriter, e *model.EffectiveSummary) {
	if len(e.HiddenByGrant) == 0 {
		h.WriteString(`<p>None: every inherited pair on a role with rules is matched by one of them.</p>`)
		return
	}
	h.f(`<p class="note">Grants that hand out a role to identities its own rules do not match, most identities first (%d of %d grants shown). A broad group nested into a privileged role shows here.</p>`,
		min(hiddenGrantsShown, len(e.HiddenByGrant)), len(e.HiddenByGrant))
	h.WriteString(`<div class="tw"><table><thead><tr><th>grant</th><th class="r">validations</th><th class="r">identities</th><th>by kind</th></tr></thead><tbody>`)
	for k, g := range e.HiddenByGrant[:min(hiddenGrantsShown, len(e.HiddenByGrant))] {
		kinds := make([]string, 0, len(g.ByKind))
		for kind, n := range g.ByKind {
			kinds = append(kinds, fmt.Sprintf("%s %s", kind, fmtInt(n)))
		}
		slices.Sort(kinds)
		h.f(`<tr><td>%s</td>`, esc(g.Grant))
		h.tdNum(fmt.Sprintf("effective.hidden_by_grant.%d.validations", k), int64(g.Validations))
		h.tdNum(fmt.Sprintf("effective.hidden_by_grant.%d.identities", k), g.Identities)
		h.f(`<td>%s</td></tr>`, esc(strings.Join(kinds, ", ")))
	}
	h.WriteString(`</tbody></table></div>`)
}

// writePrivilegedOnlyInherited lists the privileged roles nobody holds directly and some
// hold through grants: they have no rule, so none of their pairs can be hidden, and the
// table above cannot show a broad group nested into them.
func writePrivilegedOnlyInherited(h *htmlWriter, e *model.EffectiveSummary) {
	if len(e.PrivilegedOnlyInherited) == 0 {
		return
	}
	h.WriteString(`<h3>Privileged roles held only through grants</h3>`)
	h.f(`<p class="note">Roles of 2 or more validations that no identity holds directly, held through nested grants in %d pairs (%d roles, most identities first). With no direct holder there is no rule to learn, so each pair takes the status of the grant it comes from and none is counted hidden above: review whom the granting roles hand them to.</p>`,
		sumIdentities(e.PrivilegedOnlyInherited), len(e.PrivilegedOnlyInherited))
	h.WriteString(`<div class="tw"><table><thead><tr><th>role</th><th class="r">validations</th><th class="r">identities</th><th>granted by</th></tr></thead><tbody>`)
	for k, r := range e.PrivilegedOnlyInherited[:min(hiddenGrantsShown, len(e.PrivilegedOnlyInherited))] {
		h.f(`<tr><td>%s</td>`, esc(r.Role))
		h.tdNum(fmt.Sprintf("effective.privileged_only_inherited.%d.validations", k), int64(r.Validations))
		h.tdNum(fmt.Sprintf("effective.privileged_only_inherited.%d.identities", k), r.Identities)
		h.f(`<td>%s</td></tr>`, esc(strings.Join(r.GrantedBy, ", ")))
	}
	h.WriteString(`</tbody></table></div>`)
}

// sumIdentities adds up the identities of roles (an identity holding two counts twice).
func sumIdentities(roles []model.InheritedOnlyRole) int64 {
	var n int64
	for _, r := range roles {
		n += r.Identities
	}
	return n
}
