package columnar

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestLoadRawIfDistinct: an identities column whose first rows are all distinct (an
// email) is read raw from then on, yet the later rows that repeat earlier values, or one
// another, still share one value of the dimension, sorted like any other.
func TestLoadRawIfDistinct(t *testing.T) {
	const distinct, n = 5000, 6500
	ids := tbl{header: []string{"identity_id:req", "email:str", "team:str"}}
	want := make([]string, n)
	for i := range n {
		email := fmt.Sprintf("p%05d@x", (i*7919)%distinct) // rows 0-4999: every value once
		switch {
		case i >= distinct && i%3 == 0:
			email = "late@x" // new after the switch, then repeated
		case i >= distinct && i%3 == 1:
			email = nullValue
		}
		ids.rows = append(ids.rows, []string{fmt.Sprintf("u%05d", i), email, fmt.Sprintf("t%d", i%4)})
		want[i] = orEmpty(email)
	}
	wantValues := slices.Compact(slices.Sorted(slices.Values(slices.DeleteFunc(slices.Clone(want), func(v string) bool { return v == "" }))))
	asg := tbl{header: []string{"identity_id", "role_id"}, rows: [][]string{{"u00001", "R1"}}}
	for _, format := range []string{"csv", "parquet"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			p := writeTable(t, dir, "identities", format, ids, parquet.PageBufferSize(4096))
			writeTable(t, dir, "assignments", format, asg)
			tb, err := readTable(context.Background(), p, &identitiesSpec)
			if err != nil {
				t.Fatal(err)
			}
			c := tb.col("email")
			if !c.raw {
				t.Errorf("email was not read raw")
			}
			// From Parquet, the arena is sized once when the column turns raw, by the
			// footer's bytes of the column, which cover every value: it never grows.
			if format == "parquet" && (c.rawBytes < c.arena.Len() || c.arena.Cap() < c.rawBytes) {
				t.Errorf("email arena: %d bytes of values, capacity %d, sized for %d: expected one size covering every value", c.arena.Len(), c.arena.Cap(), c.rawBytes)
			}
			if c := tb.col("team"); c.raw {
				t.Errorf("team (four values) was read raw")
			}
			s, err := load(t, dir, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := dimValues(t, s, "email"); !reflect.DeepEqual(got, want) {
				t.Errorf("email values differ from the file's")
			}
			if got := s.Dims[s.DimIndex("email")].Values; !reflect.DeepEqual(got, wantValues) {
				t.Errorf("email dictionary has %d values, want %d sorted distinct", len(got), len(wantValues))
			}
		})
	}
}

// TestSortDictRepeats: equal values (a raw column's) share their new code; the dictionary is
// sorted and distinct, already sorted input included.
func TestSortDictRepeats(t *testing.T) {
	for _, c := range []struct {
		vals, sorted []string
		rank         []int32
	}{
		{[]string{"b", "a", "b", "c", "a"}, []string{"a", "b", "c"}, []int32{1, 0, 1, 2, 0}},
		{[]string{"a", "b", "b", "c"}, []string{"a", "b", "c"}, []int32{0, 1, 1, 2}},
		{[]string{"a", "b", "c"}, []string{"a", "b", "c"}, []int32{0, 1, 2}},
		{nil, []string{}, []int32{}},
	} {
		sorted, rank := sortDict(c.vals)
		if !slices.Equal(sorted, c.sorted) || !slices.Equal(rank, c.rank) {
			t.Errorf("sortDict(%q) = %q, %v; want %q, %v", c.vals, sorted, rank, c.sorted, c.rank)
		}
	}
}

// TestRawRuns: a raw column with runs gives a row repeating the value before it that
// value's code, across empty rows too, and a new code otherwise (an earlier value that
// comes back after another gets a second code); a refused value is never reused.
func TestRawRuns(t *testing.T) {
	c := newColumn("identity_id", modeValue, newProblems("accounts.csv"), 0)
	c.setRaw(0)
	c.runs = true
	var got []int32
	for _, v := range []string{"a", "a", "", "a", "b", "b", "a", "\xff", "\xff", "c"} {
		if v == "c" {
			got = append(got, c.intern([]byte(v)))
		} else {
			got = append(got, c.internString(v))
		}
	}
	c.seal()
	want := []int32{0, 0, codeEmpty, 0, 1, 1, 2, codeBadUTF8, codeBadUTF8, 5}
	if !slices.Equal(got, want) {
		t.Errorf("codes %v, want %v", got, want)
	}
	if wantVals := []string{"a", "b", "a", "\xff", "\xff", "c"}; !slices.Equal(c.vals, wantVals) {
		t.Errorf("values %q, want %q", c.vals, wantVals)
	}
}

