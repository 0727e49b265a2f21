package columnar

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/rolemine/rolemine/internal/parallel"
)

// randomFlat returns random identities and assignments tables: ids ordered or shuffled,
// some values empty, an optional kind column, a nearly unique column (skipped by Load),
// sometimes owner_id, orphan and duplicate assignments; header types say how Parquet encodes each column.
func randomFlat(rng *rand.Rand) (ids, asg tbl) {
	n := 3 + rng.IntN(60)
	ids.header = []string{"identity_id:req", "dept:dict", "title", "uid"}
	withKind := rng.IntN(3) > 0
	if withKind {
		ids.header = append(ids.header, "kind:dict")
	}
	withOwner := rng.IntN(4) == 0 // the reserved owner_id column, no dimension
	if withOwner {
		ids.header = append(ids.header, "owner_id")
	}
	kinds := []string{"", "human", "service_account"}
	cards := []int{1 + rng.IntN(5), 1 + rng.IntN(3)}
	order := rng.Perm(n)
	if rng.IntN(2) == 0 {
		slices.Sort(order)
	}
	for _, i := range order {
		row := []string{fmt.Sprintf("id%03d", i)}
		for _, c := range cards {
			v := ""
			if rng.IntN(5) > 0 {
				v = fmt.Sprintf("v%d", rng.IntN(c))
			}
			row = append(row, v)
		}
		row = append(row, fmt.Sprintf("u%d", i))
		if withKind {
			row = append(row, kinds[rng.IntN(len(kinds))])
		}
		if withOwner {
			row = append(row, fmt.Sprintf("id%03d", rng.IntN(n)))
		}
		ids.rows = append(ids.rows, row)
	}
	asg.header = []string{"identity_id:reqdict", "role_id:reqdict"}
	for k := rng.IntN(4 * n); k > 0; k-- {
		id := fmt.Sprintf("id%03d", rng.IntN(n+3)) // a few unknown identities
		asg.rows = append(asg.rows, []string{id, fmt.Sprintf("R%d", rng.IntN(7))})
	}
	if rng.IntN(2) == 0 { // grouped by identity, as exports often are
		slices.SortStableFunc(asg.rows, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	}
	return ids, asg
}

// holdingsText renders h as one line per dimension (name, skipped, each identity's value)
// and one per role with holders ("role: identity indices").
func holdingsText(h *Holdings) []string {
	var out []string
	for _, d := range h.Dims {
		vals := make([]string, len(d.Codes))
		for i, c := range d.Codes {
			if c >= 0 {
				vals[i] = d.Values[c]
			}
		}
		out = append(out, fmt.Sprintf("dim %s skipped=%v %q values=%q %q", d.Name, d.Skipped, d.SkipReason, d.Values, vals))
	}
	for r, id := range h.Roles {
		if held := h.RoleIdx[h.RoleOff[r]:h.RoleOff[r+1]]; len(held) > 0 {
			out = append(out, fmt.Sprintf("role %s: %v", id, held))
		}
	}
	return out
}

// sortedText is holdingsText with the lines sorted: the lean load lists its roles in the
// order the assignments first name them, Load in id order.
func sortedText(h *Holdings) []string {
	return slices.Sorted(slices.Values(holdingsText(h)))
}

// TestLoadHoldingsMatchesLoad: on random flat enterprises in both formats, with one or
// several row groups and pages, LoadHoldings gives the dimensions and holders of Load,
// and with Dims given those dimensions alone, none skipped.
func TestLoadHoldingsMatchesLoad(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, 5))
		ids, asg := randomFlat(rng)
		for _, format := range formats {
			dir := t.TempDir()
			opts := []parquet.WriterOption{parquet.MaxRowsPerRowGroup(int64(1 + rng.IntN(20))), parquet.PageBufferSize(64)}
			writeTable(t, dir, "identities", format, ids, opts...)
			writeTable(t, dir, "assignments", format, asg, opts...)
			s, err := Load(ctx, dir, LoadOptions{})
			if err != nil {
				t.Fatalf("seed %d %s: Load: %v", seed, format, err)
			}
			want := HoldingsOf(s)
			got, err := LoadHoldings(ctx, dir, HoldingsOptions{})
			if err != nil {
				t.Fatalf("seed %d %s: LoadHoldings: %v", seed, format, err)
			}
			if got.Identities != want.Identities || !slices.Equal(sortedText(got), sortedText(want)) {
				t.Fatalf("seed %d %s: holdings differ\ngot:  %q\nwant: %q", seed, format, holdingsText(got), holdingsText(want))
			}
			picked, err := LoadHoldings(ctx, dir, HoldingsOptions{Dims: []string{"uid", "kind"}})
			if err != nil {
				t.Fatalf("seed %d %s: LoadHoldings with dims: %v", seed, format, err)
			}
			want.Dims = nil
			for _, d := range s.Dims {
				if d.Name == "kind" || d.Name == "uid" {
					d.Skipped, d.SkipReason, d.ScopeRecount = false, "", false
					want.Dims = append(want.Dims, d)
				}
			}
			if !slices.Equal(sortedText(picked), sortedText(want)) {
				t.Fatalf("seed %d %s: holdings of kind and uid differ\ngot:  %q\nwant: %q", seed, format, holdingsText(picked), holdingsText(want))
			}
		}
	}
}

