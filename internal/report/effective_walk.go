package report

import (
	"context"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/usage"
)

// pairWalk is what one walk over a run's effective pairs gives the outputs that read every
// pair: summary.json's pair counts (effectiveSummaryOf), review.csv's rows
// (WriteEffectiveReviewCSV) and the excess ranking's rows (excessRows, for excess.csv and
// report.html); in a run of `rolemine mine`, the same walk writes assignments.parquet
// (walkPairsWriting). The first of them to need it walks; the others wait and read.
type pairWalk struct {
	once sync.Once
	// snap and cls are the run's: a caller with others walks for itself (walkPairs).
	snap *columnar.Snapshot
	cls  *mining.Classification
	err  error
	// blockRows, when set, replaces walkBlockRows (tests).
	blockRows int64
	// Direct and Effective count the pairs as summary.json's effective totals, byKind by
	// kind code, and bySystem by system index + 1 (0: pairs without a system), with the
	// walker's systemNames.
	direct, effective pairCounts
	byKind            []kindPairs
	kindSeen          []bool
	bySystem          []systemPairs
	systemNames       []string
	// review holds the unexplained pairs in walk order (readers sort copies); excess the
	// identities with excess privilege in identities-file order, until excessRows ranks
	// them in place.
	review []effectiveReviewRow
	excess []excessRow
	// vias, when the walk wrote assignments.parquet, are the strings of the via codes it
	// gave the review rows (effectiveReviewRow.viaCode).
	vias []string
	// ranked is excess once excessRows has sorted it in its order, on first use.
	rankOnce sync.Once
	ranked   []excessRow
}

// systemPairs are one system's pair counts of summary.json's systems.
type systemPairs struct {
	assignments, explained, directExplained, unexplained, inherited, hidden int64
}

// walkPairs returns the run's pair walk, walking on first use. With a snapshot or a
// classification other than the ones eff was first walked with (a test mining twice), it
// walks afresh. A classification is the same when it holds the same RuleOf and Unused
// slices; with anyUnused, any Unused will do: the caller reads nothing Unused decides
// (only review.csv's reasons depend on it), which lets report.html's excess ranking,
// whose classification carries RuleOf alone, share the walk of the run's outputs.
func walkPairs(ctx context.Context, snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) (*pairWalk, error) {
	return walkPairsFor(ctx, snap, cls, eff, false)
}

