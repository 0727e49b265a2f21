package drift

import (
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/report"
)

// binding is a model's rules bound to one snapshot (model.RuleBinding) with an index
// from each rule's rarest term to the rule, so that one identity's matching rules are
// found without trying every rule.
type binding struct {
	*model.RuleBinding
	snap *columnar.Snapshot
	// byTerm[d][c] lists the rules keyed on term (d, c), ascending. Rules with a value
	// absent from the snapshot's dictionary, or a role it lacks, match nobody and are not
	// indexed.
	byTerm [][][]int32
}

// bind binds m's rules to snap and indexes them by their rarest term.
func bind(snap *columnar.Snapshot, m *report.Model) (*binding, error) {
	rules := m.Rules
	rb, err := model.BindRules(snap, rules, m.RulesFile())
	if err != nil {
		return nil, err
	}
	b := &binding{RuleBinding: rb, snap: snap, byTerm: make([][][]int32, len(snap.Dims))}
	// Posting sizes decide each rule's key.
	count := make([][]int32, len(snap.Dims))
	for d := range snap.Dims {
		dim := &snap.Dims[d]
		count[d] = make([]int32, len(dim.Values))
		for _, c := range dim.Codes {
			if c >= 0 {
				count[d][c]++
			}
		}
		for _, c := range dim.MultiCodes {
			count[d][c]++
		}
	}
	for k := range rules {
		if b.Role(int32(k)) < 0 {
			continue
		}
		dims, codes := b.Terms(int32(k))
		best := -1
		for t, c := range codes {
			if c < 0 {
				best = -1
				break
			}
			if best < 0 || count[dims[t]][c] < count[dims[best]][codes[best]] {
				best = t
			}
		}
		if best < 0 {
			continue
		}
		d, c := dims[best], codes[best]
		if b.byTerm[d] == nil {
			b.byTerm[d] = make([][]int32, len(snap.Dims[d].Values))
		}
		b.byTerm[d][c] = append(b.byTerm[d][c], int32(k))
	}
	return b, nil
}

// matching appends to buf[:0] the rules matching identity i, sorted by role, then rule
// order (rules.json order).
func (b *binding) matching(i int, buf []int32) []int32 {
	buf = buf[:0]
	try := func(d int, c int32) {
		for _, k := range b.byTerm[d][c] {
			if b.Matches(k, i) {
				buf = append(buf, k)
			}
		}
	}
	for d := range b.snap.Dims {
		if b.byTerm[d] == nil {
			continue
		}
		dim := &b.snap.Dims[d]
		if c := dim.Codes[i]; c >= 0 {
			try(d, c)
		}
		if dim.MultiOff != nil {
			for _, c := range dim.MultiCodes[dim.MultiOff[i]:dim.MultiOff[i+1]] {
				try(d, c)
			}
		}
	}
	slices.SortFunc(buf, func(x, y int32) int {
		if rx, ry := b.Role(x), b.Role(y); rx != ry {
			return int(rx - ry)
		}
		return int(x - y)
	})
	return slices.Compact(buf)
}

// firstMatch returns the first rule of snapshot role r (rule order) matching identity i,
// or -1.
func (b *binding) firstMatch(r int32, i int) int32 {
	for _, k := range b.RulesOf(r) {
		if b.Matches(k, i) {
			return k
		}
	}
	return -1
}