func TestLoadHoldingsErrors(t *testing.T) {
	unordered := baseIdentities // u1, u2, svc1, ...: not ordered, so duplicates go through the map
	cases := []struct {
		name  string
		files map[string]tbl
		dims  []string
		want  string // substring of the message, after expand
		flat  bool   // false: the error is ErrNotFlat
	}{
		{name: "duplicate id", files: map[string]tbl{"identities": unordered.with(4, "u2", "", "Eng", "Dev"), "assignments": baseAssignments},
			want: `identities.@ext row @5, column identity_id: duplicate "u2" (first at row @2); identity_id must be unique`, flat: true},
		{name: "duplicate id, ordered file", files: map[string]tbl{"identities": {header: []string{"identity_id", "title"},
			rows: [][]string{{"a1", "x"}, {"a2", "y"}, {"a2", "x"}, {"a3", "x"}}}, "assignments": baseAssignments},
			want: `identities.@ext row @3, column identity_id: duplicate "a2" (first at row @2)`, flat: true},
		{name: "empty id", files: map[string]tbl{"identities": unordered.with(1, "", "", "Eng", "Dev"), "assignments": baseAssignments},
			want: "identities.@ext row @2, column identity_id: empty or null, expected a value", flat: true},
		{name: "missing dimension", files: map[string]tbl{"identities": unordered, "assignments": baseAssignments}, dims: []string{"title", "grade"},
			want: `identities.@ext: missing required column(s) ["grade"]`, flat: true},
		{name: "identity_id as a dimension", files: map[string]tbl{"identities": unordered, "assignments": baseAssignments}, dims: []string{"identity_id"},
			want: "identity_id is not an attribute", flat: true},
		{name: "empty role", files: map[string]tbl{"identities": unordered, "assignments": baseAssignments.with(1, "u2", "", "", "")},
			want: "assignments.@ext row @2, column role_id: empty or null, expected a value", flat: true},
		{name: "accounts", files: map[string]tbl{"identities": unordered, "assignments": baseAssignments,
			"accounts": {header: []string{"system", "account_id", "identity_id"}, rows: [][]string{{"ad", "a1", "u1"}}}},
			want: "accounts: the lean load reads flat inputs only"},
		{name: "assignments to accounts", files: map[string]tbl{"identities": unordered,
			"assignments": {header: []string{"identity_id", "role_id", "system", "account_id"}, rows: [][]string{{"u1", "R1", "", ""}}}},
			want: "the lean load reads flat inputs only"},
	}
	for _, tc := range cases {
		for _, format := range formats {
			dir := writeDir(t, format, tc.files)
			_, err := LoadHoldings(context.Background(), dir, HoldingsOptions{Dims: tc.dims})
			if err == nil || !strings.Contains(err.Error(), expand(tc.want, format)) {
				t.Errorf("%s (%s): error %v, want %q", tc.name, format, err, expand(tc.want, format))
				continue
			}
			if errors.Is(err, ErrNotFlat) == tc.flat {
				t.Errorf("%s (%s): errors.Is(err, ErrNotFlat) = %v", tc.name, format, !tc.flat)
			}
		}
	}
}

