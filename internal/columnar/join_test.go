package columnar

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestStringJoin checks stringJoin against a plain map on random lists: values repeated
// within and across the two sides, empty strings, sizes around the partition size, and
// every build value reached from the head of its value exactly once. Every third round
// joins with a hash under which values differing in their last byte collide.
func TestStringJoin(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 60 {
		nb, np := rng.IntN(3*joinPartition), rng.IntN(3*joinPartition)
		if round < 4 {
			nb, np = round%2, round/2 // empty sides
		}
		distinct := 1 + rng.IntN(2*max(nb, 1))
		// Odd rounds: long values sharing an 18-byte prefix, as cloud account ids do.
		format := []string{"acct-%d", "arn:aws:iam::user/acct-%d"}[round%2]
		value := func() string { return fmt.Sprintf(format, rng.IntN(distinct)) }
		build, probe := make([]string, nb), make([]string, np)
		for k := range build {
			build[k] = value()
		}
		for k := range probe {
			probe[k] = value()
		}
		if nb > 0 {
			build[0] = ""
		}
		if np > 0 {
			probe[np-1] = ""
		}
		want := map[string][]int32{}
		for k, v := range build {
			want[v] = append(want[v], int32(k))
		}
		head, next := stringJoin(build, probe)
		if round%3 == 0 {
			// Values differing only in their last byte share a hash: every match by
			// hash alone is checked and the join redone comparing strings.
			seed := maphash.MakeSeed()
			head, next = joinWith(build, probe, func(s string) uint64 {
				return maphash.String(seed, s[:max(len(s)-1, 0)])
			})
		}
		if len(head) != np || len(next) != nb {
			t.Fatalf("round %d: %d heads for %d probes, %d nexts for %d builds", round, len(head), np, len(next), nb)
		}
		for j, v := range probe {
			var got []int32
			for x := head[j]; x >= 0; x = next[x] {
				if len(got) > nb {
					t.Fatalf("round %d: chain of %q does not end", round, v)
				}
				got = append(got, x)
			}
			slices.Sort(got)
			if !slices.Equal(got, want[v]) {
				t.Fatalf("round %d: probe %d (%q) reaches %v, want %v", round, j, v, got, want[v])
			}
		}
	}
}

// BenchmarkStringJoin joins a million distinct values with a million others, half of
// them equal.
func BenchmarkStringJoin(b *testing.B) {
	n := 1 << 20
	build, probe := make([]string, n), make([]string, n)
	for k := range n {
		build[k] = fmt.Sprintf("arn:aws:iam::user/u%08d", k*7919%n)
		probe[k] = fmt.Sprintf("arn:aws:iam::user/u%08d", 2*k)
	}
	b.Run("partitioned", func(b *testing.B) {
		for b.Loop() {
			stringJoin(build, probe)
		}
	})
	b.Run("map", func(b *testing.B) {
		for b.Loop() {
			m := make(map[string]int32, n)
			for k, v := range build {
				m[v] = int32(k)
			}
			head := make([]int32, n)
			for k, v := range probe {
				if x, ok := m[v]; ok {
					head[k] = x
				} else {
					head[k] = -1
				}
			}
		}
	})
}

// TestJoinCollisionInChain checks that a hash collision between two build values is
// caught when every probe's own match holds: "ab" and "ac" share a hash, the probe
// "ac" finds "ac", but "ac" must not chain to "ab". Probing for heads only, "ab" must
// still find "ab".
func TestJoinCollisionInChain(t *testing.T) {
	build, probe := []string{"ab", "ac"}, []string{"ac", "x"}
	head, next := joinWith(build, probe, func(s string) uint64 { return uint64(s[0]) })
	if !slices.Equal(head, []int32{1, -1}) || !slices.Equal(next, []int32{-1, -1}) {
		t.Fatalf("head %v, next %v; want [1 -1] and [-1 -1]", head, next)
	}
	// A build side hashed once and probed for heads only (identityIndex) checks each
	// match's strings as well.
	ix := newJoinIndex(build, func(s string) uint64 { return uint64(s[0]) })
	for range 2 {
		if got := ix.heads([]string{"ab", "ac", "ad"}); !slices.Equal(got, []int32{0, 1, -1}) {
			t.Fatalf("heads %v, want [0 1 -1]", got)
		}
	}
}
