// Package cooccur computes, with rolemine's counting kernel, the complete role x criterion
// co-occurrence tables that docs/development.md#performance-targets compares with DuckDB, and their
// order-independent digests (row count and checksum; hash.go defines the row hash):
//
//   - depth 1: for every role and every single criterion attribute=value held by at least
//     one of the role's holders, tp (holders matching) and support (identities matching);
//   - depth 2: for every role and every two-term criterion on two distinct attributes
//     matched by at least Depth2MinTP holders, tp and support. The depth-2 table holds
//     two-term rows only (no single-term rows).
//
// All identities are in scope, and criteria use every dimension the loader did not skip
// (kind included). Orphan assignments are not counted (they have no attributes).
package cooccur

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/parallel"
)

// Depth2MinTP is the smallest tp of a depth-2 row.
const Depth2MinTP = 3

// Options say which table to compute and how.
type Options struct {
	// Depth is 1 or 2.
	Depth int
	// Workers is the goroutine count (<= 0: GOMAXPROCS).
	Workers int
	// Backend counts; nil means the CPU backend with Workers workers.
	Backend kernels.Backend
	// Each, when set, receives every row, one call at a time (tests and debugging; slow).
	Each func(Row)
	// EarlyPlan (depth 2, CPU backend) does the kernel's work on the identities alone
	// (cpu.PreparePairs) in Prepare, while the assignments are still being read, instead
	// of in each call's count after the load, as `mine` does.
	EarlyPlan bool
	// sparse (tests): every depth-2 support table sparse (packed where it packs), however
	// small; noPack (tests): sparse tables never packed; wide (tests): cells never narrow.
	sparse, noPack, wide bool
}

// Phase is one timed step of Compute.
type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// Result is a computed table's digest and how long its steps took.
type Result struct {
	Digest Digest
	// Dims are the attribute names criteria used, in name order.
	Dims   []string
	Phases []Phase
}

// Dims returns the dimensions criteria may use: every dimension not skipped at load.
func Dims(h *columnar.Holdings) []int32 {
	var dims []int32
	for d := range h.Dims {
		if !h.Dims[d].Skipped {
			dims = append(dims, int32(d))
		}
	}
	return dims
}

// DimNames returns the names of Dims(h), ascending.
func DimNames(h *columnar.Holdings) []string {
	var names []string
	for _, d := range Dims(h) {
		names = append(names, h.Dims[d].Name)
	}
	return names
}

// matrixOf is the kernel's view of h (it shares h's slices).
func matrixOf(h *columnar.Holdings) *kernels.Matrix {
	m := &kernels.Matrix{N: h.Identities, Codes: make([][]int32, len(h.Dims)), Cards: make([]int32, len(h.Dims)),
		MultiOff: make([][]int32, len(h.Dims)), MultiCodes: make([][]int32, len(h.Dims)), RoleOff: h.RoleOff, RoleIdx: h.RoleIdx}
	for d := range h.Dims {
		dim := &h.Dims[d]
		m.Codes[d], m.Cards[d], m.MultiOff[d], m.MultiCodes[d] = dim.Codes, int32(len(dim.Values)), dim.MultiOff, dim.MultiCodes
	}
	return m
}

// terms numbers every (dimension, value) of the snapshot globally: dimension d's values
// start at off[d]. hash[g] is term g's hash (Term) for the criteria's dimensions.
type terms struct {
	off  []int
	hash []uint64
}

func newTerms(h *columnar.Holdings, dims []int32) *terms {
	t := &terms{off: make([]int, len(h.Dims)+1)}
	for d := range h.Dims {
		t.off[d+1] = t.off[d] + len(h.Dims[d].Values)
	}
	t.hash = make([]uint64, t.off[len(h.Dims)])
	for _, d := range dims {
		dim := &h.Dims[d]
		for v, val := range dim.Values {
			t.hash[t.off[d]+v] = Term(dim.Name, val)
		}
	}
	return t
}

// count is the number of terms.
func (t *terms) count() int { return len(t.hash) }

func (t *terms) id(x kernels.Term) uint32 { return uint32(t.off[x.Dim] + int(x.Val)) }

// Prepared is the part of a table's computation that needs only the identities'
// attributes (Holdings.Identities and Dims): the terms' hashes, the supports and, at depth
// 2, the kernel calls' scopes. Prepare can therefore run while the assignments are still
// being read (columnar.HoldingsOptions.OnIdentities), and Compute then counts the roles.
type Prepared struct {
	c *computer
}

