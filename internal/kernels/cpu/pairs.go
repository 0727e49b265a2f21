package cpu

import (
	"cmp"
	"context"
	"fmt"
	"math/bits"
	"slices"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/parallel"
)

// The two-term path of Cooccur: with q.MaxTerms 2 and at most one multi-valued dimension
// (multi.go), a role is counted from columns.
// Its holders' codes are copied once into one short column per dimension and counted
// there (the one-term counts). Each column is then rewritten as ranks: the position of
// the holder's value among the values the role selected on that dimension (1, 2, ...),
// or 0 for no value or one counted fewer than q.MinTP times. A two-term criterion can
// only reach q.MinTP where both of its values do, so the pairs of two dimensions are
// counted over ranks: in one table of (selected values of the first) x (selected values
// of the second) counters when that table is small, read in order; otherwise holders are
// grouped by their first value's rank (a counting sort, whose bucket sizes are the
// one-term counts) and the second dimension's ranks histogrammed bucket by bucket. No
// holder's row is copied per first term, and no counter is kept for a value that cannot
// be selected. Holders with equal values on every single-valued dimension are counted
// once, weighted (patterns.go; with a multi-valued dimension, multi.go).

// pairCounter is one worker's scratch for the two-term path. Invariants between roles:
// every counter (hist, tab) is all zero.
type pairCounter[T uint16 | uint32] struct {
	m    *kernels.Matrix
	q    *kernels.Query
	lay  *layout
	dims []int32 // q.Dims
	// base is the role's in-scope holders (n of them), or with pat their distinct patterns,
	// wt[k] holders having pattern base[k] (dedup); the columns' rows are base's.
	base []int32
	n    int
	pat  *patterns
	cnt  []int32 // by pattern: dedup's counters, all zero between roles
	wt   []int32
	// src16 or src is the table gather copies rows of base from: the layout's or pat's,
	// width values a row, stride apart.
	src16         []uint16
	src           []int32
	stride, width int
	ids           []int32    // dedup's scratch
	wbuf          []int32    // wt's buffer
	half          [128]int32 // histogram's second half, all zero between uses
	narrow        [64]int32  // bucketPairsNarrow's counters, all zero between uses
	// col[j][k] is local row k's code+1 on dimension position j, then its rank; the
	// columns share loc. T is uint16 where every dictionary has fewer than 65,535 values.
	col [][]T
	loc []T
	// hist[j] counts dimension j's codes (code+1 indexed); while a role's ranks are set it
	// maps code+1 to rank.
	hist    [][]int32
	sels    [][]valCount // by dimension: the role's selected values, ascending
	keys    []uint64
	tab     *[denseTerms]int32 // dense pair counters
	perm    []int32            // local rows grouped by the first dimension's rank
	at      []int32            // by rank: where its bucket starts in perm (len: selected values+2)
	pc      [][]Pair           // by second dimension: the current first dimension's pairs (not with only)
	curs    []int
	out     []kernels.Count
	touched int // gather's sum of the rows it reads ahead, kept so that the reads are made
	// only: the role's pairs go to pairs alone (CooccurPairs), not to out.
	only  bool
	pairs []Pair
	// dense is the largest pair table counted densely, relative to the holders (see
	// denseFits).
	dense int

	// mj is the position in q.Dims of the query's multi-valued dimension (-1: none), whose
	// column col[mj] has one entry per value of a holder, rowOf[e] naming entry e's local
	// row (multi.go); xs is that column's buffer.
	mj    int
	rowOf []int32
	xs    []T
	// vals is dedupEntries' scratch: each holder's packed values.
	vals []uint32
	// seen marks, by bit, the patterns dedupDirect counted (all zero between roles).
	seen []uint64
	// mperm and mat group the multi-valued dimension's entries by rank as group does (mperm
	// naming the entries' local rows), made once per role where mgrouped is false; firstDim
	// swaps them with perm and at for the multi-valued dimension's own pairs.
	mperm, mat []int32
	mgrouped   bool
	mfound     []Pair // bucketEntries' pairs, by ranks
	// ordered is set where dedupEntries listed a large role's patterns in pattern order
	// (their runs are then counted as dedupDirect's are, subRuns); firstSeen (tests,
	// benchmarks) keeps every role's in order of first appearance.
	ordered, firstSeen bool
	// quarterGrowth (tests, benchmarks): pairs grown by append alone, not given room
	// first (pairsOf).
	quarterGrowth bool
	// comp is the complement of a role counted through it, msels and mpairs spare sels
	// and pairs (complement.go).
	comp   []int32
	msels  [][]valCount
	mpairs []Pair
	// ubits is a bitset of the identities, all zero between unions (union.go, countUnion).
	ubits []uint64
	// sp is the span of the query's scope: only the holders within it are read.
	sp span
	// sub, where set, names the dimensions of the patterns' projection (patterns.go,
	// subPatterns); with subOn a role's pairs of two of them are counted over the runs of
	// its patterns with equal ranks on them (subRuns): sbase holds each run's first local
	// row, swt its holders, scol (in sloc) its ranks on those dimensions (nil for the
	// others), sperm and sat its grouping (swapSub trades them for base, wt, col, perm and
	// at).
	sub               *subPatterns
	subOn             bool
	sbase, swt, sperm []int32
	sat               []int32
	scol              [][]T
	sloc              []T
	sdims             []int   // the projection's dimensions subRuns compares
	sdiff             []uint8 // subRuns' scratch
}

