package columnar

import (
	"context"
	"hash/maphash"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/prefault"
)

// joinPartition is about how many values of the build side one partition of stringJoin
// holds: its hash table then stays in the processor's cache.
const joinPartition = 4096

// stringJoin matches two lists of strings by value. It returns, for each probe value, the
// index of a build value equal to it (-1 when none), and for each build index the next
// build index with an equal value (-1 when none): following next from head[j] reaches
// every build value equal to probe[j], each once.
//
// It is a partitioned hash join: both sides are hashed and scattered into partitions of
// about joinPartition build values by the hash's top bits, and each partition is joined
// with a small open-addressing table, partitions in parallel. A map of every build value
// would miss the cache about three times per lookup at millions of values.
//
// The partitions match values by their 64-bit hashes alone, touching no string; the
// strings of each match are then compared in index order (verifyJoin), where inputs
// that come in a similar order on both sides (a file's ids and another file's references
// to them) are read nearly sequentially rather than at random. Should two different
// values share a hash, the join is done again comparing the strings of equal hashes.
func stringJoin(build, probe []string) (head, next []int32) {
	return newStringIndex(build).joinChains(probe)
}

// joinWith is stringJoin with the hash function given (tests give one that collides).
func joinWith(build, probe []string, hash func(string) uint64) (head, next []int32) {
	return newJoinIndex(build, hash).joinChains(probe)
}

// newStringIndex hashes and partitions build for stringJoin's joins (joinChains), with a
// seed of its own.
func newStringIndex(build []string) *joinIndex {
	return newJoinIndex(build, newStringHash())
}

// newStringHash returns a hash of strings with a seed of its own, as newStringIndex's
// indexes use.
func newStringHash() func(string) uint64 {
	seed := maphash.MakeSeed()
	return func(s string) uint64 { return maphash.String(seed, s) }
}

// joinChains is stringJoin of probe against the build side of ix: the index of a build
// value equal to each probe value, and the chains of equal build values.
func (ix *joinIndex) joinChains(probe []string) (head, next []int32) {
	next = make([]int32, len(ix.build))
	head = ix.join(probe, next, false)
	if !verifyJoin(ix.build, probe, head, next) {
		head = ix.join(probe, next, true)
	}
	return head, next
}

// joinIndex is the build side of a join, hashed and partitioned once: identityIndex
// probes the identities' ids several times while loading.
type joinIndex struct {
	build []string
	hash  func(string) uint64
	shift uint
	parts hashPartitions
	// tables are the partitions' tables by hash, built by the second call of heads and
	// kept for the later ones (probes counts the calls): a single lookup, as a flat
	// load makes, joins one partition at a time in the cache instead.
	probes     atomic.Int32
	tablesOnce sync.Once
	tables     hashTables
	// haveTables says that tables are made (the first lookup then probes them too);
	// sharedHash that two build values share a hash (equal values, or a collision).
	haveTables atomic.Bool
	sharedHash bool
}

func newJoinIndex(build []string, hash func(string) uint64) *joinIndex {
	return newJoinIndexHashed(build, hash, nil)
}

// newJoinIndexHashed is newJoinIndex given the build values' hashes by hash (nil: none
// yet), made where their bytes were read anyway: the accounts' ids are hashed as they
// are put in account order, in file order, rather than read again at random.
func newJoinIndexHashed(build []string, hash func(string) uint64, hashes []uint64) *joinIndex {
	shift := uint(64 - bits.Len(uint(len(build)/joinPartition)))
	var parts hashPartitions
	if hashes == nil {
		parts = partitionHashes(build, hash, shift)
	} else {
		parts = partitionOf(hashes, shift, nil)
	}
	return &joinIndex{build: build, hash: hash, shift: shift, parts: parts}
}

// heads returns, for each probe value, the index of a build value equal to it (-1 when
// none), as stringJoin does; the chains of equal build values are not kept, so only a
// match's own strings are checked.
func (ix *joinIndex) heads(probe []string) []int32 {
	var head []int32
	if ix.probes.Add(1) == 1 && !ix.haveTables.Load() {
		head = ix.join(probe, nil, false)
	} else {
		ix.makeTables()
		head = ix.probeTables(probe)
	}
	if !verifyJoin(ix.build, probe, head, nil) {
		head = ix.join(probe, nil, true)
	}
	return head
}

// makeTables makes the partitions' tables by hash, once.
func (ix *joinIndex) makeTables() {
	ix.tablesOnce.Do(func() {
		ix.tables, ix.sharedHash = newHashTables(ix.parts)
		ix.haveTables.Store(true)
	})
}

