package columnar

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestRawColumn: a raw column gives each value a new code, repeated or not, refuses text
// rules.xml cannot hold without reusing the refused value's code, and seal gives back
// every value.
func TestRawColumn(t *testing.T) {
	c := newColumn("account_id", modeRequired, nil, 0)
	c.setRaw(0)
	var got []int32
	for _, v := range []string{"a", "a", "b", "a", "", "x\x01", "x\x01", "c"} {
		got = append(got, c.internString(v))
	}
	got = append(got, c.intern([]byte("c")), c.intern([]byte("d")), c.intern([]byte("bad\xff")))
	want := []int32{0, 1, 2, 3, codeEmpty, codeBadUTF8, codeBadUTF8, 6, 7, 8, codeBadUTF8}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("codes %v, want %v", got, want)
	}
	if c.ids != nil {
		t.Errorf("a raw column has a dictionary map")
	}
	c.seal()
	wantVals := []string{"a", "a", "b", "a", "x\x01", "x\x01", "c", "c", "d", "bad\xff"}
	if !reflect.DeepEqual(c.vals, wantVals) {
		t.Errorf("vals %q, want %q", c.vals, wantVals)
	}
}

// universeFiles are accounts in two systems (one account_id in both, an uncorrelated
// account, one of an unknown identity) and assignments naming accounts, identities or
// both, with the account_id column of each file in the given Parquet type.
func universeFiles(accountType, asgType string) map[string]tbl {
	return map[string]tbl{
		"identities": {header: []string{"identity_id", "dept"}, rows: [][]string{{"u1", "Sales"}, {"u2", "Eng"}, {"u3", "Eng"}}},
		"accounts": {header: []string{"system", "account_id:" + accountType, "identity_id"}, rows: [][]string{
			{"AD", "1002", "u2"}, {"AD", "1001", "u1"}, {"SAP", "1001", "u1"}, {"SAP", "1003", ""},
			{"SAP", "1004", "gone"}, {"AD", "1003", "u3"},
		}},
		"assignments": {header: []string{"identity_id", "role_id", "system", "account_id:" + asgType}, rows: [][]string{
			{"", "R1", "AD", "1001"}, {"", "R1", "SAP", "1001"}, {"u2", "R2", "AD", "1002"}, {"", "R3", "SAP", "1003"},
			{"", "R3", "SAP", "1004"}, {"", "R3", "AD", "1009"}, {"u3", "R1", nullValue, nullValue}, {"", "R2", "AD", "1003"},
			{"ghost", "R2", nullValue, nullValue}, {"u1", "R3", "AD", "1001"},
		}},
	}
}

// describeUniverse prints what account resolution gave: the accounts, each direct pair's
// account and the orphans.
func describeUniverse(s *Snapshot) string {
	var b strings.Builder
	a := s.Universe.Accounts
	for x := range a.ID {
		fmt.Fprintf(&b, "account %s/%s %q %d\n", a.Systems[a.System[x]], a.ID[x], a.IdentityID(x), a.Identity[x])
	}
	for i := range s.IdentityIDs {
		for k := s.IdentOff[i]; k < s.IdentOff[i+1]; k++ {
			fmt.Fprintf(&b, "pair %s %s account %d\n", s.IdentityIDs[i], s.Roles.IDs[s.IdentIdx[k]], s.Universe.PairAccount[k])
		}
	}
	for _, o := range s.Orphans {
		fmt.Fprintf(&b, "orphan %q %s %s/%s\n", o.IdentityID, s.Roles.IDs[o.Role], o.System, o.AccountID)
	}
	fmt.Fprintf(&b, "%+v\n", s.Universe.Findings)
	return b.String()
}