// denseTerms is the largest dense pair table in counters (256 KiB of int32, in a core's
// cache): with a larger one, increments cost more than grouping the rows. Its rows are a
// power of two wide, so that an index needs no bounds check.
const denseTerms = 1 << 18

func newPairCounter[T uint16 | uint32](m *kernels.Matrix, q *kernels.Query, lay *layout, pat *patterns, dense int) *pairCounter[T] {
	w := len(q.Dims)
	p := &pairCounter[T]{m: m, q: q, lay: lay, dims: q.Dims, col: make([][]T, w), sels: make([][]valCount, w),
		pc: make([][]Pair, w), dense: dense, hist: make([][]int32, w), tab: new([denseTerms]int32), mj: -1,
		src16: lay.tab16, src: lay.tab, stride: lay.stride, width: lay.stride, sp: scopeSpan(q.InScope, m.N)}
	if lay.w < w {
		p.mj = lay.lastMulti
	}
	if pat != nil {
		p.pat, p.cnt, p.src16, p.src = pat, make([]int32, pat.count), pat.tab16, pat.tab
		p.stride, p.width, p.sub = pat.stride, lay.w, pat.sub
		p.scol = make([][]T, w)
	}
	for j, d := range q.Dims {
		p.hist[j] = make([]int32, m.Cards[d]+1)
	}
	return p
}

// usePairs reports whether the two-term path applies to a query with this layout: every
// dimension single-valued, or all but one, whose codes fit 16 bits (multi.go).
func usePairs(m *kernels.Matrix, q *kernels.Query, lay *layout) bool {
	if q.MaxTerms != 2 || lay.w == 0 {
		return false
	}
	switch len(q.Dims) - lay.w {
	case 0:
		return true
	case 1:
		return m.Cards[q.Dims[lay.lastMulti]] < 1<<16-1
	}
	return false
}

// cooccurPairs is Cooccur by the two-term path, or with pairs set CooccurPairs; the
// layout's table is built.
func (b *Backend) cooccurPairs(ctx context.Context, m *kernels.Matrix, q *kernels.Query, lay *layout, roles []int32, w int,
	emit func(role int32, counts []kernels.Count) error, pairs func(role int32, pairs []Pair) error) error {
	var pat *patterns
	if b.patterns > 0 || b.patterns == 0 && patternsPay(m, roles) {
		var err error
		if pat, err = newPatterns(ctx, lay, m.N, q.InScope, w, b.patterns > 0, !b.noOrder); err != nil {
			return err
		}
	}
	return b.countPairs(ctx, m, q, lay, pat, roles, w, emit, pairs)
}

// countPairs counts roles by the two-term path over the layout's table, by pattern where
// pat is set.
func (b *Backend) countPairs(ctx context.Context, m *kernels.Matrix, q *kernels.Query, lay *layout, pat *patterns, roles []int32, w int,
	emit func(role int32, counts []kernels.Count) error, pairs func(role int32, pairs []Pair) error) error {
	cs, err := planComplements(ctx, m, q, lay, roles, b.complement, w)
	if err != nil {
		return err
	}
	var via []bool
	order := roles
	if cs != nil {
		via, order = cs.via, cs.order
	}
	us, err := planUnions(ctx, m, q, lay, roles, via, b.union, w)
	if err != nil {
		return err
	}
	if us != nil {
		order = unionOrder(m, order, via, us)
	}
	if pat != nil && pat.sub != nil && b.noSub {
		without := *pat
		without.sub, pat = nil, &without
	}
	c := &pairsCall{m: m, q: q, cs: cs, us: us, order: order, emit: emit, pairs: pairs}
	if lay.tab16 != nil {
		return runPairs[uint16](ctx, c, lay, pat, w, b)
	}
	return runPairs[uint32](ctx, c, lay, pat, w, b)
}

// patternsPay reports whether roles have at least patternHolders holders per identity of
// m: numbering patterns costs a pass over every identity, and pays back per holder (the
// neutral pass of a universe's mining counts fewer holders than there are identities).
func patternsPay(m *kernels.Matrix, roles []int32) bool {
	var holders int64
	for _, r := range roles {
		holders += m.RoleOff[r+1] - m.RoleOff[r]
	}
	return holders >= patternHolders*int64(m.N)
}

// patternHolders is patternsPay's holders per identity.
const patternHolders = 4

// pairsCall is one call of the two-term path: its items (order: roles, and ^g for the
// union of group g of us), the roles among them counted through the scope's complement
// (cs; nil: none) or through their group's union (us; nil: none), and where the counts go.
type pairsCall struct {
	m     *kernels.Matrix
	q     *kernels.Query
	cs    *complements
	us    *unions
	order []int32
	emit  func(role int32, counts []kernels.Count) error
	pairs func(role int32, pairs []Pair) error
	q1    kernels.Query // q with MinTP 1, for complements
}