func walkPairsFor(ctx context.Context, snap *columnar.Snapshot, cls *mining.Classification, eff *Effective, anyUnused bool) (*pairWalk, error) {
	if eff == nil {
		eff = &Effective{}
	}
	eff.walkMu.Lock()
	written := eff.written
	eff.walkMu.Unlock()
	if written != nil {
		select { // the walk that writes assignments.parquet (ExpectWrite)
		case <-written:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	eff.walkMu.Lock()
	pw := eff.walk
	if pw == nil || pw.snap != snap || !sameClassification(pw.cls, cls, anyUnused) {
		pw = &pairWalk{snap: snap, cls: cls}
		eff.walk = pw
	}
	eff.walkMu.Unlock()
	pw.once.Do(func() { pw.err = pw.run(ctx, eff, nil) })
	return pw, pw.err
}

// walkPairsWriting walks the run's pairs afresh, writing assignments.parquet through
// sink on the way. As soon as every pair is walked, while the last row groups are still
// encoded and written, the walk becomes the run's (publish) for the outputs that read it
// (summary.json, review.csv, the excess ranking): they start then, on the cores the last
// groups leave idle.
func walkPairsWriting(ctx context.Context, snap *columnar.Snapshot, cls *mining.Classification, eff *Effective, sink *effectiveSink) error {
	pw := &pairWalk{snap: snap, cls: cls}
	// Not through pw.once: publish marks it done while the file is still written, and
	// pw.err stays nil for the readers (a failure here is the file's).
	return pw.run(ctx, eff, sink)
}

// publish makes pw, walked into blocks, the run's walk: merged, done for walkPairs, and
// the wait of Effective.ExpectWrite ended. vias (nil: none) are the via codes the walk
// made: every block is walked, so no more are made.
func (pw *pairWalk) publish(blocks []walkBlock, eff *Effective, vias *viaTable) {
	if vias != nil {
		pw.vias, _ = vias.made()
	}
	pw.merge(blocks)
	pw.once.Do(func() {})
	if eff == nil {
		return
	}
	eff.walkMu.Lock()
	eff.walk = pw
	eff.walkMu.Unlock()
	eff.endWrite()
}

// sameClassification reports whether a and b hold the same RuleOf (and, unless
// anyUnused, the same Unused) slices: the same arrays, not equal contents.
func sameClassification(a, b *mining.Classification, anyUnused bool) bool {
	if a == b {
		return true
	}
	same := func(x, y []int32) bool { return len(x) == len(y) && unsafe.SliceData(x) == unsafe.SliceData(y) }
	sameBool := func(x, y []bool) bool { return len(x) == len(y) && unsafe.SliceData(x) == unsafe.SliceData(y) }
	return same(a.RuleOf, b.RuleOf) && (anyUnused || sameBool(a.Unused, b.Unused))
}

// walkBlockRows is the size in rows of the blocks the walk hands its workers when it
// writes no file (a sink's blocks are its row groups). The results do not depend on it.
const walkBlockRows = 1 << 20

// walkBlock is what the walk of one block of rows found: counts as pairWalk's, the
// review rows in walk order and the excess rows of the identities the block reaches,
// the first and last possibly partial (their pairs continue in the next block).
type walkBlock struct {
	// cells counts the pairs by kind code, system and pairFlags (pairCell): one count a
	// pair, from which merge makes every total.
	cells  []int64
	review []effectiveReviewRow
	excess []excessRow
	// store, when set, is the storage of every block's excess rows, block b's from
	// its first identity + b (run): at most a row an identity, so the blocks' ranges do not
	// overlap, and merge joins them in place.
	store []excessRow
	index int
}

// Flags of a pair in a walkBlock's cells.
const (
	flagExplained = 1 << iota
	flagInherited
	flagHidden
	flagRedundant
	numFlags = 1 << iota
)

// pairFlags returns v's flags.
func pairFlags(v *pairView) int {
	f := 0
	if v.rule >= 0 {
		f |= flagExplained
	}
	if v.inherited {
		f |= flagInherited
	}
	if v.hidden {
		f |= flagHidden
	}
	if v.redun {
		f |= flagRedundant
	}
	return f
}

// pairCell returns the index in a walkBlock's cells of a pair of an identity of kind code
// kind, in system index sys (-1: none), of flags, with systems system names.
func pairCell(kind, sys int32, flags, systems int) int {
	return ((int(kind)*(systems+1)+int(sys)+1)*numFlags + flags)
}

// run walks every effective pair once, in blocks of rows on every core; with a sink, a
// block is a row group of assignments.parquet, filled and encoded by the worker that
// walks it and written in order, and the walk is published once every block is walked.
func (pw *pairWalk) run(ctx context.Context, eff *Effective, sink *effectiveSink) error {
	if eff != nil {
		eff.walks.Add(1)
	}
	snap := pw.snap
	w := newPairWalker(snap, pw.cls, eff)
	pw.systemNames = w.systemNames
	off := w.rowOff()
	pairs := off[len(off)-1]
	rows, blockRows := pairs, int64(walkBlockRows)
	if pw.blockRows > 0 {
		blockRows = pw.blockRows
	}
	if sink != nil {
		rows, blockRows = pairs+int64(len(snap.Orphans)), sink.groupRows
	}
	blocks := make([]walkBlock, (rows+blockRows-1)/blockRows)
	store := make([]excessRow, len(off)-1+len(blocks))
	for b := range blocks {
		blocks[b].store, blocks[b].index = store, b
	}
	// walk walks block b, filling g (nil: no file) with its rows.
	walk := func(b int, g *effectiveGroup) error {
		lo := int64(b) * blockRows
		return pw.walkBlock(ctx, w, &blocks[b], lo, min(lo+blockRows, rows), pairs, g)
	}
	workers := runtime.GOMAXPROCS(0)
	if w.eff != nil && w.eff.Eff != nil {
		if err := pw.placeReview(ctx, w, blocks, blockRows, pairs, workers); err != nil {
			return err
		}
	}
	if sink == nil {
		if err := parallel.Each(ctx, len(blocks), workers, func(_, b int) error { return walk(b, nil) }); err != nil {
			return err
		}
		pw.merge(blocks)
		return nil
	}
	sink.d, sink.rows = newEffectiveDicts(snap, sink.m, w, eff), rows
	sink.pairRoles = w.eff != nil && w.eff.Eff != nil
	// The walker of the last block to be walked publishes the walk (walkPairsWriting).
	var walked atomic.Int64
	var published sync.Once
	err := sink.write(ctx, snap, len(blocks), workers, func(b int, g *effectiveGroup) error {
		if err := walk(b, g); err != nil {
			return err
		}
		if walked.Add(1) == int64(len(blocks)) {
			published.Do(func() { pw.publish(blocks, eff, sink.d.vias) })
		}
		return nil
	})
	if err != nil {
		return err
	}
	published.Do(func() { pw.publish(blocks, eff, sink.d.vias) }) // no blocks at all
	return nil
}

// walkBlock walks rows [lo, hi) into blk: rows under pairs are effective pairs, the rest
// orphans, which only a row group g (nil: none) takes.
func (pw *pairWalk) walkBlock(ctx context.Context, w *pairWalker, blk *walkBlock, lo, hi, pairs int64, g *effectiveGroup) error {
	snap := pw.snap
	kd := &snap.Dims[snap.KindDim]
	systems := len(w.systemNames)
	blk.cells = make([]int64, len(kd.Values)*(systems+1)*numFlags)
	off := w.rowOff()
	i := sort.Search(len(off)-1, func(i int) bool { return off[i+1] > lo })
	granted := w.eff != nil && w.eff.Eff != nil
	// At most a row an identity of the block: sized once, not grown by doubling (each
	// doubling copies the rows and touches fresh pages).
	last := max(i, sort.Search(len(off)-1, func(i int) bool { return off[i] >= min(hi, pairs) }))
	if at := i + blk.index; blk.store != nil {
		blk.excess = blk.store[at : at : last+blk.index]
	} else {
		blk.excess = make([]excessRow, 0, last-i)
	}
	var cols effectiveCols // a row group's columns of the block's effective pairs
	if g != nil && granted && lo < pairs {
		roles := w.eff.Eff.Pairs.Role[lo:min(hi, pairs)]
		if g.pairRoles {
			g.pointPairRoles(roles)
		}
		cols = g.extend(roles)
	}
	for n := 0; i < len(off)-1 && off[i] < min(hi, pairs); i, n = i+1, n+1 {
		if n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		kind := kd.Codes[i]
		nonHuman := kd.Values[kind] != columnar.HumanKind
		x := excessRow{ident: int32(i), nonHuman: snap.Kind(i) != columnar.HumanKind}
		if granted {
			at := max(lo, off[i])
			pw.walkGranted(w, blk, g, &cols, int(at-lo), i, at, min(hi, off[i+1]), kind, nonHuman, &x)
		} else {
			pw.walkDirect(w, blk, g, i, lo, hi, kind, nonHuman, &x)
		}
		// The identities at the block's edges may hold pairs in the next or previous
		// block: keep their rows whatever their score, for merge to add up.
		if x.score() > 0 || off[i] < lo || off[i+1] > hi {
			blk.excess = append(blk.excess, x)
		}
	}
	if g != nil {
		for k := max(lo, pairs); k < hi; k++ {
			g.addOrphan(int(k - pairs))
		}
	}
	return nil
}

// placeReview gives each block, before the walk, its part of one array of review.csv's
// rows, one for each unexplained pair among the block's effective pairs, in block order
// (a run with grants: a pair's row is appended where its rule is -1). merge then finds the
// rows in place: a block's rows grown by doubling were copied about twice over, and all of
// them copied once more into the walk's array.
func (pw *pairWalk) placeReview(ctx context.Context, w *pairWalker, blocks []walkBlock, blockRows, pairs int64, workers int) error {
	ruleOf := w.eff.Class.RuleOf
	counts := make([]int, len(blocks))
	err := parallel.Each(ctx, len(blocks), workers, func(_, b int) error {
		lo := min(int64(b)*blockRows, pairs)
		n := 0
		for _, r := range ruleOf[lo:min(lo+blockRows, pairs)] {
			n += int(uint32(r) >> 31)
		}
		counts[b] = n
		return nil
	})
	if err != nil {
		return err
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	pw.review = make([]effectiveReviewRow, total)
	at := 0
	for b, n := range counts {
		blocks[b].review = pw.review[at : at : at+n]
		at += n
	}
	return nil
}

// reviewInPlace reports whether every block's review rows were appended into its part of
// pw.review (placeReview), in order and filling it.
func (pw *pairWalk) reviewInPlace(blocks []walkBlock) bool {
	at := 0
	for b := range blocks {
		r := blocks[b].review
		if len(r) > 0 && (at+len(r) > len(pw.review) || &r[0] != &pw.review[at]) {
			return false
		}
		at += len(r)
	}
	return at == len(pw.review)
}

// walkDirect walks identity i's pairs at rows [lo, hi) through eachIn's views (a run
// without grants: every pair is direct), as walkGranted does.
func (pw *pairWalk) walkDirect(w *pairWalker, blk *walkBlock, g *effectiveGroup, i int, lo, hi int64, kind int32, nonHuman bool, x *excessRow) {
	snap, systems := pw.snap, len(w.systemNames)
	w.eachIn(i, lo, hi, func(v *pairView) {
		blk.cells[pairCell(kind, v.system, pairFlags(v), systems)]++
		validations := int(snap.Roles.Validations[v.role])
		if v.rule < 0 {
			blk.review = append(blk.review, newReviewRow(v, validations, nonHuman, 0))
		}
		x.add(v, 1+int64(validations))
		if g != nil {
			g.addPair(v, kind)
		}
	})
}

// merge adds up the blocks' results, in block order.
func (pw *pairWalk) merge(blocks []walkBlock) {
	snap := pw.snap
	kd := &snap.Dims[snap.KindDim]
	pw.byKind = make([]kindPairs, len(kd.Values))
	pw.kindSeen = make([]bool, len(kd.Values))
	pw.bySystem = make([]systemPairs, len(pw.systemNames)+1)
	for _, c := range kd.Codes {
		pw.kindSeen[c] = true
	}
	nReview, nExcess := 0, 0
	for b := range blocks {
		nReview += len(blocks[b].review)
		nExcess += len(blocks[b].excess)
	}
	copyReview := !pw.reviewInPlace(blocks)
	if copyReview {
		pw.review = make([]effectiveReviewRow, 0, nReview)
	}
	if len(blocks) > 0 && blocks[0].store != nil {
		// Each block's rows lie at or after where they go: joined in place.
		pw.excess = blocks[0].store[:0]
	} else {
		pw.excess = make([]excessRow, 0, nExcess)
	}
	systems := len(pw.systemNames)
	cells := make([]int64, len(kd.Values)*(systems+1)*numFlags)
	for b := range blocks {
		blk := &blocks[b]
		for c, n := range blk.cells {
			cells[c] += n
		}
		if copyReview {
			pw.review = append(pw.review, blk.review...)
		}
		for _, x := range blk.excess {
			if n := len(pw.excess); n > 0 && pw.excess[n-1].ident == x.ident {
				pw.excess[n-1].addRow(&x)
			} else {
				pw.excess = append(pw.excess, x)
			}
		}
		*blk = walkBlock{}
	}
	pw.excess = slices.DeleteFunc(pw.excess, func(x excessRow) bool { return x.score() <= 0 })
	for c, n := range cells {
		if n == 0 {
			continue
		}
		flags, at := c%numFlags, c/numFlags
		kind, sys := at/(systems+1), at%(systems+1)
		if flags&flagInherited == 0 {
			addPairs(&pw.direct, flags, n)
			addPairs(&pw.byKind[kind].Direct, flags, n)
		}
		addPairs(&pw.effective, flags, n)
		addPairs(&pw.byKind[kind].Effective, flags, n)
		pw.bySystem[sys].addPairs(flags, n)
	}
}

// addPairs counts n pairs of the given flags into c.
func addPairs(c *pairCounts, flags int, n int64) {
	c.Total += n
	if flags&flagExplained != 0 {
		c.Explained += n
	} else {
		c.Unexplained += n
	}
	if flags&flagInherited != 0 {
		c.Inherited += n
	}
	if flags&flagHidden != 0 {
		c.Hidden += n
	}
	if flags&flagRedundant != 0 {
		c.Redundant += n
	}
}

// addPairs counts n pairs of the given flags into the system's counts.
func (s *systemPairs) addPairs(flags int, n int64) {
	s.assignments += n
	if flags&flagExplained != 0 {
		s.explained += n
		if flags&flagInherited == 0 {
			s.directExplained += n
		}
	} else {
		s.unexplained += n
	}
	if flags&flagInherited != 0 {
		s.inherited += n
	}
	if flags&flagHidden != 0 {
		s.hidden += n
	}
}

// addRow adds the counts of o, a row of the same identity.
func (r *excessRow) addRow(o *excessRow) {
	r.roles += o.roles
	r.unexplained += o.unexplained
	r.unused += o.unused
	r.unknown += o.unknown
	r.unexplainedWeight += o.unexplainedWeight
	r.unusedWeight += o.unusedWeight
}

// add counts one pair of the identity, of the given weight (1 + its role's validations).
func (r *excessRow) add(v *pairView, weight int64) {
	r.roles++
	if v.rule < 0 {
		r.unexplained++
		r.unexplainedWeight += weight
	}
	switch v.usage {
	case usage.Unused:
		r.unused++
		r.unusedWeight += weight
	case usage.Unknown:
		r.unknown++
	}
}
