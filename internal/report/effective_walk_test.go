package report

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"unsafe"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/mining"
)

// TestChainSystemsMatchesChains: the system chainSystems gives each closure step is the
// one the literal definition gives (docs/effective-privilege.md, "The system of a pair"):
// the application of the nearest role on the step's chain (Closure.Via), walking back from
// the role reached and stopping before the source, -1 when none has one; and lastGrant
// gives the role before the last on the chain. Random graphs with cycles, self-grants and
// roles without a system.
func TestChainSystemsMatchesChains(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 12))
	for round := range 300 {
		n := 2 + rng.IntN(12)
		var edges []effective.Edge
		for range rng.IntN(3 * n) {
			edges = append(edges, effective.Edge{From: int32(rng.IntN(n)), To: int32(rng.IntN(n))})
		}
		c, err := effective.NewClosure(context.Background(), effective.NewGraph(n, edges))
		if err != nil {
			t.Fatal(err)
		}
		roleSystem := make([]int32, n)
		for r := range roleSystem {
			roleSystem[r] = int32(rng.IntN(4)) - 2 // -2 and -1: no system
			if roleSystem[r] < 0 {
				roleSystem[r] = -1
			}
		}
		got := chainSystems(c, roleSystem)
		checked := 0
		for s := int32(0); s < int32(n); s++ {
			for _, st := range c.Reach(s) {
				chain := c.Via(s, st.Role)
				want := int32(-1)
				for k := len(chain) - 1; k > 0; k-- {
					if roleSystem[chain[k]] >= 0 {
						want = roleSystem[chain[k]]
						break
					}
				}
				if g := got[c.StepIndex(s, st.Role)]; g != want {
					t.Fatalf("round %d: step %d > %d (chain %v, systems %v): got %d, want %d", round, s, st.Role, chain, roleSystem, g, want)
				}
				if g := lastGrant(c, s, c.StepIndex(s, st.Role)); g != chain[len(chain)-2] {
					t.Fatalf("round %d: step %d > %d (chain %v): last grant from %d", round, s, st.Role, chain, g)
				}
				checked++
			}
		}
		if checked != c.NumSteps() {
			t.Fatalf("round %d: %d steps checked of %d", round, checked, c.NumSteps())
		}
	}
}

// refPairWalk is the pair walk as one loop over the identities and each of their pairs,
// the reference the block walk (pairWalk.run) is compared with.
func refPairWalk(snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) *pairWalk {
	pw := &pairWalk{snap: snap, cls: cls}
	w := newPairWalker(snap, cls, eff)
	pw.systemNames = w.systemNames
	kd := &snap.Dims[snap.KindDim]
	pw.byKind = make([]kindPairs, len(kd.Values))
	pw.kindSeen = make([]bool, len(kd.Values))
	pw.bySystem = make([]systemPairs, len(w.systemNames)+1)
	for i := range snap.IdentityIDs {
		kp := &pw.byKind[kd.Codes[i]]
		pw.kindSeen[kd.Codes[i]] = true
		nonHuman := kd.Values[kd.Codes[i]] != columnar.HumanKind
		x := excessRow{ident: int32(i), nonHuman: snap.Kind(i) != columnar.HumanKind}
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
				pw.review = append(pw.review, newReviewRow(v, validations, nonHuman, 0))
			}
			x.add(v, 1+int64(validations))
		})
		if x.score() > 0 {
			pw.excess = append(pw.excess, x)
		}
	}
	return pw
}

