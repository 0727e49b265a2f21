package cpu

import (
	"context"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
)

// tierScopes loads the flat tier in ROLEMINE_BENCH_DATA (skipping the benchmark without
// it) and returns its matrix, its roles and the depth-2 queries of bench cooccur: every
// attribute, all identities split in two scopes, those with a value on the first
// attribute most of them have (people) and the others (service accounts), each over the
// attributes its identities have values on.
func tierScopes(b *testing.B) (*kernels.Matrix, []int32, []kernels.Query) {
	dir := os.Getenv("ROLEMINE_BENCH_DATA")
	if dir == "" {
		b.Skip("ROLEMINE_BENCH_DATA not set (a flat tier's data directory, e.g. from rolemine gen --tier M)")
	}
	h, err := columnar.LoadHoldings(context.Background(), dir, columnar.HoldingsOptions{})
	if err != nil {
		b.Fatal(err)
	}
	m := &kernels.Matrix{N: h.Identities, Codes: make([][]int32, len(h.Dims)), Cards: make([]int32, len(h.Dims)),
		RoleOff: h.RoleOff, RoleIdx: h.RoleIdx}
	probe := int32(-1)
	for d := range h.Dims {
		m.Codes[d], m.Cards[d] = h.Dims[d].Codes, int32(len(h.Dims[d].Values))
		valued := 0
		for _, c := range m.Codes[d] {
			if c >= 0 {
				valued++
			}
		}
		if probe < 0 && !h.Dims[d].Skipped && valued > m.N/2 && valued < m.N {
			probe = int32(d)
		}
	}
	if probe < 0 {
		b.Skip("no attribute splits the identities in two")
	}
	var qs [2]kernels.Query
	for s := range qs {
		qs[s] = kernels.Query{InScope: make([]uint64, (m.N+63)/64), MaxTerms: 2, MinTP: 3}
	}
	for i, c := range m.Codes[probe] {
		s := 0
		if c < 0 {
			s = 1
		}
		qs[s].InScope[i/64] |= 1 << (i % 64)
	}
	for d := range h.Dims {
		if h.Dims[d].Skipped {
			continue
		}
		var in [2]bool
		for i, c := range m.Codes[d] {
			if c >= 0 {
				in[min(1, int(m.Codes[probe][i]>>31&1))] = true
			}
		}
		for s := range qs {
			if in[s] {
				qs[s].Dims = append(qs[s].Dims, int32(d))
			}
		}
	}
	roles := make([]int32, len(h.Roles))
	for r := range roles {
		roles[r] = int32(r)
	}
	return m, roles, qs[:]
}

