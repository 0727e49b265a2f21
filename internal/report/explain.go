package report

import (
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/uerr"
)

// Explanation is `rolemine explain`'s answer for one identity: each role it holds with the
// rule that explains it or the nearest rule and the attributes that fail it, the roles the
// model would grant it, and whether it is an orphan.
type Explanation struct {
	IdentityID string `json:"identity_id"`
	// Orphan is true when the identity is absent from identities but holds assignments.
	Orphan     bool         `json:"orphan"`
	Kind       string       `json:"kind,omitempty"`
	Attributes []TermRecord `json:"attributes"`
	// Explained + Unexplained + Orphans = len(Roles).
	Explained   int             `json:"explained"`
	Unexplained int             `json:"unexplained"`
	Orphans     int             `json:"orphans"`
	Roles       []HeldRole      `json:"roles"`
	Suggestions []SuggestedRole `json:"suggestions"`
	// With an owner_id column (docs/excess-privilege.md#ownership): a non-human identity's
	// owner and ownership finding, and the non-human identities an identity owns with the
	// privilege they give it.
	Owner        string          `json:"owner_id,omitempty"`
	OwnerFinding string          `json:"owner_finding,omitempty"`
	Owns         []OwnedIdentity `json:"owns,omitempty"`
	ThroughOwned []string        `json:"roles_through_owned,omitempty"`
}

// HeldRole is one role the identity holds.
type HeldRole struct {
	RoleID      string `json:"role_id"`
	Category    string `json:"category"`
	Validations int    `json:"validations"`
	Application string `json:"application"`
	// Status is explained, unexplained or orphan.
	Status string `json:"status"`
	// Rule is the rule that explains the assignment (explained only).
	Rule *RuleRef `json:"rule,omitempty"`
	// Nearest is the role's rule the identity misses by the fewest terms (unexplained,
	// when the role has rules).
	Nearest *NearMiss `json:"nearest_rule,omitempty"`
	// RoleReason says why the role has no rule (unexplained, role without rules).
	RoleReason string `json:"role_reason,omitempty"`
	// Unused is the rule that matches the identity when the assignment is unexplained
	// because its access is unused under a UsedOnly mining rule
	// (docs/excess-privilege.md#used-only-explained).
	Unused *RuleRef `json:"unused_rule,omitempty"`
	// With role grants (docs/effective-privilege.md): Inherited roles are held only through
	// the chain Via; Hidden ones are inherited and unexplained although the role has
	// rules; a Redundant direct grant is also handed out by a chain. An inherited role
	// without rules takes the status of the direct holding its chain starts at.
	Inherited bool   `json:"inherited,omitempty"`
	Via       string `json:"via,omitempty"`
	Hidden    bool   `json:"hidden_inherited,omitempty"`
	Redundant bool   `json:"redundant,omitempty"`
	// RedundantVia is the chain that also hands out a redundant direct grant (the
	// shortest from another directly held role, ties lexical, as via).
	RedundantVia string `json:"redundant_via,omitempty"`
	// Account names the account ("SYSTEM/account_id") orphan access was granted to, when
	// its assignment named one.
	Account string `json:"account,omitempty"`
	// Usage is the pair's usage state (used, unused, unknown) when the data has a
	// last_used column; an inherited role takes the usage of the direct holding its chain
	// starts at (docs/excess-privilege.md#usage-inherited).
	Usage string `json:"usage,omitempty"`
	// chainRule: Rule is the rule of the direct holding an inherited role without rules
	// takes its status from, as assignments.parquet's rule_id records it.
	chainRule bool
}

// SuggestedRole is a role the model would grant the identity, which it does not hold.
type SuggestedRole struct {
	RoleID string  `json:"role_id"`
	Rule   RuleRef `json:"rule"`
}

