package mining

import (
	"context"
	"runtime"
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/parallel"
)

// Classify accounts for every assignment of snap under m (docs/semantics.md, section 6):
// each is explained by the first rule of its role (rule order) that matches the identity,
// or unexplained; every identity a rule matches that lacks the role is a suggestion.
func Classify(snap *columnar.Snapshot, m *Model) *Classification {
	cls, _ := ClassifyContext(context.Background(), snap, m, 0)
	return cls
}

// ClassifyContext is Classify with cancellation and a worker count (<=0: GOMAXPROCS).
func ClassifyContext(ctx context.Context, snap *columnar.Snapshot, m *Model, workers int) (*Classification, error) {
	cr := compileRules(snap, m)
	return cr.classify(ctx, snap, workers, cr.pack(len(snap.Dims)))
}

// classify is ClassifyContext with the rules compiled, and packed for explain (nil: not
// packed).
func (cr *compiledRules) classify(ctx context.Context, snap *columnar.Snapshot, workers int, packed []packedRule) (*Classification, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	cls := &Classification{RuleOf: make([]int32, len(snap.IdentIdx))}
	if err := cr.explain(ctx, snap, cls.RuleOf, workers, packed); err != nil {
		return nil, err
	}
	sugg, err := cr.suggest(ctx, snap, workers)
	if err != nil {
		return nil, err
	}
	cls.Suggestions = bySuggested(sugg, snap.NumIdentities())
	return cls, nil
}

// bySuggested joins the suggestions of each role (sugg, one slice per role, each by
// identity) into one slice by identity, then role. Where the slices come in ascending
// role (the model's rules are sorted by role), it is a counting sort by identity that
// places each slice's suggestions in turn, so that an identity's roles come ascending: two
// passes over the suggestions, where a comparison sort of all of them was the classify
// phase's one long step on a single goroutine. Otherwise the suggestions are sorted.
func bySuggested(sugg [][]Suggestion, identities int) []Suggestion {
	n, ordered, last := 0, true, int32(-1)
	for _, s := range sugg {
		n += len(s)
		if len(s) > 0 {
			ordered = ordered && s[0].Role > last
			last = s[0].Role
		}
	}
	out := make([]Suggestion, n)
	if !ordered {
		out = out[:0]
		for _, s := range sugg {
			out = append(out, s...)
		}
		slices.SortFunc(out, func(a, b Suggestion) int {
			if a.Identity != b.Identity {
				return int(a.Identity - b.Identity)
			}
			return int(a.Role - b.Role)
		})
		return out
	}
	at := make([]int32, identities+1) // by identity+1: its count, then where its next goes
	for _, s := range sugg {
		for _, sg := range s {
			at[sg.Identity+1]++
		}
	}
	for i := 1; i <= identities; i++ {
		at[i] += at[i-1]
	}
	for _, s := range sugg {
		for _, sg := range s {
			out[at[sg.Identity]] = sg
			at[sg.Identity]++
		}
	}
	return out
}

// compiledRules is a model's rules laid out for classification: the rules of role r are
// crit[off[r]:off[r+1]] (indices into m.Rules, in rule order), and inScope[j*kinds+k]
// says whether rule j's entity type admits kind code k. dims lists the dimensions the
// criteria use (ascending), and multi[d] says whether dimension d is multi-valued.
type compiledRules struct {
	off     []int32
	crit    []kernels.Criterion
	inScope []bool
	kinds   int
	spans   []ruleSpan
	dims    []int32
	multi   []bool
	// pairMin is the number of posting entries the two-term rules of a pair of dimensions
	// must save before suggest indexes the pair's values (ruleIndex); tests lower it.
	pairMin int64
}

// ruleSpan is a role with rules, as the range [start, end) of m.Rules.
type ruleSpan struct{ role, start, end int32 }