// TestPairWalkBlocksMatchReference: the pair walk in blocks on every core, with and
// without writing assignments.parquet, finds what one loop over every pair finds (counts,
// review rows in walk order, excess rows in identities order), whatever the block size:
// blocks of 7 and 64 rows cut most identities' pairs in two (row groups of 64 rows, with
// the file). With usage, without, and without grants.
func TestPairWalkBlocksMatchReference(t *testing.T) {
	x := usageUniverseRun(t)
	variants := map[string]func() *Effective{
		"usage":     func() *Effective { return &Effective{Eff: x.eff.Eff, Class: x.eff.Class, Usage: x.eff.Usage} },
		"no usage":  func() *Effective { return &Effective{Eff: x.eff.Eff, Class: x.eff.Class} },
		"no grants": func() *Effective { return &Effective{} },
	}
	for name, mk := range variants {
		want := refPairWalk(x.snap, x.cls, mk())
		if len(want.review) == 0 || len(want.excess) == 0 {
			t.Fatalf("%s: the reference walk finds %d review and %d excess rows: the test needs some", name, len(want.review), len(want.excess))
		}
		for _, rows := range []int64{7, 64, 1 << 20} {
			eff := mk()
			got := &pairWalk{snap: x.snap, cls: x.cls, blockRows: rows}
			if err := got.run(context.Background(), eff, nil); err != nil {
				t.Fatal(err)
			}
			comparePairWalks(t, fmt.Sprintf("%s, blocks of %d rows", name, rows), got, want, eff)
			if rows == 7 {
				continue // too small a row group to encode in a test's time
			}
			eff = mk()
			if err := writeEffectiveGroups(context.Background(), io.Discard, x.snap, x.m, x.cls, eff, "test", int(rows)); err != nil {
				t.Fatal(err)
			}
			comparePairWalks(t, fmt.Sprintf("%s, row groups of %d rows", name, rows), eff.walk, want, eff)
		}
	}
}

func comparePairWalks(t *testing.T, what string, got, want *pairWalk, eff *Effective) {
	t.Helper()
	type results struct {
		Direct, Effective pairCounts
		ByKind            []kindPairs
		KindSeen          []bool
		BySystem          []systemPairs
		SystemNames       []string
		Review            []effectiveReviewRow
		Excess            []excessRow
	}
	of := func(pw *pairWalk) results {
		return results{pw.direct, pw.effective, pw.byKind, pw.kindSeen, pw.bySystem, pw.systemNames, withoutViaCodes(t, what, pw, eff), pw.excess}
	}
	if g, w := of(got), of(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s: the walk differs from the reference:\ngot  %+v %+v %+v\nwant %+v %+v %+v\n%d/%d review rows, %d/%d excess rows",
			what, g.Direct, g.Effective, g.BySystem, w.Direct, w.Effective, w.BySystem, len(g.Review), len(w.Review), len(g.Excess), len(w.Excess))
	}
}

// TestReviewOrderMatchesStableSort: reviewOrder's integer keys rank random review rows
// as the stable sort by review.csv's comparison does, ties kept in walk order: few and
// many rows (sorted in parts on every core and merged), validations from -128 to 127,
// and a row outside int8's range (the comparison sort). It fails with validations
// ranked ascending, the non-human or hidden bit inverted, or a part's rows left unmerged.
func TestReviewOrderMatchesStableSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	for round := range 200 {
		n, spread := rng.IntN(300), 5
		switch round {
		case 0, 1:
			n, spread = 300000, 256
		case 2:
			n = 1000
		}
		rows := make([]effectiveReviewRow, n)
		for k := range rows {
			validations := rng.IntN(spread) - min(spread/2, 128)
			if round == 2 && k == 500 {
				validations = 1000
			}
			rows[k] = testReviewRow(k, validations, rng.IntN(2) == 0, rng.IntN(2) == 0, rng.IntN(3) == 0)
		}
		want := slices.Clone(rows)
		slices.SortStableFunc(want, rankEffectiveReviewRows)
		for k, x := range reviewOrder(rows) {
			if rows[x].ident != want[k].ident {
				t.Fatalf("round %d: rank %d is row %d, want row %d", round, k+1, x, want[k].ident)
			}
		}
	}
}

