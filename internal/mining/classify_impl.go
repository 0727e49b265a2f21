package mining

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/rolemine/rolemine/internal/columnar"
)

// Classify accounts for every assignment of snap under m (DESIGN.md section 5): each is
// explained by the first rule of its role (rule order) that matches the identity, or
// unexplained; every identity a rule matches that lacks the role is a suggestion.
func Classify(snap *columnar.Snapshot, m *Model) *Classification {
	cls, _ := ClassifyContext(context.Background(), snap, m, 0)
	return cls
}

// ClassifyContext is Classify with cancellation and a worker count (<=0: GOMAXPROCS).
func ClassifyContext(ctx context.Context, snap *columnar.Snapshot, m *Model, workers int) (*Classification, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	cls := &Classification{RuleOf: make([]int32, len(snap.IdentIdx))}
	for k := range cls.RuleOf {
		cls.RuleOf[k] = -1
	}
	// Roles with rules, as [start, end) ranges of m.Rules.
	type span struct{ role, start, end int32 }
	var spans []span
	for k := 0; k < len(m.Rules); {
		e := k
		for e < len(m.Rules) && m.Rules[e].Role == m.Rules[k].Role {
			e++
		}
		spans = append(spans, span{m.Rules[k].Role, int32(k), int32(e)})
		k = e
	}
	used := map[int32]bool{}
	for _, r := range m.Rules {
		for _, t := range r.Criterion.Terms() {
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

	sugg := make([][]Suggestion, len(spans))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mark := make([]uint64, (snap.NumIdentities()+63)/64)
			var found []Suggestion
			for {
				k := int(next.Add(1) - 1)
				if k >= len(spans) || ctx.Err() != nil {
					return
				}
				sp := spans[k]
				rules := m.Rules[sp.start:sp.end]
				// Kind scope of each rule, by kind code.
				scopes := make([][]bool, len(rules))
				for j := range rules {
					scopes[j] = make([]bool, len(kd.Values))
					for c, v := range kd.Values {
						scopes[j][c] = KindInScope(rules[j].EntityType, v)
					}
				}
				match := func(j int, i int32) bool {
					return scopes[j][kd.Codes[i]] && matchesCriterion(snap, &rules[j].Criterion, int(i))
				}
				holders := snap.Holders(int(sp.role))
				for _, i := range holders {
					mark[i>>6] |= 1 << (uint32(i) & 63)
					for j := range rules {
						if match(j, i) {
							roles := snap.RolesOf(int(i))
							p, _ := slices.BinarySearch(roles, sp.role)
							cls.RuleOf[snap.IdentOff[i]+int64(p)] = sp.start + int32(j)
							break
						}
					}
				}
				found = found[:0]
				for j := range rules {
					c := &rules[j].Criterion
					for _, i := range ix.posting(ix.rarest(c)) {
						if mark[i>>6]&(1<<(uint32(i)&63)) == 0 && match(j, i) {
							found = append(found, Suggestion{Identity: i, Role: sp.role, Rule: sp.start + int32(j)})
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
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
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
