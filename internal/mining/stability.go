package mining

import (
	"slices"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/metrics"
)

// Stability (`rolemine mine --previous OUT_PREV --grace G`): a role's previous rules are
// kept while they still meet every bound of the mining rule and their precision percentage
// (100*(TP+TN)/n over the mining rule's scope, docs/semantics.md#metric-precision) is at
// most G points below the best alternative's (docs/semantics.md#stability-grace). This
// hysteresis stops rules flapping between near-equal criteria from run to run (Netwrix
// documents rules that appear and disappear around a threshold). Rule ids depend only on
// the role and the criterion (RuleID), so a kept rule keeps its id.
//
// The previous model only ever replaces the choice the miner made with the previous rule
// set; without Options.Previous nothing here runs and results are unchanged.

// Previous is the model of an earlier run.
type Previous struct {
	// Rules holds each role's previous rules, by role id.
	Rules map[string][]PreviousRule
	// Grace is G, in percentage points of precision (>= 0).
	Grace float64
}

// PreviousRule is one rule of the previous model.
type PreviousRule struct {
	// EntityType is the rule's scope as written; only previous rules of the mining rule's
	// own EntityType are considered.
	EntityType string
	Terms      []PreviousTerm
}

// PreviousTerm is one attribute = value term.
type PreviousTerm struct{ Attribute, Value string }

// stabilize returns res, or the role's previous rules measured on this snapshot when the
// hysteresis keeps them.
func (s *selector) stabilize(r int32, res roleResult) roleResult {
	snap, sc, mr := s.snap, s.sc, s.sc.mr
	roleID := snap.Roles.IDs[r]
	var crits []kernels.Criterion
	for _, p := range s.prev.Rules[roleID] {
		if p.EntityType != mr.EntityType {
			continue
		}
		c, ok := s.resolve(p.Terms)
		if !ok {
			return res // a term no longer exists or may not be used: the bound fails
		}
		crits = append(crits, c)
	}
	if len(crits) == 0 {
		return res
	}
	slices.SortFunc(crits, kernels.Criterion.Compare)
	crits = slices.Compact(crits)
	if len(res.rules) == len(crits) {
		same := true
		for k := range crits {
			if res.rules[k].Criterion.Compare(crits[k]) != 0 {
				same = false
				break
			}
		}
		if same {
			return res
		}
	}
	// Measure the previous set: each rule's support and tp, the union's TP and FP.
	s.hs = s.hs[:0]
	for _, i := range snap.Holders(int(r)) {
		if sc.bits[i>>6]&(1<<(uint32(i)&63)) != 0 {
			s.hs = append(s.hs, i)
		}
	}
	hn := int64(len(s.hs))
	if hn == 0 {
		return res
	}
	for h, i := range s.hs {
		s.loc[i] = int32(h)
	}
	defer func() {
		for _, i := range s.hs {
			s.loc[i] = -1
		}
	}()
	cover := make([]uint8, hn) // rules covering each holder (saturating)
	type stat struct{ sup, tp int64 }
	stats := make([]stat, len(crits))
	var fps []int32
	for k := range crits {
		c := &crits[k]
		for _, i := range sc.ix.posting(sc.ix.rarest(c)) {
			if !matchesCriterion(snap, c, int(i)) {
				continue
			}
			stats[k].sup++
			if h := s.loc[i]; h >= 0 {
				stats[k].tp++
				if cover[h] < 255 {
					cover[h]++
				}
			} else {
				fps = append(fps, i)
			}
		}
	}
	// A previous rule that now fails a per-rule bound is dropped; the others may stay.
	keep := crits[:0]
	kstats := stats[:0]
	for k := range crits {
		st := stats[k]
		if mr.Bounds().RuleFails(st.tp, st.sup) != "" {
			s.uncover(&crits[k], cover)
			continue
		}
		keep = append(keep, crits[k])
		kstats = append(kstats, st)
	}
	if len(keep) < len(crits) {
		crits, stats = keep, kstats
		if len(crits) == 0 {
			return res
		}
		fps = s.falsePositives(crits, fps[:0])
	}
	// Every rule must add a holder the others miss (docs/semantics.md#stability-valid).
	for k := range crits {
		c := &crits[k]
		adds := false
		for _, i := range sc.ix.posting(sc.ix.rarest(c)) {
			if h := s.loc[i]; h >= 0 && cover[h] == 1 && matchesCriterion(snap, c, int(i)) {
				adds = true
				break
			}
		}
		if !adds {
			return res
		}
	}
	var tp int64
	for _, n := range cover {
		if n > 0 {
			tp++
		}
	}
	slices.Sort(fps)
	fp := int64(len(slices.Compact(fps)))
	bd := &bounds{n: sc.n, holders: hn, Bounds: mr.Bounds()}
	if ok, _ := bd.valid(tp, fp); !ok {
		return res
	}
	// Hysteresis on the precision percentage (docs/semantics.md#stability-grace; correct
	// decisions over the scope): the previous set stays unless the best alternative is more
	// than G points more precise.
	prevPrec := metrics.Of(sc.n, hn, tp, fp).Precision()
	bestPrec := metrics.Pct(res.tp+res.tn, sc.n)
	if res.tp == 0 && len(res.rules) == 0 {
		bestPrec = prevPrec // no alternative at all
	}
	if bestPrec-prevPrec > s.prev.Grace {
		return res
	}
	kept := roleResult{n: sc.n, tp: tp, fp: fp, fn: hn - tp, tn: sc.n - hn - fp,
		candidates: res.candidates, exact: res.exact}
	for k, c := range crits {
		kept.rules = append(kept.rules, Rule{
			ID:         RuleID(snap, roleID, c),
			Role:       r,
			Criterion:  c,
			Type:       mr.RuleType,
			Policy:     mr.RulePolicy,
			EntityType: mr.EntityType,
			MiningRule: mr.Index,
			Priority:   mr.Priority,
			Support:    stats[k].sup,
			TP:         stats[k].tp,
			FP:         stats[k].sup - stats[k].tp,
		})
	}
	return kept
}