// runPairs is cooccurPairs with columns of T, by pattern where pat is set; where roles are
// counted through the scope's complement (c.cs), the scope's count is the first item.
func runPairs[T uint16 | uint32](ctx context.Context, c *pairsCall, lay *layout, pat *patterns, w int, b *Backend) error {
	pcs := make([]*pairCounter[T], w)
	for g := range pcs {
		pcs[g] = newPairCounter[T](c.m, c.q, lay, pat, b.dense)
		pcs[g].only, pcs[g].firstSeen, pcs[g].quarterGrowth = c.pairs != nil, b.firstSeen, b.quarterGrowth
	}
	first := 0
	c.q1 = *c.q
	c.q1.MinTP = 1
	if c.cs != nil {
		first = 1
	}
	return parallel.Each(ctx, len(c.order)+first, w, func(g, k int) error {
		p := pcs[g]
		if k < first {
			countScope(c.cs, p)
			return nil
		}
		x := c.order[k-first]
		if x < 0 {
			return countUnion(ctx, c, c.us.groups[^x], p)
		}
		if err := countRole(ctx, c, p, x); err != nil {
			return err
		}
		if c.pairs != nil {
			return c.pairs(x, p.pairs)
		}
		return c.emit(x, p.out)
	})
}

// countRole counts role r of call c with p: directly, or from the scope's or its group's
// counts once they are ready.
func countRole[T uint16 | uint32](ctx context.Context, c *pairsCall, p *pairCounter[T], r int32) error {
	holders := p.sp.roleIn(c.m, r)
	switch {
	case c.us != nil && c.us.of[r] != 0:
		g := c.us.groups[c.us.of[r]-1]
		if err := g.wait(ctx); err != nil {
			return err
		}
		p.fromComplement(g.ids, g.sels, g.pairs, &c.q1, holders)
		g.merged()
	case c.cs != nil && c.cs.via[r]:
		if err := c.cs.wait(ctx); err != nil {
			return err
		}
		p.fromComplement(c.cs.scope, c.cs.sels, c.cs.pairs, &c.q1, holders)
	default:
		p.role(holders)
	}
	return nil
}

// Pair is one two-term criterion of a role (terms A and B, A.Dim < B.Dim) and how many of
// the role's in-scope holders match it.
type Pair struct {
	A, B kernels.Term
	TP   int32
}

// CooccurPairs is Cooccur with q.MaxTerms 2 reporting the two-term criteria alone, as
// Pairs (20 bytes against a Count's 40): emit gets, once per role and possibly from
// several goroutines, exactly the two-term counts Cooccur would give, ordered by
// dimension pair (A.Dim, then B.Dim), then by A.Val and B.Val: the pairs of two
// dimensions are handed on as they are counted, without merging them in Criterion.Compare
// order. The slice is only valid during the call.
func (b *Backend) CooccurPairs(ctx context.Context, m *kernels.Matrix, q kernels.Query, roles []int32,
	emit func(role int32, pairs []Pair) error) error {
	if q.MaxTerms != 2 {
		return fmt.Errorf("cpu: CooccurPairs: %d terms, expected 2", q.MaxTerms)
	}
	if q.MinTP < 1 {
		q.MinTP = 1
	}
	w := max(1, min(b.nworkers(), len(roles)))
	if lay := newLayout(m, &q); usePairs(m, &q, lay) && !b.rows {
		if err := lay.buildTable(ctx, m, &q, w, b.wide); err != nil {
			return err
		}
		return b.cooccurPairs(ctx, m, &q, lay, roles, w, nil, emit)
	}
	return b.Cooccur(ctx, m, q, roles, func(r int32, cs []kernels.Count) error {
		var pairs []Pair
		for _, c := range cs {
			if c.C.N == 2 {
				pairs = append(pairs, Pair{A: c.C.T[0], B: c.C.T[1], TP: c.TP})
			}
		}
		slices.SortFunc(pairs, comparePairs)
		return emit(r, pairs)
	})
}

// comparePairs orders pairs as CooccurPairs hands them out.
func comparePairs(x, y Pair) int {
	return cmp.Or(cmp.Compare(x.A.Dim, y.A.Dim), cmp.Compare(x.B.Dim, y.B.Dim), cmp.Compare(x.A.Val, y.A.Val), cmp.Compare(x.B.Val, y.B.Val))
}

// role sets p.out to the role's counts, in Criterion.Compare order (p.pairs to its pairs,
// in CooccurPairs' order, with p.only).
func (p *pairCounter[T]) role(holders []int32) {
	p.out, p.pairs = p.out[:0], p.pairs[:0]
	p.wt, p.mgrouped, p.subOn, p.ordered = nil, false, false, false
	direct := p.pat != nil && p.mj < 0 && len(holders)*directShare >= len(p.cnt)
	if direct {
		if p.dedupDirect(holders); p.n < int(p.q.MinTP) {
			return
		}
	} else {
		base := p.base[:0]
		for _, i := range holders {
			if inScope(p.q.InScope, i) {
				base = append(base, i)
			}
		}
		p.base, p.n = base, len(base)
		if len(base) < int(p.q.MinTP) {
			return
		}
		switch {
		case p.pat != nil && p.mj >= 0:
			p.dedupEntries()
		case p.pat != nil && len(base) < rowsBelow:
			p.fromRows(true)
		case p.pat != nil:
			p.dedup()
			p.inPatternOrder()
		}
	}
	p.gather()
	p.fromRows(false)
	if p.mj >= 0 && p.pat == nil {
		p.gatherEntries()
	}
	for j := range p.col {
		p.rank(j)
	}
	if p.mj >= 0 {
		p.dropUnranked()
	}
	if (direct || p.ordered) && p.sub != nil {
		p.subRuns()
	}
	for a := range p.col {
		p.firstDim(a)
	}
}

