package cuda

import (
	"context"
	"reflect"
	"testing"

	"github.com/rolemine/rolemine/internal/bench/gen"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/mining"
)

// TestEmulatedMiningRun mines a small generated enterprise (2,000 identities) with the
// CUDA backend on the emulated kernels and with the CPU backend: the models must be equal.
func TestEmulatedMiningRun(t *testing.T) {
	ed := startEmulator(t)
	dir := t.TempDir()
	ctx := context.Background()
	if _, err := gen.Generate(ctx, gen.Options{Out: dir, Tier: "S", Identities: 2000, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	snap, err := columnar.Load(ctx, dir, columnar.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mr := mining.DefaultMiningRule()
	mr.MaxDimensions = 3
	cfg := &mining.Config{MiningRules: []mining.MiningRule{mr}}
	want, err := mining.Run(ctx, snap, cfg, mining.Options{Backend: cpu.New(), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, err := newBackend(ed, config{block: 32, jobCap: 512, slotBytes: 1 << 20, stageBytes: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	defer b.eng.close()
	got, err := mining.Run(ctx, snap, cfg, mining.Options{Backend: b, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Rules, want.Rules) || !reflect.DeepEqual(got.Outcomes, want.Outcomes) ||
		!reflect.DeepEqual(got.ScopeSizes, want.ScopeSizes) || !reflect.DeepEqual(got.SkippedDims, want.SkippedDims) {
		t.Fatalf("models differ between the emulated CUDA backend (%d rules) and the CPU backend (%d rules)", len(got.Rules), len(want.Rules))
	}
	t.Logf("%d rules over %d roles mined identically", len(got.Rules), len(got.Outcomes))
}