// resolve turns terms into a criterion on this mining rule's allowed dimensions; false
// when a term's attribute may not be used or its value is gone.
func (s *selector) resolve(terms []PreviousTerm) (kernels.Criterion, bool) {
	var c kernels.Criterion
	if len(terms) == 0 || len(terms) > min(s.sc.mr.MaxDimensions, kernels.MaxTerms) {
		return c, false
	}
	for _, t := range terms {
		d := s.snap.DimIndex(t.Attribute)
		if d < 0 || !slices.Contains(s.sc.dims, int32(d)) {
			return c, false
		}
		v, ok := slices.BinarySearch(s.snap.Dims[d].Values, t.Value)
		if !ok {
			return c, false
		}
		c.T[c.N] = kernels.Term{Dim: int32(d), Val: int32(v)}
		c.N++
	}
	slices.SortFunc(c.T[:c.N], func(a, b kernels.Term) int { return int(a.Dim - b.Dim) })
	for k := 1; k < int(c.N); k++ {
		if c.T[k].Dim == c.T[k-1].Dim {
			return c, false // two terms on one attribute
		}
	}
	return c, true
}

// uncover removes criterion c's holders from cover (the counts of rules covering each
// in-scope holder, indexed through s.loc).
func (s *selector) uncover(c *kernels.Criterion, cover []uint8) {
	for _, i := range s.sc.ix.posting(s.sc.ix.rarest(c)) {
		if h := s.loc[i]; h >= 0 && matchesCriterion(s.snap, c, int(i)) && cover[h] < 255 {
			cover[h]--
		}
	}
}

// falsePositives appends to buf the in-scope non-holders that crits match (with repeats).
func (s *selector) falsePositives(crits []kernels.Criterion, buf []int32) []int32 {
	for k := range crits {
		c := &crits[k]
		for _, i := range s.sc.ix.posting(s.sc.ix.rarest(c)) {
			if s.loc[i] < 0 && matchesCriterion(s.snap, c, int(i)) {
				buf = append(buf, i)
			}
		}
	}
	return buf
}
