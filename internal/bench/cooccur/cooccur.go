// Package cooccur computes, with rolemine's counting kernel, the complete role x criterion
// co-occurrence tables that docs/development.md#performance-targets compares with DuckDB, and their
// order-independent digests (row count and checksum, see Hash):
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
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
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

// terms numbers every (dimension, value) of the snapshot globally: term g is dimension
// dim[g], value val[g], and dimension d's values start at off[d].
type terms struct {
	off      []int
	dim, val []int32
}

func newTerms(h *columnar.Holdings) *terms {
	t := &terms{off: make([]int, len(h.Dims))}
	for d := range h.Dims {
		t.off[d] = len(t.dim)
		for v := range h.Dims[d].Values {
			t.dim = append(t.dim, int32(d))
			t.val = append(t.val, int32(v))
		}
	}
	return t
}

func (t *terms) id(x kernels.Term) uint32 { return uint32(t.off[x.Dim] + int(x.Val)) }

// Compute computes the table of the given depth over h and returns its digest.
func Compute(ctx context.Context, h *columnar.Holdings, o Options) (*Result, error) {
	if o.Depth != 1 && o.Depth != 2 {
		return nil, fmt.Errorf("cooccur: depth %d: expected 1 or 2", o.Depth)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Backend == nil {
		o.Backend = cpu.NewWorkers(o.Workers)
	}
	res := &Result{Dims: DimNames(h)}
	c := &computer{ctx: ctx, h: h, o: o, m: matrixOf(h), t: newTerms(h), dims: Dims(h), res: res}
	c.roles = largestFirst(h)
	var err error
	if o.Depth == 1 {
		err = c.depth1()
	} else {
		err = c.depth2()
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// largestFirst returns the roles by decreasing number of holders (ties by index): the
// workers take the largest roles first, so that none is left counting a large role alone
// at the end. The table does not depend on the order.
func largestFirst(h *columnar.Holdings) []int32 {
	roles := make([]int32, len(h.Roles))
	for r := range roles {
		roles[r] = int32(r)
	}
	size := func(r int32) int64 { return h.RoleOff[r+1] - h.RoleOff[r] }
	slices.SortStableFunc(roles, func(a, b int32) int { return cmp.Compare(size(b), size(a)) })
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
}

func (c *computer) phase(name string, start time.Time) {
	c.res.Phases = append(c.res.Phases, Phase{Name: name, Seconds: time.Since(start).Seconds()})
}

// depth1 counts the supports of every single term first, then hashes each role's counts
// as the kernel emits them.
func (c *computer) depth1() error {
	start := time.Now()
	sup := make([]int32, len(c.t.dim))
	if err := parallel.Each(c.ctx, len(c.dims), c.o.Workers, func(_, k int) error {
		c.countTerms(sup, c.dims[k], nil, true)
		return nil
	}); err != nil {
		return err
	}
	// A term's support ends every row of the term: its decimal text is made once.
	supText := make([]string, len(sup))
	for g, n := range sup {
		supText[g] = strconv.Itoa(int(n))
	}
	c.phase("supports", start)
	q := kernels.Query{Dims: c.dims, MaxTerms: 1, MinTP: 1}

	start = time.Now()
	var total Digest
	var mu sync.Mutex
	err := c.o.Backend.Cooccur(c.ctx, c.m, q, c.roles, func(r int32, counts []kernels.Count) error {
		var dg Digest
		role := c.h.Roles[r]
		// The kernel emits a role's criteria by attribute, so the hash of the text up to
		// the value is continued from one state per attribute.
		hr := NewHash().Str(role).Sep()
		ha, last := hr, int32(-1)
		for k := range counts {
			t := counts[k].C.T[0]
			dim := &c.h.Dims[t.Dim]
			if t.Dim != last {
				ha, last = hr.Str(dim.Name).Sep(), t.Dim
			}
			g := c.t.id(t)
			h := ha.Str(dim.Values[t.Val]).Sep().Int(int64(counts[k].TP)).Sep().Str(supText[g])
			dg.Add(uint64(h))
			if c.o.Each != nil {
				c.each(Row{Role: role, Attrs: [2]string{dim.Name}, Values: [2]string{dim.Values[t.Val]}, N: 1, TP: int64(counts[k].TP), Support: int64(sup[g])})
			}
		}
		mu.Lock()
		total.Merge(dg)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return fmt.Errorf("cooccur: count: %w", err)
	}
	c.phase("count+hash", start)
	c.res.Digest = total
	return nil
}

func (c *computer) each(r Row) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.o.Each(r)
}

// pairRow is one depth-2 row: the two global term ids packed as first<<32 | second, tp,
// and the support (set by pairSupports).
type pairRow struct {
	key uint64
	tp  int32
	sup int32
}

// pairChunk is the depth-2 rows of one role.
type pairChunk struct {
	role int32
	rows []pairRow
}

// depth2 counts first, keeping the two-term rows compactly; then sets each row's support
// (pairSupports) and hashes the rows in parallel.
func (c *computer) depth2() error {
	start := time.Now()
	var chunks []pairChunk
	for _, sc := range c.pairScopes() {
		q := kernels.Query{Dims: sc.dims, InScope: sc.in, MaxTerms: 2, MinTP: Depth2MinTP}
		more, err := c.countPairs(q)
		if err != nil {
			return err
		}
		chunks = append(chunks, more...)
	}
	c.phase("count", start)

	start = time.Now()
	if err := c.pairSupports(chunks); err != nil {
		return err
	}
	c.phase("supports", start)

	start = time.Now()
	if err := c.hashPairs(chunks); err != nil {
		return err
	}
	c.phase("hash", start)
	return nil
}

// countPairs runs the kernel and keeps, per role, its two-term rows (criterion as a pair
// of term ids, holders), in the order the kernel emits the roles.
func (c *computer) countPairs(q kernels.Query) ([]pairChunk, error) {
	var chunks []pairChunk
	var mu sync.Mutex
	err := c.o.Backend.Cooccur(c.ctx, c.m, q, c.roles, func(r int32, counts []kernels.Count) error {
		n := 0
		for k := range counts {
			if counts[k].C.N == 2 {
				n++
			}
		}
		if n == 0 {
			return nil
		}
		rows := make([]pairRow, 0, n)
		for k := range counts {
			if cr := &counts[k].C; cr.N == 2 {
				rows = append(rows, pairRow{key: uint64(c.t.id(cr.T[0]))<<32 | uint64(c.t.id(cr.T[1])), tp: counts[k].TP})
			}
		}
		mu.Lock()
		chunks = append(chunks, pairChunk{role: r, rows: rows})
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cooccur: count: %w", err)
	}
	return chunks, nil
}

// hashPairs hashes every row with its support into the result's digest, and passes each
// row to Options.Each when set.
func (c *computer) hashPairs(chunks []pairChunk) error {
	w := c.o.Workers
	digests := make([]Digest, len(chunks))
	if err := parallel.Each(c.ctx, len(chunks), w, func(_, k int) error {
		var dg Digest
		role := c.h.Roles[chunks[k].role]
		ch := chunks[k].rows
		// A role's rows come grouped by their first term (the kernel's order), so the hash
		// of the text up to the second attribute is continued from one state per group.
		// Within a group, rows come by second attribute: the hash up to the second value
		// is continued from one state per (group, attribute).
		hr := NewHash().Str(role).Sep()
		ha, hb, last, lastDim := hr, hr, ^uint32(0), int32(-1)
		for i := range ch {
			s := int64(ch[i].sup)
			a, b := uint32(ch[i].key>>32), uint32(ch[i].key)
			da, db := &c.h.Dims[c.t.dim[a]], &c.h.Dims[c.t.dim[b]]
			va, vb := da.Values[c.t.val[a]], db.Values[c.t.val[b]]
			if a != last {
				ha, last, lastDim = hr.Str(da.Name).Sep().Str(va).Sep(), a, -1
			}
			if c.t.dim[b] != lastDim {
				hb, lastDim = ha.Str(db.Name).Sep(), c.t.dim[b]
			}
			h := hb.Str(vb).Sep().Int(int64(ch[i].tp)).Sep().Int(s)
			dg.Add(uint64(h))
			if c.o.Each != nil {
				c.each(Row{Role: role, Attrs: [2]string{da.Name, db.Name}, Values: [2]string{va, vb}, N: 2, TP: int64(ch[i].tp), Support: s})
			}
		}
		digests[k] = dg
		return nil
	}); err != nil {
		return err
	}
	var total Digest
	for _, d := range digests {
		total.Merge(d)
	}
	c.res.Digest = total
	return nil
}
