package report

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
)

// refFinding is an identity's ownership finding as first written: its owner looked up
// in the owners' index for every call.
func refFinding(o *owners, i int) string {
	snap := o.snap
	if snap.Kind(i) == columnar.HumanKind {
		return ""
	}
	owner := snap.Universe.Owners[i]
	j, known := o.index[owner]
	switch {
	case owner == "":
		return ownerNone
	case !known:
		return ownerUnknown
	case snap.Kind(j) != columnar.HumanKind:
		return ownerNotHuman
	}
	return ""
}

// TestOwnerFindingsMatchReference: the findings made in one pass (findingCodes) are the
// former lookups', on a small snapshot with every finding (a non-human identity owning
// itself, owned by another, by a human, by nobody, by an unknown id; a human with an
// owner) and on the generated universe with owners. It fails with a finding code mapped
// to the wrong name or an owner's kind read at the wrong identity.
func TestOwnerFindingsMatchReference(t *testing.T) {
	kinds := columnar.Dimension{Name: "kind", Values: []string{"service_account", columnar.HumanKind, "bot"},
		Codes: []int32{1, 0, 0, 2, 0, 0, 1, 2}}
	small := &columnar.Snapshot{
		IdentityIDs: []string{"h1", "s1", "s2", "b1", "s3", "s4", "h2", "b2"},
		Dims:        []columnar.Dimension{kinds},
		Universe:    &columnar.Universe{Owners: []string{"s1", "s1", "b1", "h1", "", "gone", "h1", "h2"}},
	}
	want := []string{"", ownerNotHuman, ownerNotHuman, "", ownerNone, ownerUnknown, "", ""}
	o := newOwners(small)
	for i := range small.IdentityIDs {
		if got := o.finding(i); got != want[i] || got != refFinding(o, i) {
			t.Errorf("%s: finding %q, want %q (reference %q)", small.IdentityIDs[i], got, want[i], refFinding(o, i))
		}
	}
	x := usageUniverseRun(t)
	o = newOwners(x.snap)
	seen := map[string]int{}
	for i := range x.snap.IdentityIDs {
		got, ref := o.finding(i), refFinding(o, i)
		if got != ref {
			t.Fatalf("%s: finding %q, reference %q", x.snap.IdentityIDs[i], got, ref)
		}
		seen[got]++
	}
	if seen[""] == 0 || seen[ownerNone]+seen[ownerUnknown]+seen[ownerNotHuman] == 0 {
		t.Fatalf("findings %v: the universe needs owned and unowned non-human identities", seen)
	}
}

// TestOwnershipRowsSharedOnce: ownership.csv's rows are made once for a run's Effective
// and read again by report.html's excess page (the same array, not a copy made again),
// made afresh for another classification, and the page's top findings are the prefix of
// the former stable sort of all of them, the shared rows left in file order. It fails
// when the page sorts the shared rows in place or the rows are made twice.
func TestOwnershipRowsSharedOnce(t *testing.T) {
	x := usageUniverseRun(t)
	ctx := context.Background()
	eff := &Effective{Eff: x.eff.Eff, Class: x.eff.Class, Usage: x.eff.Usage}
	first, err := sharedOwnershipRows(ctx, x.snap, x.cls, eff)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) < 2 {
		t.Fatalf("%d ownership rows: the test needs more", len(first))
	}
	fresh, err := ownershipRows(ctx, x.snap, x.cls, eff)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first, fresh) {
		t.Fatal("shared ownership rows differ from ownershipRows'")
	}
	again, err := sharedOwnershipRows(ctx, x.snap, &mining.Classification{RuleOf: x.cls.RuleOf}, eff)
	if err != nil {
		t.Fatal(err)
	}
	if &again[0] != &first[0] {
		t.Fatal("the second reader made the rows again")
	}
	other, err := sharedOwnershipRows(ctx, x.snap, &mining.Classification{RuleOf: slices.Clone(x.cls.RuleOf)}, eff)
	if err != nil {
		t.Fatal(err)
	}
	if &other[0] == &first[0] || !slices.Equal(other, first) {
		t.Fatal("another classification's rows were not made afresh")
	}
	b := &Bound{Snap: x.snap, Model: &Model{}, Effective: eff}
	page, err := newExcessPage(ctx, b, x.cls.RuleOf)
	if err != nil {
		t.Fatal(err)
	}
	sorted := slices.Clone(fresh)
	slices.SortStableFunc(sorted, func(a, c ownershipRow) int {
		return cmp.Or(cmp.Compare(c.privilegedRoles, a.privilegedRoles), cmp.Compare(c.roles, a.roles))
	})
	if page.nFinding != len(fresh) || !slices.Equal(page.findings, sorted[:min(len(sorted), topFindings)]) {
		t.Fatalf("page findings %d %v, want %d %v", page.nFinding, page.findings, len(fresh), sorted[:min(len(sorted), topFindings)])
	}
	if now, _ := sharedOwnershipRows(ctx, x.snap, x.cls, eff); !slices.Equal(now, fresh) {
		t.Fatal("the page changed the order of the shared rows")
	}
}

