package effective

import (
	"context"
	"slices"
	"testing"
)

// TestDenseCycleClosureWork: a cycle of 300 roles all granting each other, whose last
// role grants the head of a chain of 50 roles, with 20 roles outside granting into it.
// Each search reads its members' grants out of the cycle once it has reached the whole
// cycle, so the closure reads a few times the grants, not 300 times them (27 million
// reads), and the chains are those of the literal definition: from member 5 to the
// chain's end, 5 > 299 > T0 > ... > T49.
func TestDenseCycleClosureWork(t *testing.T) {
	const members, tail, outside = 300, 50, 20
	var edges []Edge
	for a := range int32(members) {
		for b := range int32(members) {
			if a != b {
				edges = append(edges, Edge{a, b})
			}
		}
	}
	for k := range int32(tail) {
		from := int32(members - 1)
		if k > 0 {
			from = members + k - 1
		}
		edges = append(edges, Edge{from, members + k})
	}
	for k := range int32(outside) {
		edges = append(edges, Edge{members + tail + k, k % members})
	}
	g := NewGraph(members+tail+outside, edges)
	c, err := NewClosure(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if limit := 4 * int64(g.NumEdges()); c.scanned > limit {
		t.Errorf("the closure read %d grants, want at most %d (4 times the %d grants)", c.scanned, limit, g.NumEdges())
	}
	for s := range int32(members) {
		if got := len(c.Reach(s)); got != members-1+tail {
			t.Fatalf("member %d reaches %d roles, want %d", s, got, members-1+tail)
		}
	}
	want := []int32{5, members - 1}
	for k := range int32(tail) {
		want = append(want, members+k)
	}
	if got := c.Via(5, members+tail-1); !slices.Equal(got, want) {
		t.Errorf("chain from 5 to the chain's end: %v, want %v", got, want)
	}
	if got, want := c.Via(members+tail+7, 3), []int32{members + tail + 7, 7, 3}; !slices.Equal(got, want) {
		t.Errorf("chain from outside role 7 to member 3: %v, want %v", got, want)
	}
}