// touchRows is how many holders' rows gather reads ahead of copying them: a loop of one
// independent load per holder has many more misses in flight than the copy, whose stores
// fill the core's buffers, and the rows are then in cache when copied.
const touchRows = 256

// gather copies the codes+1 of the rows of base into the columns (one block, column after
// column), from the table of 16-bit codes or from that of term ids (the layout's, or the
// patterns').
func (p *pairCounter[T]) gather() {
	n, s, w := len(p.base), p.stride, p.width
	loc := slices.Grow(p.loc[:0], n*w)[:n*w]
	for lo := 0; lo < n; lo += touchRows {
		hi := min(n, lo+touchRows)
		if tab := p.src16; tab != nil {
			var touched uint16
			for _, i := range p.base[lo:hi] {
				touched += tab[int(i)*s]
			}
			p.touched += int(touched)
			for k := lo; k < hi; k++ {
				i := int(p.base[k])
				for j, c := range tab[i*s : i*s+w] {
					loc[j*n+k] = T(c)
				}
			}
			continue
		}
		tab, off := p.src, p.lay.off
		var touched int32
		for _, i := range p.base[lo:hi] {
			touched += tab[int(i)*s]
		}
		p.touched += int(touched)
		for k := lo; k < hi; k++ {
			i := int(p.base[k])
			for j, c := range tab[i*s : i*s+w] {
				loc[j*n+k] = T(c - off[j])
			}
		}
	}
	for j, s := range p.lay.single {
		if s >= 0 {
			p.col[j] = loc[s*n : s*n+n]
		}
	}
	p.loc = loc
}

// histogram adds col's values to hp, each weighted by wt where it is set (wt[k] for
// col[k]). A histogram of
// at most len(half) counters is taken in two halves, even and odd rows (half, then added
// to hp), so that a run of one value, common in small dictionaries, is not one chain of
// increments each waiting on the one before.
func (p *pairCounter[T]) histogram(hp []int32, col []T, wt []int32) {
	if len(hp) > len(p.half) {
		if wt == nil {
			for _, c := range col {
				hp[c]++
			}
			return
		}
		wt = wt[:len(col)]
		for k, c := range col {
			hp[c] += wt[k]
		}
		return
	}
	h2, n := p.half[:len(hp)], len(col)&^1
	if wt == nil {
		for k := 0; k < n; k += 2 {
			hp[col[k]]++
			h2[col[k+1]]++
		}
		if n < len(col) {
			hp[col[n]]++
		}
	} else {
		wt = wt[:len(col)]
		for k := 0; k < n; k += 2 {
			hp[col[k]] += wt[k]
			h2[col[k+1]] += wt[k+1]
		}
		if n < len(col) {
			hp[col[n]] += wt[n]
		}
	}
	for c, v := range h2 {
		hp[c] += v
		h2[c] = 0
	}
}

// rank selects dimension j's values counted at least q.MinTP times (ascending, into
// sels[j]), rewrites its column as ranks and leaves its counters all zero. A dictionary
// small against the holders is read in code order; a large one through the holders' own
// values, then sorted.
func (p *pairCounter[T]) rank(j int) {
	hp, col, minTP := p.hist[j], p.col[j], p.q.MinTP
	p.histogram(hp, col, p.weights(j, j))
	hp[0] = 0
	h := hp
	sels := p.sels[j][:0]
	if len(h) <= 4*len(col)+64 {
		for c, v := range h[1:] {
			h[c+1] = 0
			if v >= minTP {
				sels = append(sels, valCount{val: int32(c), count: v})
				h[c+1] = int32(len(sels))
			}
		}
		p.sels[j] = sels
		// Where every value is selected, a rank is the code+1 already; a whole dimension's
		// column is not read again.
		if len(sels) < len(h)-1 && !p.whole(j) {
			for k, c := range col {
				col[k] = T(hp[c])
			}
		}
		clear(h)
		return
	}
	keys := p.keys[:0]
	for _, c := range col {
		if v := hp[c]; v != 0 {
			if v >= minTP {
				keys = append(keys, uint64(c-1)<<32|uint64(v))
			}
			hp[c] = 0
		}
	}
	slices.Sort(keys)
	for r, x := range keys {
		sels = append(sels, valCount{val: int32(x >> 32), count: int32(x)})
		h[x>>32+1] = int32(r + 1)
	}
	for k, c := range col {
		col[k] = T(hp[c])
	}
	for _, s := range sels {
		h[s.val+1] = 0
	}
	p.keys, p.sels[j] = keys, sels
}