// anyRepeated reports whether two build values may be equal: whether two share a hash
// (the values are then to be compared). It makes the tables the later lookups probe, so
// that checking a column of unique ids and indexing them hash and partition them once.
func (ix *joinIndex) anyRepeated() bool {
	ix.makeTables()
	return ix.sharedHash
}

// join is the partitioned join of probe against the build side: values with equal
// hashes match, and with exact also equal strings (then the result is exact whatever
// the hash). It fills next (when not nil) with the chains of equal build values.
func (ix *joinIndex) join(probe []string, next []int32, exact bool) (head []int32) {
	head = make([]int32, len(probe))
	for k := range head {
		head[k] = -1
	}
	for k := range next {
		next[k] = -1
	}
	if len(ix.build) == 0 {
		return head
	}
	b := ix.parts
	p := partitionHashes(probe, ix.hash, ix.shift)
	workers := runtime.GOMAXPROCS(0)
	tables := make([]joinTable, workers)
	parallel.Must(parallel.Each(context.Background(), len(b.off)-1, workers, func(w, q int) error {
		t := &tables[w]
		t.reset(int(b.off[q+1] - b.off[q]))
		t.build, t.exact = ix.build, exact
		for _, e := range b.entries[b.off[q]:b.off[q+1]] {
			t.insert(e, next)
		}
		t.probe(p.entries[p.off[q]:p.off[q+1]], probe, head)
		return nil
	}))
	return head
}

// probe sets head[e.idx] for each probe entry of the partition (find). Matching by hash
// alone reads no probe value: the probe's string header, read at random in a list of
// millions, missed the cache for each entry and was nine tenths of the join's own time
// at the tier L universe (the accounts' join), though find never looked at it.
func (t *joinTable) probe(entries []hashEntry, probe []string, head []int32) {
	if t.exact {
		for _, e := range entries {
			head[e.idx] = t.find(e, probe[e.idx])
		}
		return
	}
	for _, e := range entries {
		head[e.idx] = t.find(e, "")
	}
}

// hashTables are the open-addressing tables of every partition of a build side, made once
// for repeated probes (heads; joinTable makes one partition's table at a time instead):
// partition q's slots are slots[at[q]:at[q+1]], a power of two of them, each holding an
// index into the partitions' entries plus one (0: empty), the last of each distinct hash.
type hashTables struct {
	slots []int32
	at    []int64
}

// newHashTables makes the tables of partitions b, partitions in parallel, and reports
// whether two entries share a hash.
func newHashTables(b hashPartitions) (hashTables, bool) {
	np := len(b.off) - 1
	t := hashTables{at: make([]int64, np+1)}
	for q := range np {
		t.at[q+1] = t.at[q] + int64(1)<<bits.Len(uint(2*(b.off[q+1]-b.off[q])))
	}
	t.slots = make([]int32, t.at[np])
	shared := make([]bool, np)
	forEach(np, func(q int) {
		slots := t.slots[t.at[q]:t.at[q+1]]
		mask := uint64(len(slots) - 1)
		for k := b.off[q]; k < b.off[q+1]; k++ {
			e := b.entries[k]
			for x := e.hash & mask; ; x = (x + 1) & mask {
				o := slots[x]
				if o == 0 || b.entries[o-1].hash == e.hash {
					shared[q] = shared[q] || o != 0
					slots[x] = k + 1
					break
				}
			}
		}
	})
	return t, slices.Contains(shared, true)
}

// probeTables returns, for each probe value, the index of a build value with the same
// hash (the last of them), or -1: heads before its check of the strings.
func (ix *joinIndex) probeTables(probe []string) []int32 {
	head := make([]int32, len(probe))
	if len(ix.build) == 0 {
		for k := range head {
			head[k] = -1
		}
		return head
	}
	b, t := ix.parts, ix.tables
	p := partitionHashes(probe, ix.hash, ix.shift)
	forEach(len(p.off)-1, func(q int) {
		slots := t.slots[t.at[q]:t.at[q+1]]
		mask := uint64(len(slots) - 1)
		for _, e := range p.entries[p.off[q]:p.off[q+1]] {
			head[e.idx] = -1
			for x := e.hash & mask; ; x = (x + 1) & mask {
				o := slots[x]
				if o == 0 {
					break
				}
				if f := b.entries[o-1]; f.hash == e.hash {
					head[e.idx] = f.idx
					break
				}
			}
		}
	})
	return head
}

// verifyJoin reports whether every match of a join by hashes holds equal strings: each
// probe value and its head, each build value and its next (nil: none to check). Blocks
// of indices are compared in parallel, each in index order.
func verifyJoin(build, probe []string, head, next []int32) bool {
	const block = 1 << 14
	nb := (len(probe) + block - 1) / block
	bad := make([]bool, nb+(len(next)+block-1)/block)
	forEach(len(bad), func(x int) {
		vals, links, other, b := probe, head, build, x // b: the block of vals
		if x >= nb {
			vals, links, b = build, next, x-nb
		}
		for k := b * block; k < min(len(vals), (b+1)*block); k++ {
			if o := links[k]; o >= 0 && other[o] != vals[k] {
				bad[x] = true // x, not b: each block marks its own entry
				return
			}
		}
	})
	return !slices.Contains(bad, true)
}

