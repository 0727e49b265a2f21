package mining

import (
	"context"
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/effective"
)

// EffectiveClassification gives every effective pair (aligned with Effective.Pairs) its
// status (docs/effective-privilege.md):
//   - a direct pair: its status of section 5 (Classification.RuleOf);
//   - an inherited pair: explained when a rule of its role matches the identity,
//     unexplained when its role has rules and none matches (hidden inherited access),
//     and otherwise the status of the direct holding its chain starts at.
type EffectiveClassification struct {
	// RuleOf is the rule explaining the pair (for an inherited pair of a role without
	// rules, the rule explaining the direct holding it comes from), or -1.
	RuleOf []int32
	Status []Status
	// Hidden marks inherited pairs that are unexplained although their role has rules.
	Hidden []bool
	// Unused marks the pairs unexplained because their access is unused under a UsedOnly
	// mining rule: a direct pair marked in Classification.Unused, or an inherited pair of
	// a role without rules whose source is; nil when the classification has none.
	Unused []bool
}

// UnusedAt reports whether effective pair k is unexplained for being unused under a
// UsedOnly mining rule.
func (ec *EffectiveClassification) UnusedAt(k int) bool { return ec.Unused != nil && ec.Unused[k] }

// ClassifyEffective classifies the effective pairs of eff, given the classification of
// the direct pairs, and drops the suggestions of pairs held through grants (a rule that
// matches an identity already holding the role effectively suggests nothing).
func ClassifyEffective(ctx context.Context, snap *columnar.Snapshot, m *Model, cls *Classification, eff *Effective) (*EffectiveClassification, error) {
	p := eff.Pairs
	ec := &EffectiveClassification{
		RuleOf: make([]int32, len(p.Role)),
		Status: make([]Status, len(p.Role)),
		Hidden: make([]bool, len(p.Role)),
	}
	if cls.Unused != nil {
		ec.Unused = make([]bool, len(p.Role))
	}
	kd := &snap.Dims[snap.KindDim]
	// scope[j][kind code]: whether rule j's scope holds the kind.
	scope := make([][]bool, len(m.Rules))
	for j := range m.Rules {
		scope[j] = make([]bool, len(kd.Values))
		for c, v := range kd.Values {
			scope[j][c] = KindInScope(m.Rules[j].EntityType, v)
		}
	}
	first := func(r int32, i int) int32 {
		lo := ruleStart(m, r)
		for j := lo; j < len(m.Rules) && m.Rules[j].Role == r; j++ {
			if scope[j][kd.Codes[i]] && matchesCriterion(snap, &m.Rules[j].Criterion, i) {
				return int32(j)
			}
		}
		return -1
	}
	for i := 0; i < snap.NumIdentities(); i++ {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		lo, hi := p.Of(i)
		direct := snap.RolesOf(i)
		// directRule returns the rule of identity i's direct holding of role r, and whether
		// it is unexplained for being unused under a UsedOnly mining rule.
		directRule := func(r int32) (int32, bool) {
			k, _ := slices.BinarySearch(direct, r)
			at := snap.IdentOff[i] + int64(k)
			return cls.RuleOf[at], cls.UnusedAt(int(at))
		}
		for k := lo; k < hi; k++ {
			r := p.Role[k]
			rule, unused := int32(-1), false
			switch {
			case p.Kind[k] != effective.Inherited:
				rule, unused = directRule(r)
			case len(m.RulesOf(r)) > 0:
				rule = first(r, i)
				ec.Hidden[k] = rule < 0
			default:
				rule, unused = directRule(p.Source[k])
			}
			if unused {
				ec.Unused[k] = true
			}
			ec.RuleOf[k] = rule
			ec.Status[k] = Explained
			if rule < 0 {
				ec.Status[k] = Unexplained
			}
		}
	}
	cls.Suggestions = slices.DeleteFunc(cls.Suggestions, func(sg Suggestion) bool {
		lo, hi := p.Of(int(sg.Identity))
		_, held := slices.BinarySearch(p.Role[lo:hi], sg.Role)
		return held
	})
	return ec, nil
}

// ruleStart returns the index of role r's first rule in m.Rules (or where it would be).
func ruleStart(m *Model, r int32) int {
	k, _ := slices.BinarySearchFunc(m.Rules, r, func(x Rule, r int32) int { return int(x.Role - r) })
	return k
}
