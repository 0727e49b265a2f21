package effective

import (
	"context"
	"math/bits"
	"runtime"
	"slices"
	"sync"

	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/prefault"
)

// Pair kinds.
const (
	// Direct: the identity is granted the role itself (on an identity or an account).
	Direct uint8 = iota
	// Redundant: granted directly, and also reachable from another role the identity holds
	// directly. In a cycle of directly held roles every one of them is redundant: removing
	// them one at a time is safe, removing all of them is not.
	Redundant
	// Inherited: held only through a chain of grants from a directly held role.
	Inherited
)

// Pairs are the effective (identity, role) pairs of every identity, as CSR by identity with
// roles ascending. Step[k] is, for an inherited pair, the index of its chain's last step
// in the closure (Closure.StepIndex(SourceAt(k), Role[k]), found without a search), and
// for the others their kind: stepDirect or stepRedundant (KindAt reads it). SourceAt(k) is,
// for an inherited pair, the directly held role its chain starts at (Via(SourceAt(k),
// Role[k]) is the chain), and -1 for direct ones: the step names its source, so no array of
// sources is kept (4 bytes a pair, 218 MB at the tier L universe), nor one of kinds (54 MB).
type Pairs struct {
	Off  []int64
	Role []int32
	Step []int32
	// ByKind counts the pairs of each kind (by Direct, Redundant, Inherited), as the
	// expansion writes them.
	ByKind [3]int64
	// inherited counts each role's inherited pairs, as the expansion writes them (nil for
	// pairs made otherwise): InheritedByRole then needs one pass over the pairs, not two.
	inherited []int64
	// stepSource is the closure's source of each step (Closure.SourceOf), for SourceAt.
	stepSource []int32
}

// Steps of the pairs that are not inherited (Pairs.Step).
const (
	stepDirect    = -1
	stepRedundant = -2
)

// KindAt returns the kind of pair k: Direct, Redundant or Inherited.
func (p *Pairs) KindAt(k int64) uint8 { return KindOfStep(p.Step[k]) }

// KindOfStep returns the kind of a pair whose Pairs.Step is step.
func KindOfStep(step int32) uint8 {
	switch {
	case step >= 0:
		return Inherited
	case step == stepDirect:
		return Direct
	}
	return Redundant
}

// Of returns the range of identity i's pairs.
func (p *Pairs) Of(i int) (lo, hi int64) { return p.Off[i], p.Off[i+1] }

// SourceAt returns, for inherited pair k, the directly held role its chain starts at,
// and -1 for a direct or redundant pair.
func (p *Pairs) SourceAt(k int64) int32 { return p.SourceOfStep(p.Step[k]) }

// SourceOfStep returns the source of closure step step (Pairs.Step[k]), -1 for the step
// of a pair that is not inherited: SourceAt for a caller that has read the step already.
func (p *Pairs) SourceOfStep(step int32) int32 {
	if step < 0 {
		return -1
	}
	return p.stepSource[step]
}

// expander is the scratch of one identity's expansion. Its tables are indexed by target
// (targets): the roles some grant reaches, numbered in role order, which at the tier L
// universe are 26,009 of 76,522 roles, so that the tables a step reads at random stay a
// third of the size. Invariants between identities: every best entry's dist is 0, and the
// target set (bits, words) is empty.
type expander struct {
	c *Closure
	t *targets
	// best[t] is the shortest chain found so far to target t (dist 0: not reached) and
	// the index of its last step in the closure (which names its source): one entry, so
	// that a reached target costs one cache line.
	best []reach
	// inherited[t] counts the inherited pairs of target t this expander wrote.
	inherited []int32
	// bits marks the identity's reached targets; words marks bits' nonzero words, so
	// that they are listed ascending without a sort.
	bits, words []uint64
	// byKind counts the pairs this expander wrote, by kind.
	byKind [3]int64
}

// reach is the chain an identity's expansion has found to a target.
type reach struct{ dist, step int32 }

// targets numbers the roles that grants reach (targets), for the expanders' tables.
type targets struct {
	// source and target mark, by role, the roles that grant something and those some
	// grant reaches; rank[w] is the number of targets below role 64*w.
	source, target []uint64
	rank           []int32
	// role is each target's role, ascending.
	role []int32
	// step is, for each closure step, its target and distance.
	step []targetStep
	// listed marks the targets whose inherited pairs the expansion lists (nil: none).
	listed []bool
}