// RuleRef describes a rule of rules.json for a reader.
type RuleRef struct {
	RuleID     string       `json:"rule_id"`
	Criterion  string       `json:"criterion"`
	Criteria   []TermRecord `json:"criteria"`
	RuleType   string       `json:"rule_type"`
	Policy     string       `json:"policy"`
	EntityType string       `json:"entity_type"`
	Support    int64        `json:"support"`
	TP         int64        `json:"tp"`
	// HitRatePct is the rule's hit rate, 100*tp/support (metrics.HitRate): the share of
	// the identities it matches that hold the role. The JSON and text outputs keep their
	// older name, precision_pct / "rule precision".
	HitRatePct float64 `json:"precision_pct"`
}

// NearMiss is a rule the identity fails, with every failing condition.
type NearMiss struct {
	Rule  RuleRef   `json:"rule"`
	Fails []Failure `json:"fails"`
}

// Failure is one condition of a rule the identity does not meet: a term (Attribute=Want,
// the identity has Has, "" for no value) or the rule's scope (Attribute "kind", Want the
// rule's entity_type).
type Failure struct {
	Attribute string `json:"attribute"`
	Want      string `json:"want"`
	Has       string `json:"has"`
	Scope     bool   `json:"scope,omitempty"`
}

// String renders f as the identity's side: "title=Manager", "no title", or
// "kind=api_key (outside scope human)".
func (f Failure) String() string { return string(f.appendTo(nil)) }

// appendTo appends f.String() to dst.
func (f Failure) appendTo(dst []byte) []byte {
	switch {
	case f.Scope:
		dst = append(append(dst, "kind="...), f.Has...)
		return append(append(append(dst, " (outside the rule's scope "...), f.Want...), ')')
	case f.Has == "":
		return append(append(dst, "no "...), f.Attribute...)
	}
	return append(append(append(dst, f.Attribute...), '='), f.Has...)
}

func (b *Bound) ruleRef(k int) RuleRef {
	rec := &b.Model.Rules[k]
	return RuleRef{
		RuleID: rec.RuleID, Criterion: criterionString(rec), Criteria: rec.Criteria,
		RuleType: rec.RuleType, Policy: rec.Policy, EntityType: rec.EntityType,
		Support: rec.Support, TP: rec.TP, HitRatePct: ruleHitRate(rec),
	}
}

// values returns identity i's values on dimension d, joined by "|" ("" for none).
func (b *Bound) values(i, d int) string {
	dim := &b.Snap.Dims[d]
	if dim.MultiOff == nil { // single-valued: no list to join
		if c := dim.Codes[i]; c >= 0 {
			return dim.Values[c]
		}
		return ""
	}
	var vs []string
	if c := dim.Codes[i]; c >= 0 {
		vs = append(vs, dim.Values[c])
	}
	if dim.MultiOff != nil {
		for _, c := range dim.MultiCodes[dim.MultiOff[i]:dim.MultiOff[i+1]] {
			vs = append(vs, dim.Values[c])
		}
	}
	return strings.Join(vs, "|")
}

// failures lists the conditions of rule k that identity i fails.
func (b *Bound) failures(k, i int) []Failure {
	var fs []Failure
	kind, terms := b.failed(k, i)
	b.eachFailure(k, i, kind, terms, func(f Failure) { fs = append(fs, f) })
	return fs
}

// eachFailure calls fn with each condition of rule k that identity i fails, given
// failed's kind and terms.
func (b *Bound) eachFailure(k, i int, kind bool, terms uint32, fn func(Failure)) {
	rec := &b.Model.Rules[k]
	dims, _ := b.Terms(int32(k))
	if kind {
		fn(Failure{Attribute: "kind", Want: rec.EntityType, Has: b.Snap.Kind(i), Scope: true})
	}
	for t, d := range dims {
		if terms&(1<<t) != 0 {
			fn(Failure{Attribute: rec.Criteria[t].Attribute, Want: rec.Criteria[t].Value, Has: b.values(i, int(d))})
		}
	}
}

