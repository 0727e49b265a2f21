package drift

import (
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/uerr"
)

// binding is a model's rules resolved against one snapshot: terms as (dimension, code),
// scopes as a mask over the snapshot's kind codes, and an index from each rule's rarest
// term to the rule, so that one identity's matching rules are found without trying every
// rule.
type binding struct {
	snap *columnar.Snapshot
	// role[k] is the snapshot role of rule k, or -1 when the snapshot lacks the role.
	role  []int32
	kinds [][]bool // rule -> kind code -> in scope
	dims  [][]int32
	codes [][]int32
	// byTerm[d][c] lists the rules keyed on term (d, c), ascending. Rules with a value
	// absent from the snapshot's dictionary match nobody and are not indexed.
	byTerm [][][]int32
	// byRole[r] lists the rules of snapshot role r, ascending (rule order).
	byRole [][]int32
}

func bind(snap *columnar.Snapshot, rules []report.RuleRecord) (*binding, error) {
	b := &binding{
		snap: snap, role: make([]int32, len(rules)), kinds: make([][]bool, len(rules)),
		dims: make([][]int32, len(rules)), codes: make([][]int32, len(rules)),
		byTerm: make([][][]int32, len(snap.Dims)), byRole: make([][]int32, snap.NumRoles()),
	}
	kd := &snap.Dims[snap.KindDim]
	scopes := map[string][]bool{}
	for k := range rules {
		rec := &rules[k]
		b.role[k] = -1
		if r, ok := slices.BinarySearch(snap.Roles.IDs, rec.RoleID); ok {
			b.role[k] = int32(r)
			b.byRole[r] = append(b.byRole[r], int32(k))
		}
		sc, ok := scopes[rec.EntityType]
		if !ok {
			sc = make([]bool, len(kd.Values))
			for c, v := range kd.Values {
				sc[c] = mining.KindInScope(rec.EntityType, v)
			}
			scopes[rec.EntityType] = sc
		}
		b.kinds[k] = sc
		for _, t := range rec.Criteria {
			d := snap.DimIndex(t.Attribute)
			if d < 0 {
				return nil, uerr.New("%s: rule %s (role %s) uses attribute %q, which the identities lack; was the model mined from this kind of data?",
					report.RulesJSONFile, rec.RuleID, rec.RoleID, t.Attribute)
			}
			code := int32(-1)
			if c, ok := slices.BinarySearch(snap.Dims[d].Values, t.Value); ok {
				code = int32(c)
			}
			b.dims[k] = append(b.dims[k], int32(d))
			b.codes[k] = append(b.codes[k], code)
		}
		if len(rec.Criteria) == 0 {
			return nil, uerr.New("%s: rule %s (role %s) has no criteria", report.RulesJSONFile, rec.RuleID, rec.RoleID)
		}
	}
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
		if b.role[k] < 0 {
			continue
		}
		best := -1
		for t, c := range b.codes[k] {
			if c < 0 {
				best = -1
				break
			}
			if best < 0 || count[b.dims[k][t]][c] < count[b.dims[k][best]][b.codes[k][best]] {
				best = t
			}
		}
		if best < 0 {
			continue
		}
		d, c := b.dims[k][best], b.codes[k][best]
		if b.byTerm[d] == nil {
			b.byTerm[d] = make([][]int32, len(snap.Dims[d].Values))
		}
		b.byTerm[d][c] = append(b.byTerm[d][c], int32(k))
	}
	return b, nil
}

// matches reports whether rule k matches identity i (scope, then every term).
func (b *binding) matches(k int32, i int) bool {
	if b.role[k] < 0 || !b.kinds[k][b.snap.Dims[b.snap.KindDim].Codes[i]] {
		return false
	}
	for t, d := range b.dims[k] {
		c := b.codes[k][t]
		if c < 0 || !b.snap.Dims[d].Has(i, c) {
			return false
		}
	}
	return true
}

// matching appends to buf[:0] the rules matching identity i, sorted by role, then rule
// order (rules.json order).
func (b *binding) matching(i int, buf []int32) []int32 {
	buf = buf[:0]
	try := func(d int, c int32) {
		for _, k := range b.byTerm[d][c] {
			if b.matches(k, i) {
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
		if b.role[x] != b.role[y] {
			return int(b.role[x] - b.role[y])
		}
		return int(x - y)
	})
	return slices.Compact(buf)
}

// firstMatch returns the first rule of snapshot role r (rule order) matching identity i,
// or -1.
func (b *binding) firstMatch(r int32, i int) int32 {
	for _, k := range b.byRole[r] {
		if b.matches(k, i) {
			return k
		}
	}
	return -1
}
