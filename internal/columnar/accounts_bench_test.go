package columnar

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// BenchmarkAccountLookup compares resolving accounts by binary search (Find) with the
// loading-time index (lookup), over 262,144 accounts in four systems.
func BenchmarkAccountLookup(b *testing.B) {
	t := &table{file: "accounts.csv", rows: 0}
	sc := newColumn("system", modeRequired, nil, 0)
	ac := newColumn("account_id", modeRequired, nil, 0)
	ic := newColumn("identity_id", modeValue, nil, 0)
	n := 1 << 18
	for k := 0; k < n; k++ {
		sc.codes = append(sc.codes, sc.internString([]string{"AD", "AWS", "SAP", "SF"}[k%4]))
		ac.codes = append(ac.codes, ac.internString(fmt.Sprintf("user-%07d@x", k*7919%n)))
		ic.codes = append(ic.codes, ic.internString(fmt.Sprintf("u%07d", k)))
	}
	t.rows = n
	t.cols = []*column{sc, ac, ic}
	a, err := buildAccounts(t, map[string]int32{}, &UniverseFindings{})
	if err != nil {
		b.Fatal(err)
	}
	names := make([][2]string, n)
	for k := range names {
		names[k] = [2]string{a.Systems[a.System[(k*31)%n]], a.ID[(k*31)%n]}
	}
	b.Run("find", func(b *testing.B) {
		for range b.N {
			for _, x := range names {
				if a.Find(x[0], x[1]) < 0 {
					b.Fatal("miss")
				}
			}
		}
	})
	b.Run("lookup", func(b *testing.B) {
		for range b.N {
			for _, x := range names {
				if a.lookup(x[0], x[1]) < 0 {
					b.Fatal("miss")
				}
			}
		}
	})
}

// TestAccountOrderMatchesSort: accountOrder sorts like a plain sort by (system rank,
// account_id, row) on random accounts: shared prefixes longer and shorter than the 8
// bytes it compares as integers, NUL bytes, empty-suffix prefixes of each other, and
// duplicates.
func TestAccountOrderMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"\x00", "a", "b", "z", "~", "é"}
	for round := range 200 {
		sc := newColumn("system", modeRequired, nil, 0)
		ac := newColumn("account_id", modeRequired, nil, 0)
		ac.keys = true // let NUL bytes in (the loader rejects them in text)
		prefixes := []string{"", "arn:aws:iam::user/", "p", "prefix12345678"}
		n := 1 + rng.IntN(60)
		for range n {
			sys := []string{"AD", "AWS", "SAP"}[rng.IntN(3)]
			v := prefixes[rng.IntN(len(prefixes))]
			for range rng.IntN(12) {
				v += alphabet[rng.IntN(len(alphabet))]
			}
			if v == "" {
				v = "x"
			}
			sc.codes = append(sc.codes, sc.internString(sys))
			ac.codes = append(ac.codes, ac.internString(v))
		}
		_, sysRank := sortDict(sc.vals)
		got := accountOrder(n, sc, ac, sysRank)
		want := make([]int, n)
		for k := range want {
			want[k] = k
		}
		slices.SortStableFunc(want, func(a, b int) int {
			return cmp.Or(cmp.Compare(sysRank[sc.codes[a]], sysRank[sc.codes[b]]),
				strings.Compare(ac.vals[ac.codes[a]], ac.vals[ac.codes[b]]))
		})
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: order %v, want %v", round, got, want)
		}
	}
}

// BenchmarkBuildAccounts sorts and builds 262,144 accounts in four systems whose ids
// share long prefixes, as exports of cloud accounts do ("arn:aws:iam::user/...").
func BenchmarkBuildAccounts(b *testing.B) {
	n := 1 << 18
	t := &table{file: "accounts.csv", rows: n}
	sc := newColumn("system", modeRequired, nil, 0)
	ac := newColumn("account_id", modeRequired, nil, 0)
	ic := newColumn("identity_id", modeValue, nil, 0)
	for k := 0; k < n; k++ {
		sc.codes = append(sc.codes, sc.internString([]string{"AD", "AWS", "SAP", "SF"}[k%4]))
		ac.codes = append(ac.codes, ac.internString(fmt.Sprintf("arn:aws:iam::user/u%07d", k*7919%n)))
		ic.codes = append(ic.codes, ic.internString(fmt.Sprintf("u%07d", k)))
	}
	t.cols = []*column{sc, ac, ic}
	b.ResetTimer()
	for range b.N {
		if _, err := buildAccounts(t, map[string]int32{}, &UniverseFindings{}); err != nil {
			b.Fatal(err)
		}
	}
}
