package cpu

import (
	"context"
	"slices"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/parallel"
)

// The one-term path of Cooccur: with q.MaxTerms 1 and no multi-valued dimension, a role's
// counts are one histogram per dimension over its holders, and nothing is bucketed. It
// counts one dimension at a time over a run of roles (a task), reading that dimension's
// codes as a column of the narrowest unsigned type that holds code+1 (a byte for most
// attributes: a million identities take 1 MB, which stays in the core's cache while every
// holder of the run is read). The projector instead copies each holder's row of every
// dimension from a table many times the cache, one miss or two per holder.

// column is one dimension's codes as code+1 (0: no value) in the narrowest type.
type column struct {
	u8  []uint8
	u16 []uint16
	u32 []uint32
}

// narrowColumn returns dimension d's codes as a column.
func narrowColumn(m *kernels.Matrix, d int32) column {
	codes := m.Codes[d]
	switch card := m.Cards[d]; {
	case card < 1<<8-1:
		return column{u8: narrowed[uint8](codes)}
	case card < 1<<16-1:
		return column{u16: narrowed[uint16](codes)}
	default:
		return column{u32: narrowed[uint32](codes)}
	}
}

func narrowed[T uint8 | uint16 | uint32](codes []int32) []T {
	out := make([]T, len(codes))
	for i, c := range codes {
		out[i] = T(c + 1)
	}
	return out
}

// valCount is one selected value of a dimension for a role and its count.
type valCount struct{ val, count int32 }

// singleTask is the output of one (dimension, run of roles): the selected values of every
// role of the run in role order, and how many each role has.
type singleTask struct {
	vals []valCount
	n    []int32
}

// singleCounter is one worker's counters, by position in q.Dims (code+1 indexed, all zero
// between uses).
type singleCounter struct {
	h    [][]int32
	keys []uint64
}

// cooccurSingles is Cooccur for one-term criteria on single-valued dimensions (see above).
// Roles are cut into runs of about equal holders; every (dimension, run) is one task, and
// the roles are then emitted run by run, each role's counts concatenated in q.Dims order.
func (b *Backend) cooccurSingles(ctx context.Context, m *kernels.Matrix, q *kernels.Query, roles []int32, w int,
	emit func(role int32, counts []kernels.Count) error) error {
	nd := len(q.Dims)
	cols := make([]column, nd)
	if err := parallel.Each(ctx, nd, w, func(_, j int) error {
		cols[j] = narrowColumn(m, q.Dims[j])
		return nil
	}); err != nil {
		return err
	}
	hold := rolesHolders(m, q, roles)
	runs := cutRuns(hold, 16*w)
	tasks := make([]singleTask, nd*(len(runs)-1))
	ctrs := make([]singleCounter, w)
	for g := range ctrs {
		ctrs[g].h = make([][]int32, nd)
	}
	err := parallel.Each(ctx, len(tasks), w, func(g, k int) error {
		j, run := k%nd, k/nd
		h := ctrs[g].h[j]
		if h == nil {
			h = make([]int32, m.Cards[q.Dims[j]]+1)
			ctrs[g].h[j] = h
		}
		t := &tasks[k]
		for _, hs := range hold[runs[run]:runs[run+1]] {
			before := len(t.vals)
			t.vals = cols[j].count(h, hs, q.MinTP, t.vals, &ctrs[g].keys)
			t.n = append(t.n, int32(len(t.vals)-before))
		}
		return nil
	})
	if err != nil {
		return err
	}
	outs := make([][]kernels.Count, w)
	return parallel.Each(ctx, len(runs)-1, w, func(g, run int) error {
		cur := make([]int, nd) // per dimension: the next value of the run's task
		for k := range runs[run+1] - runs[run] {
			out := outs[g][:0]
			for j, d := range q.Dims {
				t := &tasks[run*nd+j]
				n := int(t.n[k])
				for _, v := range t.vals[cur[j] : cur[j]+n] {
					out = append(out, kernels.Count{C: kernels.Criterion{T: [kernels.MaxTerms]kernels.Term{{Dim: d, Val: v.val}}, N: 1}, TP: v.count})
				}
				cur[j] += n
			}
			outs[g] = out
			if err := emit(roles[runs[run]+k], out); err != nil {
				return err
			}
		}
		return nil
	})
}

// rolesHolders returns each role's in-scope holders (subslices of m.RoleIdx when every
// identity is in scope).
func rolesHolders(m *kernels.Matrix, q *kernels.Query, roles []int32) [][]int32 {
	hold := make([][]int32, len(roles))
	for k, r := range roles {
		hs := m.RoleIdx[m.RoleOff[r]:m.RoleOff[r+1]]
		if q.InScope != nil {
			hs = slices.DeleteFunc(slices.Clone(hs), func(i int32) bool { return !inScope(q.InScope, i) })
		}
		hold[k] = hs
	}
	return hold
}

// cutRuns cuts the roles into about parts runs of about equal holders (a role larger than
// a part is a run of its own) and returns their bounds: run k is roles[runs[k]:runs[k+1]].
func cutRuns(hold [][]int32, parts int) []int {
	var total int
	for _, hs := range hold {
		total += len(hs)
	}
	size := max(1, total/parts)
	runs := []int{0}
	acc := 0
	for k, hs := range hold {
		acc += len(hs)
		if acc >= size {
			runs = append(runs, k+1)
			acc = 0
		}
	}
	if runs[len(runs)-1] != len(hold) {
		runs = append(runs, len(hold))
	}
	return runs
}

// count appends to out the values counted at least minTP times over holders hs, ascending,
// with their counts, and leaves h (indexed by code+1) all zero; keys is scratch.
func (c *column) count(h []int32, hs []int32, minTP int32, out []valCount, keys *[]uint64) []valCount {
	switch {
	case c.u8 != nil:
		return countColumn(c.u8, h, hs, minTP, out, keys)
	case c.u16 != nil:
		return countColumn(c.u16, h, hs, minTP, out, keys)
	}
	return countColumn(c.u32, h, hs, minTP, out, keys)
}

// countColumn is column.count for one type. A dictionary small against the holders is
// read in code order; a large one through the holders' own values, then sorted.
func countColumn[T uint8 | uint16 | uint32](col []T, h []int32, hs []int32, minTP int32, out []valCount, keys *[]uint64) []valCount {
	for _, i := range hs {
		h[col[i]]++
	}
	h[0] = 0
	if len(h) <= 4*len(hs)+64 {
		for c, v := range h[1:] {
			if v >= minTP {
				out = append(out, valCount{val: int32(c), count: v})
			}
		}
		clear(h)
		return out
	}
	// The values as val<<32|count, sorted as integers (no comparison function).
	ks := (*keys)[:0]
	for _, i := range hs {
		c := col[i]
		if v := h[c]; v != 0 {
			if v >= minTP {
				ks = append(ks, uint64(c-1)<<32|uint64(v))
			}
			h[c] = 0
		}
	}
	slices.Sort(ks)
	for _, x := range ks {
		out = append(out, valCount{val: int32(x >> 32), count: int32(x)})
	}
	*keys = ks
	return out
}