// TestTopListsOnlyWhereShown: a universe's page data (ranked by excess privilege) makes
// no unexplained-only top lists, which only the flat page shows, and the flat page still
// makes them. It fails when the lists are dropped from the flat page or made again for
// universes.
func TestTopListsOnlyWhereShown(t *testing.T) {
	ctx := context.Background()
	x := usageUniverseRun(t)
	b := x.bound(t)
	p, err := newPageData(ctx, b, x.cls.RuleOf)
	if err != nil {
		t.Fatal(err)
	}
	if p.x == nil || len(p.idents[0])+len(p.idents[1]) != 0 {
		t.Fatalf("universe page: excess page %v, top lists %d + %d", p.x != nil, len(p.idents[0]), len(p.idents[1]))
	}
	flat, err := tierS()
	if err != nil {
		t.Fatal(err)
	}
	if p, err = newPageData(ctx, flat.bound(t), flat.cls.RuleOf); err != nil {
		t.Fatal(err)
	}
	if p.x != nil || len(p.idents[0]) == 0 {
		t.Fatalf("flat page: excess page %v, %d humans listed", p.x != nil, len(p.idents[0]))
	}
}

// refOwnerIndex is the owners' index as first made: every identity looked up in the map
// of the owners' ids.
func refOwnerIndex(snap *columnar.Snapshot) map[string]int {
	want := map[string]int{}
	for _, owner := range snap.Universe.Owners {
		if owner != "" {
			want[owner] = -1
		}
	}
	index := map[string]int{}
	for i, id := range snap.IdentityIDs {
		if _, ok := want[id]; ok {
			index[id] = i
		}
	}
	return index
}

// TestOwnerIndexMatchesReference: the owners' index made through idBits is the one every
// identity's lookup makes, on the generated universe with owners and on ids that share
// their last 8 bytes or are shorter than 8 (the hash's edges). It fails when idBits drops
// an owner (a bit set or read at the wrong place).
func TestOwnerIndexMatchesReference(t *testing.T) {
	x := usageUniverseRun(t)
	ids := []string{"", "a", "ab", "x-00000001", "y-00000001", "00000001", "owner-7", "bot-1"}
	kinds := columnar.Dimension{Name: "kind", Values: []string{columnar.HumanKind, "bot"}, Codes: []int32{0, 0, 0, 0, 0, 0, 0, 1}}
	small := &columnar.Snapshot{IdentityIDs: ids, Dims: []columnar.Dimension{kinds},
		Universe: &columnar.Universe{Owners: []string{"a", "ab", "", "y-00000001", "00000001", "owner-7", "nobody", "x-00000001"}}}
	for _, snap := range []*columnar.Snapshot{x.snap, small} {
		want := refOwnerIndex(snap)
		if got := newOwners(snap).index; !maps.Equal(got, want) {
			t.Fatalf("index of %d owners, want %d", len(got), len(want))
		}
	}
	var b idBits
	for _, id := range ids {
		b.set(id)
	}
	for _, id := range ids {
		if !b.has(id) {
			t.Fatalf("%q: bit not set", id)
		}
	}
}

// BenchmarkOwnerIndex makes the owners' index of the universe in ROLEMINE_BENCH_DATA
// (gen --universe with owners) through idBits and as first made, in one process.
func BenchmarkOwnerIndex(b *testing.B) {
	snap, _, _, _ := benchUniverse(b)
	b.Run("bits", func(b *testing.B) {
		for b.Loop() {
			newOwners(snap)
		}
	})
	b.Run("reference", func(b *testing.B) {
		for b.Loop() {
			(&owners{snap: snap, index: refOwnerIndex(snap)}).findingCodes()
		}
	})
}