// firstDim appends the counts whose first term is on dimension position a: each selected
// value, followed by its pairs with the values of every later dimension (with only, its
// pairs alone, to pairs, dimension by dimension). The pairs of two dimensions of the
// role's projections (subOn) are counted over those.
func (p *pairCounter[T]) firstDim(a int) {
	if len(p.sels[a]) == 0 {
		return
	}
	grouped, sgrouped := false, false
	for b := a + 1; b < len(p.col); b++ {
		if !p.only {
			p.pc[b] = p.pc[b][:0]
		}
		switch {
		case len(p.sels[b]) == 0:
		case p.whole(a) || p.whole(b):
			p.wholePairs(a, b)
		case p.subOn && p.scol[a] != nil && p.scol[b] != nil:
			p.swapSub()
			p.countPair(a, b, &sgrouped)
			p.swapSub()
		default:
			p.countPair(a, b, &grouped)
		}
	}
	if !p.only {
		p.emitFirst(a)
	}
}

// countPair appends the pairs of dimensions a and b (neither whole, both with selected
// values), in a dense table or bucket by bucket of a's rank, grouping the rows by a's
// rank first unless grouped says they are.
func (p *pairCounter[T]) countPair(a, b int, grouped *bool) {
	if shift := p.denseShift(len(p.sels[a]), len(p.sels[b]), p.pairRows(a, b)); shift >= 0 {
		if a == p.mj || b == p.mj {
			p.denseEntries(a, b, shift)
			return
		}
		p.densePairs(a, b, shift, p.col[a], p.col[b])
		return
	}
	if b == p.mj {
		p.bucketEntries(a)
		return
	}
	if !*grouped {
		if a == p.mj { // the entries' grouping by rank, as local rows (multi.go)
			p.groupEntries()
			p.perm, p.mperm, p.at, p.mat, p.mgrouped = p.mperm, p.perm, p.mat, p.at, false
		} else {
			p.group(a, p.col[a], p.weights(a, a) == nil)
		}
		*grouped = true
	}
	p.bucketPairs(a, b, p.col[b])
}

// subRuns sets the role's projections (after rank; base in ascending pattern number, so
// that patterns of one projection are neighbours): each run of local rows with the same
// ranks on every dimension of the projection (whole ones and those with no selected value
// left out, as firstDim leaves them) becomes one row of sbase (its first local row), swt
// (its holders) and scol (its ranks on those dimensions). It sets subOn where the runs are
// at most half the local rows; otherwise counting over them would not pay for this.
func (p *pairCounter[T]) subRuns() {
	n, dims := len(p.base), p.sdims[:0]
	for j, in := range p.sub.in {
		if in && len(p.sels[j]) > 0 && !p.whole(j) {
			dims = append(dims, j)
		}
	}
	p.sdims = dims
	if len(dims) < 2 || n == 0 {
		return
	}
	diff := slices.Grow(p.sdiff[:0], n)[:n] // 1 where a row starts a run
	clear(diff)
	diff[0] = 1
	for _, j := range dims {
		c := p.col[j][:n]
		for k := 1; k < n; k++ {
			d := uint32(c[k]) ^ uint32(c[k-1])
			diff[k] |= uint8((d | -d) >> 31)
		}
	}
	wt := p.wt[:n]
	starts, sw := p.sbase[:0], p.swt[:0]
	for k, f := range diff {
		if f != 0 {
			starts, sw = append(starts, int32(k)), append(sw, wt[k])
		} else {
			sw[len(sw)-1] += wt[k]
		}
	}
	p.sbase, p.swt, p.sdiff = starts, sw, diff
	ns := len(starts)
	if ns*2 > n {
		return
	}
	p.subOn = true
	loc := slices.Grow(p.sloc[:0], ns*len(dims))[:ns*len(dims)]
	clear(p.scol)
	for x, j := range dims {
		sc, c := loc[x*ns:x*ns+ns], p.col[j]
		for t, k := range starts {
			sc[t] = c[k]
		}
		p.scol[j] = sc
	}
	p.sloc = loc
}

// swapSub trades the role's local rows (base, wt, col and their grouping) for its
// projections' (subRuns), or back.
func (p *pairCounter[T]) swapSub() {
	p.base, p.sbase = p.sbase, p.base
	p.wt, p.swt = p.swt, p.wt
	p.col, p.scol = p.scol, p.col
	p.perm, p.sperm = p.sperm, p.perm
	p.at, p.sat = p.sat, p.at
}

// pairsOf returns the slice the pairs of dimension positions a and b are appended to:
// pairs with only, else pc[b] (emptied by firstDim); setPairs stores it back. With only,
// where one slice takes every pair of a role (up to hundreds of thousands at tier L),
// it first has room for as many pairs as a and b can have: no more than their selected
// values' products, nor than the role's holders over q.MinTP (the pairs of two
// dimensions share them). Appending grew it a quarter at a time instead, into fresh
// memory each time and copying it all (bench cooccur at tier L: about 170 MB
// allocated, the count's heap grown past the load's).
func (p *pairCounter[T]) pairsOf(a, b int) []Pair {
	if !p.only {
		return p.pc[b]
	}
	if p.quarterGrowth {
		return p.pairs
	}
	most := len(p.sels[a]) * len(p.sels[b])
	if p.q.MinTP > 0 {
		most = min(most, p.n/int(p.q.MinTP)+1)
	}
	if cap(p.pairs)-len(p.pairs) < most {
		p.pairs = slices.Grow(p.pairs, max(most, cap(p.pairs)))
	}
	return p.pairs
}

