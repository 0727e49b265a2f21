// Package cpu is the pure-Go counting backend: per role, a depth-first projection over the
// role's in-scope holders with dense per-dimension histograms (Eclat-style), and supports
// computed by scanning per-value posting lists once per (prefix, next dimension). It is
// parallel over roles and allocation-free in its hot loops.
package cpu

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/rolemine/rolemine/internal/kernels"
)

// Backend is the CPU implementation of kernels.Backend.
type Backend struct {
	workers int
}

// New returns a CPU backend using GOMAXPROCS workers.
func New() *Backend { return &Backend{} }

// NewWorkers returns a CPU backend using n workers (n <= 0: GOMAXPROCS).
func NewWorkers(n int) *Backend { return &Backend{workers: n} }

// Name returns "cpu".
func (b *Backend) Name() string { return "cpu" }

func (b *Backend) nworkers() int {
	if b.workers > 0 {
		return b.workers
	}
	return runtime.GOMAXPROCS(0)
}

var _ kernels.Backend = (*Backend)(nil)

// inScope reports whether bit i is set (nil bitset: everything is in scope).
func inScope(bs []uint64, i int32) bool {
	return bs == nil || bs[uint32(i)>>6]&(1<<(uint32(i)&63)) != 0
}

// parallel runs fn(worker, item) for items 0..n-1 over w goroutines, handing out items in
// small chunks; it stops at the first error or when ctx is done.
func parallel(ctx context.Context, w, n int, fn func(worker, item int) error) error {
	if w > n {
		w = n
	}
	if w <= 1 {
		for i := 0; i < n; i++ {
			if i&63 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := fn(0, i); err != nil {
				return err
			}
		}
		return nil
	}
	var next atomic.Int64
	var failed atomic.Bool
	errs := make([]error, w)
	var wg sync.WaitGroup
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if i&63 == 0 {
					if err := ctx.Err(); err != nil {
						errs[g] = err
						failed.Store(true)
						return
					}
				}
				if err := fn(g, i); err != nil {
					errs[g] = err
					failed.Store(true)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// values appends the value codes identity i has on dimension d to buf (at most one for a
// single-valued dimension).
func values(m *kernels.Matrix, d int32, i int32, buf []int32) []int32 {
	if c := m.Codes[d][i]; c >= 0 {
		buf = append(buf, c)
	}
	if m.MultiOff != nil && m.MultiOff[d] != nil {
		off := m.MultiOff[d]
		buf = append(buf, m.MultiCodes[d][off[i]:off[i+1]]...)
	}
	return buf
}

func isMulti(m *kernels.Matrix, d int32) bool {
	return m.MultiOff != nil && int(d) < len(m.MultiOff) && m.MultiOff[d] != nil
}

// sel is one value selected at a projection level: its code, count and bucket start.
type sel struct {
	val, count, start int32
}

// projector holds one worker's scratch for Cooccur. Invariants: every counter array is all
// zero between uses (reset through the touched list); level k's row buffer holds the rows
// of the prefix being extended at depth k, grouped by value.
type projector struct {
	m       *kernels.Matrix
	q       *kernels.Query
	counts  [kernels.MaxTerms][][]int32 // [level][dim] histogram (dims of q.Dims only)
	touched [kernels.MaxTerms][]int32
	sels    [kernels.MaxTerms][]sel
	rows    [kernels.MaxTerms + 1][]int32
	out     []kernels.Count
	vbuf    []int32
}

func newProjector(m *kernels.Matrix, q *kernels.Query) *projector {
	p := &projector{m: m, q: q}
	for l := 0; l < q.MaxTerms; l++ {
		p.counts[l] = make([][]int32, len(m.Cards))
	}
	return p
}

func (p *projector) counter(level int, d int32) []int32 {
	c := p.counts[level][d]
	if c == nil {
		c = make([]int32, p.m.Cards[d])
		p.counts[level][d] = c
	}
	return c
}

// extend emits every extension of prefix by one term on a dimension at position >= from
// in q.Dims, over rows (the in-scope holders matching prefix), recursing while terms remain.
func (p *projector) extend(prefix kernels.Criterion, rows []int32, from, level int) {
	q, m := p.q, p.m
	for di := from; di < len(q.Dims); di++ {
		d := q.Dims[di]
		cnt := p.counter(level, d)
		touched := p.touched[level][:0]
		multi := isMulti(m, d)
		codes := m.Codes[d]
		if !multi {
			for _, i := range rows {
				c := codes[i]
				if c < 0 {
					continue
				}
				if cnt[c] == 0 {
					touched = append(touched, c)
				}
				cnt[c]++
			}
		} else {
			for _, i := range rows {
				p.vbuf = values(m, d, i, p.vbuf[:0])
				for _, c := range p.vbuf {
					if cnt[c] == 0 {
						touched = append(touched, c)
					}
					cnt[c]++
				}
			}
		}
		// Values in ascending order: sort the touched list, or, when it covers a good part
		// of a small dictionary, rebuild it by scanning the counters (no sort).
		if card := int(m.Cards[d]); len(touched) > 32 && card <= 4*len(touched) {
			touched = touched[:0]
			for c := int32(0); c < int32(card); c++ {
				if cnt[c] != 0 {
					touched = append(touched, c)
				}
			}
		} else {
			slices.Sort(touched)
		}
		sels := p.sels[level][:0]
		var total int32
		for _, c := range touched {
			if n := cnt[c]; n >= q.MinTP {
				sels = append(sels, sel{val: c, count: n, start: total})
				total += n
			}
		}
		deeper := level+1 < q.MaxTerms && di+1 < len(q.Dims)
		if deeper && len(sels) > 0 {
			// Bucket the rows by selected value: cnt[c] becomes the next write position
			// for selected values and -1 for the others.
			for _, c := range touched {
				cnt[c] = -1
			}
			for _, s := range sels {
				cnt[s.val] = s.start
			}
			buf := p.rows[level]
			if cap(buf) < int(total) {
				buf = make([]int32, total, total+total/4)
			}
			buf = buf[:total]
			if !multi {
				for _, i := range rows {
					if c := codes[i]; c >= 0 && cnt[c] >= 0 {
						buf[cnt[c]] = i
						cnt[c]++
					}
				}
			} else {
				for _, i := range rows {
					p.vbuf = values(m, d, i, p.vbuf[:0])
					for _, c := range p.vbuf {
						if cnt[c] >= 0 {
							buf[cnt[c]] = i
							cnt[c]++
						}
					}
				}
			}
			p.rows[level] = buf
		}
		for _, c := range touched {
			cnt[c] = 0
		}
		p.touched[level] = touched
		p.sels[level] = sels
		for k := range sels {
			s := p.sels[level][k]
			c := prefix
			c.T[c.N] = kernels.Term{Dim: d, Val: s.val}
			c.N++
			p.out = append(p.out, kernels.Count{C: c, TP: s.count})
			if deeper {
				p.extend(c, p.rows[level][s.start:s.start+s.count], di+1, level+1)
			}
		}
	}
}

// Cooccur implements kernels.Backend.
func (b *Backend) Cooccur(ctx context.Context, m *kernels.Matrix, q kernels.Query, roles []int32, emit func(role int32, counts []kernels.Count) error) error {
	if q.MinTP < 1 {
		q.MinTP = 1
	}
	if q.MaxTerms > kernels.MaxTerms {
		q.MaxTerms = kernels.MaxTerms
	}
	w := b.nworkers()
	if w > len(roles) {
		w = len(roles)
	}
	projs := make([]*projector, max(w, 1))
	for i := range projs {
		projs[i] = newProjector(m, &q)
	}
	return parallel(ctx, w, len(roles), func(g, k int) error {
		p := projs[g]
		r := roles[k]
		holders := m.RoleIdx[m.RoleOff[r]:m.RoleOff[r+1]]
		base := p.rows[kernels.MaxTerms][:0]
		for _, i := range holders {
			if inScope(q.InScope, i) {
				base = append(base, i)
			}
		}
		p.rows[kernels.MaxTerms] = base
		p.out = p.out[:0]
		if len(base) >= int(q.MinTP) && q.MaxTerms > 0 {
			p.extend(kernels.Criterion{}, base, 0, 0)
		}
		return emit(r, p.out)
	})
}