// Prepare does the work of the table of depth o.Depth that needs only h's identities
// and dimensions; h's roles are not read.
func Prepare(ctx context.Context, h *columnar.Holdings, o Options) (*Prepared, error) {
	if o.Depth != 1 && o.Depth != 2 {
		return nil, fmt.Errorf("cooccur: depth %d: expected 1 or 2", o.Depth)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Backend == nil {
		o.Backend = cpu.NewWorkers(o.Workers)
	}
	c := &computer{ctx: ctx, h: h, o: o, m: matrixOf(h), dims: Dims(h), res: &Result{Dims: DimNames(h)}}
	c.t = newTerms(h, c.dims)
	c.scratch.New = func() any { return new(pairScratch) }
	var err error
	if o.Depth == 1 {
		err = c.singleSupports()
	} else {
		err = c.prepareDepth2()
	}
	if err != nil {
		return nil, err
	}
	return &Prepared{c: c}, nil
}

// Compute counts the table over h, whose identities and dimensions must be those p was
// prepared with, and returns its digest. A Prepared computes one table.
func (p *Prepared) Compute(ctx context.Context, h *columnar.Holdings) (*Result, error) {
	c := p.c
	if h.Identities != c.h.Identities || len(h.Dims) != len(c.h.Dims) {
		return nil, fmt.Errorf("cooccur: holdings of %d identities and %d dimensions, prepared for %d and %d",
			h.Identities, len(h.Dims), c.h.Identities, len(c.h.Dims))
	}
	c.ctx, c.h = ctx, h
	c.m.RoleOff, c.m.RoleIdx = h.RoleOff, h.RoleIdx
	c.roles = largestFirst(h)
	var err error
	if c.o.Depth == 1 {
		err = c.depth1()
	} else {
		err = c.depth2()
	}
	if err != nil {
		return nil, err
	}
	return c.res, nil
}

// Compute computes the table of the given depth over h and returns its digest.
func Compute(ctx context.Context, h *columnar.Holdings, o Options) (*Result, error) {
	p, err := Prepare(ctx, h, o)
	if err != nil {
		return nil, err
	}
	return p.Compute(ctx, h)
}

// largestFirst returns the roles by decreasing number of holders (ties by index): the
// workers take the largest roles first, so that none is left counting a large role alone
// at the end. The table does not depend on the order. The roles are sorted as integers,
// each its complemented size above its index, so that the sort (on one core, between the
// load and the count) compares no sizes through the offsets.
func largestFirst(h *columnar.Holdings) []int32 {
	keys := make([]uint64, len(h.Roles))
	for r := range keys {
		keys[r] = uint64(^uint32(h.RoleOff[r+1]-h.RoleOff[r]))<<32 | uint64(r)
	}
	slices.Sort(keys)
	roles := make([]int32, len(keys))
	for k, key := range keys {
		roles[k] = int32(uint32(key))
	}
	return roles
}

type computer struct {
	ctx   context.Context
	h     *columnar.Holdings
	o     Options
	m     *kernels.Matrix
	t     *terms
	dims  []int32
	roles []int32
	res   *Result
	mu    sync.Mutex // guards calls of o.Each
	// sup1 (depth 1) holds every term's support, by term id; scopes and sup2 (depth 2)
	// the kernel calls and every two-term criterion's support.
	sup1   []int32
	scopes []scope
	sup2   *pairSupports
	// plans (depth 2, CPU backend) are the kernel's plans of the scopes' counts.
	plans []*cpu.PairsPlan
	// scratch holds *pairScratch, one role's depth-2 scratch (hashRole).
	scratch sync.Pool
}

func (c *computer) phase(name string, start time.Time) {
	c.res.Phases = append(c.res.Phases, Phase{Name: name, Seconds: time.Since(start).Seconds()})
}

// singleSupports counts the support of every single term (Prepare, depth 1).
func (c *computer) singleSupports() error {
	start := time.Now()
	c.sup1 = make([]int32, c.t.count())
	if err := parallel.Each(c.ctx, len(c.dims), c.o.Workers, func(_, k int) error {
		c.countValues(c.sup1, c.dims[k])
		return nil
	}); err != nil {
		return err
	}
	c.phase("supports", start)
	return nil
}

// depth1 hashes each role's counts as the kernel emits them, with the supports Prepare
// counted.
func (c *computer) depth1() error {
	sup := c.sup1
	q := kernels.Query{Dims: c.dims, MaxTerms: 1, MinTP: 1}

	start := time.Now()
	count := func(emit func(int32, []kernels.Count) error) error {
		return c.o.Backend.Cooccur(c.ctx, c.m, q, c.roles, emit)
	}
	total, err := digestRoles(count, func(r int32, counts []kernels.Count) Digest {
		var dg Digest
		role := c.h.Roles[r]
		hr := Fold(RowSeed, Text(role))
		for k := range counts {
			t := counts[k].C.T[0]
			g := c.t.id(t)
			dg.Add(Finish(Fold(Fold(Fold(hr, c.t.hash[g]), uint64(counts[k].TP)), uint64(sup[g]))))
			if c.o.Each != nil {
				dim := &c.h.Dims[t.Dim]
				c.each(Row{Role: role, Attrs: [2]string{dim.Name}, Values: [2]string{dim.Values[t.Val]}, N: 1, TP: int64(counts[k].TP), Support: int64(sup[g])})
			}
		}
		return dg
	})
	if err != nil {
		return err
	}
	c.phase("count+hash", start)
	c.res.Digest = total
	return nil
}

// digestRoles sums the digests rowsOf returns for each role's rows, as count (a kernel
// call) hands them out; rowsOf runs on the kernel's workers.
func digestRoles[T any](count func(emit func(r int32, rows []T) error) error, rowsOf func(r int32, rows []T) Digest) (Digest, error) {
	var total Digest
	var mu sync.Mutex
	err := count(func(r int32, rows []T) error {
		dg := rowsOf(r, rows)
		mu.Lock()
		total.Merge(dg)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return total, fmt.Errorf("cooccur: count: %w", err)
	}
	return total, nil
}

func (c *computer) each(r Row) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.o.Each(r)
}

// countValues adds 1 to sup at the term id of every value identities have on dimension e.
func (c *computer) countValues(sup []int32, e int32) {
	h := sup[c.t.off[e]:]
	if !isMulti(c.m, e) {
		for _, v := range c.m.Codes[e] {
			if v >= 0 {
				h[v]++
			}
		}
		return
	}
	var vals []int32
	for i := range int32(c.m.N) {
		for _, v := range valuesOf(c.m, e, i, vals[:0]) {
			h[v]++
		}
	}
}
