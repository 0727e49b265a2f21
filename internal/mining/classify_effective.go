package mining

import (
	"context"
	"runtime"
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/parallel"
)

// EffectiveClassification gives every effective pair (aligned with Effective.Pairs) its
// status (docs/effective-privilege.md):
//   - a direct pair: its status of section 5 (Classification.RuleOf);
//   - an inherited pair: explained when a rule of its role matches the identity,
//     unexplained when its role has rules and none matches (hidden inherited access),
//     and otherwise the status of the direct holding its chain starts at.
//
// RuleOf alone is stored per pair: a pair's status and whether it is hidden follow from
// it, the pair's kind and whether its role has rules (StatusAt, HiddenAt).
type EffectiveClassification struct {
	// RuleOf is the rule explaining the pair (for an inherited pair of a role without
	// rules, the rule explaining the direct holding it comes from), or -1.
	RuleOf []int32
	// Unused marks the pairs unexplained because their access is unused under a UsedOnly
	// mining rule: a direct pair marked in Classification.Unused, or an inherited pair of
	// a role without rules whose source is; nil when the classification has none.
	Unused []bool
	// Explained and NumHidden count the pairs explained and the hidden ones
	// (ClassifyEffective's; a classification made otherwise may leave them 0).
	Explained, NumHidden int64
	// pairs are the classified pairs; ruled[r] says whether role r has rules.
	pairs *effective.Pairs
	ruled []bool
}

// NewEffectiveClassification returns a classification of the pairs p with RuleOf made
// (every entry 0, for the caller to set), where ruled[r] says whether role r has rules.
func NewEffectiveClassification(p *effective.Pairs, ruled []bool) *EffectiveClassification {
	return &EffectiveClassification{RuleOf: make([]int32, len(p.Role)), pairs: p, ruled: ruled}
}

// StatusAt returns effective pair k's status: explained when a rule explains it.
func (ec *EffectiveClassification) StatusAt(k int64) Status {
	if ec.RuleOf[k] < 0 {
		return Unexplained
	}
	return Explained
}

// HiddenAt reports whether effective pair k is hidden inherited access: inherited, and
// unexplained although its role has rules.
func (ec *EffectiveClassification) HiddenAt(k int64) bool {
	p := ec.pairs
	return ec.RuleOf[k] < 0 && p.KindAt(k) == effective.Inherited && ec.ruled[p.Role[k]]
}

// UnusedAt reports whether effective pair k is unexplained for being unused under a
// UsedOnly mining rule.
func (ec *EffectiveClassification) UnusedAt(k int) bool { return ec.Unused != nil && ec.Unused[k] }

// ClassifyEffective classifies the effective pairs of eff, given the classification of
// the direct pairs, and drops the suggestions of pairs held through grants (a rule that
// matches an identity already holding the role effectively suggests nothing).
func ClassifyEffective(ctx context.Context, snap *columnar.Snapshot, m *Model, cls *Classification, eff *Effective) (*EffectiveClassification, error) {
	return ClassifyEffectiveWorkers(ctx, snap, m, cls, eff, 0)
}