// listTargets marks the targets of the roles with list[r] as listed.
func (t *targets) listTargets(list []bool) {
	t.listed = make([]bool, len(t.role))
	for k, r := range t.role {
		t.listed[k] = int(r) < len(list) && list[r]
	}
}

// targetStep is a closure step as the expansion reads it: the target reached, and its
// distance from the source.
type targetStep struct{ t, dist int32 }

func newTargets(c *Closure) *targets {
	nr := c.g.n
	nw := (nr + 63) / 64
	t := &targets{source: make([]uint64, nw), target: make([]uint64, nw), rank: make([]int32, nw+1)}
	for s := range int32(nr) {
		for _, st := range c.Reach(s) {
			t.source[s>>6] |= 1 << (s & 63)
			t.target[st.Role>>6] |= 1 << (st.Role & 63)
		}
	}
	for w, bs := range t.target {
		t.rank[w+1] = t.rank[w] + int32(bits.OnesCount64(bs))
		for ; bs != 0; bs &= bs - 1 {
			t.role = append(t.role, int32(w<<6+bits.TrailingZeros64(bs)))
		}
	}
	t.step = make([]targetStep, len(c.steps))
	for k, st := range c.steps {
		t.step[k] = targetStep{t: t.of(st.Role), dist: st.Dist}
	}
	return t
}

// isSource reports whether role r grants something.
func (t *targets) isSource(r int32) bool { return t.source[uint32(r)>>6]&(1<<(uint32(r)&63)) != 0 }

// of returns the target number of role r, -1 when no grant reaches r.
func (t *targets) of(r int32) int32 {
	w, b := uint32(r)>>6, uint64(1)<<(uint32(r)&63)
	if t.target[w]&b == 0 {
		return -1
	}
	return t.rank[w] + int32(bits.OnesCount64(t.target[w]&(b-1)))
}

func newExpander(c *Closure, t *targets) *expander {
	nt := len(t.role)
	nw := (nt + 63) / 64
	return &expander{c: c, t: t, best: make([]reach, nt), inherited: make([]int32, nt), bits: make([]uint64, nw),
		words: make([]uint64, (nw+63)/64)}
}

// mark adds target t to the identity's set.
func (x *expander) mark(t int32) {
	w := uint32(t) >> 6
	x.bits[w] |= 1 << (uint32(t) & 63)
	x.words[w>>6] |= 1 << (w & 63)
}

// expandBlock is the number of identities one worker expands at a time.
const expandBlock = 1 << 10

// Expand computes the effective pairs of n identities, where rolesOf(i) returns identity
// i's directly held roles ascending. For an inherited role the chosen source is the one
// with the shortest chain, ties going to the lexically smallest chain; since every chain
// from s starts with s, that is the smallest source among those at the shortest distance.
func Expand(ctx context.Context, c *Closure, n int, rolesOf func(i int) []int32) (*Pairs, error) {
	return ExpandWorkers(ctx, c, n, 1, rolesOf)
}

// ExpandWorkers is Expand on several goroutines (workers <= 0: GOMAXPROCS), each
// expanding blocks of consecutive identities; the result does not depend on workers.
// rolesOf must be safe for concurrent use.
func ExpandWorkers(ctx context.Context, c *Closure, n, workers int, rolesOf func(i int) []int32) (*Pairs, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p, _, err := expandBlocks(ctx, c, n, workers, expandBlock, nil, rolesOf)
	return p, err
}

// ExpandListing is ExpandWorkers followed by InheritedByRoleWorkers(ctx, nr, workers,
// list), with the inherited pairs of the roles listed collected by the expansion as it
// writes them: it knows each pair's role and identity then, while a pass over the pairs
// afterwards reads them all (8 bytes a pair) to find those few (at the tier L universe
// of 750,000 identities, 258,232 of 40.2 million). The results are the same either way.
func ExpandListing(ctx context.Context, c *Closure, n, workers, nr int, list []bool, rolesOf func(i int) []int32) (*Pairs, *ByRole, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p, listed, err := expandBlocks(ctx, c, n, workers, expandBlock, list, rolesOf)
	if err != nil {
		return nil, nil, err
	}
	b, err := p.inheritedByRoleFrom(ctx, nr, workers, 4*workers, list, listed)
	if err != nil {
		return nil, nil, err
	}
	return p, b, nil
}

