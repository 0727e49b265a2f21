package mining

import (
	"slices"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/metrics"
)

// Stability (`rolemine mine --previous OUT_PREV --grace G`): a role's previous rules are
// kept while they still meet every bound of the mining rule and the best alternative
// makes at most G percent of the role's in-scope holders more correct decisions (TP+TN,
// docs/semantics.md#metric-precision) than they do; an alternative at least as precise
// with fewer rules and no more false positives replaces them
// (docs/semantics.md#stability-grace).
// This hysteresis stops rules flapping between near-equal criteria from run to run
// (Netwrix documents rules that appear and disappear around a threshold). Rule ids depend
// only on the role and the criterion (RuleID), so a kept rule keeps its id.
//
// The previous model only ever replaces the choice the miner made with the previous rule
// set; without Options.Previous nothing here runs and results are unchanged.

// Previous is the model of an earlier run.
type Previous struct {
	// Rules holds each role's previous rules, by role id.
	Rules map[string][]PreviousRule
	// Grace is G, a percentage of a role's in-scope holders (>= 0): the correct
	// decisions the miner's choice must gain to replace a valid previous set.
	Grace float64
}

// PreviousRule is one rule of the previous model.
type PreviousRule struct {
	// EntityType is the rule's scope as written; only previous rules of the mining rule's
	// own EntityType are considered.
	EntityType string
	Terms      []PreviousTerm
	// Stale marks a rule on an attribute derived by a plugin the run does not have as the
	// previous model had it (another build, or none): it can no longer be expressed, as
	// a rule on an attribute that is gone (docs/semantics.md#stability-candidates).
	Stale bool
}

// PreviousTerm is one attribute = value term.
type PreviousTerm struct{ Attribute, Value string }

// stabilize returns res, or the role's previous rules measured on this snapshot when the
// hysteresis keeps them.
func (s *selector) stabilize(r int32, res roleResult) roleResult {
	crits, ok := s.previousCriteria(r, res)
	if !ok {
		return res
	}
	set, ok := s.measurePrevious(r, crits)
	if !ok {
		return res
	}
	return s.hysteresis(r, res, set)
}

// previousCriteria returns the role's previous rules of this mining rule's EntityType as
// sorted criteria; false when there are none, one cannot be resolved any more (its bound
// fails), or they are exactly res's rules (nothing to decide).
func (s *selector) previousCriteria(r int32, res roleResult) ([]kernels.Criterion, bool) {
	var crits []kernels.Criterion
	for _, p := range s.prev.Rules[s.snap.Roles.IDs[r]] {
		if p.EntityType != s.sc.mr.EntityType {
			continue
		}
		c, ok := s.resolve(p.Terms)
		if !ok || p.Stale {
			return nil, false // a term no longer exists or may not be used: the bound fails
		}
		crits = append(crits, c)
	}
	if len(crits) == 0 {
		return nil, false
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
			return nil, false
		}
	}
	return crits, true
}

// ruleStat is one previous rule's support and true positives on this snapshot.
type ruleStat struct{ sup, tp int64 }

// previousSet is the previous rule set measured on this snapshot: the rules that still
// meet the per-rule bounds, their stats, and the union's holders, TP and FP.
type previousSet struct {
	crits      []kernels.Criterion
	stats      []ruleStat
	hn, tp, fp int64
}

// measurePrevious measures crits over the role's in-scope holders; false when the role
// has no holder in scope, every rule fails a per-rule bound, or a rule adds no holder the
// others miss.
func (s *selector) measurePrevious(r int32, crits []kernels.Criterion) (previousSet, bool) {
	sc := s.sc
	s.hs = s.hs[:0]
	for _, i := range s.snap.Holders(int(r)) {
		if sc.bits[i>>6]&(1<<(uint32(i)&63)) != 0 {
			s.hs = append(s.hs, i)
		}
	}
	hn := int64(len(s.hs))
	if hn == 0 {
		return previousSet{}, false
	}
	for h, i := range s.hs {
		s.loc[i] = int32(h)
	}
	defer func() {
		for _, i := range s.hs {
			s.loc[i] = -1
		}
	}()
	cover, stats, fps := s.countPrevious(crits, hn)
	// A previous rule that now fails a per-rule bound is dropped; the others may stay.
	keep := crits[:0]
	kstats := stats[:0]
	for k := range crits {
		st := stats[k]
		if sc.mr.Bounds().RuleFails(st.tp, st.sup) != "" {
			s.uncover(&crits[k], cover)
			continue
		}
		keep = append(keep, crits[k])
		kstats = append(kstats, st)
	}
	if len(keep) < len(crits) {
		crits, stats = keep, kstats
		if len(crits) == 0 {
			return previousSet{}, false
		}
		fps = s.falsePositives(crits, fps[:0])
	}
	if !s.everyRuleAdds(crits, cover) {
		return previousSet{}, false
	}
	var tp int64
	for _, n := range cover {
		if n > 0 {
			tp++
		}
	}
	slices.Sort(fps)
	fp := int64(len(slices.Compact(fps)))
	return previousSet{crits: crits, stats: stats, hn: hn, tp: tp, fp: fp}, true
}

