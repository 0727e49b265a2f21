package report

import (
	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/usage"
)

// walkGranted walks identity i's effective pairs at rows [lo, hi) of a run with grants
// (w.eff.Eff set), of kind code kind. It counts them into blk and x and keeps the
// unexplained ones for review.csv, as walkBlock's callback does with eachIn's views, and
// with a row group g (nil: none) fills their rows in cols (the block's columns, extended
// at once) from index at, column by column. A pair's view is built only for review.csv's
// rows; the other pairs go from the arrays to the counts and columns directly. The
// identity, kind, status and rule_id columns are filled in passes of their own
// (identityColumns); the pass over the pairs writes the others in place.
func (pw *pairWalk) walkGranted(w *pairWalker, blk *walkBlock, g *effectiveGroup, cols *effectiveCols, at int, i int, lo, hi int64, kind int32, nonHuman bool, x *excessRow) {
	snap := pw.snap
	p, ec := w.eff.Eff.Pairs, w.eff.Class
	plo, _ := p.Of(i)
	d := snap.IdentOff[i] // the direct pairs appear in p in the same (ascending) order
	for k := plo; k < lo; k++ {
		if p.KindAt(k) != effective.Inherited {
			d++
		}
	}
	if g != nil {
		cols.identityColumns(at, i, kind, g.d, ec.RuleOf[lo:hi])
	}
	cellBase := int(kind) * (len(w.systemNames) + 1)
	cells := blk.cells
	x.roles += int32(hi - lo)
	for k := lo; k < hi; k++ {
		rule := ec.RuleOf[k]
		sys, acct, via := int32(-1), int32(-1), int32(-1)
		var use usage.State // usage.Unknown
		flags := 0
		if st := p.Step[k]; st >= 0 { // inherited (Pairs.Step)
			// The chain's source is read only where it is needed (inherited's direct
			// pair, a via string made for the first time, a review row).
			if sys = w.chainSystem[st]; sys < 0 || w.states != nil {
				sys, use = w.inherited(i, p.SourceOfStep(st), int64(st))
			}
			flags = flagInherited
			if ec.HiddenAt(k) {
				flags |= flagHidden
			}
			if g != nil {
				via = g.d.vias.getStep(st, p, p.Role[k])
			}
		} else {
			sys, acct = w.directAt(d)
			use = w.usageOf(d)
			if effective.KindOfStep(st) == effective.Redundant {
				flags = flagRedundant
			}
			d++
		}
		if rule >= 0 {
			flags |= flagExplained
		}
		cells[(cellBase+int(sys)+1)*numFlags+flags]++
		if use == usage.Unknown {
			x.unknown++
		}
		if rule < 0 || use == usage.Unused {
			pw.countUnexplainedOrUnused(w, blk, x, i, k, sys, acct, use, flags, nonHuman, via)
		}
		if g != nil {
			cols.setRest(at+int(k-lo), g.d, sys, acct, via, use, flags)
		}
	}
}

// countUnexplainedOrUnused counts into x the pair at row k of identity i, unexplained
// (flags without flagExplained: also its review row into blk) or unused, from
// walkGranted's values.
func (pw *pairWalk) countUnexplainedOrUnused(w *pairWalker, blk *walkBlock, x *excessRow, i int, k int64, sys, acct int32, use usage.State, flags int, nonHuman bool, via int32) {
	rule := flags & flagExplained
	role := w.eff.Eff.Pairs.Role[k]
	validations := int(pw.snap.Roles.Validations[role])
	weight := 1 + int64(validations)
	if rule == 0 {
		x.unexplained++
		x.unexplainedWeight += weight
		blk.review = append(blk.review, grantedReviewRow(i, k, role, sys, acct, use, flags, validations, nonHuman, via, w))
	}
	if use == usage.Unused {
		x.unused++
		x.unusedWeight += weight
	}
}

