package truth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/mining"
)

// Quality scores a model against planted truth. Ratios with an empty denominator are 1
// (nothing to find, nothing wrongly found).
type Quality struct {
	// RuleRoles is the number of planted rule-based roles; MeanF1 the mean over them of the
	// F1 between the identities the model's rules of the role match and those its planted
	// rules match (0 for a role the model has no rule for, unless its planted set is empty
	// too); RolesF1Below99 counts roles whose F1 is below 0.99.
	RuleRoles      int
	MeanF1         float64
	RolesF1Below99 int
	// ProjectRoles is the number of roles planted without a rule; ProjectRolesWithRules
	// those the model nevertheless gave rules.
	ProjectRoles          int
	ProjectRolesWithRules int
	// UnexplainedOnRuleRoles counts unexplained assignments of rule-based roles;
	// UnexplainedThatAreNoise those that are planted noise (extra or stale), and
	// UnexplainedPrecision their share.
	UnexplainedOnRuleRoles  int
	UnexplainedThatAreNoise int
	UnexplainedPrecision    float64
	// PlantedNoise counts planted extra and stale assignments; NoiseLeftUnexplained those
	// the model leaves unexplained, and NoiseRecall their share. NoiseAbsent counts planted
	// extra and stale assignments not found among the snapshot's assignments (0 when the
	// snapshot was loaded from the generated data).
	PlantedNoise         int
	NoiseLeftUnexplained int
	NoiseRecall          float64
	NoiseAbsent          int
}

// String renders q as a short human-readable block.
func (q *Quality) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rule roles:      %d, mean F1 %.4f, %d with F1 < 0.99\n", q.RuleRoles, q.MeanF1, q.RolesF1Below99)
	fmt.Fprintf(&b, "project roles:   %d, %d wrongly given rules\n", q.ProjectRoles, q.ProjectRolesWithRules)
	fmt.Fprintf(&b, "unexplained:     %d on rule roles, %d planted noise (precision %.1f%%)\n",
		q.UnexplainedOnRuleRoles, q.UnexplainedThatAreNoise, 100*q.UnexplainedPrecision)
	fmt.Fprintf(&b, "planted noise:   %d extra+stale, %d left unexplained (recall %.1f%%)", q.PlantedNoise, q.NoiseLeftUnexplained, 100*q.NoiseRecall)
	if q.NoiseAbsent > 0 {
		fmt.Fprintf(&b, ", %d not in the snapshot", q.NoiseAbsent)
	}
	b.WriteByte('\n')
	return b.String()
}

// Score compares model (mined from snap) and its classification cls with the truth t.
func Score(snap *columnar.Snapshot, model *mining.Model, cls *mining.Classification, t *Truth) (*Quality, error) {
	if err := checkScoreInputs(snap, model, cls, t); err != nil {
		return nil, err
	}
	q := &Quality{}
	isRule := q.scoreRules(snap, model, t)
	q.scoreNoise(snap, cls, t, isRule)
	return q, nil
}

// checkScoreInputs refuses a classification or model that does not fit the snapshot.
func checkScoreInputs(snap *columnar.Snapshot, model *mining.Model, cls *mining.Classification, t *Truth) error {
	if snap == nil || model == nil || cls == nil || t == nil {
		return fmt.Errorf("truth.Score: snapshot, model, classification and truth are all required")
	}
	if len(cls.RuleOf) != len(snap.IdentIdx) {
		return fmt.Errorf("truth.Score: classification has %d assignment statuses, snapshot %d assignments", len(cls.RuleOf), len(snap.IdentIdx))
	}
	nRoles := int32(snap.NumRoles())
	for k := range model.Rules {
		rule := &model.Rules[k]
		if rule.Role < 0 || rule.Role >= nRoles {
			return fmt.Errorf("truth.Score: model rule %d has role index %d, snapshot has %d roles", k, rule.Role, nRoles)
		}
		for _, t := range rule.Criterion.Terms() {
			if t.Dim < 0 || int(t.Dim) >= len(snap.Dims) || t.Val < 0 || int(t.Val) >= len(snap.Dims[t.Dim].Values) {
				return fmt.Errorf("truth.Score: model rule %d has term (%d, %d) outside the snapshot's dimensions", k, t.Dim, t.Val)
			}
		}
	}
	return nil
}