// addPair counts one pair into c: the literal definition of summary.json's pair counts.
func addPair(c *pairCounts, v *pairView) {
	c.Total++
	if v.rule >= 0 {
		c.Explained++
	} else {
		c.Unexplained++
	}
	if v.inherited {
		c.Inherited++
	}
	if v.hidden {
		c.Hidden++
	}
	if v.redun {
		c.Redundant++
	}
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

// withoutViaCodes returns pw's review rows without their via codes, having checked them:
// a walk that wrote assignments.parquet gives every inherited row the code of its chain's
// via string among pw.vias, and no other row a code; a walk that wrote nothing, none
// (eff: the walk's, for the chains).
func withoutViaCodes(t *testing.T, what string, pw *pairWalk, eff *Effective) []effectiveReviewRow {
	t.Helper()
	rows := slices.Clone(pw.review)
	for k := range rows {
		r := &rows[k]
		switch {
		case pw.vias == nil && r.viaCode != 0:
			t.Fatalf("%s: review row %d has via code %d from a walk that made none", what, k, r.viaCode)
		case pw.vias != nil && r.inherited() != (r.viaCode > 0):
			t.Fatalf("%s: review row %d (inherited %v) has via code %d", what, k, r.inherited(), r.viaCode)
		case r.viaCode > 0:
			want := eff.Eff.Closure.ViaString(r.source, r.role, pw.snap.Roles.IDs)
			if got := pw.vias[r.viaCode-1]; got != want {
				t.Fatalf("%s: review row %d has via %q, want %q", what, k, got, want)
			}
		}
		r.viaCode = 0
	}
	return rows
}

// testReviewRow returns a review row of identity ident (its index in the tests' rows)
// with the fields review.csv's rank order reads.
func testReviewRow(ident, validations int, nonHuman, inherited, hidden bool) effectiveReviewRow {
	r := effectiveReviewRow{ident: int32(ident), validations: int16(validations)}
	r.setFlags(inherited, false, hidden, false, nonHuman)
	return r
}

// rankEffectiveReviewRows is review.csv's rank order before walk order, as a comparison:
// unexplained inherited access on privileged roles first, then validations (most
// first), non-human identities first, hidden inherited access first.
func rankEffectiveReviewRows(a, b effectiveReviewRow) int {
	first := func(r *effectiveReviewRow) bool { return r.inherited() && r.validations >= privileged }
	return cmp.Or(-boolCmp(first(&a), first(&b)), cmp.Compare(b.validations, a.validations),
		-boolCmp(a.nonHuman(), b.nonHuman()), -boolCmp(a.hidden(), b.hidden()))
}

// TestWalkRowSizes: the rows the walk places before it walks, one a review.csv row and
// one an identity (pairWalk.run), take 32 and 40 bytes. It fails when either grows.
func TestWalkRowSizes(t *testing.T) {
	if size := unsafe.Sizeof(effectiveReviewRow{}); size != 32 {
		t.Errorf("a review row takes %d bytes, want 32", size)
	}
	if size := unsafe.Sizeof(excessRow{}); size != 40 {
		t.Errorf("an excess row takes %d bytes, want 40", size)
	}
}

// TestReviewRowKeepsView: a review row gives back the view of the unexplained pair it was
// made from (every field, the rule -1), its validations and kind, for every unexplained
// pair of a universe with usage and grants. It fails when a field is dropped or narrowed
// below its values.
func TestReviewRowKeepsView(t *testing.T) {
	x := usageUniverseRun(t)
	w := newPairWalker(x.snap, x.cls, &Effective{Eff: x.eff.Eff, Class: x.eff.Class, Usage: x.eff.Usage})
	seen := map[string]bool{}
	for i := range x.snap.IdentityIDs {
		w.each(i, func(v *pairView) {
			if v.rule >= 0 {
				return
			}
			validations, nonHuman := int(x.snap.Roles.Validations[v.role]), i%2 == 0
			r := newReviewRow(v, validations, nonHuman, 7)
			if got := r.view(); got != *v || int(r.validations) != validations || r.nonHuman() != nonHuman || r.viaCode != 7 {
				t.Fatalf("identity %d: row %+v gives back %+v, want %+v (validations %d, non-human %v)", i, r, got, *v, validations, nonHuman)
			}
			seen[fmt.Sprint(v.inherited, v.redun, v.hidden, v.acct >= 0, v.usage)] = true
		})
	}
	if len(seen) < 4 {
		t.Fatalf("only %d kinds of unexplained pairs: %v", len(seen), seen)
	}
}

// view returns the pairView r was made from (newReviewRow).
func (r *effectiveReviewRow) view() pairView {
	return pairView{ident: int(r.ident), role: r.role, rule: -1, system: r.system, acct: r.acct, source: r.source,
		step: int64(r.step), inherited: r.inherited(), redun: r.redundant(), hidden: r.hidden(), usage: r.usage,
		unusedOnly: r.unusedOnly()}
}
