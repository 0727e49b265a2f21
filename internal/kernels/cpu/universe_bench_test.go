package cpu

import (
	"context"
	"os"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/mining"
)

// kernelCall is one Cooccur call recorded while mining a tier: its matrix, query and
// roles, to be counted again alone.
type kernelCall struct {
	m     *kernels.Matrix
	q     kernels.Query
	roles []int32
}

// recorder is a backend that counts with the CPU backend and records every Cooccur call.
type recorder struct {
	*Backend
	mu    sync.Mutex
	calls []kernelCall
}

func (r *recorder) Cooccur(ctx context.Context, m *kernels.Matrix, q kernels.Query, roles []int32, emit func(role int32, counts []kernels.Count) error) error {
	r.mu.Lock()
	r.calls = append(r.calls, kernelCall{m: m, q: q, roles: slices.Clone(roles)})
	r.mu.Unlock()
	return r.Backend.Cooccur(ctx, m, q, roles, emit)
}

// tierCalls mines the generated tier in ROLEMINE_BENCH_DATA (skipping tb without it)
// with the implicit mining rule and returns the kernel calls it made with MaxTerms 2, and
// the dimension of the identities' kind.
func tierCalls(tb testing.TB) ([]kernelCall, int) {
	dir := os.Getenv("ROLEMINE_BENCH_DATA")
	if dir == "" {
		tb.Skip("ROLEMINE_BENCH_DATA not set (a generated tier's data directory)")
	}
	ctx := context.Background()
	snap, err := columnar.Load(ctx, dir, columnar.LoadOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	eff, err := mining.EffectiveOf(ctx, snap)
	if err != nil {
		tb.Fatal(err)
	}
	rec := &recorder{Backend: New()}
	cfg := &mining.Config{MiningRules: []mining.MiningRule{mining.DefaultMiningRule()}}
	if _, err := mining.Run(ctx, snap, cfg, mining.Options{Backend: rec, Effective: eff}); err != nil {
		tb.Fatal(err)
	}
	var calls []kernelCall
	for _, c := range rec.calls {
		if c.q.MaxTerms == 2 {
			calls = append(calls, c)
		}
	}
	return calls, snap.KindDim
}

// BenchmarkUniverseStats logs, for each recorded two-term query of the tier in
// ROLEMINE_BENCH_DATA with a multi-valued dimension, how its roles' holders would share
// patterns: over the single-valued dimensions alone and with the multi-valued
// dimension's set of values, by kind of identity, and where the kernel's time goes by
// size of role, by holder and by pattern (one core). A measurement run once, whatever b.N.
func BenchmarkUniverseStats(b *testing.B) {
	t := b
	calls, kindDim := tierCalls(b)
	for ci, c := range calls {
		lay := newLayout(c.m, &c.q)
		if lay.w == len(c.q.Dims) || !usePairs(c.m, &c.q, lay) {
			t.Logf("call %d: %d roles, dims %v: no multi-valued dimension", ci, len(c.roles), c.q.Dims)
			continue
		}
		if err := lay.buildTable(context.Background(), c.m, &c.q, 2, false); err != nil {
			t.Fatal(err)
		}
		st := lay.slots[lay.lastMulti]
		t.Logf("call %d: %d roles, dims %v (multi at %d, k %d, overflow rows %d), MinTP %d, N %d",
			ci, len(c.roles), c.q.Dims, lay.lastMulti, st.k, len(st.overOff)-1, c.q.MinTP, c.m.N)
		all := make([]int32, c.m.N)
		for i := range all {
			all[i] = int32(i)
		}
		s1, s2 := distinctRows(lay, all)
		t.Logf("  all identities: singles %d, with values %d", s1, s2)
		type agg struct {
			roles, holders, valued, pat1, pat2, entries, out int
			took, tookPat                                    time.Duration
		}
		// tally adds holders ids to a: how many, how many have a multi-valued value, and
		// their distinct patterns without and with the value set.
		tally := func(a *agg, ids []int32) {
			a.holders += len(ids)
			for _, i := range ids {
				if lay.tab16[int(i)*lay.stride+lay.w] != 0 {
					a.valued++
				}
			}
			p1, p2 := distinctRows(lay, ids)
			a.pat1 += p1
			a.pat2 += p2
		}
		pc := newPairCounter[uint16](c.m, &c.q, lay, nil, 0)
		pat, err := newPatterns(context.Background(), lay, c.m.N, nil, 2, true, true)
		if err != nil || pat == nil {
			t.Fatalf("patterns: %v (none: the project values do not pack)", err)
		}
		pp := newPairCounter[uint16](c.m, &c.q, lay, pat, 0)
		kinds := map[int32]*agg{}
		var bySize [4]agg
		class := make([]int8, len(c.m.RoleOff)-1) // by role: its size class+1, 0 when not counted
		for _, r := range c.roles {
			var base []int32
			for _, i := range c.m.RoleIdx[c.m.RoleOff[r]:c.m.RoleOff[r+1]] {
				if inScope(c.q.InScope, i) {
					base = append(base, i)
				}
			}
			n := len(base)
			if n < int(c.q.MinTP) {
				continue
			}
			b := 0
			switch {
			case n >= 100000:
				b = 3
			case n >= 10000:
				b = 2
			case n >= 1000:
				b = 1
			}
			bySize[b].roles++
			tally(&bySize[b], base)
			class[r] = int8(b + 1)
			byKind := map[int32][]int32{}
			for _, i := range base {
				k := c.m.Codes[kindDim][i]
				byKind[k] = append(byKind[k], i)
			}
			for k, ids := range byKind {
				if kinds[k] == nil {
					kinds[k] = &agg{}
				}
				tally(kinds[k], ids)
			}
		}
		// Each way counts the roles of each size class in a pass of its own, after the
		// statistics, on one locked thread whose CPU time is taken, so that neither way finds
		// the other's (or the statistics') rows in cache, and other processes do not count.
		runtime.LockOSThread()
		for b := range bySize {
			t0 := threadCPU()
			for _, r := range c.roles {
				if class[r] == int8(b+1) {
					pc.role(c.m.RoleIdx[c.m.RoleOff[r]:c.m.RoleOff[r+1]])
					bySize[b].entries += len(pc.rowOf)
					bySize[b].out += len(pc.out)
				}
			}
			bySize[b].took = threadCPU() - t0
		}
		for b := range bySize {
			t0 := threadCPU()
			for _, r := range c.roles {
				if class[r] == int8(b+1) {
					pp.role(c.m.RoleIdx[c.m.RoleOff[r]:c.m.RoleOff[r+1]])
				}
			}
			bySize[b].tookPat = threadCPU() - t0
		}
		runtime.UnlockOSThread()
		for b, a := range bySize {
			t.Logf("  roles of %s holders: %d roles, %d holders (%d with values), patterns singles %d, with values %d; "+
				"by holder: %v, by pattern: %v, %d selected entries, %d counts",
				[]string{"<1K", "1K-10K", "10K-100K", ">=100K"}[b], a.roles, a.holders, a.valued, a.pat1, a.pat2,
				a.took.Round(time.Millisecond), a.tookPat.Round(time.Millisecond), a.entries, a.out)
		}
		for k, a := range kinds {
			t.Logf("  kind %d: %d holders (%d with values), patterns singles %d, with values %d", k, a.holders, a.valued, a.pat1, a.pat2)
		}
	}
}

// distinctRows returns how many distinct rows ids have in lay's table of 16-bit codes:
// over the single-valued columns, and over the whole row (slots included; a row naming an
// overflow entry counts as distinct).
func distinctRows(lay *layout, ids []int32) (singles, whole int) {
	w, s := lay.w, lay.stride
	m1, m2 := map[string]bool{}, map[string]bool{}
	buf := make([]byte, 0, 2*s+4)
	for _, i := range ids {
		row := lay.tab16[int(i)*s : int(i)*s+s]
		buf = buf[:0]
		for _, v := range row[:w] {
			buf = append(buf, byte(v), byte(v>>8))
		}
		m1[string(buf)] = true
		for _, v := range row[w:] {
			buf = append(buf, byte(v), byte(v>>8))
			if v == overflowSlot {
				buf = append(buf, byte(i), byte(i>>8), byte(i>>16), byte(i>>24))
			}
		}
		m2[string(buf)] = true
	}
	return len(m1), len(m2)
}

// BenchmarkUniverseKernel counts the two-term calls that mining the tier in
// ROLEMINE_BENCH_DATA makes (a universe's, with its multi-valued dimension), in each
// iteration once by holder and once by pattern, alternating, and reports each way's CPU
// seconds; it fails where the two ways' counts differ.
func BenchmarkUniverseKernel(b *testing.B) {
	calls, _ := tierCalls(b)
	ways := []*Backend{{patterns: -1}, {}}
	names := []string{"holder", "pattern"}
	var cpuSum [2]float64
	var sums [2]uint64
	for b.Loop() {
		for w, be := range ways {
			c0 := cpuSeconds()
			sums[w] = countDigest(b, be, calls)
			cpuSum[w] += cpuSeconds() - c0
		}
		if sums[0] != sums[1] {
			b.Fatalf("counts differ: by holder %x, by pattern %x", sums[0], sums[1])
		}
	}
	for w := range ways {
		b.ReportMetric(cpuSum[w]/float64(b.N), names[w]+"-cpu-s/op")
	}
}

// threadCPU is the calling thread's CPU time so far (user and system).
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil { // RUSAGE_THREAD
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuSeconds is the process's CPU time so far (user and system).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkUniverseOrder counts the two-term calls that mining the tier in
// ROLEMINE_BENCH_DATA makes, on one worker, three ways in each iteration, ABCCBA: every
// role's patterns in order of first appearance (firstSeen, the way before the seventeenth
// session), a large role's in pattern order without runs (noSub), and in pattern order
// with the pairs inside the projection counted over its runs (the product's way). It
// reports each way's process CPU seconds and fails where their counts differ.
func BenchmarkUniverseOrder(b *testing.B) {
	calls, _ := tierCalls(b)
	ways := []*Backend{{workers: 1, firstSeen: true}, {workers: 1, noSub: true}, {workers: 1}}
	names := []string{"firstseen", "ordered-nosub", "ordered"}
	var cpuSum [3]float64
	var sums [3]uint64
	for b.Loop() {
		for _, w := range []int{0, 1, 2, 2, 1, 0} {
			runtime.GC()
			c0 := cpuSeconds()
			sums[w] = countDigest(b, ways[w], calls)
			cpuSum[w] += cpuSeconds() - c0
		}
		if sums[0] != sums[1] || sums[0] != sums[2] {
			b.Fatalf("counts differ: %x, %x, %x", sums[0], sums[1], sums[2])
		}
	}
	for w := range ways {
		b.ReportMetric(cpuSum[w]/float64(2*b.N), names[w]+"-cpu-s/op")
	}
}

// countDigest counts calls with be and returns a digest of every role's counts.
func countDigest(tb testing.TB, be *Backend, calls []kernelCall) uint64 {
	var sum uint64
	for _, c := range calls {
		var mu sync.Mutex
		err := be.Cooccur(context.Background(), c.m, c.q, c.roles, func(r int32, cs []kernels.Count) error {
			h := uint64(r) * 0x9E3779B97F4A7C15
			for _, x := range cs {
				h = (h ^ uint64(x.TP) ^ uint64(x.C.T[0].Val)<<20 ^ uint64(x.C.T[1].Val)<<40 ^ uint64(x.C.T[1].Dim)<<60) * 0xff51afd7ed558ccd
				h ^= uint64(x.C.T[0].Dim)<<8 | uint64(x.C.N)
			}
			mu.Lock()
			sum += h
			mu.Unlock()
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return sum
}

// BenchmarkUniverseOrderRoles counts the large roles (at least 1/patternOrderShare as
// many holders as the query has patterns) of the two-term calls with a multi-valued
// dimension that mining the tier in ROLEMINE_BENCH_DATA makes, role by role on one locked
// thread, the three ways of BenchmarkUniverseOrder in turn for each role (the first way
// rotating from role to role, so that each way finds the role's rows cold as often), and
// reports each way's thread CPU seconds a pass over those roles. It fails where a role's
// counts differ.
func BenchmarkUniverseOrderRoles(b *testing.B) {
	calls, _ := tierCalls(b)
	names := []string{"firstseen", "ordered-nosub", "ordered"}
	var took [3]time.Duration
	passes := 0
	for _, c := range calls {
		lay := newLayout(c.m, &c.q)
		if lay.w == len(c.q.Dims) || !usePairs(c.m, &c.q, lay) {
			continue
		}
		if err := lay.buildTable(context.Background(), c.m, &c.q, 2, false); err != nil {
			b.Fatal(err)
		}
		pat, err := newPatterns(context.Background(), lay, c.m.N, c.q.InScope, 2, false, true)
		if err != nil || pat == nil {
			b.Fatalf("patterns: %v", err)
		}
		nosub := *pat
		nosub.sub = nil
		pcs := []*pairCounter[uint16]{newPairCounter[uint16](c.m, &c.q, lay, pat, 0),
			newPairCounter[uint16](c.m, &c.q, lay, &nosub, 0), newPairCounter[uint16](c.m, &c.q, lay, pat, 0)}
		pcs[0].firstSeen = true
		var large []int32
		for _, r := range c.roles {
			if int(c.m.RoleOff[r+1]-c.m.RoleOff[r])*patternOrderShare >= pat.count {
				large = append(large, r)
			}
		}
		b.Logf("%d large roles of %d, %d patterns", len(large), len(c.roles), pat.count)
		runtime.LockOSThread()
		for b.Loop() {
			passes++
			for k, r := range large {
				holders := c.m.RoleIdx[c.m.RoleOff[r]:c.m.RoleOff[r+1]]
				var digest [3]uint64
				for i := range 3 {
					w := (k + i) % 3
					t0 := threadCPU()
					pcs[w].role(holders)
					took[w] += threadCPU() - t0
					for _, x := range pcs[w].out {
						digest[w] = (digest[w] ^ uint64(x.TP) ^ uint64(x.C.T[0].Val)<<20 ^ uint64(x.C.T[1].Val)<<40 ^ uint64(x.C.T[1].Dim)<<60) * 0xff51afd7ed558ccd
					}
				}
				if digest[0] != digest[1] || digest[0] != digest[2] {
					b.Fatalf("role %d: counts differ", r)
				}
			}
		}
		runtime.UnlockOSThread()
	}
	for w := range took {
		b.ReportMetric(took[w].Seconds()/float64(max(passes, 1)), names[w]+"-cpu-s/pass")
	}
}
