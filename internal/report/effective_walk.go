package report

import (
	"context"
	"sync"
	"unsafe"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/usage"
)

// pairWalk is what one walk over a run's effective pairs gives the outputs that read every
// pair: summary.json's pair counts (effectiveSummaryOf), review.csv's rows
// (WriteEffectiveReviewCSV) and the excess ranking's rows (excessRows, for excess.csv and
// report.html). The first of them to need it walks; the others wait and read.
type pairWalk struct {
	once sync.Once
	// snap and cls are the run's: a caller with others walks for itself (walkPairs).
	snap *columnar.Snapshot
	cls  *mining.Classification
	err  error
	// Direct and Effective count the pairs as summary.json's effective totals, byKind by
	// kind code, and bySystem by system index + 1 (0: pairs without a system), with the
	// walker's systemNames.
	direct, effective pairCounts
	byKind            []kindPairs
	kindSeen          []bool
	bySystem          []systemPairs
	systemNames       []string
	// review holds the unexplained pairs in walk order; excess the identities with
	// excess privilege in identities-file order. Readers sort copies.
	review []effectiveReviewRow
	excess []excessRow
	// ranked is excess in excessRows' order, sorted once on first use.
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
	pw := eff.walk
	if pw == nil || pw.snap != snap || !sameClassification(pw.cls, cls, anyUnused) {
		pw = &pairWalk{snap: snap, cls: cls}
		eff.walk = pw
	}
	eff.walkMu.Unlock()
	pw.once.Do(func() { pw.err = pw.run(ctx, eff) })
	return pw, pw.err
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

// run walks every effective pair once.
func (pw *pairWalk) run(ctx context.Context, eff *Effective) error {
	snap := pw.snap
	w := newPairWalker(snap, pw.cls, eff)
	pw.systemNames = w.systemNames
	kd := &snap.Dims[snap.KindDim]
	pw.byKind = make([]kindPairs, len(kd.Values))
	pw.kindSeen = make([]bool, len(kd.Values))
	pw.bySystem = make([]systemPairs, len(w.systemNames)+1)
	for i := range snap.IdentityIDs {
		if i%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		kp := &pw.byKind[kd.Codes[i]]
		pw.kindSeen[kd.Codes[i]] = true
		nonHuman := kd.Values[kd.Codes[i]] != columnar.HumanKind
		x := excessRow{ident: i, nonHuman: snap.Kind(i) != columnar.HumanKind}
		w.each(i, func(v *pairView) {
			if !v.inherited {
				addPair(&pw.direct, v)
				addPair(&kp.Direct, v)
			}
			addPair(&pw.effective, v)
			addPair(&kp.Effective, v)
			pw.bySystem[v.system+1].add(v)
			validations := int(snap.Roles.Validations[v.role])
			if v.rule < 0 {
				pw.review = append(pw.review, effectiveReviewRow{v: *v, validations: validations, nonHuman: nonHuman})
			}
			x.add(v, 1+int64(validations))
		})
		if x.score() > 0 {
			pw.excess = append(pw.excess, x)
		}
	}
	return nil
}

// add counts one pair into its system's counts.
func (s *systemPairs) add(v *pairView) {
	s.assignments++
	if v.rule >= 0 {
		s.explained++
		if !v.inherited {
			s.directExplained++
		}
	} else {
		s.unexplained++
	}
	if v.inherited {
		s.inherited++
	}
	if v.hidden {
		s.hidden++
	}
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
