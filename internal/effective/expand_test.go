package effective

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/parallel"
)

// TestExpandPlacesBlocksInOrder holds the first block's expansion until a later block has
// been expanded, so that blocks finish out of order: the pairs must still be those of one
// worker, and no block ahead of the first by the placer's bound (eight times the workers) may
// start while the first is held.
func TestExpandPlacesBlocksInOrder(t *testing.T) {
	const n, workers, ahead = 60, 3, 24
	rng := rand.New(rand.NewPCG(7, 7))
	edges := randomEdges(rng, 30, 60)
	c, err := NewClosure(context.Background(), NewGraph(30, edges))
	if err != nil {
		t.Fatal(err)
	}
	held := make([][]int32, n)
	for i := range held {
		for r := range int32(30) {
			if rng.IntN(4) == 0 {
				held[i] = append(held[i], r)
			}
		}
	}
	want, err := Expand(context.Background(), c, n, func(i int) []int32 { return held[i] })
	if err != nil {
		t.Fatal(err)
	}
	// Each identity's roles are read twice: for the bound, then for the expansion.
	calls := make([]atomic.Int32, n)
	release := make(chan struct{})
	var firstDone, early atomic.Bool
	rolesOf := func(i int) []int32 {
		if calls[i].Add(1) == 2 {
			switch {
			case i == 0:
				select {
				case <-release:
				case <-time.After(10 * time.Second):
					t.Error("the blocks after block 0 were not expanded while it was held")
				}
				firstDone.Store(true)
			case i == ahead-1:
				close(release)
			case i >= ahead && !firstDone.Load():
				early.Store(true)
			}
		}
		return held[i]
	}
	got, _, err := expandBlocks(context.Background(), c, n, workers, 1, nil, rolesOf)
	if err != nil {
		t.Fatal(err)
	}
	if early.Load() {
		t.Errorf("a block %d or more ahead of the first started while the first was held", ahead)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("blocks expanded out of order: pairs differ from one worker's")
	}
}

// TestAllocateBugIsError: a panic on allocate's goroutines (injected through a negative
// total, which make rejects) is raised again on the caller's goroutine as a
// *parallel.PanicError once they are done, for a recover above it (the command's). On
// the old code a goroutine's panic kills the test binary.
func TestAllocateBugIsError(t *testing.T) {
	got := func() (p any) {
		defer func() { p = recover() }()
		new(Pairs).allocate(-1)
		return nil
	}()
	if err, ok := got.(error); !ok || !errors.As(err, new(*parallel.PanicError)) {
		t.Fatalf("allocate(-1) panicked with %v, want a *parallel.PanicError", got)
	}
}
