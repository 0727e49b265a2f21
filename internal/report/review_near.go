package report

import "math/bits"

// nearTerms is the most terms a rule of nearRules holds packed.
const nearTerms = 4

// nearRules is the model's rules grouped by role and packed for the nearest-rule search
// of review.csv's rows: role r's rules, in rule order, are rules[start[r]:start[r+1]], so
// that a row reads one run of them instead of the bound rules' scattered slices (at tier
// XL, 4.5 million rows, each searching its role's rules). A role is not packed (packed[r]
// false: Bound.nearestRule searches it) when one of its rules has more terms than the
// packing allows or a dimension past 255, or when there are more than 64 kind codes.
type nearRules struct {
	start  []int32
	rules  []nearRule
	packed []bool
}

// nearRule is one rule: its index in Model.Rules, the kind codes its entity type admits
// (bit c for code c), and its terms as dimensions and codes (-1: a value the snapshot
// lacks).
type nearRule struct {
	scope uint64
	k     int32
	n     uint8
	dims  [nearTerms]uint8
	codes [nearTerms]int32
}

// newNearRules packs b's rules of at most maxTerms terms (at most nearTerms).
func (b *Bound) newNearRules(maxTerms int) *nearRules {
	snap := b.Snap
	nr := &nearRules{start: make([]int32, snap.NumRoles()+1), packed: make([]bool, snap.NumRoles())}
	kinds := len(snap.Dims[snap.KindDim].Values)
	for r := range int32(snap.NumRoles()) {
		ok := kinds <= 64
		for _, k := range b.RulesOf(r) {
			dims, _ := b.Terms(k)
			ok = ok && len(dims) <= min(maxTerms, nearTerms)
			for _, d := range dims {
				ok = ok && d < 256
			}
		}
		nr.packed[r] = ok
		for _, k := range b.RulesOf(r) {
			if !ok {
				break
			}
			dims, codes := b.Terms(k)
			p := nearRule{k: k, n: uint8(len(dims))}
			for c, in := range b.InKind(k) {
				if in {
					p.scope |= 1 << c
				}
			}
			for t, d := range dims {
				p.dims[t], p.codes[t] = uint8(d), codes[t]
			}
			nr.rules = append(nr.rules, p)
		}
		nr.start[r+1] = int32(len(nr.rules))
	}
	return nr
}

// nearest is Bound.nearestRule(r, i) for identity i of kind code kind, with the
// dimension of the first term it fails (-1 for none).
func (nr *nearRules) nearest(b *Bound, r int32, i int, kind int32) (best int, kindFails bool, terms uint32, first int32) {
	if !nr.packed[r] {
		best, kindFails, terms = b.nearestRule(r, i)
		if terms != 0 {
			dims, _ := b.Terms(int32(best))
			first = dims[bits.TrailingZeros32(terms)]
		} else {
			first = -1
		}
		return best, kindFails, terms, first
	}
	best, bestN, first := -1, 0, int32(-1)
	for j := nr.start[r]; j < nr.start[r+1]; j++ {
		p := &nr.rules[j]
		kd := p.scope&(1<<kind) == 0
		var tm uint32
		for t := range p.n {
			if c := p.codes[t]; c < 0 || !b.Snap.Dims[p.dims[t]].Has(i, c) {
				tm |= 1 << t
			}
		}
		n := bits.OnesCount32(tm)
		if kd {
			n++
		}
		if best < 0 || n < bestN {
			best, bestN, kindFails, terms = int(p.k), n, kd, tm
			first = -1
			if tm != 0 {
				first = int32(p.dims[bits.TrailingZeros32(tm)])
			}
		}
	}
	return best, kindFails, terms, first
}