// failed says which conditions of rule k identity i fails: its kind scope, and its terms
// as bits of terms (bit t for term t).
func (b *Bound) failed(k, i int) (kind bool, terms uint32) {
	dims, codes := b.Terms(int32(k))
	kind = !b.InKind(int32(k))[b.Snap.Dims[b.Snap.KindDim].Codes[i]]
	for t, d := range dims {
		if codes[t] < 0 || !b.Snap.Dims[d].Has(i, codes[t]) {
			terms |= 1 << t
		}
	}
	return kind, terms
}

// nearest returns the rule of role r that identity i fails by the fewest conditions (the
// first in rule order on a tie), or nil when the role has no rule. Only the chosen rule's
// failures are spelled out.
func (b *Bound) nearest(r int32, i int) *NearMiss {
	best, _, _ := b.nearestRule(r, i)
	if best < 0 {
		return nil
	}
	return &NearMiss{Rule: b.ruleRef(best), Fails: b.failures(best, i)}
}

// nearestRule returns nearest's rule (-1: none) and what identity i fails of it (failed).
func (b *Bound) nearestRule(r int32, i int) (best int, kind bool, terms uint32) {
	best, bestN := -1, 0
	for _, k := range b.RulesOf(r) {
		kd, tm := b.failed(int(k), i)
		n := bits.OnesCount32(tm)
		if kd {
			n++
		}
		if best < 0 || n < bestN {
			best, bestN, kind, terms = int(k), n, kd, tm
		}
	}
	return best, kind, terms
}

// Explain answers for identity id from the model files alone: no mining runs. An id that
// is neither an identity nor an orphan's is a user error.
func (b *Bound) Explain(id string) (*Explanation, error) {
	ex, err := b.explain(id)
	if err != nil || ex.Orphan {
		return ex, err
	}
	b.explainOwnership(ex)
	return ex, nil
}

// unknownIdentity is the error for id, neither an identity nor the id of an orphan's
// holder. When id names an account (by its account_id, or as SYSTEM/ACCOUNT_ID) it says
// so: a correlated account's identity is what to explain, an uncorrelated account's
// access is read from assignments.parquet (docs/cli.md#rolemine-explain). An id that
// names an identity but for letter case, padding or leading zeros gets that identity's.
func unknownIdentity(snap *columnar.Snapshot, id string) error {
	var correlated, uncorrelated []string
	seen := map[string]bool{}
	add := func(system, account, identity string) {
		name := system + "/" + account
		if seen[name] {
			return
		}
		seen[name] = true
		if identity != "" {
			correlated = append(correlated, fmt.Sprintf("%s (identity %s)", name, identity))
		} else {
			uncorrelated = append(uncorrelated, name)
		}
	}
	if u := snap.Universe; u != nil && u.Accounts != nil {
		a := u.Accounts
		for x := range a.Len() {
			if a.ID[x] == id || a.Systems[a.System[x]]+"/"+a.ID[x] == id {
				add(a.Systems[a.System[x]], a.ID[x], a.IdentityID(x))
			}
		}
	}
	for _, o := range snap.Orphans {
		if o.System != "" && (o.AccountID == id || o.System+"/"+o.AccountID == id) {
			add(o.System, o.AccountID, o.IdentityID)
		}
	}
	switch {
	case len(correlated) > 0:
		return uerr.New("explain: %q is not an identity but an account: %s; --identity takes the identity_id the account belongs to", id, strings.Join(correlated, ", "))
	case len(uncorrelated) > 0:
		return uerr.New("explain: %q is not an identity but an account no known identity holds (%s: uncorrelated, or absent from accounts): --identity cannot reach it; its access is in assignments.parquet, status orphan, with its system and account_id", id, strings.Join(uncorrelated, ", "))
	}
	if like, ok := columnar.Lookalike(snap.IdentityIDs, id); ok {
		return uerr.New("explain: identity %q is not in identities and holds no assignment; identities has %q (ids are exact: letter case, spaces and leading zeros count)", id, like)
	}
	return uerr.New("explain: identity %q is not in identities and holds no assignment", id)
}