// setPairs stores out, appended to since pairsOf(a, b).
func (p *pairCounter[T]) setPairs(b int, out []Pair) {
	if p.only {
		p.pairs = out
		return
	}
	p.pc[b] = out
}

// weights returns the weights of the rows counted for dimensions a and b (b == a: a's
// own counts): the patterns' where counting by pattern, except where either is the
// multi-valued dimension, whose entries count one each.
func (p *pairCounter[T]) weights(a, b int) []int32 {
	if a == p.mj || b == p.mj {
		return nil
	}
	return p.wt
}

// pairRows returns how many rows the pairs of dimensions a and b are counted over: the
// multi-valued dimension's entries, or the local rows.
func (p *pairCounter[T]) pairRows(a, b int) int {
	if a == p.mj || b == p.mj {
		return len(p.rowOf)
	}
	return len(p.base)
}

// whole reports whether every holder has one selected value on dimension j (kind, in a
// scope of one kind): its pairs with another dimension are that dimension's own counts.
func (p *pairCounter[T]) whole(j int) bool {
	return len(p.sels[j]) == 1 && int(p.sels[j][0].count) == p.n
}

// wholePairs appends to pc[b] the pairs of dimensions a and b where one of them is whole:
// every selected value of the other, with its own count.
func (p *pairCounter[T]) wholePairs(a, b int) {
	out := p.pairsOf(a, b)
	ta, tb := kernels.Term{Dim: p.dims[a]}, kernels.Term{Dim: p.dims[b]}
	if p.whole(a) {
		ta.Val = p.sels[a][0].val
		for _, s := range p.sels[b] {
			tb.Val = s.val
			out = append(out, Pair{A: ta, B: tb, TP: s.count})
		}
	} else {
		tb.Val = p.sels[b][0].val
		for _, s := range p.sels[a] {
			ta.Val = s.val
			out = append(out, Pair{A: ta, B: tb, TP: s.count})
		}
	}
	p.setPairs(b, out)
}

// denseShift returns the log2 of the row width of a dense table of the pairs of na x nb
// selected values, or -1 where they are bucketed instead: the table (rows and column 0 of
// no selected value included) must fit denseTerms (p.dense in tests), and hold not many
// more counters than the rows counted, since every counter is read once.
func (p *pairCounter[T]) denseShift(na, nb, rows int) int {
	shift := bits.Len(uint(nb))
	size := (na + 1) << shift
	limit := min(denseTerms, 4*rows+256)
	if p.dense > 0 {
		limit = p.dense
	}
	if size > limit {
		return -1
	}
	return shift
}

// densePairs counts the pairs of dimensions a and b (their ranks in ca and cb, side by
// side) in one table of (ranks of a) x (ranks of b), row and column 0 (no
// selected value) included, and appends those counted at least q.MinTP times to pc[b], by
// rank of a then rank of b.
func (p *pairCounter[T]) densePairs(a, b, shift int, ca, cb []T) {
	tab := p.tab
	cb = cb[:len(ca)]
	if wt := p.weights(a, b); wt != nil {
		wt = wt[:len(ca)]
		for k, x := range ca {
			tab[(int(x)<<shift|int(cb[k]))&(denseTerms-1)] += wt[k]
		}
	} else {
		for k, x := range ca {
			tab[(int(x)<<shift|int(cb[k]))&(denseTerms-1)]++
		}
	}
	p.denseOut(a, b, shift)
}

// denseOut appends the pairs of dimensions a and b counted at least q.MinTP times in the
// dense table (row width 1<<shift) to pc[b], by rank of a then rank of b, and leaves the
// table all zero.
func (p *pairCounter[T]) denseOut(a, b, shift int) {
	na, nb, tab := len(p.sels[a]), len(p.sels[b]), p.tab
	out, minTP := p.pairsOf(a, b), p.q.MinTP
	ta, tb, sb := kernels.Term{Dim: p.dims[a]}, kernels.Term{Dim: p.dims[b]}, p.sels[b][:nb]
	clear(tab[:nb+1])
	for ra := 1; ra <= na; ra++ {
		ta.Val = p.sels[a][ra-1].val
		row := tab[ra<<shift : ra<<shift+nb+1]
		row[0] = 0
		for rb, v := range row[1:] {
			if v >= minTP {
				tb.Val = sb[rb].val
				out = append(out, Pair{A: ta, B: tb, TP: v})
			}
			row[rb+1] = 0
		}
	}
	p.setPairs(b, out)
}

