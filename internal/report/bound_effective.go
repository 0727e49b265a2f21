package report

import (
	"context"
	"slices"

	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/uerr"
	"github.com/rolemine/rolemine/internal/usage"
)

// LoadEffective sets b.Effective for universe data from the snapshot and the model files
// alone, as `rolemine mine` passed it to its writers: the closure of the role grants,
// the status of every inherited pair under the rules of rules.json, and the usage
// parameters summary.json records. ruleOf is the classification of the direct pairs
// (Classify). Flat data leaves b.Effective nil. The report's per-identity sections
// (excess ranking, ownership) read it, so that `rolemine report` rewrites the page mine
// wrote.
func (b *Bound) LoadEffective(ctx context.Context, ruleOf []int32) error {
	snap := b.Snap
	if snap.Universe == nil {
		return nil
	}
	e := &Effective{}
	if us := b.Model.Summary.Usage; us != nil && snap.Universe.LastUsed != nil {
		e.Usage = &usage.Params{AsOf: usage.Never, UnusedDays: us.UnusedDays}
		if us.AsOf != "" {
			t, err := usage.Parse(us.AsOf)
			if err != nil {
				return uerr.New("summary.json usage.as_of: %v", err)
			}
			e.Usage.AsOf = t
		}
	}
	eff, err := mining.EffectiveOf(ctx, snap)
	if err != nil {
		return err
	}
	if eff != nil {
		e.Eff = eff
		if e.Class, err = b.classifyEffective(ctx, eff, ruleOf); err != nil {
			return err
		}
	}
	b.Effective = e
	return nil
}

// classifyEffective is mining.ClassifyEffective over the model files' rules: a direct
// pair keeps its status of ruleOf; an inherited pair is explained by the first rule of
// its role that matches, hidden when its role has rules and none matches, and otherwise
// takes the status of the direct holding its chain starts at.
func (b *Bound) classifyEffective(ctx context.Context, eff *mining.Effective, ruleOf []int32) (*mining.EffectiveClassification, error) {
	snap, p := b.Snap, eff.Pairs
	ruled := make([]bool, snap.NumRoles())
	for r := range ruled {
		ruled[r] = len(b.RulesOf(int32(r))) > 0
	}
	ec := mining.NewEffectiveClassification(p, ruled)
	for i := range snap.NumIdentities() {
		if i&0xfff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		direct := snap.RolesOf(i)
		directRule := func(r int32) int32 {
			k, _ := slices.BinarySearch(direct, r)
			return ruleOf[snap.IdentOff[i]+int64(k)]
		}
		lo, hi := p.Of(i)
		for k := lo; k < hi; k++ {
			r, rule := p.Role[k], int32(-1)
			switch {
			case p.KindAt(k) != effective.Inherited:
				rule = directRule(r)
			case len(b.RulesOf(r)) > 0:
				for _, j := range b.RulesOf(r) {
					if b.Matches(j, i) {
						rule = j
						break
					}
				}
			default:
				rule = directRule(p.SourceAt(k))
			}
			ec.RuleOf[k] = rule
		}
	}
	return ec, nil
}