// explain is Explain without ownership.
func (b *Bound) explain(id string) (*Explanation, error) {
	snap := b.Snap
	ex := &Explanation{IdentityID: id, Attributes: []TermRecord{}, Roles: []HeldRole{}, Suggestions: []SuggestedRole{}}
	i := slices.Index(snap.IdentityIDs, id)
	if i < 0 {
		lo, _ := slices.BinarySearchFunc(snap.Orphans, id, func(o columnar.Orphan, id string) int { return strings.Compare(o.IdentityID, id) })
		for k := lo; k < len(snap.Orphans) && snap.Orphans[k].IdentityID == id; k++ {
			ex.Orphan = true
			ex.Orphans++
			h := b.heldRole(snap.Orphans[k].Role, "orphan")
			if o := &snap.Orphans[k]; o.System != "" {
				h.Account = o.System + "/" + o.AccountID
			}
			ex.Roles = append(ex.Roles, h)
		}
		if !ex.Orphan {
			return nil, unknownIdentity(snap, id)
		}
		return ex, nil
	}
	ex.Kind = snap.Kind(i)
	for d := range snap.Dims {
		if v := b.values(i, d); v != "" {
			ex.Attributes = append(ex.Attributes, TermRecord{Attribute: snap.Dims[d].Name, Value: v})
		}
	}
	states, err := b.directUsage()
	if err != nil {
		return nil, err
	}
	held := snap.RolesOf(i)
	for n, r := range held {
		h := b.heldRole(r, "unexplained")
		if states != nil {
			h.Usage = states[snap.IdentOff[i]+int64(n)].String()
		}
		for _, k := range b.RulesOf(r) {
			if b.Matches(k, i) {
				ref := b.ruleRef(int(k))
				h.Status, h.Rule = "explained", &ref
				break
			}
		}
		if h.Rule != nil && b.unusedAt(snap.IdentOff[i]+int64(n)) {
			h.Status, h.Rule, h.Unused = "unexplained", nil, h.Rule
			ex.Unexplained++
		} else if h.Rule != nil {
			ex.Explained++
		} else {
			ex.Unexplained++
			h.Nearest = b.nearest(r, i)
			if h.Nearest == nil {
				h.RoleReason = b.roleReason(r, ex.Kind)
			}
		}
		ex.Roles = append(ex.Roles, h)
	}
	held = b.explainInherited(ex, i, held)
	// Suggestions: the first matching rule of every role the identity lacks. Rules are in
	// role order, so roles come out sorted.
	for k := range b.Model.Rules {
		r := b.Role(int32(k))
		if r < 0 {
			continue
		}
		if _, has := slices.BinarySearch(held, r); has {
			continue
		}
		if n := len(ex.Suggestions); n > 0 && ex.Suggestions[n-1].RoleID == snap.Roles.IDs[r] {
			continue
		}
		if b.Matches(int32(k), i) {
			ex.Suggestions = append(ex.Suggestions, SuggestedRole{RoleID: snap.Roles.IDs[r], Rule: b.ruleRef(k)})
		}
	}
	return ex, nil
}

func (b *Bound) heldRole(r int32, status string) HeldRole {
	h := HeldRole{RoleID: b.Snap.Roles.IDs[r], Status: status,
		Category: str(b.Snap.Roles.Category, int(r)), Application: str(b.Snap.Roles.Application, int(r))}
	if int(r) < len(b.Snap.Roles.Validations) {
		h.Validations = int(b.Snap.Roles.Validations[r])
	}
	return h
}

// pctString renders a percentage with at most 4 decimals and no trailing zeros.
func pctString(v float64) string {
	return strconv.FormatFloat(round4(v), 'f', -1, 64) + "%"
}

func (r RuleRef) describe() string {
	return fmt.Sprintf("%s %s [%s, policy %s, scope %s, rule precision %s = tp %d / support %d]",
		r.RuleID, r.criterionText(), r.RuleType, r.Policy, r.EntityType, pctString(r.HitRatePct), r.TP, r.Support)
}