// group sets perm to the positions in ca with a selected value, grouped by rank (in order
// within a rank), and at to where each rank's positions start. ca is dimension a's ranks:
// its own column (own), whose counts are the buckets' sizes, or one read through the
// multi-valued dimension's entries (multi.go), whose ranks are counted first.
func (p *pairCounter[T]) group(a int, ca []T, own bool) {
	sels := p.sels[a]
	na := len(sels)
	at := slices.Grow(p.at[:0], na+2)[:na+2]
	// at[r+1] is the next free place of rank r while placing: first the sum of the sizes
	// of the ranks before it; after, rank r's end, so that at[r] is its start.
	clear(at)
	if own {
		for r := 1; r <= na; r++ {
			at[r+1] = sels[r-1].count
		}
	} else {
		for _, r := range ca {
			at[r+1]++
		}
		at[1] = 0 // rank 0 is not placed
	}
	total := int32(0)
	for r := 1; r <= na; r++ {
		size := at[r+1]
		at[r+1] = total
		total += size
	}
	perm := slices.Grow(p.perm[:0], int(total))[:total]
	for k, r := range ca {
		if r > 0 {
			perm[at[r+1]] = int32(k)
			at[r+1]++
		}
	}
	p.perm, p.at = perm, at
}

// bucketPairs counts the pairs of dimensions a and b bucket by bucket of the grouping by
// a's rank (group; cb holds b's ranks at the positions it grouped), and appends those
// counted at least q.MinTP times (pairsOf), by rank of a then rank of b.
func (p *pairCounter[T]) bucketPairs(a, b int, cb []T) {
	nb, minTP := len(p.sels[b]), p.q.MinTP
	if nb < 64 {
		p.bucketPairsNarrow(a, b, cb)
		return
	}
	hp := p.hist[b]
	h := hp[:nb+1]
	out := p.pairsOf(a, b)
	ta, tb, sb := kernels.Term{Dim: p.dims[a]}, kernels.Term{Dim: p.dims[b]}, p.sels[b][:nb]
	for ra := 1; ra <= len(p.sels[a]); ra++ {
		ta.Val = p.sels[a][ra-1].val
		lo, hi := p.at[ra], p.at[ra+1]
		if wt := p.weights(a, b); wt != nil {
			for _, k := range p.perm[lo:hi] {
				hp[cb[k]] += wt[k]
			}
		} else {
			for _, k := range p.perm[lo:hi] {
				hp[cb[k]]++
			}
		}
		h[0] = 0
		if nb+1 <= 4*int(hi-lo)+64 {
			for rb, v := range h[1:] {
				if v >= minTP {
					tb.Val = sb[rb].val
					out = append(out, Pair{A: ta, B: tb, TP: v})
				}
			}
			clear(h)
			continue
		}
		keys := p.keys[:0]
		for _, k := range p.perm[lo:hi] {
			x := cb[k]
			if v := hp[x]; v != 0 {
				if v >= minTP {
					keys = append(keys, uint64(x)<<32|uint64(v))
				}
				hp[x] = 0
			}
		}
		slices.Sort(keys)
		for _, x := range keys {
			tb.Val = sb[x>>32-1].val
			out = append(out, Pair{A: ta, B: tb, TP: int32(x)})
		}
		p.keys = keys
	}
	p.setPairs(b, out)
}

// bucketPairsNarrow is bucketPairs where b has fewer than 64 selected values: a bucket's
// ranks of b are marked in one word as they are counted, and only the counters marked
// are read (a bucket of a few rows would otherwise read all of b's counters).
func (p *pairCounter[T]) bucketPairsNarrow(a, b int, cb []T) {
	nb, minTP := len(p.sels[b]), p.q.MinTP
	h := &p.narrow
	out, wt := p.pairsOf(a, b), p.weights(a, b)
	ta, tb, sb := kernels.Term{Dim: p.dims[a]}, kernels.Term{Dim: p.dims[b]}, p.sels[b][:nb]
	for ra := 1; ra <= len(p.sels[a]); ra++ {
		ta.Val = p.sels[a][ra-1].val
		var mask uint64
		if bucket := p.perm[p.at[ra]:p.at[ra+1]]; wt != nil {
			for _, k := range bucket {
				x := cb[k] & 63
				h[x] += wt[k]
				mask |= 1 << x
			}
		} else {
			for _, k := range bucket {
				x := cb[k] & 63
				h[x]++
				mask |= 1 << x
			}
		}
		h[0] = 0
		for m := mask &^ 1; m != 0; m &= m - 1 {
			rb := bits.TrailingZeros64(m)
			if v := h[rb]; v >= minTP {
				tb.Val = sb[rb-1].val
				out = append(out, Pair{A: ta, B: tb, TP: v})
			}
			h[rb] = 0
		}
	}
	p.setPairs(b, out)
}