// TestLoadAccountsEveryEncoding: accounts resolve the same whichever way the account ids
// are stored (CSV; Parquet plain, dictionary-encoded or integer; one page, a page per
// row, or several row groups), and the result is the one worked out by hand.
func TestLoadAccountsEveryEncoding(t *testing.T) {
	want := `account AD/1001 "u1" 0
account AD/1002 "u2" 1
account AD/1003 "u3" 2
account SAP/1001 "u1" 0
account SAP/1003 "" -1
account SAP/1004 "gone" -1
pair u1 R1 account 0
pair u1 R3 account 0
pair u2 R2 account 1
pair u3 R1 account -1
pair u3 R2 account 2
orphan "" R3 AD/1009
orphan "" R3 SAP/1003
orphan "ghost" R2 /
orphan "gone" R3 SAP/1004
{UncorrelatedAccounts:1 AccountsOfUnknownIdentities:1 UnknownAccountAssignments:1 ImplicitGrantRoles:0 AttributeRowsOfUnknownIdentities:0 UnknownAttributeIdentities:[] DuplicateAttributeValues:0}
`
	types := [][2]string{{"str", "str"}, {"req", "dict"}, {"dict", "str"}, {"int64", "dictint64"}, {"dictint64", "int64"}}
	for _, format := range formats {
		for _, ty := range types {
			for layout := range 3 {
				if format == "csv" && (ty != types[0] || layout > 0) {
					continue
				}
				t.Run(fmt.Sprintf("%s/%s-%s/layout%d", format, ty[0], ty[1], layout), func(t *testing.T) {
					dir := t.TempDir()
					var opts []parquet.WriterOption
					switch layout {
					case 1: // a page per row
						opts = append(opts, parquet.PageBufferSize(1))
					case 2: // row groups of three rows: an account in several groups' dictionaries
						opts = append(opts, parquet.MaxRowsPerRowGroup(3))
					}
					for name, tb := range universeFiles(ty[0], ty[1]) {
						writeTable(t, dir, name, format, tb, opts...)
					}
					s, err := load(t, dir, LoadOptions{})
					if err != nil {
						t.Fatal(err)
					}
					checkInvariants(t, s)
					if got := describeUniverse(s); got != want {
						t.Errorf("got\n%s\nwant\n%s", got, want)
					}
				})
			}
		}
	}
}

// TestLoadAccountsBadText: an account_id that rules.xml cannot hold is a data error
// naming the file, row and column, like every other column's.
func TestLoadAccountsBadText(t *testing.T) {
	for _, format := range formats {
		files := universeFiles("str", "str")
		acc := files["accounts"]
		files["accounts"] = acc.with(3, "SAP", "10\x0203", "").with(4, "SAP", "1004\xff", "gone")
		dir := writeDir(t, format, files)
		_, err := load(t, dir, LoadOptions{})
		for _, w := range []string{
			expand(`accounts.@ext row @4, column account_id: value "10\x0203" holds the control character U+0002`, format),
			expand(`accounts.@ext row @5, column account_id: value "1004\xff" is not valid UTF-8`, format),
		} {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want %q", format, err, w)
			}
		}
	}
}

// TestRadixSortKeys holds sortKeyTail to a comparison sort by compareKeys on keys in row
// order (sorted by radix from minRadixKeys on) and out of it (sorted by comparisons):
// words that differ in one byte only, share every byte, or take any value, rests 0-9 and
// many keys equal on (word, rest), whose rows must stay ascending.
func TestRadixSortKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 7))
	for round := range 40 {
		n := []int{0, 1, minRadixKeys - 1, minRadixKeys, 3000}[round%5]
		shared := rng.Uint64()
		keys := make([]accountKey, n)
		for k := range keys {
			var w uint64
			switch round % 4 {
			case 0:
				w = rng.Uint64()
			case 1: // one byte differs
				b := uint(8 * rng.IntN(8))
				w = shared&^(0xff<<b) | uint64(rng.IntN(4))<<b
			case 2: // every byte shared: rest alone
				w = shared
			default: // few words: many ties on (word, rest)
				w = uint64(rng.IntN(5)) << 40
			}
			keys[k] = accountKey{word: w, row: int32(3 * k), rest: uint8(rng.IntN(10))}
		}
		if round%10 >= 8 {
			rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		}
		want := slices.Clone(keys)
		slices.SortFunc(want, compareKeys)
		got := slices.Clone(keys)
		sortKeyTail(got)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d (%d keys): sortKeyTail differs from sorting by compareKeys", round, n)
		}
	}
}

