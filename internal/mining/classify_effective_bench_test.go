package mining

import (
	"context"
	"runtime"
	"testing"

	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/parallel"
)

// identityPlain is effClassifier.identity as it was before the sixteenth session: one
// loop reading each pair's kind, its unused mark and every direct role's position. Kept
// to measure the current loop against (BenchmarkClassifyEffectiveWays).
func (x *effClassifier) identityPlain(i int, pos []int32) (explained, hidden int64) {
	snap, cr, p, ec := x.snap, x.cr, x.p, x.ec
	kind := snap.Dims[snap.KindDim].Codes[i]
	direct, base := snap.RolesOf(i), snap.IdentOff[i]
	for d := len(direct) - 1; d >= 0; d-- {
		pos[direct[d]] = int32(d)
	}
	d := 0
	lo, hi := p.Of(i)
	for k := lo; k < hi; k++ {
		r := p.Role[k]
		rule, at := int32(-1), int64(-1)
		switch {
		case p.KindAt(k) != effective.Inherited:
			for direct[d] < r {
				d++
			}
			at = base + int64(d)
		case cr.off[r] < cr.off[r+1]:
			for j := cr.off[r]; j < cr.off[r+1]; j++ {
				if cr.matches(snap, j, i, kind) {
					rule = j
					break
				}
			}
			if rule < 0 {
				hidden++
			}
		default:
			at = base + int64(pos[p.SourceAt(k)])
		}
		if at >= 0 {
			rule = x.cls.RuleOf[at]
			if x.cls.UnusedAt(int(at)) {
				ec.Unused[k] = true
			}
		}
		ec.RuleOf[k] = rule
		if rule >= 0 {
			explained++
		}
	}
	return explained, hidden
}

// BenchmarkClassifyEffectiveWays classifies the effective pairs of the tier in
// $ROLEMINE_BENCH_DATA (a universe) with the plain loop and the current one in turn, on
// one classification reused (so that neither pays first touches the other does not),
// and reports each way's process CPU per classification.
func BenchmarkClassifyEffectiveWays(b *testing.B) {
	snap := loadBenchTier(b)
	ctx := context.Background()
	eff, err := EffectiveOf(ctx, snap)
	if err != nil || eff == nil {
		b.Fatal("no effective privilege", err)
	}
	cfg := &Config{MiningRules: []MiningRule{DefaultMiningRule()}}
	m, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Effective: eff})
	if err != nil {
		b.Fatal(err)
	}
	cls, err := ClassifyContext(ctx, snap, m, 0)
	if err != nil {
		b.Fatal(err)
	}
	ref, err := ClassifyEffective(ctx, snap, m, cls, eff)
	if err != nil {
		b.Fatal(err)
	}
	cr := compileRules(snap, m)
	ec := NewEffectiveClassification(eff.Pairs, ref.ruled)
	x := &effClassifier{snap: snap, cr: cr, cls: cls, p: eff.Pairs, ec: ec}
	ways := []func(i int, pos []int32) (int64, int64){x.identityPlain, x.identity}
	var spent [2]float64
	rounds := 0
	for b.Loop() {
		for k := range ways {
			w := (k + rounds) % 2 // ABBA
			c0 := cpuSeconds()
			classifyWith(ctx, snap.NumIdentities(), snap.NumRoles(), ways[w])
			spent[w] += cpuSeconds() - c0
			for j, v := range ec.RuleOf {
				if v != ref.RuleOf[j] {
					b.Fatalf("way %d: pair %d rule %d, want %d", w, j, v, ref.RuleOf[j])
				}
			}
		}
		rounds++
	}
	b.ReportMetric(spent[0]/float64(rounds), "plain-cpu-s/op")
	b.ReportMetric(spent[1]/float64(rounds), "new-cpu-s/op")
}

// classifyWith runs identity over n identities in blocks on GOMAXPROCS workers, as
// ClassifyEffectiveWorkers does.
func classifyWith(ctx context.Context, n, nr int, identity func(i int, pos []int32) (int64, int64)) {
	workers := runtime.GOMAXPROCS(0)
	const chunk = 1 << 14
	at := make([][]int32, workers)
	_ = parallel.Each(ctx, (n+chunk-1)/chunk, workers, func(w, c int) error {
		if at[w] == nil {
			at[w] = make([]int32, nr)
		}
		for i := c * chunk; i < min((c+1)*chunk, n); i++ {
			identity(i, at[w])
		}
		return nil
	})
}