// countPrevious counts each rule's support and tp over the holders placed in s.loc, how
// many rules cover each holder (saturating), and the identities matched outside them.
func (s *selector) countPrevious(crits []kernels.Criterion, hn int64) ([]uint8, []ruleStat, []int32) {
	cover := make([]uint8, hn)
	stats := make([]ruleStat, len(crits))
	var fps []int32
	for k := range crits {
		c := &crits[k]
		for _, i := range s.sc.ix.posting(s.sc.ix.rarest(c)) {
			if !matchesCriterion(s.snap, c, int(i)) {
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
	return cover, stats, fps
}

// everyRuleAdds reports whether every rule covers a holder no other rule covers
// (docs/semantics.md#stability-valid).
func (s *selector) everyRuleAdds(crits []kernels.Criterion, cover []uint8) bool {
	for k := range crits {
		c := &crits[k]
		adds := false
		for _, i := range s.sc.ix.posting(s.sc.ix.rarest(c)) {
			if h := s.loc[i]; h >= 0 && cover[h] == 1 && matchesCriterion(s.snap, c, int(i)) {
				adds = true
				break
			}
		}
		if !adds {
			return false
		}
	}
	return true
}

// hysteresis keeps the previous set when it is valid and the best alternative res makes
// at most Grace percent of the role's in-scope holders more correct decisions
// (docs/semantics.md#stability-grace); otherwise, or when res is at least as precise with
// fewer rules and no more false positives, it returns res.
func (s *selector) hysteresis(r int32, res roleResult, set previousSet) roleResult {
	sc, mr := s.sc, s.sc.mr
	bd := &bounds{n: sc.n, holders: set.hn, Bounds: mr.Bounds()}
	if ok, _ := bd.valid(set.tp, set.fp); !ok {
		return res
	}
	prev := metrics.Of(sc.n, set.hn, set.tp, set.fp)
	// Correct decisions gained (holders explained, non-holders left alone), against the
	// role's own holders: a share of the whole scope would let a previous set of a small
	// role stand whatever the miner's choice explains beyond it. One division, so that
	// exactly G percent is not G plus a rounding error.
	gain := res.tp + res.tn - (prev.TP + prev.TN)
	if res.tp == 0 && len(res.rules) == 0 {
		return s.keep(r, res, set) // no alternative at all
	}
	if metrics.Pct(gain, set.hn) > s.prev.Grace {
		return res
	}
	if gain >= 0 && res.fp <= set.fp && len(res.rules) < len(set.crits) {
		return res // at least as precise with fewer rules: consolidate, never keep a fragment
	}
	return s.keep(r, res, set)
}

// keep returns the previous set as role r's result, with res's candidate count and
// exactness.
func (s *selector) keep(r int32, res roleResult, set previousSet) roleResult {
	sc, mr := s.sc, s.sc.mr
	kept := roleResult{n: sc.n, tp: set.tp, fp: set.fp, fn: set.hn - set.tp, tn: sc.n - set.hn - set.fp,
		candidates: res.candidates, exact: res.exact}
	roleID := s.snap.Roles.IDs[r]
	for k, c := range set.crits {
		kept.rules = append(kept.rules, Rule{
			ID:         RuleID(s.snap, roleID, c),
			Role:       r,
			Criterion:  c,
			Type:       mr.RuleType,
			Policy:     mr.RulePolicy,
			EntityType: mr.EntityType,
			MiningRule: mr.Index,
			Priority:   mr.Priority,
			Support:    set.stats[k].sup,
			TP:         set.stats[k].tp,
			FP:         set.stats[k].sup - set.stats[k].tp,
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