// hashEntry is a value's hash and its index in its list.
type hashEntry struct {
	hash uint64
	idx  int32
}

// hashPartitions are the hashes of a list of values grouped by partition: those of
// partition q are entries[off[q]:off[q+1]], in index order.
type hashPartitions struct {
	entries []hashEntry
	off     []int32
}

// partitionHashes hashes vals and groups them by the hash's top bits (the hash shifted
// right by shift) with a counting sort, on every processor: each of a few ranges of vals
// hashes and counts its own values by partition, which places them after the ranges
// before it within each partition, and then scatters them there. A scatter of millions
// of entries on one goroutine ran alone at the end of the accounts' sort.
func partitionHashes(vals []string, hash func(string) uint64, shift uint) hashPartitions {
	hashes := prefault.Make[uint64](len(vals))
	return partitionOf(hashes, shift, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			hashes[k] = hash(vals[k])
		}
	})
}

// partitionOf is partitionHashes of the values whose hashes are hashes, filled a few
// thousand at a time by fill (nil: filled already) just before they are counted.
func partitionOf(hashes []uint64, shift uint, fill func(lo, hi int)) hashPartitions {
	parts := 1
	if shift < 64 {
		parts = 1 << (64 - shift)
	}
	part := func(h uint64) int {
		if shift >= 64 {
			return 0
		}
		return int(h >> shift)
	}
	ranges := splitEven(len(hashes), 4*runtime.GOMAXPROCS(0))
	at := make([][]int32, len(ranges)-1) // per range, per partition: its count, then its next slot
	const stride = 1 << 12               // hashes filled then counted while in the cache
	forEach(len(at), func(b int) {
		cnt := make([]int32, parts)
		for lo := ranges[b]; lo < ranges[b+1]; lo += stride {
			hi := min(lo+stride, ranges[b+1])
			if fill != nil {
				fill(lo, hi)
			}
			for _, h := range hashes[lo:hi] {
				cnt[part(h)]++
			}
		}
		at[b] = cnt
	})
	off := make([]int32, parts+1)
	pos := int32(0)
	for q := range parts {
		off[q] = pos
		for _, cnt := range at {
			pos, cnt[q] = pos+cnt[q], pos
		}
	}
	off[parts] = pos
	entries := prefault.Make[hashEntry](len(hashes))
	forEach(len(at), func(b int) {
		fill := at[b]
		for k := ranges[b]; k < ranges[b+1]; k++ {
			h := hashes[k]
			q := part(h)
			entries[fill[q]] = hashEntry{hash: h, idx: int32(k)}
			fill[q]++
		}
	})
	return hashPartitions{entries: entries, off: off}
}

// joinTable is the open-addressing table of one partition's build values: slots hold an
// entry (index into entries, plus one; 0 is empty), the last inserted of each distinct
// hash, or with exact of each distinct value.
type joinTable struct {
	slots   []int32
	entries []hashEntry
	mask    uint64
	build   []string
	exact   bool
}

func (t *joinTable) reset(n int) {
	size := 1 << bits.Len(uint(2*n))
	if cap(t.slots) < size {
		t.slots = make([]int32, size)
	}
	t.slots = t.slots[:size]
	clear(t.slots)
	t.entries = t.entries[:0]
	t.mask = uint64(size - 1)
}

// insert adds build value e, chaining it in next (unless nil) to an equal value already
// there.
func (t *joinTable) insert(e hashEntry, next []int32) {
	for s := e.hash & t.mask; ; s = (s + 1) & t.mask {
		k := t.slots[s]
		if k == 0 {
			t.entries = append(t.entries, e)
			t.slots[s] = int32(len(t.entries))
			return
		}
		if o := t.entries[k-1]; o.hash == e.hash && (!t.exact || t.build[o.idx] == t.build[e.idx]) {
			if next != nil {
				next[e.idx] = o.idx
			}
			t.entries[k-1] = e
			return
		}
	}
}

// find returns the index of the last inserted build value equal to v (hash e.hash), or -1.
func (t *joinTable) find(e hashEntry, v string) int32 {
	for s := e.hash & t.mask; ; s = (s + 1) & t.mask {
		k := t.slots[s]
		if k == 0 {
			return -1
		}
		if o := t.entries[k-1]; o.hash == e.hash && (!t.exact || t.build[o.idx] == v) {
			return o.idx
		}
	}
}
