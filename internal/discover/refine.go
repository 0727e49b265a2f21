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
	r, d, _, err := RefineWithin(ctx, context.Background(), s, roles, maxDims, minMembers)
	return r, d, err
}

// refineChunk is how many roles are described between two looks at the budget.
const refineChunk = 64

// RefineWithin is Refine stopping when budget is done (ctx done is an error, as for
// Refine): describing a role costs walks over attribute postings, and noisy data at scale
// yields tens of thousands of candidate roles. Roles not described by then are kept whole
// (their descriptions zero) and it reports true. Roles come in Approximate's order, the
// entitlements with the most holders first, so the roles most likely to be kept are
// validated first.
func RefineWithin(ctx, budget context.Context, s *columnar.Snapshot, roles []Role, maxDims, minMembers int) ([]Role, []Description, bool, error) {
	cur := slices.Clone(roles)
	cut := false
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
		if len(idx) == 0 || cut {
			break
		}
		ds, n, err := describeWithin(ctx, budget, s, members, maxDims)
		if err != nil {
			return nil, nil, false, err
		}
		cut = n < len(members)
		var next []Role
		for j, k := range idx[:n] {
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
	return cur, descs, cut, nil
}

// describeWithin describes members[:n] (as Describe), n < len(members) only when budget
// ended it; budget is looked at every refineChunk roles.
func describeWithin(ctx, budget context.Context, s *columnar.Snapshot, members [][]int32, maxDims int) ([]Description, int, error) {
	ds := newDescriber(s)
	out := make([]Description, 0, len(members))
	for k, mem := range members {
		if k%refineChunk == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
			if budget.Err() != nil {
				return out, k, nil
			}
		}
		var d Description
		if len(mem) > 0 {
			d = ds.describe(mem, maxDims)
		}
		out = append(out, d)
	}
	return out, len(members), nil
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