// TestCommonPrefixLen holds commonPrefixLen to a byte loop, for prefixes ending at every
// byte of the first words and at the end of either string.
func TestCommonPrefixLen(t *testing.T) {
	base := "arn:aws:iam::user/svc-payments-dev-1"
	for cut := 0; cut <= len(base); cut++ {
		for _, b := range []string{base[:cut], base[:cut] + "~", base[:cut] + "\x00rest", base} {
			a := base
			want := 0
			for want < len(a) && want < len(b) && a[want] == b[want] {
				want++
			}
			if got := commonPrefixLen(a, b); got != want {
				t.Fatalf("commonPrefixLen(%q, %q) = %d, want %d", a, b, got, want)
			}
			if got := commonPrefixLen(b, a); got != want {
				t.Fatalf("commonPrefixLen(%q, %q) = %d, want %d", b, a, got, want)
			}
		}
	}
}

// TestSharedUpTo holds sharedUpTo to a byte loop cut at n, for every n up to the first
// string's length and strings differing at every byte of their first words, or ending
// there.
func TestSharedUpTo(t *testing.T) {
	base := "arn:aws:iam::user/svc-payments-dev-1"
	for cut := 0; cut <= len(base); cut++ {
		for _, b := range []string{base[:cut], base[:cut] + "~", base[:cut] + "\x00rest", base} {
			for n := 0; n <= len(base); n++ {
				want := 0
				for want < n && want < len(b) && base[want] == b[want] {
					want++
				}
				if got := sharedUpTo(base, b, n); got != want {
					t.Fatalf("sharedUpTo(%q, %q, %d) = %d, want %d", base, b, n, got, want)
				}
			}
		}
	}
}

// TestWordShareMatchesRun: the shares the keying pass gathers over blocks of ids
// (wordShares.add, mergeShares) never count more ids than a word's run has, and a share
// that counts all of them holds what every one shares past the word, as sharedFrom
// finds it over the run; on random ids with shared prefixes, in blocks of random sizes,
// words coming in stretches or not.
func TestWordShareMatchesRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	prefixes := []string{"", "arn:aws:", "arn:aws:iam::user/", "arn:aws:iam::1234:user/", "stale-AWS-", "p"}
	alphabet := []string{"a", "b", "0", "1", "~"}
	whole := 0
	for round := range 500 {
		depth := rng.IntN(3)
		var ids []string
		for range 1 + rng.IntN(80) {
			v := strings.Repeat("x", depth) + prefixes[rng.IntN(len(prefixes))]
			for range rng.IntN(12) {
				v += alphabet[rng.IntN(len(alphabet))]
			}
			ids = append(ids, v)
		}
		if round%2 == 0 {
			slices.Sort(ids) // in stretches of a word
		}
		var shares [][]wordShares
		for lo := 0; lo < len(ids); {
			hi := min(len(ids), lo+1+rng.IntN(20))
			share := make([]wordShares, 1)
			for _, v := range ids[lo:hi] {
				var k accountKey
				k.setDepth(v, depth)
				share[0].add(k, v, depth)
			}
			share[0].flush()
			shares = append(shares, share)
			lo = hi
		}
		for word, m := range mergeShares(shares, 0) {
			var run []accountKey
			for row, v := range ids {
				var k accountKey
				k.setDepth(v, depth)
				if k.rest == 9 && k.word == word {
					run = append(run, accountKey{row: int32(row)})
				}
			}
			if m.count > len(run) || m.count < 2 {
				t.Fatalf("round %d: share of %d ids of word %x, which has %d", round, m.count, word, len(run))
			}
			if m.count < len(run) {
				continue
			}
			whole++
			if want := sharedFrom(run, func(row int32) string { return ids[row] }, depth+8); m.n != want {
				t.Fatalf("round %d: share %d past word %x, want %d (ids %q)", round, m.n, word, want, ids)
			}
		}
	}
	if whole < 100 {
		t.Fatalf("only %d shares covered their run", whole)
	}
}