// expandBlocks is ExpandWorkers with blocks of block identities, in one pass over the
// closure's steps: each block is expanded into a buffer of its own and copied into the
// result once every earlier block is, which places it (placer). The result's arrays are
// made for a bound on the pairs, each identity's direct roles and the steps of those
// that grant (boundPairs, a pass over the direct roles alone), and cut to their number.
// The inherited pairs of the roles with list[r] (nil: none) are listed, block by block
// of identities, identities ascending (nil where a block's were too many, listedShare).
func expandBlocks(ctx context.Context, c *Closure, n, workers, block int, list []bool, rolesOf func(i int) []int32) (*Pairs, [][]listedPair, error) {
	nb := (n + block - 1) / block
	xs := make([]*expander, max(1, min(workers, nb)))
	p := &Pairs{Off: make([]int64, n+1), stepSource: c.stepSource}
	t := newTargets(c)
	if list != nil {
		t.listTargets(list)
	}
	bounds, err := boundPairs(ctx, c, n, block, len(xs), rolesOf)
	if err != nil {
		return nil, nil, err
	}
	var bound int64
	for _, b := range bounds {
		bound += b
	}
	p.allocate(bound)
	pl := newPlacer(p, bounds, 8*len(xs))
	if list != nil {
		pl.listed = make([][]listedPair, nb)
	}
	err = parallel.Each(ctx, nb, len(xs), func(w, b int) error {
		if xs[w] == nil {
			xs[w] = newExpander(c, t)
		}
		buf := pl.buffer(b)
		for i := b * block; i < min(n, (b+1)*block); i++ {
			from := len(buf.role)
			xs[w].expand(int32(i), rolesOf(i), buf)
			p.Off[i+1] = int64(len(buf.role) - from)
		}
		pl.done(b, buf)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for i := range n {
		p.Off[i+1] += p.Off[i]
	}
	if total := p.Off[n]; total != pl.at || pl.next != nb {
		panic("effective: the expanded blocks do not add up to the pairs counted")
	}
	p.Role, p.Step = p.Role[:pl.at:pl.at], p.Step[:pl.at:pl.at]
	if pl.unlisted {
		pl.listed = nil
	}
	p.inherited = make([]int64, c.g.n)
	for _, x := range xs {
		if x != nil {
			for kind, n := range x.byKind {
				p.ByKind[kind] += n
			}
			for k, n := range x.inherited {
				p.inherited[t.role[k]] += int64(n)
			}
		}
	}
	return p, pl.listed, nil
}

// boundPairs returns, for each block of block identities, a bound on their effective
// pairs: their direct roles, and for each of those that grants, its steps (a role reached
// from two of them, or also held directly, is one pair). It reads the direct roles on
// workers goroutines; a step is not read.
func boundPairs(ctx context.Context, c *Closure, n, block, workers int, rolesOf func(i int) []int32) ([]int64, error) {
	nb := (n + block - 1) / block
	sums := make([]int64, nb)
	// width[r]: the pairs role r held directly may bring, itself and its steps.
	width := make([]int32, c.g.n)
	for r := range width {
		width[r] = int32(1 + c.soff[r+1] - c.soff[r])
	}
	err := parallel.Each(ctx, nb, workers, func(_, b int) error {
		var sum int64
		for i := b * block; i < min(n, (b+1)*block); i++ {
			for _, s := range rolesOf(i) {
				sum += int64(width[s])
			}
		}
		sums[b] = sum
		return nil
	})
	return sums, err
}

// pairBuf holds the pairs of one block while it is expanded (pairs in order, as Pairs),
// and the inherited pairs of listed roles among them (targets.listed), in order.
type pairBuf struct {
	role, step []int32
	listed     []listedPair
}

// add makes room for n more pairs after the buffer's, and returns where they start: the
// caller writes them (set) and cuts the buffer to those it wrote (cut).
func (b *pairBuf) add(n int) int {
	k := len(b.role)
	b.role = slices.Grow(b.role, n)[:k+n]
	b.step = slices.Grow(b.step, n)[:k+n]
	return k
}

// set writes pair k: role r, and step (the kind of a pair not inherited).
func (b *pairBuf) set(k int, r int32, step int32) { b.role[k], b.step[k] = r, step }

// cut keeps the buffer's first n pairs.
func (b *pairBuf) cut(n int) { b.role, b.step = b.role[:n], b.step[:n] }

// placer copies expanded blocks into the pairs in block order: a block expanded before
// every earlier one is held until they are. Blocks are taken in order (parallel.Each),
// so the worker of the first block not placed never waits; a worker whose block is
// ahead of it by ahead blocks or more waits for a buffer, which bounds the buffers.
type placer struct {
	p     *Pairs
	mu    sync.Mutex
	moved sync.Cond // next has advanced
	// ready holds, by block, its expanded pairs until it is placed.
	ready []*pairBuf
	// next is the first block not placed; at is where its pairs go.
	next  int
	at    int64
	ahead int
	free  []*pairBuf
	// bounds is each block's bound on its pairs (boundPairs), which sizes its buffer.
	bounds []int64
	// listed holds, by block, the block's listed pairs once it is placed (nil: none are
	// listed); unlisted is set where a block listed more than listedShare allows, and
	// they are then dropped.
	listed   [][]listedPair
	unlisted bool
}

// listedShare is the share of a block's pairs, as a divisor, its listed pairs may be at
// most (8 bytes each, beside the pairs' 8): with more, listedFromCounts would likely not
// apply (it takes at most a quarter of the inherited pairs), so they are dropped rather
// than held, and the roles' identities are found by passes over the pairs.
const listedShare = 4

func newPlacer(p *Pairs, bounds []int64, ahead int) *placer {
	pl := &placer{p: p, ready: make([]*pairBuf, len(bounds)), ahead: ahead, bounds: bounds}
	pl.moved.L = &pl.mu
	return pl
}

// buffer returns an empty buffer for block b, with room for its bound.
func (pl *placer) buffer(b int) *pairBuf {
	pl.mu.Lock()
	for b >= pl.next+pl.ahead {
		pl.moved.Wait()
	}
	buf := &pairBuf{}
	if k := len(pl.free); k > 0 {
		buf = pl.free[k-1]
		pl.free = pl.free[:k-1]
	}
	pl.mu.Unlock()
	buf.add(int(pl.bounds[b]))
	buf.cut(0)
	return buf
}

// placed is a block whose place in the pairs is known.
type placed struct {
	buf   *pairBuf
	at    int64
	block int
}

// done takes block b's expanded pairs, and copies into the pairs every block that is now
// next in order; it hands their buffers back emptied.
func (pl *placer) done(b int, buf *pairBuf) {
	pl.mu.Lock()
	pl.ready[b] = buf
	var mine []placed
	for pl.next < len(pl.ready) && pl.ready[pl.next] != nil {
		r := pl.ready[pl.next]
		mine = append(mine, placed{r, pl.at, pl.next})
		pl.ready[pl.next] = nil
		pl.at += int64(len(r.role))
		pl.next++
	}
	if len(mine) > 0 {
		pl.moved.Broadcast()
	}
	pl.mu.Unlock()
	unlisted := false
	for _, m := range mine {
		copy(pl.p.Role[m.at:], m.buf.role)
		copy(pl.p.Step[m.at:], m.buf.step)
		if pl.listed != nil {
			// The block's own list, taken over (its buffer starts another).
			pl.listed[m.block] = m.buf.listed
			unlisted = unlisted || len(m.buf.listed)*listedShare > len(m.buf.role)
		}
		m.buf.listed = nil
		m.buf.cut(0)
	}
	if len(mine) > 0 {
		pl.mu.Lock()
		pl.unlisted = pl.unlisted || unlisted
		for _, m := range mine {
			pl.free = append(pl.free, m.buf)
		}
		pl.mu.Unlock()
	}
}

// allocate makes p's arrays for total pairs, each on a goroutine of its own: memory the
// heap reuses is cleared by the goroutine that allocates it (about 435 MB for the tier L
// universe's 54 million pairs), which would otherwise run alone on one processor. A
// panic on either goroutine (a bug) is raised again on the caller's, once both are done
// (parallel.Must), for the nearest recover.
func (p *Pairs) allocate(total int64) {
	var wg sync.WaitGroup
	var bugs parallel.Bugs
	bugs.Go(&wg, func() { p.Role = prefault.Make[int32](int(total)) })
	bugs.Go(&wg, func() { p.Step = prefault.Make[int32](int(total)) })
	wg.Wait()
	parallel.Must(bugs.Err())
}

// expand appends the effective pairs of identity i, holding direct (ascending), to buf.
// The reached targets come out of the identity's target set ascending, which is role
// order, and are merged with the direct roles: a role both direct and reached is
// redundant.
func (x *expander) expand(i int32, direct []int32, buf *pairBuf) {
	t, soff := x.t, x.c.soff
	reached := 0
	for _, s := range direct {
		if !t.isSource(s) {
			continue
		}
		first := int32(soff[s])
		for j, st := range t.step[soff[s]:soff[s+1]] {
			b := &x.best[st.t]
			if b.dist == 0 {
				x.mark(st.t)
				reached++
			}
			if b.dist == 0 || st.dist < b.dist {
				*b = reach{dist: st.dist, step: first + int32(j)}
			}
		}
	}
	k := buf.add(len(direct) + reached)
	d := 0
	if reached > 0 {
		k, d = x.merge(i, direct, buf, k)
	}
	for _, r := range direct[d:] {
		buf.set(k, r, stepDirect)
		k++
	}
	buf.cut(k)
	x.byKind[Direct] += int64(len(direct) - d)
}

// merge writes identity i's reached targets, in role order, with the direct roles
// before each, into buf from position k on (listing the inherited pairs of listed
// targets), and clears the target set; it returns the next position and the number of
// direct roles written (the rest come after every target).
func (x *expander) merge(i int32, direct []int32, buf *pairBuf, k int) (int, int) {
	listed := x.t.listed
	d := 0
	for sw, ws := range x.words {
		for ; ws != 0; ws &= ws - 1 {
			w := sw<<6 + bits.TrailingZeros64(ws)
			for bs := x.bits[w]; bs != 0; bs &= bs - 1 {
				tg := int32(w<<6 + bits.TrailingZeros64(bs))
				r := x.t.role[tg]
				for d < len(direct) && direct[d] < r {
					buf.set(k, direct[d], stepDirect)
					x.byKind[Direct]++
					d, k = d+1, k+1
				}
				b := &x.best[tg]
				if d < len(direct) && direct[d] == r {
					buf.set(k, r, stepRedundant)
					x.byKind[Redundant]++
					d++
				} else {
					buf.set(k, r, b.step)
					x.byKind[Inherited]++
					x.inherited[tg]++
					if listed != nil && listed[tg] {
						buf.listed = append(buf.listed, listedPair{r, i})
					}
				}
				b.dist = 0
				k++
			}
			x.bits[w] = 0
		}
		x.words[sw] = 0
	}
	return k, d
}

// ByRole is, for each role, the identities that hold it only through grants: how many,
// for every role (Count), and which, ascending, for the roles asked for (CSR Off/Idx; the
// other roles' lists are empty).
type ByRole struct {
	Count []int64
	Off   []int64
	Idx   []int32
}

// InheritedByRole returns, as CSR by role (identities ascending), the identities holding
// each of nr roles only through grants.
func (p *Pairs) InheritedByRole(nr int) (off []int64, idx []int32) {
	b, _ := p.InheritedByRoleWorkers(context.Background(), nr, 0, nil)
	return b.Off, b.Idx
}

// InheritedByRoleWorkers counts, for each of nr roles, the identities holding it only
// through grants, and lists them for the roles r with list[r] (every role when list is
// nil), on workers goroutines (<= 0: GOMAXPROCS). Each of a few chunks of consecutive
// identities counts its inherited pairs by role, which places each chunk's identities of
// a listed role after the previous chunks' ones, then fills them in; pairs from the
// expansion, whose counts it kept, need no count pass when few pairs are listed
// (listedFromCounts). The result does not depend on workers.
func (p *Pairs) InheritedByRoleWorkers(ctx context.Context, nr, workers int, list []bool) (*ByRole, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return p.inheritedByRole(ctx, nr, workers, 4*workers, list)
}

// inheritedByRole is InheritedByRoleWorkers with chunks chunks of identities.
func (p *Pairs) inheritedByRole(ctx context.Context, nr, workers, chunks int, list []bool) (*ByRole, error) {
	return p.inheritedByRoleFrom(ctx, nr, workers, chunks, list, nil)
}

// inheritedByRoleFrom is inheritedByRole where listed, when not nil, holds the
// inherited pairs of the roles listed, in identity order, as the expansion listed them
// (expandBlocks): listedFromCounts then reads no pair.
func (p *Pairs) inheritedByRoleFrom(ctx context.Context, nr, workers, chunks int, list []bool, listed [][]listedPair) (*ByRole, error) {
	n := len(p.Off) - 1
	chunks = max(1, min(chunks, n))
	size := (n + chunks - 1) / max(1, chunks)
	// at[c][r]: chunk c's inherited pairs of role r, then where the chunk's first goes.
	at := make([][]int64, chunks)
	each := func(fn func(c, lo, hi int)) error {
		return parallel.Each(ctx, chunks, workers, func(_, c int) error {
			fn(c, min(n, c*size), min(n, (c+1)*size))
			return nil
		})
	}
	if b, ok, err := p.listedFromCounts(nr, chunks, list, listed, each); ok || err != nil {
		return b, err
	}
	err := each(func(c, lo, hi int) {
		at[c] = make([]int64, nr)
		for k := p.Off[lo]; k < p.Off[hi]; k++ {
			if p.Step[k] >= 0 {
				at[c][p.Role[k]]++
			}
		}
	})
	if err != nil {
		return nil, err
	}
	b := &ByRole{Count: make([]int64, nr), Off: make([]int64, nr+1)}
	for r := range nr {
		pos := b.Off[r]
		for c := range at {
			b.Count[r] += at[c][r]
			if list == nil || list[r] {
				pos, at[c][r] = pos+at[c][r], pos
			}
		}
		b.Off[r+1] = pos
	}
	if b.Off[nr] == 0 {
		return b, nil
	}
	b.Idx = make([]int32, b.Off[nr])
	err = each(func(c, lo, hi int) {
		fill := at[c]
		for i := lo; i < hi; i++ {
			for k := p.Off[i]; k < p.Off[i+1]; k++ {
				if p.Step[k] < 0 {
					continue
				}
				if r := p.Role[k]; list == nil || list[r] {
					b.Idx[fill[r]] = int32(i)
					fill[r]++
				}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// listedPair is an inherited pair of a listed role: its role and identity.
type listedPair struct{ role, ident int32 }

// listedFromCounts is inheritedByRole for pairs whose expansion counted each role's
// inherited pairs (Pairs.inherited), when the roles listed hold at most a quarter of
// them (at the tier L universe 0.67 of 27.6 million: the roles with direct holders). The
// counts are the result's and place every listed role's identities, so one pass over
// the pairs is enough: each chunk of identities collects its listed pairs in identity
// order (listedOf), and they are put in place chunk by chunk; where the expansion
// listed them (listed, not nil), no pass at all. Counting by chunk first, as
// inheritedByRole does otherwise, takes a pass of its own. ok is false when it does not
// apply (no counts, every role listed, many listed, or pairs that disagree with their
// counts).
func (p *Pairs) listedFromCounts(nr, chunks int, list []bool, listed [][]listedPair, each func(fn func(c, lo, hi int)) error) (b *ByRole, ok bool, err error) {
	if p.inherited == nil || len(p.inherited) != nr || list == nil {
		return nil, false, nil
	}
	b = &ByRole{Count: slices.Clone(p.inherited), Off: make([]int64, nr+1)}
	var all int64
	for r, n := range b.Count {
		all += n
		if !list[r] {
			n = 0
		}
		b.Off[r+1] = b.Off[r] + n
	}
	if 4*b.Off[nr] > all {
		return nil, false, nil
	}
	if b.Off[nr] == 0 {
		return b, true, nil
	}
	found := listed
	if found == nil {
		if found, err = p.listedOf(chunks, list, b.Off[nr], each); err != nil {
			return nil, true, err
		}
	}
	b.Idx = make([]int32, b.Off[nr])
	fill := slices.Clone(b.Off[:nr])
	for _, out := range found {
		for _, e := range out {
			if fill[e.role] == b.Off[e.role+1] {
				return nil, false, nil
			}
			b.Idx[fill[e.role]] = e.ident
			fill[e.role]++
		}
	}
	for r := range nr {
		if fill[r] != b.Off[r+1] {
			return nil, false, nil
		}
	}
	return b, true, nil
}

// listedOf returns the inherited pairs of the roles with list[r] (listed of them), found
// by a pass over the pairs: each of chunks chunks of identities (each) collects its own,
// in identity order.
func (p *Pairs) listedOf(chunks int, list []bool, listed int64, each func(fn func(c, lo, hi int)) error) ([][]listedPair, error) {
	found := make([][]listedPair, chunks)
	pairs := max(1, p.Off[len(p.Off)-1])
	err := each(func(c, lo, hi int) {
		// Sized by the chunk's share of the pairs, so that it seldom grows.
		est := listed * (p.Off[hi] - p.Off[lo]) / pairs
		out := make([]listedPair, 0, est+est/8+64)
		for i := lo; i < hi; i++ {
			for k := p.Off[i]; k < p.Off[i+1]; k++ {
				if r := p.Role[k]; p.Step[k] >= 0 && list[r] {
					out = append(out, listedPair{r, int32(i)})
				}
			}
		}
		found[c] = out
	})
	return found, err
}
