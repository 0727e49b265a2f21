package discover

import (
	"context"
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
)

// refineRounds bounds how often one role is split.
const refineRounds = 3

// Refine validates roles against business function and splits those that mix groups.
// Entitlements granted to several groups (department Finance or Operations) make one
// cluster whose members no single criterion describes well. Such a role is split in two
// with the same entitlements: the members matching its most inclusive precise criterion
// (Description.Precise, described by it), and the rest, described again in the next
// round (at most refineRounds splits). A remainder smaller than minMembers is
// dropped: its assignments become exceptions. It returns the roles with their
// descriptions, in a deterministic order (split parts follow their origin's position).
func Refine(ctx context.Context, s *columnar.Snapshot, roles []Role, maxDims, minMembers int) ([]Role, []Description, error) {
	cur := slices.Clone(roles)
	final := make([]bool, len(cur))
	descs := make([]Description, len(cur))
	for round := 0; round <= refineRounds; round++ {
		var idx []int
		var members [][]int32
		for k := range cur {
			if !final[k] {
				idx = append(idx, k)
				members = append(members, cur[k].Users)
			}
		}
		if len(idx) == 0 {
			break
		}
		ds, err := Describe(ctx, s, members, maxDims)
		if err != nil {
			return nil, nil, err
		}
		var next []Role
		for j, k := range idx {
			d := ds[j]
			descs[k], final[k] = d, true
			if round == refineRounds || d.Meaningful() || d.Precise == nil {
				continue
			}
			match, rest := splitBy(s, cur[k].Users, d.Precise.Criterion)
			if len(match) < minMembers || len(rest) == 0 {
				continue
			}
			cur[k].Users = match
			descs[k] = Description{Criterion: d.Precise.Criterion, Precision: d.Precise.Precision, Recall: 1}
			if len(rest) >= minMembers {
				next = append(next, Role{Users: rest, Perms: cur[k].Perms})
			}
		}
		cur = append(cur, next...)
		final = append(final, make([]bool, len(next))...)
		descs = append(descs, make([]Description, len(next))...)
	}
	return cur, descs, nil
}

// splitBy partitions users (ascending identity indices) into those matching every term of
// crit and the others.
func splitBy(s *columnar.Snapshot, users []int32, crit []Term) (match, rest []int32) {
	type test struct {
		d    int
		code int32
	}
	tests := make([]test, 0, len(crit))
	for _, t := range crit {
		d := s.DimIndex(t.Attribute)
		if d < 0 {
			return nil, users
		}
		c, ok := slices.BinarySearch(s.Dims[d].Values, t.Value)
		if !ok {
			return nil, users
		}
		tests = append(tests, test{d, int32(c)})
	}
	for _, u := range users {
		ok := true
		for _, t := range tests {
			if !s.Dims[t.d].Has(int(u), t.code) {
				ok = false
				break
			}
		}
		if ok {
			match = append(match, u)
		} else {
			rest = append(rest, u)
		}
	}
	return match, rest
}
