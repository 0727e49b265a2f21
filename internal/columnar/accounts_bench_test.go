package columnar

import (
	"fmt"
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