// scoreRules scores the rules of each planted role: the F1 of the rule roles' rules and
// the project roles given rules. It returns which roles of snap are rule roles.
func (q *Quality) scoreRules(snap *columnar.Snapshot, model *mining.Model, t *Truth) []bool {
	s := newScorer(snap)
	isRule := make([]bool, snap.NumRoles())
	sumF1 := 0.0
	for _, tr := range t.Roles {
		r := roleIndex(snap, tr.RoleID)
		var emitted []mining.Rule
		if r >= 0 {
			emitted = model.RulesOf(r)
		}
		switch tr.Type {
		case TypeProject:
			q.ProjectRoles++
			if len(emitted) > 0 {
				q.ProjectRolesWithRules++
			}
			continue
		case TypeRule:
		default:
			continue
		}
		q.RuleRoles++
		if r >= 0 {
			isRule[r] = true
		}
		f1 := s.f1(tr.Rules, emitted)
		sumF1 += f1
		if f1 < 0.99 {
			q.RolesF1Below99++
		}
	}
	q.MeanF1 = ratio(sumF1, float64(q.RuleRoles))
	return isRule
}

// scoreNoise scores the unexplained access: the planted noise left unexplained (recall)
// and the unexplained access on rule roles that is planted noise (precision).
func (q *Quality) scoreNoise(snap *columnar.Snapshot, cls *mining.Classification, t *Truth, isRule []bool) {
	// Planted noise present in the assignments, keyed by (identity, role) index.
	wanted := map[string]int32{}
	for _, n := range t.Noise {
		if n.Type != NoiseMissing {
			wanted[n.IdentityID] = -1
		}
	}
	for i, id := range snap.IdentityIDs {
		if _, ok := wanted[id]; ok {
			wanted[id] = int32(i)
		}
	}
	noise := make(map[uint64]bool, len(wanted))
	for _, n := range t.Noise {
		if n.Type == NoiseMissing {
			continue
		}
		q.PlantedNoise++
		i, r := wanted[n.IdentityID], roleIndex(snap, n.RoleID)
		k := -1
		if i >= 0 && r >= 0 {
			k = assignmentIndex(snap, int(i), r)
		}
		if k < 0 {
			q.NoiseAbsent++
			continue
		}
		noise[uint64(i)<<32|uint64(r)] = true
		if cls.RuleOf[k] < 0 {
			q.NoiseLeftUnexplained++
		}
	}
	for i := range snap.IdentityIDs {
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			r := snap.IdentIdx[k]
			if !isRule[r] || cls.RuleOf[k] >= 0 {
				continue
			}
			q.UnexplainedOnRuleRoles++
			if noise[uint64(i)<<32|uint64(r)] {
				q.UnexplainedThatAreNoise++
			}
		}
	}
	q.UnexplainedPrecision = ratio(float64(q.UnexplainedThatAreNoise), float64(q.UnexplainedOnRuleRoles))
	q.NoiseRecall = ratio(float64(q.NoiseLeftUnexplained), float64(q.PlantedNoise))
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 1
	}
	return a / b
}

// roleIndex finds a role id in the snapshot's sorted role table (-1 if absent).
func roleIndex(snap *columnar.Snapshot, id string) int32 {
	if k, ok := slices.BinarySearch(snap.Roles.IDs, id); ok {
		return int32(k)
	}
	return -1
}

// assignmentIndex returns k such that snap.IdentIdx[k] is role r of identity i, or -1.
func assignmentIndex(snap *columnar.Snapshot, i int, r int32) int {
	lo := snap.IdentOff[i]
	if k, ok := slices.BinarySearch(snap.IdentIdx[lo:snap.IdentOff[i+1]], r); ok {
		return int(lo) + k
	}
	return -1
}

// scorer computes match sets with per-dimension posting lists (built on first use) and
// two stamp arrays, so that a role costs time in proportion to its match sets.
type scorer struct {
	snap *columnar.Snapshot
	// post[d] lists, for each value code c of dimension d, the identities having c:
	// postIdx[d][postOff[d][c]:postOff[d][c+1]], ascending.
	postOff, postIdx [][]int32
	// planted[i] == stamp: identity i is in the current role's planted set; emitted[i] ==
	// stamp: already counted in its emitted set.
	planted, emitted []uint32
	stamp            uint32
	scopes           map[string][]bool
}

func newScorer(snap *columnar.Snapshot) *scorer {
	n := snap.NumIdentities()
	return &scorer{
		snap:    snap,
		postOff: make([][]int32, len(snap.Dims)),
		postIdx: make([][]int32, len(snap.Dims)),
		planted: make([]uint32, n),
		emitted: make([]uint32, n),
		scopes:  map[string][]bool{},
	}
}