// identityColumns fills, from index at, the identity, kind, status and rule_id columns
// of the rows of identity i, of kind code kind (-1: none, the dictionary's last value),
// with rules ruleOf (-1: unexplained; else the rule's index, whose code is d.ruleCode's).
func (c *effectiveCols) identityColumns(at, i int, kind int32, d *effectiveDicts, ruleOf []int32) {
	if kind < 0 {
		kind = int32(len(d.kinds) - 1)
	}
	n := len(ruleOf)
	ident, kinds := c.ident[at:at+n], c.kind[at:at+n]
	for j := range ident {
		ident[j], kinds[j] = int32(i), kind
	}
	status, rule, ruleCode := c.status[at:at+n], c.rule[at:at+n], d.ruleCode
	for j, r := range ruleOf {
		if r >= 0 {
			status[j], rule[j] = int32(mining.Explained), ruleCode[r]
		} else {
			status[j], rule[j] = int32(mining.Unexplained), -1
		}
	}
}

// grantedReviewRow is the review row (newReviewRow) of the unexplained pair at row k of
// identity i, from walkGranted's values: via is its via code (-1: none made).
func grantedReviewRow(i int, k int64, role, sys, acct int32, use usage.State, flags, validations int, nonHuman bool, via int32, w *pairWalker) effectiveReviewRow {
	r := effectiveReviewRow{ident: int32(i), role: role, system: sys, acct: acct, source: -1, step: -1,
		viaCode: via + 1, validations: int16(validations), usage: use}
	if flags&flagInherited != 0 {
		p := w.eff.Eff.Pairs
		r.step = p.Step[k]
		r.source = p.SourceOfStep(r.step)
	}
	r.setFlags(flags&flagInherited != 0, flags&flagRedundant != 0, flags&flagHidden != 0, w.eff.Class.UnusedAt(int(k)), nonHuman)
	return r
}

// effectiveCols are the columns of a block's effective pairs in a row group, from the
// block's first pair (effectiveGroup.extend).
type effectiveCols struct {
	ident, kind                             []int32
	status, rule, system, account, via, use []int32
	inherited, redundant, hidden            []bool
}

// extend adds rows for the effective pairs of roles (a block's, in row order), filling
// the role column unless the group's role column is the pairs' own (pairRoles), and
// returns the other columns of the new rows, for walkGranted to fill identity by identity.
func (g *effectiveGroup) extend(roles []int32) effectiveCols {
	data, n := g.data, len(roles)
	grow := func(c int) []int32 {
		at := len(data[c].Codes)
		data[c].Codes = extendBy(data[c].Codes, n)
		return data[c].Codes[at:]
	}
	growBools := func(c int) []bool {
		at := len(data[c].Bools)
		data[c].Bools = extendBy(data[c].Bools, n)
		return data[c].Bools[at:]
	}
	if !g.pairRoles {
		copy(grow(ecRole), roles)
	}
	cols := effectiveCols{
		ident: grow(ecIdent), kind: grow(ecKind),
		status: grow(ecStatus), rule: grow(ecRule), system: grow(ecSystem), account: grow(ecAccount),
		via: grow(ecVia), inherited: growBools(ecInherited), redundant: growBools(ecRedundant), hidden: growBools(ecHidden),
	}
	if len(data) > ecUsage {
		cols.use = grow(ecUsage)
	}
	return cols
}

// setRest fills row j of c but its status and rule_id (ruleColumns): the pair's system
// index, account (index into the universe's accounts, -1: none), via code, usage state
// and flags, as effectiveGroup.addPair writes them.
func (c *effectiveCols) setRest(j int, d *effectiveDicts, sys, acct, via int32, use usage.State, flags int) {
	account := int32(-1)
	if acct >= 0 {
		account = d.acctCode[acct]
	}
	c.system[j], c.account[j], c.via[j] = sys, account, via
	c.inherited[j] = flags&flagInherited != 0
	c.redundant[j] = flags&flagRedundant != 0
	c.hidden[j] = flags&flagHidden != 0
	if c.use != nil {
		c.use[j] = int32(use)
	}
}

// extendBy returns s with n more elements, of any value (the sink sizes its columns for
// the whole group, so that they are not copied).
func extendBy[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s[:len(s)+n]
	}
	return append(s, make([]T, n)...)
}