// TestLoadHoldingsOnIdentities: OnIdentities is called once, before LoadHoldings
// returns, with the identities and dimensions of the result and no roles; its error is
// LoadHoldings' error; it is not called when the identities file is not the lean load's
// (a multi-valued attribute) or fails to load.
func TestLoadHoldingsOnIdentities(t *testing.T) {
	ctx := context.Background()
	for _, format := range formats {
		dir := writeDir(t, format, map[string]tbl{"identities": baseIdentities, "assignments": baseAssignments})
		var seen []*Holdings
		h, err := LoadHoldings(ctx, dir, HoldingsOptions{OnIdentities: func(_ context.Context, early *Holdings) error {
			seen = append(seen, early)
			return nil
		}})
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if len(seen) != 1 {
			t.Fatalf("%s: OnIdentities called %d times, want once", format, len(seen))
		}
		early := seen[0]
		if early.Identities != h.Identities || early.Roles != nil || early.RoleOff != nil ||
			!slices.Equal(holdingsText(early), holdingsText(&Holdings{Identities: h.Identities, Dims: h.Dims})) {
			t.Errorf("%s: OnIdentities got %d identities, roles %v, %q; want %d, no roles, %q", format, early.Identities,
				early.Roles, holdingsText(early), h.Identities, holdingsText(&Holdings{Dims: h.Dims}))
		}
		boom := errors.New("boom")
		if _, err := LoadHoldings(ctx, dir, HoldingsOptions{OnIdentities: func(context.Context, *Holdings) error { return boom }}); !errors.Is(err, boom) {
			t.Errorf("%s: OnIdentities failing: error %v, want boom", format, err)
		}
		bad := writeDir(t, format, map[string]tbl{"identities": baseIdentities.with(1, "", "", "Eng", "Dev"), "assignments": baseAssignments})
		called := false
		_, err = LoadHoldings(ctx, bad, HoldingsOptions{OnIdentities: func(context.Context, *Holdings) error { called = true; return nil }})
		if err == nil || called {
			t.Errorf("%s: an empty identity id: error %v, OnIdentities called %v; want an error, not called", format, err, called)
		}
	}
	dir := t.TempDir()
	writeParquet(t, dir, "identities", tbl{header: []string{"identity_id", "groups:list"}, rows: [][]string{{"u1", "g1"}}})
	writeParquet(t, dir, "assignments", baseAssignments)
	called := false
	_, err := LoadHoldings(ctx, dir, HoldingsOptions{OnIdentities: func(context.Context, *Holdings) error { called = true; return nil }})
	if !errors.Is(err, ErrNotFlat) || called {
		t.Errorf("multi-valued attribute: error %v, OnIdentities called %v; want ErrNotFlat, not called", err, called)
	}
}

// TestLeanSpecsSkipSum: the lean load's Parquet files are read without their SHA-256,
// which Load's reading of the same file gives.
func TestLeanSpecsSkipSum(t *testing.T) {
	dir := t.TempDir()
	writeParquet(t, dir, "identities", baseIdentities)
	writeParquet(t, dir, "assignments", baseAssignments)
	for _, tc := range []struct {
		file       string
		lean, full *tableSpec
	}{{"identities.parquet", leanIdentitiesSpec(nil), &identitiesSpec}, {"assignments.parquet", &leanAssignmentsSpec, &assignmentsSpec}} {
		path := filepath.Join(dir, tc.file)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := sha256.Sum256(b)
		full, err := readTable(context.Background(), path, tc.full)
		if err != nil {
			t.Fatal(err)
		}
		lean, err := readTable(context.Background(), path, tc.lean)
		if err != nil {
			t.Fatal(err)
		}
		if full.input.SHA256 != hex.EncodeToString(want[:]) || lean.input.SHA256 != "" || lean.rows != full.rows {
			t.Errorf("%s: SHA-256 %q with Load's spec, %q with the lean one (rows %d, %d); want the file's, none", tc.file,
				full.input.SHA256, lean.input.SHA256, full.rows, lean.rows)
		}
	}
}