// TestWordShareOfCloudIDs: cloud account ids, with the system's service and stale
// accounts at the end of the file (so that no prefix is common to the system), give a
// share covering the whole run of "arn:aws:" keys, which is then keyed again without a
// pass of sharedFrom; the order is the ids'.
func TestWordShareOfCloudIDs(t *testing.T) {
	var ids []string
	for k := range 5000 {
		ids = append(ids, fmt.Sprintf("arn:aws:iam::user/u%07d", k))
	}
	ids = append(ids, "SVC-PAYMENTS-TEST-802", "stale-AWS-0001", "stale-AWS-0002")
	sc := newColumn("system", modeRequired, nil, 0)
	ac := newColumn("account_id", modeRequired, nil, 0)
	for _, v := range ids {
		sc.codes = append(sc.codes, sc.internString("AWS"))
		ac.codes = append(ac.codes, ac.internString(v))
	}
	blocks := splitEven(len(ids), 8)
	shares := make([][]wordShares, len(blocks)-1)
	for b := range shares {
		shares[b] = make([]wordShares, 1)
		for row := blocks[b]; row < blocks[b+1]; row++ {
			var k accountKey
			k.setDepth(ids[row], 0)
			shares[b][0].add(k, ids[row], 0)
		}
		shares[b][0].flush()
	}
	m := mergeShares(shares, 0)[bigEndian64("arn:aws:")]
	if m.count != 5000 || m.n != len("iam::user/u000") {
		t.Fatalf("share %+v, want 5000 ids sharing %d bytes", m, len("iam::user/u000"))
	}
	_, sysRank := sortDict(sc.vals)
	keys := accountOrder(len(ids), sc, ac.codes, ac.text(), sysRank)
	for k := 1; k < len(keys); k++ {
		if a, b := ids[keys[k-1].row], ids[keys[k].row]; a >= b {
			t.Fatalf("key %d (%s) after %s", k, b, a)
		}
	}
}

// TestKeyRun: sortKeys keys a run of ids equal on their word again in one pass over the
// ids (about one read of each, beside a sample), and when the sample guessed too many
// shared bytes (an id that shares fewer, not sampled) it still sorts by id and marks
// duplicates.
func TestKeyRun(t *testing.T) {
	for _, odd := range []string{"", "arn:aws:iam::user/a", "arn:aws:iam::user/zz", "arn:aws:iam::user/u1", "arn:aws:iam::user/u00010", "arn:aws:iam::user/u00000"} {
		var ids []string
		for k := range 1000 {
			ids = append(ids, fmt.Sprintf("arn:aws:iam::user/u%07d", (k*7)%1000))
		}
		if odd != "" {
			ids[1] = odd // not in keyRun's sample
		}
		ids = append(ids, ids[5]) // a duplicate
		keys := make([]accountKey, len(ids))
		for row, v := range ids {
			keys[row].row = int32(row)
			keys[row].setDepth(v, 0)
		}
		reads := 0
		sortKeys(keys, func(row int32) string { reads++; return ids[row] }, 0)
		for k := 1; k < len(keys); k++ {
			a, b := ids[keys[k-1].row], ids[keys[k].row]
			if a > b || a == b && keys[k-1].row > keys[k].row || keys[k].dup != (a == b) {
				t.Fatalf("odd %q: key %d (%s, row %d, dup %v) after %s", odd, k, b, keys[k].row, keys[k].dup, a)
			}
		}
		if odd == "" && reads > len(ids)+2*runSample+2 {
			t.Errorf("%d reads of %d ids: the run was read more than once", reads, len(ids))
		}
	}
}
