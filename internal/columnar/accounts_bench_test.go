package columnar

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestAccountOrderMatchesSort: accountOrder sorts like a plain sort by (system rank,
// account_id, row) on random accounts: shared prefixes longer and shorter than the 8
// bytes it compares as integers, ids equal on several 8-byte words (keyed again deeper),
// NUL bytes, empty-suffix prefixes of each other, and duplicates, each of which (but the
// first of its id) it marks as such.
func TestAccountOrderMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"\x00", "a", "b", "z", "~", "é"}
	for round := range 200 {
		sc := newColumn("system", modeRequired, nil, 0)
		ac := newColumn("account_id", modeRequired, nil, 0)
		ac.keys = true // let NUL bytes in (the loader rejects them in text)
		prefixes := []string{"", "arn:aws:iam::user/", "p", "prefix12345678", "arn:aws:iam::123456789012:user/"}
		n := 1 + rng.IntN(60)
		for range n {
			sys := []string{"AD", "AWS", "SAP"}[rng.IntN(3)]
			v := prefixes[rng.IntN(len(prefixes))]
			for range rng.IntN(20) {
				v += alphabet[rng.IntN(len(alphabet))]
			}
			if v == "" {
				v = "x"
			}
			sc.codes = append(sc.codes, sc.internString(sys))
			ac.codes = append(ac.codes, ac.internString(v))
		}
		_, sysRank := sortDict(sc.vals)
		keys := accountOrder(n, sc, ac.codes, ac.text(), sysRank)
		got := make([]int, n)
		for k, key := range keys {
			got[k] = int(key.row)
		}
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
		for k, key := range keys {
			same := k > 0 && sc.codes[got[k-1]] == sc.codes[got[k]] && ac.codes[got[k-1]] == ac.codes[got[k]]
			if key.dup != same {
				t.Fatalf("round %d: key %d (row %d, %q) marked duplicate %v, want %v", round, k, key.row, ac.vals[ac.codes[key.row]], key.dup, same)
			}
		}
	}
}

// BenchmarkBuildAccounts sorts and builds 262,144 accounts in four systems whose ids
// share long prefixes, as exports of cloud accounts do ("arn:aws:iam::user/..."), read
// raw as the loader reads them, and joins them to an assignments dictionary naming every
// other account.
func BenchmarkBuildAccounts(b *testing.B) {
	n := 1 << 18
	t := &table{file: "accounts.csv", rows: n}
	sc := newColumn("system", modeRequired, nil, 0)
	ac := newColumn("account_id", modeRequired, nil, 0)
	ac.setRaw(n)
	ic := newColumn("identity_id", modeValue, nil, 0)
	var asgIDs, identIDs []string
	for k := 0; k < n; k++ {
		id := fmt.Sprintf("arn:aws:iam::user/u%07d", k*7919%n)
		sc.codes = append(sc.codes, sc.internString([]string{"AD", "AWS", "SAP", "SF"}[k%4]))
		ac.codes = append(ac.codes, ac.internString(id))
		ic.codes = append(ic.codes, ic.internString(fmt.Sprintf("u%07d", k)))
		identIDs = append(identIDs, fmt.Sprintf("u%07d", k))
		if k%2 == 0 {
			asgIDs = append(asgIDs, id)
		}
	}
	ac.seal()
	t.cols = []*column{sc, ac, ic}
	b.ResetTimer()
	for range b.N {
		if _, err := buildAccounts(t, nil, newIdentityIndex(identIDs), asgIDs, &UniverseFindings{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAccountOrderData sorts the accounts of the data directory named by
// ROLEMINE_BENCH_DATA (skipped when unset or without an accounts file), as the loader
// does, and reports the CPU time (user + system) of each sort beside its wall time.
func BenchmarkAccountOrderData(b *testing.B) {
	dir := os.Getenv("ROLEMINE_BENCH_DATA")
	if dir == "" {
		b.Skip("set ROLEMINE_BENCH_DATA to a data directory")
	}
	path, err := findOptional(dir, accountsSpec.name)
	if err != nil || path == "" {
		b.Skipf("no accounts file in %s (%v)", dir, err)
	}
	t, err := readTable(context.Background(), path, &accountsSpec)
	if err != nil {
		b.Fatal(err)
	}
	sc, ac := t.col("system"), t.col("account_id")
	_, sysRank := sortDict(sc.vals)
	c0 := cpuTime(b)
	for b.Loop() {
		accountOrder(t.rows, sc, ac.codes, ac.text(), sysRank)
	}
	b.ReportMetric((cpuTime(b)-c0).Seconds()/float64(b.N), "cpu-s/op")
}
