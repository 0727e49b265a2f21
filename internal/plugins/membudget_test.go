package plugins

import (
	"context"
	"reflect"
	"testing"
)

// TestMemoryBudgetLimitsInstances: a memory budget lowers the instances of a plugin in
// flight to those whose worst case (InstanceBound: the memory cap, a quarter more for
// growth, and the batch) fits in it, at least one; the values derived are the same
// whatever the number. Before, every worker ran an instance that could grow to the cap,
// whatever the run's memory limit (found by the semantic audit: orgtree with a
// 100,000-unit parent map held 41-45 MiB an instance, and the tier M run peaked at
// 1.0 GB with 8 workers against 0.37 GB with 1).
func TestMemoryBudgetLimitsInstances(t *testing.T) {
	ctx := context.Background()
	snap := asSnapshot(asTitles())
	derive := func(budget int64) (dims any, instances int) {
		h := testHost(t, Options{Workers: 4, BatchRows: 16, MemoryMiB: 16, MemoryBudget: budget})
		p, err := h.Load(ctx, Spec{Path: asTitleFamily, Origin: "test"})
		if err != nil {
			t.Fatal(err)
		}
		d, err := p.Derive(ctx, snap)
		if err != nil {
			t.Fatal(err)
		}
		return d, p.instances
	}
	want, n := derive(0)
	if n != 4 {
		t.Fatalf("no budget: %d instances, want the 4 workers", n)
	}
	for _, tc := range []struct {
		budget int64
		want   int
	}{
		{2*InstanceBound(16) + InstanceBound(16)/2, 2},
		{InstanceBound(16) - 1, 1}, // below one instance's bound: still one
		{100 * InstanceBound(16), 4},
	} {
		got, n := derive(tc.budget)
		if n != tc.want {
			t.Errorf("budget %d: %d instances, want %d", tc.budget, n, tc.want)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("budget %d: the derived dimensions differ from those of 4 instances", tc.budget)
		}
	}
}