// ClassifyEffectiveWorkers is ClassifyEffective on workers goroutines (<= 0: GOMAXPROCS),
// each classifying blocks of identities; the result does not depend on workers.
func ClassifyEffectiveWorkers(ctx context.Context, snap *columnar.Snapshot, m *Model, cls *Classification, eff *Effective, workers int) (*EffectiveClassification, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := eff.Pairs
	cr := compileRules(snap, m)
	ruled := make([]bool, snap.NumRoles())
	for r := range ruled {
		ruled[r] = cr.off[r] < cr.off[r+1]
	}
	ec := NewEffectiveClassification(p, ruled)
	if cls.Unused != nil {
		ec.Unused = make([]bool, len(p.Role))
	}
	x := &effClassifier{snap: snap, cr: cr, cls: cls, p: p, ec: ec}
	const chunk = 1 << 14
	n := snap.NumIdentities()
	at := make([][]int32, workers)
	counts := make([][2]int64, workers) // by worker: explained, hidden
	err := parallel.Each(ctx, (n+chunk-1)/chunk, workers, func(w, c int) error {
		if at[w] == nil {
			at[w] = make([]int32, snap.NumRoles())
		}
		for i := c * chunk; i < min((c+1)*chunk, n); i++ {
			explained, hidden := x.identity(i, at[w])
			counts[w][0] += explained
			counts[w][1] += hidden
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, c := range counts {
		ec.Explained += c[0]
		ec.NumHidden += c[1]
	}
	cls.Suggestions, err = dropHeld(ctx, cls.Suggestions, p, workers)
	if err != nil {
		return nil, err
	}
	return ec, nil
}

// dropHeld removes, in place and keeping their order, the suggestions of pairs held
// effectively (found in p): each block of suggestions is compacted on its own, on up to
// workers goroutines, and the blocks are then moved together.
func dropHeld(ctx context.Context, sgs []Suggestion, p *effective.Pairs, workers int) ([]Suggestion, error) {
	const block = 1 << 16
	nb := (len(sgs) + block - 1) / block
	kept := make([]int, nb)
	err := parallel.Each(ctx, nb, workers, func(_, b int) error {
		own := sgs[b*block : min((b+1)*block, len(sgs))]
		kept[b] = len(slices.DeleteFunc(own, func(sg Suggestion) bool {
			lo, hi := p.Of(int(sg.Identity))
			_, held := slices.BinarySearch(p.Role[lo:hi], sg.Role)
			return held
		}))
		return nil
	})
	if err != nil {
		return nil, err
	}
	n := 0
	for b, k := range kept {
		n += copy(sgs[n:], sgs[b*block:b*block+k])
	}
	clear(sgs[n:])
	return sgs[:n], nil
}

// effClassifier classifies the effective pairs of one identity at a time into ec.
type effClassifier struct {
	snap *columnar.Snapshot
	cr   *compiledRules
	cls  *Classification
	p    *effective.Pairs
	ec   *EffectiveClassification
}

// identity classifies identity i's effective pairs. A direct (or redundant) pair takes
// the status of its direct assignment, found by walking i's direct roles alongside its
// pairs (both ascending); an inherited pair of a role with rules takes the first rule
// matching i; one of a role without rules takes the status of its source's assignment,
// found through pos (scratch by role: pos[r] is set to the position of each of i's
// direct roles r, and a source is always one of them; set only for an identity with such
// a pair). It returns how many of the identity's pairs are explained and how many hidden.
// The pairs' unused marks, when the direct classification has any, are set apart
// (unused), so that the loop over the pairs reads no more than it needs.
func (x *effClassifier) identity(i int, pos []int32) (explained, hidden int64) {
	snap, cr, p := x.snap, x.cr, x.p
	kind := snap.Dims[snap.KindDim].Codes[i]
	direct, base := snap.RolesOf(i), snap.IdentOff[i]
	held := x.cls.RuleOf[base : base+int64(len(direct))]
	lo, hi := p.Of(i)
	roles := p.Role[lo:hi]
	steps, out := p.Step[lo:hi], x.ec.RuleOf[lo:hi]
	steps, out = steps[:len(roles)], out[:len(roles)]
	ruled := x.ec.ruled
	placed := false // pos holds i's direct roles
	d := 0
	for k, r := range roles {
		var rule int32
		switch st := steps[k]; {
		case st < 0: // direct or redundant
			for direct[d] < r {
				d++
			}
			rule = held[d]
		case ruled[r]:
			rule = -1
			for j := cr.off[r]; j < cr.off[r+1]; j++ {
				if cr.matches(snap, j, i, kind) {
					rule = j
					break
				}
			}
			hidden += int64(uint32(rule) >> 31)
		default:
			if !placed {
				for d := len(direct) - 1; d >= 0; d-- { // a role listed twice: its first position
					pos[direct[d]] = int32(d)
				}
				placed = true
			}
			rule = held[pos[p.SourceOfStep(st)]]
		}
		out[k] = rule
		explained += int64(^uint32(rule) >> 31)
	}
	if x.cls.Unused != nil {
		x.unused(i, pos, placed)
	}
	return explained, hidden
}

// unused marks identity i's pairs whose status is that of an unused direct assignment:
// its direct (or redundant) pairs and its inherited pairs of roles without rules whose
// source's assignment is marked (pos as in identity, placed when identity set it).
func (x *effClassifier) unused(i int, pos []int32, placed bool) {
	snap, p := x.snap, x.p
	direct, base := snap.RolesOf(i), snap.IdentOff[i]
	if !placed {
		for d := len(direct) - 1; d >= 0; d-- {
			pos[direct[d]] = int32(d)
		}
	}
	d := 0
	lo, hi := p.Of(i)
	for k := lo; k < hi; k++ {
		r := p.Role[k]
		at := int64(-1)
		switch st := p.Step[k]; {
		case st < 0:
			for direct[d] < r {
				d++
			}
			at = base + int64(d)
		case !x.ec.ruled[r]:
			at = base + int64(pos[p.SourceOfStep(st)])
		}
		if at >= 0 && x.cls.UnusedAt(int(at)) {
			x.ec.Unused[k] = true
		}
	}
}
