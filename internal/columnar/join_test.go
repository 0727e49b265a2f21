package columnar

import (
	"context"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"runtime"
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

// TestIdentityIndexOfColumn: the check of the identities' ids for repeats leaves the
// column its join index, which the identity index takes over (no second hashing), and
// lookups through it (the first one through the tables the check made) find every id,
// and no other value, from CSV and Parquet alike.
func TestIdentityIndexOfColumn(t *testing.T) {
	const n = 3*joinPartition + 17
	ids := tbl{header: []string{"identity_id:req", "team:str"}}
	for i := range n {
		ids.rows = append(ids.rows, []string{fmt.Sprintf("u%06d", (i*7919)%n), "t"})
	}
	for _, format := range []string{"csv", "parquet"} {
		dir := t.TempDir()
		path := writeTable(t, dir, "identities", format, ids)
		tb, err := readTable(context.Background(), path, &identitiesSpec)
		if err != nil {
			t.Fatal(err)
		}
		c := tb.col("identity_id")
		built := c.index
		if built == nil || !built.haveTables.Load() {
			t.Fatalf("%s: the check for repeats left no join index with its tables", format)
		}
		x := newIdentityIndexOf(c)
		if x.index != built || c.index != nil {
			t.Fatalf("%s: the identity index made its own join index instead of taking the column's", format)
		}
		probe := []string{"nobody", c.vals[5], c.vals[n-1], "", c.vals[0]}
		for round := range 2 {
			got := x.find(probe)
			want := []int32{-1, 5, n - 1, -1, 0}
			if !slices.Equal(got, want) {
				t.Fatalf("%s, lookup %d: found %v, want %v", format, round+1, got, want)
			}
		}
	}
}

// TestJoinIndexAnyRepeated: a build side with a repeated value, or with two values
// sharing a hash, may hold repeats (the caller then compares the values); one of
// distinct hashes does not.
func TestJoinIndexAnyRepeated(t *testing.T) {
	seed := maphash.MakeSeed()
	full := func(s string) uint64 { return maphash.String(seed, s) }
	clipped := func(s string) uint64 { return maphash.String(seed, s[:max(len(s)-1, 0)]) }
	distinct := make([]string, 2*joinPartition)
	for k := range distinct {
		distinct[k] = fmt.Sprintf("v%05d", k)
	}
	repeated := slices.Clone(distinct)
	repeated[len(repeated)-1] = repeated[3]
	for _, c := range []struct {
		name string
		vals []string
		hash func(string) uint64
		want bool
	}{
		{"distinct", distinct, full, false},
		{"repeated", repeated, full, true},
		{"colliding", distinct, clipped, true},
		{"empty", nil, full, false},
	} {
		if got := newJoinIndex(c.vals, c.hash).anyRepeated(); got != c.want {
			t.Errorf("%s: anyRepeated %v, want %v", c.name, got, c.want)
		}
	}
}

// TestPartitionHashes checks the partitions against a literal grouping (each partition
// the indices of the values whose hash's top bits name it, ascending) for several
// sizes, partition counts and processor counts, so that ranges of values counted apart
// are placed in order (fails with a range's slots not shifted by the ranges before it).
func TestPartitionHashes(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	rng := rand.New(rand.NewPCG(5, 5))
	for round := range 40 {
		runtime.GOMAXPROCS(1 + round%4)
		vals := make([]string, rng.IntN(3000))
		for k := range vals {
			vals[k] = fmt.Sprint(rng.IntN(500)) // repeats too
		}
		hash := func(s string) uint64 {
			h := uint64(14695981039346656037)
			for i := 0; i < len(s); i++ {
				h = (h ^ uint64(s[i])) * 1099511628211
			}
			return h
		}
		shift := uint(64 - round%6) // 1 to 32 partitions, and one (shift 64)
		p := partitionHashes(vals, hash, shift)
		parts := 1
		if shift < 64 {
			parts = 1 << (64 - shift)
		}
		if len(p.off) != parts+1 || int(p.off[parts]) != len(vals) {
			t.Fatalf("round %d: %d offsets ending at %d for %d partitions of %d values", round, len(p.off), p.off[len(p.off)-1], parts, len(vals))
		}
		for q := range parts {
			var want []int32
			for k, v := range vals {
				if shift >= 64 || int(hash(v)>>shift) == q {
					want = append(want, int32(k))
				}
			}
			var got []int32
			for _, e := range p.entries[p.off[q]:p.off[q+1]] {
				if e.hash != hash(vals[e.idx]) {
					t.Fatalf("round %d: entry %d has hash %x, want %x", round, e.idx, e.hash, hash(vals[e.idx]))
				}
				got = append(got, e.idx)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("round %d (%d processors): partition %d holds %v, want %v", round, 1+round%4, q, got, want)
			}
		}
	}
}
