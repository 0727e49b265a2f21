package model

import (
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/uerr"
)

// RuleBinding is the rules of a model (rules.json) bound to one snapshot: each
// rule's role as a snapshot role index, its entity type as the kind codes it admits, and
// its terms as (dimension, code). It is the one way rolemine matches a written model's
// rules against identities (report, explain and drift), exactly as mining.Rule.Matches
// matches a freshly mined rule: scope, then every term.
type RuleBinding struct {
	snap  *columnar.Snapshot
	rules []boundRule
	// byRole[r] lists the indices into rules of snapshot role r, in rule order.
	byRole [][]int32
}

// boundRule is one rule with its terms as (dimension, code). A value absent from the
// snapshot's dictionary has code -1 and matches nobody; a role absent from the snapshot
// is -1, and its rules match nobody.
type boundRule struct {
	role  int32
	dims  []int32
	codes []int32
	// inKind says, by kind code, whether the rule's entity type admits the kind.
	inKind []bool
}

// MaxRuleTerms is the most terms a rule of a model file may have. Mining never makes more
// than MaxDimensions (at most 4); the bound exists because review and explain record a
// rule's failed terms as the bits of one uint32, and a hand-written rule past it would
// have its later terms silently ignored there.
const MaxRuleTerms = 32

// BindRules resolves rules against snap; file names the rules' file in messages (the
// model directory's rules.json, or just "rules.json" for a model not read from disk). A
// rule naming an attribute the identities lack,
// without any term, with more than MaxRuleTerms terms, or of an unknown rule_type, is a
// user error: the model was
// mined from other data or written by hand.
func BindRules(snap *columnar.Snapshot, rules []Rule, file string) (*RuleBinding, error) {
	b := &RuleBinding{snap: snap, rules: make([]boundRule, len(rules)), byRole: make([][]int32, snap.NumRoles())}
	kd := &snap.Dims[snap.KindDim]
	kinds := map[string][]bool{} // entity type -> admitted kind codes
	for k := range rules {
		rec := &rules[k]
		br := boundRule{role: -1}
		if br.inKind = kinds[rec.EntityType]; br.inKind == nil {
			br.inKind = make([]bool, len(kd.Values))
			for c, v := range kd.Values {
				br.inKind[c] = mining.KindInScope(rec.EntityType, v)
			}
			kinds[rec.EntityType] = br.inKind
		}
		if r, ok := slices.BinarySearch(snap.Roles.IDs, rec.RoleID); ok {
			br.role = int32(r)
			b.byRole[r] = append(b.byRole[r], int32(k))
		}
		if len(rec.Criteria) > MaxRuleTerms {
			return nil, uerr.New("%s: rule %s (role %s) has %d criteria; expected at most %d",
				file, rec.RuleID, rec.RoleID, len(rec.Criteria), MaxRuleTerms)
		}
		for _, t := range rec.Criteria {
			d := snap.DimIndex(t.Attribute)
			if d < 0 {
				return nil, uerr.New("%s: rule %s (role %s) uses attribute %q, which the identities lack; was the model mined from this kind of data? (an attribute a criterion plugin derived needs the same --plugin flags as mine)",
					file, rec.RuleID, rec.RoleID, t.Attribute)
			}
			code := int32(-1)
			if c, ok := slices.BinarySearch(snap.Dims[d].Values, t.Value); ok {
				code = int32(c)
			}
			br.dims = append(br.dims, int32(d))
			br.codes = append(br.codes, code)
		}
		if len(rec.Criteria) == 0 {
			return nil, uerr.New("%s: rule %s (role %s) has no criteria", file, rec.RuleID, rec.RoleID)
		}
		if !knownRuleType(rec.RuleType) {
			return nil, uerr.New("%s: rule %s (role %s) has rule_type %q; expected %s, %s or %s", file, rec.RuleID, rec.RoleID,
				rec.RuleType, mining.Required, mining.RequestedAutomatically, mining.Suggested)
		}
		b.rules[k] = br
	}
	return b, nil
}

// knownRuleType says whether s is a rule type as rules.json writes it (docs/outputs.md):
// drift grants the role of a required rule and suggests the others', so another word,
// such as the configuration's "Required", would silently turn grants into suggestions.
func knownRuleType(s string) bool {
	for _, t := range []mining.RuleType{mining.Required, mining.RequestedAutomatically, mining.Suggested} {
		if s == t.String() {
			return true
		}
	}
	return false
}

// Matches reports whether rule k matches identity i: its role is in the snapshot, its
// entity type admits the identity's kind, and the identity has every term.
func (b *RuleBinding) Matches(k int32, i int) bool {
	br := &b.rules[k]
	if br.role < 0 || !br.inKind[b.snap.Dims[b.snap.KindDim].Codes[i]] {
		return false
	}
	for t, d := range br.dims {
		if br.codes[t] < 0 || !b.snap.Dims[d].Has(i, br.codes[t]) {
			return false
		}
	}
	return true
}

// Role is the snapshot role of rule k, or -1 when the snapshot lacks the role.
func (b *RuleBinding) Role(k int32) int32 { return b.rules[k].role }

// InKind says, by kind code, whether rule k's entity type admits the kind.
func (b *RuleBinding) InKind(k int32) []bool { return b.rules[k].inKind }

// Terms are rule k's terms as dimensions and codes (-1: a value the snapshot lacks).
func (b *RuleBinding) Terms(k int32) (dims, codes []int32) {
	return b.rules[k].dims, b.rules[k].codes
}

// RulesOf lists the rules of snapshot role r, in rule order.
func (b *RuleBinding) RulesOf(r int32) []int32 { return b.byRole[r] }