// criterionText returns the rule's criterion for the text form, each value as
// plainOrQuoted writes it.
func (r RuleRef) criterionText() string {
	if len(r.Criteria) == 0 {
		return r.Criterion
	}
	parts := make([]string, len(r.Criteria))
	for k, t := range r.Criteria {
		parts[k] = t.Attribute + "=" + plainOrQuoted(t.Value)
	}
	return strings.Join(parts, " & ")
}

// text returns f for explain's text form: as String, the value the identity has
// written as plainOrQuoted writes it (review.csv keeps String's exact value).
func (f Failure) text() string {
	if f.Scope || f.Has == "" {
		return f.String()
	}
	return f.Attribute + "=" + plainOrQuoted(f.Has)
}

// plainOrQuoted returns an attribute value as it is, or Go-quoted when the text form
// would hide or misplace it: white space at either end ("Sales " is not "Sales"), a line
// break or another control character (a quoted CSV value may hold one), a quote, or a
// bidirectional control (U+202E would make "\u202eevil" read "live" on a terminal).
func plainOrQuoted(v string) string {
	if strings.TrimSpace(v) != v || strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) || r == '"' || isBidiControl(r) }) {
		return strconv.Quote(v)
	}
	return v
}

// WriteText writes the explanation for a reader.
func (ex *Explanation) WriteText(w io.Writer) error {
	var b strings.Builder
	if ex.Orphan {
		fmt.Fprintf(&b, "identity %s: ORPHAN (absent from identities; its %d assignments were excluded from mining)\n", ex.IdentityID, ex.Orphans)
	} else {
		fmt.Fprintf(&b, "identity %s (kind %s)\n", ex.IdentityID, ex.Kind)
		attrs := make([]string, len(ex.Attributes))
		for k, a := range ex.Attributes {
			attrs[k] = a.Attribute + "=" + plainOrQuoted(a.Value)
		}
		fmt.Fprintf(&b, "attributes: %s\n", strings.Join(attrs, " "))
		fmt.Fprintf(&b, "orphan: no\n")
	}
	fmt.Fprintf(&b, "\nroles held: %d (%d explained, %d unexplained, %d orphan)\n", len(ex.Roles), ex.Explained, ex.Unexplained, ex.Orphans)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, h := range ex.Roles {
		var why string
		switch {
		case h.chainRule:
			why = "as the direct holding its chain starts at (the role has no rule): by rule " + h.Rule.describe()
		case h.Rule != nil:
			why = "by rule " + h.Rule.describe()
		case h.Unused != nil:
			why = "unused: rule " + h.Unused.describe() + " matches, but the access is unused (UsedOnly)"
		case h.Nearest != nil:
			fails := make([]string, len(h.Nearest.Fails))
			for k, f := range h.Nearest.Fails {
				fails[k] = f.text()
			}
			why = fmt.Sprintf("nearest rule %s %s (scope %s): this identity has %s",
				h.Nearest.Rule.RuleID, h.Nearest.Rule.criterionText(), h.Nearest.Rule.EntityType, strings.Join(fails, ", "))
		case h.Status == "orphan":
			why = "identity unknown: not mined"
			if h.Account != "" {
				why += "; granted to account " + h.Account
			}
		case h.Inherited:
			why = "as the direct holding its chain starts at (the role has no rule)"
		default:
			why = "the role has no rule: " + h.RoleReason
		}
		switch {
		case h.Hidden:
			why = "HIDDEN inherited via " + h.Via + "; " + why
		case h.Inherited:
			why = "inherited via " + h.Via + "; " + why
		case h.Redundant:
			why = "redundant (also inherited via " + h.RedundantVia + "); " + why
		}
		if h.Usage != "" {
			why += "; usage " + h.Usage
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", plainOrQuoted(h.RoleID), h.Status, why)
	}
	tw.Flush()
	if !ex.Orphan {
		fmt.Fprintf(&b, "\nsuggestions (roles the model would grant, not held): %d\n", len(ex.Suggestions))
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, s := range ex.Suggestions {
			fmt.Fprintf(tw, "  %s\tby rule %s\n", s.RoleID, s.Rule.describe())
		}
		tw.Flush()
		ex.writeOwnership(&b)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