func compileRules(snap *columnar.Snapshot, m *Model) *compiledRules {
	kd := &snap.Dims[snap.KindDim]
	cr := &compiledRules{off: make([]int32, snap.NumRoles()+1), crit: make([]kernels.Criterion, len(m.Rules)),
		inScope: make([]bool, len(m.Rules)*len(kd.Values)), kinds: len(kd.Values),
		multi: make([]bool, len(snap.Dims)), pairMin: int64(snap.NumIdentities())}
	scopeOf := map[string][]bool{} // entity type -> admitted kind codes
	used := make([]bool, len(snap.Dims))
	for j := range m.Rules {
		r := &m.Rules[j]
		cr.off[r.Role+1]++
		cr.crit[j] = r.Criterion
		for _, t := range r.Criterion.Terms() {
			used[t.Dim] = true
		}
		sc, ok := scopeOf[r.EntityType]
		if !ok {
			sc = make([]bool, len(kd.Values))
			for c, v := range kd.Values {
				sc[c] = KindInScope(r.EntityType, v)
			}
			scopeOf[r.EntityType] = sc
		}
		copy(cr.inScope[j*cr.kinds:], sc)
	}
	for d := range snap.Dims {
		cr.multi[d] = snap.Dims[d].MultiOff != nil
		if used[d] {
			cr.dims = append(cr.dims, int32(d))
		}
	}
	for r := range snap.NumRoles() {
		cr.off[r+1] += cr.off[r]
	}
	for k := 0; k < len(m.Rules); {
		e := k
		for e < len(m.Rules) && m.Rules[e].Role == m.Rules[k].Role {
			e++
		}
		cr.spans = append(cr.spans, ruleSpan{m.Rules[k].Role, int32(k), int32(e)})
		k = e
	}
	return cr
}

// matches reports whether rule j matches identity i of kind code kind.
func (cr *compiledRules) matches(snap *columnar.Snapshot, j int32, i int, kind int32) bool {
	return cr.inScope[int(j)*cr.kinds+int(kind)] && matchesCriterion(snap, &cr.crit[j], i)
}

// hasTerms reports whether identity i has the terms of c whose bits are set in terms (bit
// t for term t), given row, its codes on cr.dims (indexed by dimension): a multi-valued
// dimension's other values are looked up only when the row's code differs.
func (cr *compiledRules) hasTerms(snap *columnar.Snapshot, c *kernels.Criterion, terms uint32, i int, row []int32) bool {
	for t := range c.T[:c.N] {
		v := c.T[t].Val
		d := c.T[t].Dim
		if terms&(1<<t) != 0 && row[d] != v && !(cr.multi[d] && snap.Dims[d].Has(i, v)) {
			return false
		}
	}
	return true
}

// packedRule is a rule as explain checks it, in one cache line's half: the kind codes
// its entity type admits (bit k for code k) and its terms' dimensions and values.
type packedRule struct {
	scope uint64
	val   [kernels.MaxTerms]int32
	dim   [kernels.MaxTerms]uint8
	n     uint8
}

// pack lays the rules out as packedRule, or returns nil when a kind code or a dimension
// does not fit its field.
func (cr *compiledRules) pack(dims int) []packedRule {
	if cr.kinds > 64 || dims > 256 {
		return nil
	}
	p := make([]packedRule, len(cr.crit))
	for j := range p {
		for k := range cr.kinds {
			if cr.inScope[j*cr.kinds+k] {
				p[j].scope |= 1 << k
			}
		}
		c := &cr.crit[j]
		p[j].n = c.N
		for t, term := range c.Terms() {
			p[j].val[t], p[j].dim[t] = term.Val, uint8(term.Dim)
		}
	}
	return p
}