func (s *scorer) postings(d int, code int32) []int32 {
	if s.postOff[d] == nil {
		dim := &s.snap.Dims[d]
		off := make([]int32, len(dim.Values)+1)
		each := func(f func(i int, c int32)) {
			for i, c := range dim.Codes {
				if c >= 0 {
					f(i, c)
				}
				if dim.MultiOff != nil {
					for _, m := range dim.MultiCodes[dim.MultiOff[i]:dim.MultiOff[i+1]] {
						if m != c {
							f(i, m)
						}
					}
				}
			}
		}
		each(func(_ int, c int32) { off[c+1]++ })
		for c := 1; c < len(off); c++ {
			off[c] += off[c-1]
		}
		idx := make([]int32, off[len(off)-1])
		fill := slices.Clone(off[:len(off)-1])
		each(func(i int, c int32) {
			idx[fill[c]] = int32(i)
			fill[c]++
		})
		s.postOff[d], s.postIdx[d] = off, idx
	}
	off := s.postOff[d]
	if code < 0 || int(code) >= len(off)-1 {
		return nil
	}
	return s.postIdx[d][off[code]:off[code+1]]
}

// scope returns, per kind code, whether the kind is in entityType (cached).
func (s *scorer) scope(entityType string) []bool {
	in, ok := s.scopes[entityType]
	if !ok {
		kd := &s.snap.Dims[s.snap.KindDim]
		in = make([]bool, len(kd.Values))
		for c, v := range kd.Values {
			in[c] = mining.KindInScope(entityType, v)
		}
		s.scopes[entityType] = in
	}
	return in
}

// inScope reports whether identity i's kind is in the scope in (from scope).
func (s *scorer) inScope(in []bool, i int) bool {
	c := s.snap.Dims[s.snap.KindDim].Codes[i]
	return c >= 0 && in[c]
}

// resolve turns a planted rule's criteria into terms; ok is false when an attribute or
// value is absent from the snapshot (the rule then matches nobody).
func (s *scorer) resolve(p Rule) (terms []kernels.Term, ok bool) {
	for _, c := range p.Criteria {
		d, found := slices.BinarySearchFunc(s.snap.Dims, c.Attribute, func(d columnar.Dimension, name string) int {
			return strings.Compare(d.Name, name)
		})
		if !found {
			return nil, false
		}
		v, found := slices.BinarySearch(s.snap.Dims[d].Values, c.Value)
		if !found {
			return nil, false
		}
		terms = append(terms, kernels.Term{Dim: int32(d), Val: int32(v)})
	}
	return terms, len(terms) > 0
}

// candidates returns the shortest posting list among terms (nil, false: no terms).
func (s *scorer) candidates(terms []kernels.Term) ([]int32, bool) {
	var best []int32
	for k, t := range terms {
		p := s.postings(int(t.Dim), t.Val)
		if k == 0 || len(p) < len(best) {
			best = p
		}
	}
	return best, len(terms) > 0
}

// f1 scores one planted rule-based role.
func (s *scorer) f1(plantedRules []Rule, emitted []mining.Rule) float64 {
	s.stamp++
	st := s.stamp
	snap := s.snap
	nPlanted := 0
	for _, p := range plantedRules {
		terms, ok := s.resolve(p)
		if !ok {
			continue
		}
		cand, _ := s.candidates(terms)
		in := s.scope(p.EntityType)
	next:
		for _, i := range cand {
			if s.planted[i] == st || !s.inScope(in, int(i)) {
				continue
			}
			for _, t := range terms {
				if !snap.Dims[t.Dim].Has(int(i), t.Val) {
					continue next
				}
			}
			s.planted[i] = st
			nPlanted++
		}
	}
	// Emitted rules match as (*mining.Rule).Matches does (scope, then every term), with
	// the scope test cached per entity type.
	nEmitted, both := 0, 0
	for k := range emitted {
		rule := &emitted[k]
		terms := rule.Criterion.Terms()
		in := s.scope(rule.EntityType)
		visit := func(i int) {
			if s.emitted[i] == st || !s.inScope(in, i) {
				return
			}
			for _, t := range terms {
				if !snap.Dims[t.Dim].Has(i, t.Val) {
					return
				}
			}
			s.emitted[i] = st
			nEmitted++
			if s.planted[i] == st {
				both++
			}
		}
		if cand, ok := s.candidates(terms); ok {
			for _, i := range cand {
				visit(int(i))
			}
		} else {
			for i := range snap.NumIdentities() {
				visit(i)
			}
		}
	}
	if nPlanted+nEmitted == 0 {
		return 1
	}
	return 2 * float64(both) / float64(nPlanted+nEmitted)
}
