package report

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/safecsv"
)

// excessCSVReference writes excess.csv's rows as the former code did: a record of
// strings a row through safecsv.Writer, the rank restarting at each change of group.
func excessCSVReference(t *testing.T, snap *columnar.Snapshot, rows []excessRow) []byte {
	t.Helper()
	var b bytes.Buffer
	cw := safecsv.NewWriter(&b)
	cw.Write([]string{"group", "rank", "identity_id", "kind", "excess_score", "unexplained_weight", "unused_weight",
		"effective_roles", "unexplained", "unused", "unknown_usage"})
	rank := 0
	for k := range rows {
		r := &rows[k]
		rank++
		if k > 0 && r.nonHuman != rows[k-1].nonHuman {
			rank = 1
		}
		group := "human"
		if r.nonHuman {
			group = "non_human"
		}
		i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
		cw.Write([]string{group, strconv.Itoa(rank), snap.IdentityIDs[r.ident], snap.Kind(int(r.ident)), i64(r.score()),
			i64(r.unexplainedWeight), i64(r.unusedWeight), i64(int64(r.roles)), i64(int64(r.unexplained)), i64(int64(r.unused)), i64(int64(r.unknown))})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestExcessCSVMatchesReference ranks random rows (ties on score and weight, ids that
// need an apostrophe or quotes, over one formatting chunk of rows) and writes them; the
// order must be the former comparison's, stably sorted, and the bytes the former
// writer's. It fails with the non-human ranks counted from the file's first row, a tie
// broken by anything but the identity, or a cell not escaped.
func TestExcessCSVMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ids := []string{"=cmd", "a,b", `q"x`, "-1", " lead", "plain"}
	for _, n := range []int{0, 1, 7, 40000} {
		snap := &columnar.Snapshot{}
		kinds := columnar.Dimension{Name: "kind", Values: []string{"+bot", "human", "service_account"}}
		var rows []excessRow
		for i := range n {
			snap.IdentityIDs = append(snap.IdentityIDs, fmt.Sprintf("%s%d", ids[rng.IntN(len(ids))], i))
			kinds.Codes = append(kinds.Codes, int32(rng.IntN(3)))
			r := excessRow{ident: int32(i), nonHuman: kinds.Values[kinds.Codes[i]] != columnar.HumanKind,
				roles: int32(rng.IntN(50)), unexplained: int32(rng.IntN(5)), unused: int32(rng.IntN(5)), unknown: int32(rng.IntN(3)),
				unexplainedWeight: int64(rng.IntN(4)), unusedWeight: int64(rng.IntN(4))}
			rows = append(rows, r)
		}
		snap.Dims = []columnar.Dimension{kinds}
		rng.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
		want := slices.Clone(rows)
		slices.SortStableFunc(want, func(a, b excessRow) int {
			return cmp.Or(boolCmp(a.nonHuman, b.nonHuman),
				cmp.Compare(int64(b.unexplained)+int64(b.unused), int64(a.unexplained)+int64(a.unused)),
				cmp.Compare(b.unexplainedWeight+b.unusedWeight, a.unexplainedWeight+a.unusedWeight),
				cmp.Compare(b.unexplainedWeight, a.unexplainedWeight), cmp.Compare(a.ident, b.ident))
		})
		slices.SortFunc(rows, excessOrder)
		if !slices.Equal(rows, want) {
			t.Fatalf("n=%d: excessOrder differs from the former order", n)
		}
		var got bytes.Buffer
		if err := writeExcessRows(context.Background(), &got, snap, rows); err != nil {
			t.Fatal(err)
		}
		if ref := excessCSVReference(t, snap, rows); !bytes.Equal(got.Bytes(), ref) {
			t.Fatalf("n=%d: excess.csv differs from the former writer's:\n%.600s\nwant\n%.600s", n, got.Bytes(), ref)
		}
	}
}

// TestRankExcessMatchesOrder: rankExcess gives excessOrder's order on rows in identity
// order (ties on score and weight, negative weights from negative validations, 1 and 3
// workers, over one sort part), through its keys or, for rows out of identity order or
// too wide a score for a key, through the comparison. It fails with a key field in the
// wrong place, a tie broken by anything but the identity, or a row lost or repeated on
// the way to its place (rows carry their index in roles).
func TestRankExcessMatchesOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		n       int
		wide    bool // a score too wide for a key
		shuffle bool // rows out of identity order
		keyed   bool
	}{{0, false, false, true}, {1, false, false, true}, {9, false, false, true}, {200000, false, false, true},
		{5000, true, false, false}, {5000, false, true, false}} {
		rows := make([]excessRow, c.n)
		ident := 0
		for k := range rows {
			ident += 1 + rng.IntN(3)
			uw := int64(rng.IntN(6) - 1)
			rows[k] = excessRow{ident: int32(ident), nonHuman: rng.IntN(4) == 0, roles: int32(k),
				unexplained: int32(rng.IntN(4)), unused: int32(rng.IntN(3)),
				unexplainedWeight: uw, unusedWeight: int64(rng.IntN(6)) - uw}
		}
		if c.wide {
			rows[c.n/2].unusedWeight = 1 << 61
		}
		if c.shuffle {
			rng.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
		}
		if _, ok := excessKeys(rows); ok != c.keyed {
			t.Fatalf("n=%d wide=%v shuffled=%v: keyed %v, want %v", c.n, c.wide, c.shuffle, ok, c.keyed)
		}
		before := slices.Clone(rows)
		want := slices.Clone(rows)
		slices.SortStableFunc(want, excessOrder)
		for _, workers := range []int{1, 3} {
			got := slices.Clone(before)
			if rankExcess(got, workers); !slices.Equal(got, want) {
				t.Fatalf("n=%d wide=%v shuffled=%v workers=%d: order differs from excessOrder's", c.n, c.wide, c.shuffle, workers)
			}
		}
	}
}

// TestExcessScoreCountsPairs: identities are ranked by excess privilege, unexplained
// plus unused pairs (docs/excess-privilege.md#excess), and only ties go to the weighted
// score: a human with three plain unexplained pairs ranks above those with two pairs on
// privileged roles (weights 7 and 6 against 3), who rank by weight, above one with two
// plain pairs (weight 2). It fails when the weight decides before the count.
func TestExcessScoreCountsPairs(t *testing.T) {
	rows := []excessRow{
		{ident: 0, unexplained: 2, unexplainedWeight: 2},
		{ident: 1, unexplained: 2, unexplainedWeight: 6},
		{ident: 2, unexplained: 3, unexplainedWeight: 3},
		{ident: 3, unexplained: 1, unused: 1, unexplainedWeight: 3, unusedWeight: 4},
	}
	for _, keyed := range []bool{true, false} {
		got := slices.Clone(rows)
		if keyed {
			rankExcess(got, 1)
		} else {
			slices.SortFunc(got, excessOrder)
		}
		var order []int32
		for _, r := range got {
			order = append(order, r.ident)
		}
		if want := []int32{2, 3, 1, 0}; !slices.Equal(order, want) {
			t.Errorf("keyed %v: ranked %v, want %v", keyed, order, want)
		}
	}
}