// TestSortAfterPrefix against slices.Sort on lists with ascending prefixes of every
// length, tails of any order, and all elements before or after the prefix.
func TestSortAfterPrefix(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 4))
	for iter := range 500 {
		n := rng.IntN(60)
		perm := rng.Perm(1000)[:n]
		p := 0
		if n > 0 {
			p = rng.IntN(n + 1)
		}
		slices.Sort(perm[:p])
		switch iter % 3 {
		case 1:
			slices.Sort(perm) // sorted throughout
		case 2:
			slices.Sort(perm[p:]) // two ascending runs
		}
		got := slices.Clone(perm)
		sortAfterPrefix(got, func(a, b int) int { return a - b })
		if want := slices.Sorted(slices.Values(perm)); !slices.Equal(got, want) {
			t.Fatalf("sortAfterPrefix(%v) = %v, want %v", perm, got, want)
		}
	}
}

// TestDuplicateAccountOrder: the accounts are sorted by more than insertion sort's few
// elements, out of file order, and each repeat of an account is named after the row
// before it in the file, as the error promises.
func TestDuplicateAccountOrder(t *testing.T) {
	ids := tbl{header: []string{"identity_id"}, rows: [][]string{{"u1"}}}
	asg := tbl{header: []string{"identity_id", "role_id"}, rows: [][]string{{"u1", "R1"}}}
	accts := tbl{header: []string{"system", "account_id", "identity_id"}}
	for k := 60; k > 0; k-- { // descending: the sort has work to do
		accts.rows = append(accts.rows, []string{"AD", fmt.Sprintf("a%03d", k), "u1"})
	}
	accts.rows = append(accts.rows, []string{"AD", "a030", ""}, []string{"AD", "a030", ""})
	dir := t.TempDir()
	writeTable(t, dir, "identities", "csv", ids)
	writeTable(t, dir, "assignments", "csv", asg)
	writeTable(t, dir, "accounts", "csv", accts)
	_, err := load(t, dir, LoadOptions{})
	// a030 is on line 32 (header, then a060 on line 2), and again on lines 62 and 63.
	want := `accounts.csv row 62, column account_id: duplicate account "a030" in system "AD" (first at row 32)`
	want2 := `accounts.csv row 63, column account_id: duplicate account "a030" in system "AD" (first at row 62)`
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), want2) {
		t.Errorf("error %v\nwant %s\nand  %s", err, want, want2)
	}
}

// TestPrintableASCII holds printableASCII to a check of each byte, on strings of every
// length up to 40 with one byte set to each boundary value (0x00, tab, 0x1F, 0x20, 0x7E,
// 0x7F, 0x80, 0xFF) at every position.
func TestPrintableASCII(t *testing.T) {
	want := func(b []byte) bool {
		for _, x := range b {
			if x < 0x20 || x > 0x7F {
				return false
			}
		}
		return true
	}
	for n := range 41 {
		b := []byte(strings.Repeat("a", n))
		if !printableASCII(b) {
			t.Fatalf("%q refused", b)
		}
		for k := range n {
			for _, x := range []byte{0x00, '\t', 0x1F, 0x20, 0x7E, 0x7F, 0x80, 0xFF} {
				c := slices.Clone(b)
				c[k] = x
				if got := printableASCII(c); got != want(c) {
					t.Fatalf("%q: %v, want %v", c, got, want(c))
				}
			}
		}
	}
}

// TestRawPlainPages reads accounts (account_id raw, identity_id raw with runs) from
// required Parquet columns, plain or dictionary encoded, cut into pages of a few rows
// (rawPlain, rawIndexed), and checks every column's
// codes and values against the same rows read from CSV: runs that cross pages, empty
// values, and in some rounds a tab, a control character or non-ASCII text, which take the
// check per value (a control character fails both reads).
func TestRawPlainPages(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 40 {
		enc := []string{"req", "reqdict"}[rng.IntN(2)] // plain or dictionary pages
		tb := tbl{header: []string{"system:req", "account_id:" + enc, "identity_id:" + enc}}
		odd := []string{"", "t\tab", "bad\x01", "caf\u00e9"}[round%4]
		owner := "u0"
		for k := range 1 + rng.IntN(60) {
			if rng.IntN(3) == 0 {
				owner = fmt.Sprintf("u%d", rng.IntN(9))
			}
			id := owner
			if rng.IntN(6) == 0 {
				id = ""
			}
			acct := fmt.Sprintf("a%03d", k)
			if round >= 4 && rng.IntN(15) == 0 {
				acct += odd
			}
			tb.rows = append(tb.rows, []string{"AD", acct, id})
		}
		var got [2]*table
		var errs [2]error
		for f, format := range []string{"csv", "parquet"} {
			dir := t.TempDir()
			p := writeTable(t, dir, "accounts", format, tb, parquet.PageBufferSize(1+rng.IntN(64)))
			got[f], errs[f] = readTable(context.Background(), p, &accountsSpec)
		}
		if (errs[0] == nil) != (errs[1] == nil) {
			t.Fatalf("round %d: csv error %v, parquet error %v", round, errs[0], errs[1])
		}
		if errs[0] != nil {
			continue
		}
		for _, name := range []string{"account_id", "identity_id"} {
			c, p := got[0].col(name), got[1].col(name)
			cv, pv := codeValues(c), codeValues(p)
			if !slices.Equal(c.codes, p.codes) || !slices.Equal(cv, pv) {
				t.Fatalf("round %d, %s: parquet codes %v vals %q, csv codes %v vals %q", round, name, p.codes, pv, c.codes, cv)
			}
		}
	}
}

