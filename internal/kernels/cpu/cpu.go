// Package cpu is the pure-Go counting backend. Per role, one-term queries are counted by
// column (single.go) and two-term queries over columns of ranks (pairs.go; by distinct
// pattern of the single-valued dimensions, patterns.go); deeper ones by a
// depth-first projection over the role's in-scope holders with dense per-dimension
// histograms (Eclat-style). Supports are computed by scanning per-value posting lists once
// per (prefix, next dimension). It is parallel over roles and allocation-free in its hot
// loops.
package cpu

import (
	"context"
	"math/bits"
	"runtime"
	"slices"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/parallel"
)

// Backend is the CPU implementation of kernels.Backend.
type Backend struct {
	workers int
	wide    bool // tests: the table of term ids even where the narrow one fits
	split   int  // tests: the smallest table split (project.go), if not splitTerms
	rows    bool // tests: the projector even where the one- or two-term path applies (single.go, pairs.go)
	dense   int  // tests: the largest dense pair table (pairs.go), if not by its rule
	// patterns (tests): 1 counts two-term queries by pattern wherever they may be, -1 never;
	// 0 where newPatterns finds it pays (patterns.go).
	patterns int
	// complement (tests): 1 counts every role of a two-term call through its complement
	// (complement.go), -1 none; 0 those its rule picks.
	complement int
	// union (tests): 1 counts every role of a two-term call not counted through the scope's
	// complement through one union (union.go), -1 none; 0 those its rule groups.
	union     int
	noOrder   bool // tests: patterns in order of first appearance (patterns.go, orderByWide)
	noSub     bool // tests: no pairs counted over the patterns' projections (patterns.go, subPatterns)
	firstSeen bool // tests: a multi-valued query's patterns in order of first appearance (multi.go, dedupEntries)
	// quarterGrowth (tests, benchmarks): CooccurPairs' pairs grown by append alone (pairs.go, pairsOf)
	quarterGrowth bool
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

// EmitsConcurrently reports true: Cooccur calls emit from each of its workers
// (kernels.ConcurrentEmitter).
func (b *Backend) EmitsConcurrently() bool { return true }

// inScope reports whether bit i is set (nil bitset: everything is in scope).
func inScope(bs []uint64, i int32) bool {
	return bs == nil || bs[uint32(i)>>6]&(1<<(uint32(i)&63)) != 0
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
	lay := newLayout(m, &q)
	if q.MaxTerms == 1 && lay.w == len(q.Dims) && lay.w > 0 && !b.rows {
		return b.cooccurSingles(ctx, m, &q, roles, max(w, 1), emit)
	}
	if lay.w > 0 {
		if err := lay.buildTable(ctx, m, &q, max(w, 1), b.wide); err != nil {
			return err
		}
	}
	if usePairs(m, &q, lay) && !b.rows {
		return b.cooccurPairs(ctx, m, &q, lay, roles, max(w, 1), emit, nil)
	}
	projs := make([]*projector, max(w, 1))
	for i := range projs {
		projs[i] = newProjector(m, &q, lay)
		if b.split > 0 {
			projs[i].splitAt = b.split
		}
	}
	return parallel.Each(ctx, len(roles), w, func(g, k int) error {
		p := projs[g]
		r := roles[k]
		p.gather(m.RoleIdx[m.RoleOff[r]:m.RoleOff[r+1]])
		p.out = p.out[:0]
		if len(p.base) >= int(q.MinTP) && q.MaxTerms > 0 {
			p.extend(kernels.Criterion{}, nil, 0, 0, rowTable{v: p.local, w: lay.w, n: len(p.base)})
		}
		return emit(r, p.out)
	})
}

// span is the range of identities a query's scope lies in, from its first identity (lo)
// to one past its last (hi); every identity where the scope is nil. A role's holders
// (ascending) outside it are out of scope, and two binary searches leave them out where
// testing each one's bit would read them all: where a scope's identities are numbered
// together (as a loader reading one kind's rows after another's numbers them), a call over
// it reads no holder of the roles of the other identities. The holders inside are still
// tested one by one.
type span struct{ lo, hi int32 }

// scopeSpan returns the span of the bitset in over n identities (nil: all of them).
func scopeSpan(in []uint64, n int) span {
	if in == nil {
		return span{0, int32(n)}
	}
	var s span
	first := true
	for w, word := range in {
		if word == 0 {
			continue
		}
		if first {
			s.lo, first = int32(w<<6|bits.TrailingZeros64(word)), false
		}
		s.hi = int32(w<<6|(63-bits.LeadingZeros64(word))) + 1
	}
	return s
}

// of returns the holders (ascending) within the span.
func (s span) of(holders []int32) []int32 {
	if len(holders) == 0 || holders[0] >= s.lo && holders[len(holders)-1] < s.hi {
		return holders
	}
	lo, _ := slices.BinarySearch(holders, s.lo)
	hi, _ := slices.BinarySearch(holders[lo:], s.hi)
	return holders[lo : lo+hi]
}

// roleIn returns role r's holders within the span.
func (s span) roleIn(m *kernels.Matrix, r int32) []int32 {
	return s.of(m.RoleIdx[m.RoleOff[r]:m.RoleOff[r+1]])
}