// emitFirst appends to out, for each selected value of dimension a in order, its one-term
// count and then its pairs with every later dimension (pc), dimension by dimension.
// The counts are written in place into out grown once to its new length.
func (p *pairCounter[T]) emitFirst(a int) {
	da := p.dims[a]
	curs := slices.Grow(p.curs[:0], len(p.col))[:len(p.col)] // by later dimension: its next pair
	clear(curs)
	p.curs = curs
	o, total := len(p.out), len(p.out)+len(p.sels[a])
	for b := a + 1; b < len(p.col); b++ {
		total += len(p.pc[b])
	}
	out := slices.Grow(p.out, total-o)[:total]
	for _, s := range p.sels[a] {
		first := kernels.Term{Dim: da, Val: s.val}
		out[o] = kernels.Count{C: kernels.Criterion{T: [kernels.MaxTerms]kernels.Term{first}, N: 1}, TP: s.count}
		o++
		for b := a + 1; b < len(p.col); b++ {
			pcs, k := p.pc[b], curs[b]
			for ; k < len(pcs) && pcs[k].A.Val == s.val; k++ {
				out[o] = kernels.Count{C: kernels.Criterion{T: [kernels.MaxTerms]kernels.Term{first, pcs[k].B}, N: 2}, TP: pcs[k].TP}
				o++
			}
			curs[b] = k
		}
	}
	p.out = out
}

// dedup replaces the holders in base by their distinct patterns (in order of first
// appearance) and sets wt to each one's number of holders.
func (p *pairCounter[T]) dedup() {
	of, cnt, base := p.pat.of, p.cnt, p.base
	ids := slices.Grow(p.ids[:0], len(base))[:len(base)]
	for k, i := range base {
		ids[k] = of[i]
	}
	d := 0
	for _, x := range ids {
		c := cnt[x]
		cnt[x] = c + 1
		base[d] = x
		if c == 0 {
			d++
		}
	}
	wt := slices.Grow(p.wbuf[:0], d)[:d]
	for k, x := range base[:d] {
		wt[k] = cnt[x]
		cnt[x] = 0
	}
	p.base, p.wt, p.wbuf, p.ids = base[:d], wt, wt, ids
}

// rowsBelow: a role of fewer in-scope holders is counted over their own rows, unweighted,
// even where the query is counted by pattern: so few holders rarely share a pattern, and
// reading each one's pattern number and counter costs two cache misses a holder.
const rowsBelow = 32

// fromRows points gather at the layout's table of the identities' rows (rows), or back at
// the patterns' (rows false) where the query is counted by pattern.
func (p *pairCounter[T]) fromRows(rows bool) {
	if p.pat == nil {
		return
	}
	if rows {
		p.src16, p.src, p.stride, p.width = p.lay.tab16, p.lay.tab, p.lay.stride, p.lay.stride
		return
	}
	p.src16, p.src, p.stride, p.width = p.pat.tab16, p.pat.tab, p.pat.stride, p.lay.w
}

// directShare: a role of at least 1/directShare as many holders as the query has
// patterns is deduplicated by dedupDirect.
const directShare = 32

// dedupDirect sets base to the distinct patterns of the in-scope holders among holders,
// in ascending pattern number, wt to each one's number of holders, and n to the in-scope
// holders: each holder's pattern counter is incremented where it is read, then every
// counter is read once, in order. For a large role this is one pass over the holders
// instead of dedup's three and inPatternOrder's, and no list of holders or of their
// patterns is written.
func (p *pairCounter[T]) dedupDirect(holders []int32) {
	of, cnt, in := p.pat.of, p.cnt, p.q.InScope
	seen := p.seen
	if len(seen) == 0 {
		seen = make([]uint64, (len(cnt)+63)/64)
		p.seen = seen
	}
	n := len(holders)
	if in == nil {
		for _, i := range holders {
			x := uint32(of[i])
			cnt[x]++
			seen[x>>6] |= 1 << (x & 63)
		}
	} else {
		for _, i := range holders {
			if inScope(in, i) {
				x := uint32(of[i])
				cnt[x]++
				seen[x>>6] |= 1 << (x & 63)
			} else {
				n--
			}
		}
	}
	base := slices.Grow(p.base[:0], min(n, len(cnt)))
	wt := slices.Grow(p.wbuf[:0], min(n, len(cnt)))
	for w, bits64 := range seen {
		if bits64 == 0 {
			continue
		}
		seen[w] = 0
		for ; bits64 != 0; bits64 &= bits64 - 1 {
			x := w<<6 | bits.TrailingZeros64(bits64)
			base, wt = append(base, int32(x)), append(wt, cnt[x])
			cnt[x] = 0
		}
	}
	p.base, p.wt, p.wbuf, p.n = base, wt, wt, n
}

// patternOrderShare: a role with at least 1/patternOrderShare as many distinct patterns as
// the query has is counted in pattern order (inPatternOrder).
const patternOrderShare = 32

// inPatternOrder puts a large role's distinct patterns (base, after dedup) and their
// weights in ascending pattern number where the patterns are ordered (orderByWide), by one
// pass over the pattern counters: gather then reads the patterns' table forward, and the
// holders of one value of a wide dimension are neighbours in every column. A smaller
// role, whose columns stay in cache, keeps the order of first appearance.
func (p *pairCounter[T]) inPatternOrder() {
	cnt, base, wt := p.cnt, p.base, p.wt
	if !p.pat.ordered || len(base)*patternOrderShare < len(cnt) {
		return
	}
	wt = wt[:len(base)]
	for k, x := range base {
		cnt[x] = wt[k]
	}
	d := 0
	for x, c := range cnt {
		if c != 0 {
			base[d], wt[d] = int32(x), c
			cnt[x] = 0
			d++
		}
	}
}