// explain sets ruleOf for every assignment, identity by identity in CSR order (chunks of
// identities on every worker): the first rule of the role matching the identity, or -1.
// Each identity's codes on the rules' dimensions are read once, for all its roles, and
// the rules are read packed (cr.pack; at tier XL, 120,000 rules in 3.8 MB), unless
// packed is nil.
func (cr *compiledRules) explain(ctx context.Context, snap *columnar.Snapshot, ruleOf []int32, workers int, packed []packedRule) error {
	const chunk = 1 << 14
	n := snap.NumIdentities()
	kd := &snap.Dims[snap.KindDim]
	return parallel.Each(ctx, (n+chunk-1)/chunk, workers, func(_, c int) error {
		row := make([]int32, len(snap.Dims))
		for i := c * chunk; i < min((c+1)*chunk, n); i++ {
			lo, hi := snap.IdentOff[i], snap.IdentOff[i+1]
			if packed == nil {
				for k := lo; k < hi; k++ {
					ruleOf[k] = cr.first(snap, snap.IdentIdx[k], i, kd.Codes[i])
				}
				continue
			}
			if lo == hi {
				continue
			}
			for _, d := range cr.dims {
				row[d] = snap.Dims[d].Codes[i]
			}
			kind := uint64(1) << kd.Codes[i]
		roles:
			for k := lo; k < hi; k++ {
				r := snap.IdentIdx[k]
			rules:
				for j := cr.off[r]; j < cr.off[r+1]; j++ {
					p := &packed[j]
					if p.scope&kind == 0 {
						continue
					}
					for t := range p.val[:p.n] {
						if d := p.dim[t]; row[d] != p.val[t] && !(cr.multi[d] && snap.Dims[d].Has(i, p.val[t])) {
							continue rules
						}
					}
					ruleOf[k] = j
					continue roles
				}
				ruleOf[k] = -1
			}
		}
		return nil
	})
}

// first returns the first rule of role r that identity i, of kind code kind, matches, or
// -1.
func (cr *compiledRules) first(snap *columnar.Snapshot, r int32, i int, kind int32) int32 {
	for j := cr.off[r]; j < cr.off[r+1]; j++ {
		if cr.matches(snap, j, i, kind) {
			return j
		}
	}
	return -1
}

// suggest lists, role by role on every worker, the identities lacking the role that one
// of its rules matches (each once, with the first such rule), by identity. Each rule
// scans the shortest posting list that ruleIndex has for it and checks the other terms.
func (cr *compiledRules) suggest(ctx context.Context, snap *columnar.Snapshot, workers int) ([][]Suggestion, error) {
	ix, err := newRuleIndex(ctx, snap, cr, workers)
	if err != nil {
		return nil, err
	}
	kd := &snap.Dims[snap.KindDim]
	sugg := make([][]Suggestion, len(cr.spans))
	// Per worker: a bitmap of the role's holders (cleared after each role), a buffer, and
	// a row of codes for hasTerms.
	marks := make([][]uint64, max(workers, 1))
	founds := make([][]Suggestion, len(marks))
	rows := make([][]int32, len(marks))
	err = parallel.Each(ctx, len(cr.spans), workers, func(w, k int) error {
		if marks[w] == nil {
			marks[w] = make([]uint64, (snap.NumIdentities()+63)/64)
			rows[w] = make([]int32, len(snap.Dims))
		}
		mark, row := marks[w], rows[w]
		sp := cr.spans[k]
		holders := snap.Holders(int(sp.role))
		for _, i := range holders {
			mark[i>>6] |= 1 << (uint32(i) & 63)
		}
		found := founds[w][:0]
		for j := sp.start; j < sp.end; j++ {
			c := &cr.crit[j]
			posting, rest := ix.source(c)
			scope := cr.inScope[int(j)*cr.kinds : int(j+1)*cr.kinds]
			for _, i := range posting {
				if mark[i>>6]&(1<<(uint32(i)&63)) != 0 || !scope[kd.Codes[i]] {
					continue
				}
				if rest != 0 {
					for _, t := range c.T[:c.N] {
						row[t.Dim] = snap.Dims[t.Dim].Codes[i]
					}
					if !cr.hasTerms(snap, c, rest, int(i), row) {
						continue
					}
				}
				found = append(found, Suggestion{Identity: i, Role: sp.role, Rule: j})
			}
		}
		for _, i := range holders {
			mark[i>>6] = 0
		}
		slices.SortFunc(found, func(a, b Suggestion) int {
			if a.Identity != b.Identity {
				return int(a.Identity - b.Identity)
			}
			return int(a.Rule - b.Rule)
		})
		found = slices.CompactFunc(found, func(a, b Suggestion) bool { return a.Identity == b.Identity })
		sugg[k] = slices.Clone(found)
		founds[w] = found
		return nil
	})
	return sugg, err
}
