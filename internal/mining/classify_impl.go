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
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	cr := compileRules(snap, m)
	cls := &Classification{RuleOf: make([]int32, len(snap.IdentIdx))}
	if err := cr.explain(ctx, snap, cls.RuleOf, workers); err != nil {
		return nil, err
	}
	sugg, err := cr.suggest(ctx, snap, workers)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, s := range sugg {
		n += len(s)
	}
	cls.Suggestions = make([]Suggestion, 0, n)
	for _, s := range sugg {
		cls.Suggestions = append(cls.Suggestions, s...)
	}
	slices.SortFunc(cls.Suggestions, func(a, b Suggestion) int {
		if a.Identity != b.Identity {
			return int(a.Identity - b.Identity)
		}
		return int(a.Role - b.Role)
	})
	return cls, nil
}

// compiledRules is a model's rules laid out for classification: the rules of role r are
// crit[off[r]:off[r+1]] (indices into m.Rules, in rule order), and inScope[j*kinds+k]
// says whether rule j's entity type admits kind code k.
type compiledRules struct {
	off     []int32
	crit    []kernels.Criterion
	inScope []bool
	kinds   int
	spans   []ruleSpan
}

// ruleSpan is a role with rules, as the range [start, end) of m.Rules.
type ruleSpan struct{ role, start, end int32 }

func compileRules(snap *columnar.Snapshot, m *Model) *compiledRules {
	kd := &snap.Dims[snap.KindDim]
	cr := &compiledRules{off: make([]int32, snap.NumRoles()+1), crit: make([]kernels.Criterion, len(m.Rules)),
		inScope: make([]bool, len(m.Rules)*len(kd.Values)), kinds: len(kd.Values)}
	scopeOf := map[string][]bool{} // entity type -> admitted kind codes
	for j := range m.Rules {
		r := &m.Rules[j]
		cr.off[r.Role+1]++
		cr.crit[j] = r.Criterion
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

// explain sets ruleOf for every assignment, identity by identity in CSR order (chunks of
// identities on every worker): the first rule of the role matching the identity, or -1.
func (cr *compiledRules) explain(ctx context.Context, snap *columnar.Snapshot, ruleOf []int32, workers int) error {
	const chunk = 1 << 14
	n := snap.NumIdentities()
	kd := &snap.Dims[snap.KindDim]
	return parallel.Each(ctx, (n+chunk-1)/chunk, workers, func(_, c int) error {
		for i := c * chunk; i < min((c+1)*chunk, n); i++ {
			kind := kd.Codes[i]
			for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
				r := snap.IdentIdx[k]
				ruleOf[k] = -1
				for j := cr.off[r]; j < cr.off[r+1]; j++ {
					if cr.matches(snap, j, i, kind) {
						ruleOf[k] = j
						break
					}
				}
			}
		}
		return nil
	})
}

// suggest lists, role by role on every worker, the identities lacking the role that one
// of its rules matches (each once, with the first such rule), by identity.
func (cr *compiledRules) suggest(ctx context.Context, snap *columnar.Snapshot, workers int) ([][]Suggestion, error) {
	used := map[int32]bool{}
	for _, c := range cr.crit {
		for _, t := range c.Terms() {
			used[t.Dim] = true
		}
	}
	var dims []int32
	for d := range used {
		dims = append(dims, d)
	}
	slices.Sort(dims)
	ix := buildIndex(snap, nil, dims)
	kd := &snap.Dims[snap.KindDim]
	sugg := make([][]Suggestion, len(cr.spans))
	// Per worker: a bitmap of the role's holders (cleared after each role), and a buffer.
	marks := make([][]uint64, max(workers, 1))
	founds := make([][]Suggestion, len(marks))
	err := parallel.Each(ctx, len(cr.spans), workers, func(w, k int) error {
		if marks[w] == nil {
			marks[w] = make([]uint64, (snap.NumIdentities()+63)/64)
		}
		mark := marks[w]
		sp := cr.spans[k]
		holders := snap.Holders(int(sp.role))
		for _, i := range holders {
			mark[i>>6] |= 1 << (uint32(i) & 63)
		}
		found := founds[w][:0]
		for j := sp.start; j < sp.end; j++ {
			for _, i := range ix.posting(ix.rarest(&cr.crit[j])) {
				if mark[i>>6]&(1<<(uint32(i)&63)) == 0 && cr.matches(snap, j, int(i), kd.Codes[i]) {
					found = append(found, Suggestion{Identity: i, Role: sp.role, Rule: j})
				}
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