// BenchmarkPairsTier times CooccurPairs over a flat tier's roles at depth 2, as bench
// cooccur counts them (ROLEMINE_BENCH_DATA=/work/data/L, say).
func BenchmarkPairsTier(b *testing.B) {
	m, roles, qs := tierScopes(b)
	be := New()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for b.Loop() {
		var rows atomic.Int64
		for _, q := range qs {
			err := be.CooccurPairs(context.Background(), m, q, roles, func(_ int32, ps []Pair) error {
				rows.Add(int64(len(ps)))
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(rows.Load()), "rows")
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
}

// BenchmarkSubTier counts a flat tier's roles at depth 2 as bench cooccur does (plans
// prepared once), without and with counting pairs over the patterns' projections
// (subPatterns), alternated (alternateTier).
func BenchmarkSubTier(b *testing.B) {
	m, roles, qs := tierScopes(b)
	alternateTier(b, m, roles, qs, &Backend{noSub: true}, &Backend{})
}

// BenchmarkUnionTier is BenchmarkSubTier without and with near-equal roles counted through
// their group's union (union.go); it logs the groups of each scope and the time taken to
// find them.
func BenchmarkUnionTier(b *testing.B) {
	m, roles, qs := tierScopes(b)
	for _, q := range qs {
		lay := newLayout(m, &q)
		cs, err := planComplements(context.Background(), m, &q, lay, roles, 0, 2)
		if err != nil {
			b.Fatal(err)
		}
		var via []bool
		if cs != nil {
			via = cs.via
		}
		start, cpu0 := time.Now(), cpuSeconds()
		us, err := planUnions(context.Background(), m, &q, lay, roles, via, 0, 2)
		if err != nil {
			b.Fatal(err)
		}
		wall, cpu := time.Since(start), cpuSeconds()-cpu0
		if us == nil {
			b.Logf("scope of %d dimensions: no group (%v, %.3f cpu s)", len(q.Dims), wall, cpu)
			continue
		}
		var members, direct, held int64
		for _, g := range us.groups {
			members += int64(len(g.members))
			held += g.held
			for _, r := range g.members {
				direct += m.RoleOff[r+1] - m.RoleOff[r]
			}
		}
		b.Logf("scope of %d dimensions: %d groups of %d roles, %d holders, unions about %d; found in %v (%.3f cpu s)",
			len(q.Dims), len(us.groups), members, direct, held, wall, cpu)
	}
	alternateTier(b, m, roles, qs, &Backend{union: -1}, &Backend{})
}

// alternateTier counts a flat tier's roles (tierScopes) at depth 2 as bench cooccur does (plans
// prepared once) the old way and the new, alternated round by round (which goes first
// alternating too) in one process: process CPU seconds of each way's rounds, and their
// ratio (new/old) per round, median; and each way's wall seconds, median.
func alternateTier(b *testing.B, m *kernels.Matrix, roles []int32, qs []kernels.Query, old, new *Backend) {
	ways := []*Backend{old, new}
	plans := make([]*PairsPlan, len(qs))
	for s, q := range qs {
		var err error
		if plans[s], err = ways[1].PreparePairs(context.Background(), m, q); err != nil {
			b.Fatal(err)
		}
	}
	var walls [2][]float64
	count := func(be *Backend) (float64, int64) {
		var rows atomic.Int64
		cpu0, start := cpuSeconds(), time.Now()
		defer func() {
			walls[slices.Index(ways, be)] = append(walls[slices.Index(ways, be)], time.Since(start).Seconds())
		}()
		for _, pl := range plans {
			err := be.CooccurPlanned(context.Background(), m, pl, roles, func(_ int32, ps []Pair) error {
				rows.Add(int64(len(ps)))
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		return cpuSeconds() - cpu0, rows.Load()
	}
	var secs [2][]float64
	var ratios []float64
	round := 0
	b.ResetTimer()
	for b.Loop() {
		var got [2]float64
		var rows [2]int64
		for k := range 2 {
			w := (k + round) % 2
			got[w], rows[w] = count(ways[w])
			secs[w] = append(secs[w], got[w])
		}
		if rows[0] != rows[1] {
			b.Fatalf("rows %d the old way, %d the new", rows[0], rows[1])
		}
		ratios = append(ratios, got[1]/got[0])
		round++
	}
	b.ReportMetric(median(secs[0]), "old-cpu-s")
	b.ReportMetric(median(secs[1]), "new-cpu-s")
	b.ReportMetric(median(walls[0]), "old-wall-s")
	b.ReportMetric(median(walls[1]), "new-wall-s")
	b.ReportMetric(median(ratios), "new/old")
	b.ReportMetric(slices.Min(ratios), "min-new/old")
	b.ReportMetric(slices.Max(ratios), "max-new/old")
}

// median returns the median of xs (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkPairsRoomTier is BenchmarkSubTier with CooccurPairs' pairs grown by append
// alone (quarterGrowth) and given room first (pairsOf), alternated.
func BenchmarkPairsRoomTier(b *testing.B) {
	m, roles, qs := tierScopes(b)
	alternateTier(b, m, roles, qs, &Backend{quarterGrowth: true}, &Backend{})
}