// TestRawColumnSizesNoDictionary: the identities' identity_id column, raw, is made with
// room for its codes and value ends only; a dictionary sized for every row (a map,
// values and first positions: about 100 MB at a million rows) is not made only to be
// dropped.
func TestRawColumnSizesNoDictionary(t *testing.T) {
	const rows = 1 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c := identitiesSpec.newColumn("identity_id", modeUnique, newProblems("identities.parquet"), rows)
	runtime.ReadMemStats(&after)
	if !c.raw || c.ids != nil || c.vals != nil || c.firstPos != nil {
		t.Fatalf("identity_id not raw and bare: raw %v, map %v, vals %d, firstPos %d", c.raw, c.ids != nil, cap(c.vals), cap(c.firstPos))
	}
	// Codes (4 bytes a row) and ends (8 bytes a row), with room for rounding.
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(16*rows); got > limit {
		t.Errorf("making the column allocated %d bytes, expected at most %d (codes and ends only)", got, limit)
	}
	if cap(c.codes) < rows || cap(c.ends) < rows {
		t.Errorf("codes %d, ends %d: expected room for %d rows", cap(c.codes), cap(c.ends), rows)
	}
}

// codeValues returns c's value of each code, from its vals or, for an unsealed column,
// its arena.
func codeValues(c *column) []string {
	if c.vals != nil || !c.unsealed {
		return c.vals
	}
	vals := make([]string, len(c.ends))
	for k := range vals {
		vals[k] = c.text().at(int32(k))
	}
	return vals
}

// TestAccountIDsUnsealed: the accounts' account_id column is left in its arena once read
// (no string header per row in file order), its values read by code are the file's, and
// sortAccounts takes the same ids in the same order from it as from the column sealed.
func TestAccountIDsUnsealed(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 20 {
		tb := tbl{header: []string{"system:req", "account_id:req", "identity_id:req"}}
		var ids []string
		for k := range 1 + rng.IntN(200) {
			sys := []string{"AD", "AWS", "SAP"}[rng.IntN(3)]
			id := fmt.Sprintf("%s%d", []string{"u", "arn:aws:iam::user/u", "SVC-"}[rng.IntN(3)], rng.IntN(1000)+1000*k)
			ids = append(ids, id)
			tb.rows = append(tb.rows, []string{sys, id, fmt.Sprintf("u%d", rng.IntN(50))})
		}
		for _, format := range []string{"csv", "parquet"} {
			p := writeTable(t, t.TempDir(), "accounts", format, tb, parquet.PageBufferSize(1+rng.IntN(256)))
			read := func() *table {
				tt, err := readTable(context.Background(), p, &accountsSpec)
				if err != nil {
					t.Fatal(err)
				}
				return tt
			}
			unsealed := read()
			ac := unsealed.col("account_id")
			if !ac.unsealed || ac.vals != nil {
				t.Fatalf("round %d %s: account_id unsealed %v with %d vals, expected it left in its arena", round, format, ac.unsealed, len(ac.vals))
			}
			for row, want := range ids {
				if got := ac.text().at(ac.codes[row]); got != want {
					t.Fatalf("round %d %s: row %d reads %q, want %q", round, format, row+1, got, want)
				}
			}
			sealed := read()
			sac := sealed.col("account_id")
			sac.unsealed = false
			sac.seal()
			got, want := sortAccounts(unsealed), sortAccounts(sealed)
			if !slices.Equal(got.id, want.id) || !slices.Equal(got.system, want.system) || !slices.Equal(got.order, want.order) {
				t.Fatalf("round %d %s: ids %q, from the sealed column %q", round, format, got.id, want.id)
			}
		}
	}
}