// TestFindInOrder: values following the ids' order (with repeats at boundaries,
// identities skipped, unknown values) or in no order are found as the hash join finds
// them.
func TestFindInOrder(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		rng := rand.New(rand.NewPCG(seed, 17))
		n := rng.IntN(3000)
		ids := make([]string, n)
		for i, x := range rng.Perm(n) {
			ids[i] = fmt.Sprintf("u%05d", x)
		}
		var vals []string
		switch seed % 3 {
		case 0: // no order
			for range rng.IntN(3000) {
				vals = append(vals, fmt.Sprintf("u%05d", rng.IntN(n+50)))
			}
		default: // the ids' order, with skips, repeats and unknown values
			for i := 0; i < n; i++ {
				switch x := rng.IntN(20); {
				case x == 0:
					i += rng.IntN(6) // identities without assignments
				case x == 1 && len(vals) > 0:
					vals = append(vals, vals[len(vals)-1]) // named again by the next group
				case x == 2:
					vals = append(vals, fmt.Sprintf("x%d", rng.IntN(10))) // unknown
				case x == 3 && seed%3 == 2:
					vals = append(vals, ids[rng.IntN(n)]) // out of place
				}
				if i < n {
					vals = append(vals, ids[i])
				}
			}
		}
		want := newIdentityIndex(ids).find(vals)
		if got := findInOrder(newIdentityIndex(ids), vals); !slices.Equal(got, want) {
			t.Fatalf("seed %d: %v, want %v", seed, got, want)
		}
	}
}

// TestLeanIdentitiesTakeIndex: the lean load's identities keep the join index the check
// for repeated ids made (with its tables), so that assignments the walk of findInOrder
// misses are probed without hashing every id again, and the lookups are right.
func TestLeanIdentitiesTakeIndex(t *testing.T) {
	const n = 2*joinPartition + 9
	ids := tbl{header: []string{"identity_id:req", "team:str"}}
	for i := range n {
		ids.rows = append(ids.rows, []string{fmt.Sprintf("u%06d", (i*7919)%n), "t"})
	}
	for _, format := range formats {
		path := writeTable(t, t.TempDir(), "identities", format, ids)
		tb, err := readTable(context.Background(), path, leanIdentitiesSpec([]string{"team"}))
		if err != nil {
			t.Fatal(err)
		}
		built := tb.col("identity_id").index
		if built == nil || !built.haveTables.Load() {
			t.Fatalf("%s: the check for repeats left no join index with its tables", format)
		}
		_, x, err := leanIdentities(tb, HoldingsOptions{Dims: []string{"team"}}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if x.index != built {
			t.Fatalf("%s: the lean identities made a join index of their own", format)
		}
		vals := []string{ids.rows[n-1][0], "nobody", ids.rows[3][0], ids.rows[0][0]}
		if got, want := findInOrder(x, vals), []int32{n - 1, -1, 3, 0}; !slices.Equal(got, want) {
			t.Fatalf("%s: found %v, want %v", format, got, want)
		}
	}
}

// TestLoadHoldingsList: a multi-valued attribute is not the lean load's.
func TestLoadHoldingsList(t *testing.T) {
	dir := t.TempDir()
	writeParquet(t, dir, "identities", tbl{header: []string{"identity_id", "groups:list"}, rows: [][]string{{"u1", "g1"}}})
	writeParquet(t, dir, "assignments", baseAssignments)
	if _, err := LoadHoldings(context.Background(), dir, HoldingsOptions{}); !errors.Is(err, ErrNotFlat) {
		t.Fatalf("error %v, want ErrNotFlat", err)
	}
}

// TestRoleViewInOrder: rows whose roles list their identities in ascending order (grouped
// by identity, or by role with holders sorted, with repeats and unknown identities) give,
// on 1-7 processors, the role view the identity view gives; rows out of order are
// refused.
func TestRoleViewInOrder(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for seed := uint64(1); seed <= 60; seed++ {
		rng := rand.New(rand.NewPCG(seed, 11))
		n, nr, codes := 1+rng.IntN(30), 1+rng.IntN(6), 1+rng.IntN(40)
		identOf := make([]int32, codes) // dictionary code -> identity, -1 unknown
		for c := range identOf {
			identOf[c] = int32(rng.IntN(n+3)) - 3
			identOf[c] = max(identOf[c], -1)
		}
		rank := make([]int32, nr)
		for r, x := range rng.Perm(nr) {
			rank[r] = int32(x)
		}
		passRank := rank // the codes' ranks; nil (every other seed) where they are the roles
		if seed%2 == 0 {
			for r := range rank {
				rank[r] = int32(r)
			}
			passRank = nil
		}
		type row struct{ a, r int32 }
		rows := make([]row, rng.IntN(120))
		for k := range rows {
			rows[k] = row{int32(rng.IntN(codes)), int32(rng.IntN(nr))}
		}
		ident := func(x row) int32 { return identOf[x.a] } // unknown rows sort first
		order := seed % 3
		switch order {
		case 0: // by identity
			slices.SortStableFunc(rows, func(x, y row) int { return cmp.Compare(ident(x), ident(y)) })
		case 1: // by role, holders ascending
			slices.SortStableFunc(rows, func(x, y row) int {
				return cmp.Or(cmp.Compare(rank[x.r], rank[y.r]), cmp.Compare(ident(x), ident(y)))
			})
		}
		ai, ar := make([]int32, len(rows)), make([]int32, len(rows))
		for k, x := range rows {
			ai[k], ar[k] = x.a, x.r
		}
		identOff, byIdent, _, orphans := bucketByIdentity(ai, ar, identOf, rank, n, false)
		known := identOff[n]
		w := dedupeByIdentity(identOff, byIdent)
		wantIdx := make([]int32, w)
		wantOff := bucketByRole(byIdent[:w], identOff, wantIdx, nr)
		inOrder, last := true, make([]int32, nr)
		for r := range last {
			last[r] = -1
		}
		for _, x := range rows {
			if i := ident(x); i >= 0 {
				inOrder = inOrder && i >= last[x.r]
				last[x.r] = i
			}
		}
		if order < 2 && !inOrder {
			t.Fatalf("seed %d order %d: the test's rows are out of order", seed, order)
		}
		for procs := 1; procs <= 7; procs += 3 {
			runtime.GOMAXPROCS(procs)
			codes := perRowCodes(ai)
			if procs > 1 {
				codes = runsOf(ai)
			}
			v, ok := roleViewInOrder(codes, ar, identOf, passRank, nr)
			if ok != inOrder {
				t.Fatalf("seed %d order %d procs %d: accepted %v, rows in order %v", seed, order, procs, ok, inOrder)
			}
			if !ok {
				continue
			}
			if !slices.Equal(v.roleOff, wantOff) || !slices.Equal(v.roleIdx, wantIdx) ||
				v.orphans != int64(len(orphans)) || v.dups != known-w {
				t.Fatalf("seed %d order %d procs %d: off %v idx %v orphans %d dups %d, want %v %v %d %d", seed, order, procs,
					v.roleOff, v.roleIdx, v.orphans, v.dups, wantOff, wantIdx, len(orphans), known-w)
			}
		}
	}
}

// inOrderRows returns the codes of rows assignments grouped by identity, in ascending
// identity order (with repeats and unknown identities), naming nr roles, whose identity
// codes are those of ids in order: the rows the early join counts by role.
func inOrderRows(rng *rand.Rand, rows, nr int) (ids []string, ai, ar []int32) {
	n := rows/3 + 1
	for i := range n {
		ids = append(ids, fmt.Sprintf("u%07d", i))
	}
	ids = append(ids, "nobody") // code n: no identity
	for k := range rows {
		i := int32(k * n / rows)
		if rng.IntN(50) == 0 {
			i = int32(n)
		}
		ai = append(ai, i)
		ar = append(ar, int32(rng.IntN(nr)))
		if rng.IntN(40) == 0 && k+1 < rows { // a repeat
			ai = append(ai, i)
			ar = append(ar, ar[len(ar)-1])
			k++
		}
	}
	return ids, ai[:rows], ar[:rows]
}

// TestRoleCounterEarlyBlocks: a role view whose first blocks were counted while only some
// roles were known (role codes first seen later, as the early join counts them), with its
// array made ahead or not, is the view of counting every block at the end.
func TestRoleCounterEarlyBlocks(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		rng := rand.New(rand.NewPCG(seed, 23))
		rows, nr := 1+rng.IntN(5*minRoleBlock), 1+rng.IntN(300)
		ids, ai, ar := inOrderRows(rng, rows, nr)
		// Codes in first-seen order, as a column's dictionary gives them.
		seen := map[int32]int32{}
		for k, r := range ar {
			if _, ok := seen[r]; !ok {
				seen[r] = int32(len(seen))
			}
			ar[k] = seen[r]
		}
		identOf := newIdentityIndex(ids[:len(ids)-1]).find(ids)
		want, ok := roleViewInOrder(perRowCodes(ai), ar, identOf, nil, len(seen))
		if !ok {
			t.Fatalf("seed %d: rows in order refused", seed)
		}
		codes := perRowCodes(ai)
		if seed%2 == 0 {
			codes = runsOf(ai)
		}
		rc := newRoleCounter(rows, 1+rng.IntN(3))
		for avail := 0; avail < rows; avail += rng.IntN(2 * minRoleBlock) {
			known := int32(0) // the roles seen in the first avail rows
			for _, r := range ar[:avail] {
				known = max(known, r+1)
			}
			for {
				b, lo, hi, ok := rc.claim(avail)
				if !ok {
					break
				}
				rc.blocks[b] = countRoleBlock(codes, lo, hi, ar, identOf, nil, int(known))
			}
			if rng.IntN(2) == 0 {
				rc.touch()
			}
		}
		rc.countRest(codes, ar, identOf, nil, len(seen))
		got, ok := rc.view(codes, ar, identOf, nil, len(seen))
		if !ok || !slices.Equal(got.roleOff, want.roleOff) || !slices.Equal(got.roleIdx, want.roleIdx) ||
			got.orphans != want.orphans || got.dups != want.dups {
			t.Fatalf("seed %d: %d blocks: view differs (ok %v, orphans %d/%d, dups %d/%d)", seed, len(rc.bounds)-1, ok,
				got.orphans, want.orphans, got.dups, want.dups)
		}
	}
}

// TestEarlyJoin: told of the identities, of the assignments' identity_id column and of
// role_id's row groups as they are decoded, the early join counts the blocks decoded so
// far and makes the view's array; the join then gives the view of joining at the end.
// A problem in the assignments stops it, and so does the end of the load.
func TestEarlyJoin(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 29))
	const rows, nr = 3*minRoleBlock + 17, 40
	ids, ai, ar := inOrderRows(rng, rows, nr)
	for k := range ar {
		ar[k] = min(ar[k], int32(k*nr/rows)) // roles first seen row group by row group
	}
	index := newIdentityIndex(ids[:len(ids)-1])
	identOf := index.find(ids)
	want, _ := roleViewInOrder(perRowCodes(ai), ar, identOf, nil, nr)
	runs := runsOf(ai)
	for _, fail := range []bool{false, true} {
		j := startEarlyJoin(2, new(parallel.Bugs), func() {})
		errs := newProblems("assignments.parquet")
		j.identities(index)
		j.decoded(&column{name: "identity_id", runCodes: true, runCode: runs.runCode, runEnd: runs.runEnd, vals: ids, errs: errs}, rows)
		avail := rows - minRoleBlock/2 // all but the last row groups
		if fail {
			errs.add(5, "role_id", "empty or null, expected a value")
		}
		j.decoded(&column{name: "role_id", codes: ar[:avail], vals: make([]string, slices.Max(ar[:avail])+1), errs: errs}, rows)
		j.mu.Lock()
		for !fail && j.counted < 2 {
			j.cond.Wait()
		}
		j.mu.Unlock()
		got, rc := j.take(index, ids, rows)
		if !slices.Equal(got, identOf) {
			t.Fatalf("fail %v: identities %v, want %v", fail, got[:10], identOf[:10])
		}
		rc.countRest(runs, ar, identOf, nil, nr)
		j.stop()
		if early := len(rc.bounds) - 1 - rc.parts; fail != (early == 0) {
			t.Fatalf("fail %v: %d blocks counted early", fail, early)
		}
		v, ok := rc.view(runs, ar, identOf, nil, nr)
		if !ok || !slices.Equal(v.roleOff, want.roleOff) || !slices.Equal(v.roleIdx, want.roleIdx) {
			t.Fatalf("fail %v: the view differs", fail)
		}
	}
	j := startEarlyJoin(2, new(parallel.Bugs), func() {}) // a load that fails before anything is decoded
	j.stop()
}

// runsOf returns codes as runs of rows with one code.
func runsOf(codes []int32) rowCodes {
	var a rowCodes
	for k, c := range codes {
		if n := len(a.runCode); n > 0 && a.runCode[n-1] == c {
			a.runEnd[n-1] = int32(k + 1)
			continue
		}
		a.runCode = append(a.runCode, c)
		a.runEnd = append(a.runEnd, int32(k+1))
	}
	if a.runEnd == nil {
		a.runEnd = []int32{} // no rows, as runs
	}
	return a
}
