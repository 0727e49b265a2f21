package columnar

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/uerr"
)

// TestLoadGoroutinesBug: a panic on one of the load's goroutines outside the pool (the
// accounts' owner lookup, a Parquet file's fingerprint, LoadHoldings' identities reader
// and early join) comes back as the load's error, a *parallel.PanicError that is no user
// error, instead of crashing the process (exit 2). The panics are injected through what
// each goroutine is given (a nil identity index; WithDecodeFault). On the old code the
// test binary crashes.
func TestLoadGoroutinesBug(t *testing.T) {
	csvDir := func(t *testing.T) string {
		dir := t.TempDir()
		for name, body := range map[string]string{
			"identities.csv":  "identity_id,department\nu1,Sales\nu2,Eng\n",
			"assignments.csv": "identity_id,role_id\nu1,R1\nu2,R2\n",
		} {
			if err := os.WriteFile(dir+"/"+name, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	faultAt := func(file, column string) context.Context {
		return WithDecodeFault(context.Background(), func(f, c string) {
			if f == file && c == column {
				panic("bug at " + f + " " + c)
			}
		})
	}
	for _, c := range []struct {
		name, want string // want: the panic's value
		run        func(t *testing.T) error
	}{
		{"owner lookup", "", func(t *testing.T) error {
			at := &table{file: "accounts.csv", rows: 1}
			sc := newColumn("system", modeRequired, nil, 0)
			ac := newColumn("account_id", modeRequired, nil, 0)
			ic := newColumn("identity_id", modeValue, nil, 0)
			sc.codes = append(sc.codes, sc.internString("AD"))
			ac.codes = append(ac.codes, ac.internString("a1"))
			ic.codes = append(ic.codes, ic.internString("u1"))
			at.cols = []*column{sc, ac, ic}
			_, err := buildAccounts(at, nil, nil, nil, &UniverseFindings{})
			return err
		}},
		{"parquet fingerprint", "bug at identities.parquet " + SumFaultColumn, func(t *testing.T) error {
			dir := t.TempDir()
			writeParquet(t, dir, "identities", tbl{header: []string{"identity_id:req"}, rows: [][]string{{"u1"}}})
			if err := os.WriteFile(dir+"/assignments.csv", []byte("identity_id,role_id\nu1,R1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(faultAt("identities.parquet", SumFaultColumn), dir, LoadOptions{})
			return err
		}},
		{"holdings' identities", "bug at identities.csv ", func(t *testing.T) error {
			_, err := LoadHoldings(faultAt("identities.csv", ""), csvDir(t), HoldingsOptions{})
			return err
		}},
		{"early join", "bug at assignments.csv " + EarlyJoinFaultColumn, func(t *testing.T) error {
			_, err := LoadHoldings(faultAt("assignments.csv", EarlyJoinFaultColumn), csvDir(t), HoldingsOptions{})
			return err
		}},
	} {
		err := c.run(t)
		var bug *parallel.PanicError
		if !errors.As(err, &bug) || uerr.Is(err) || c.want != "" && bug.Value != c.want {
			t.Errorf("%s: error %v, want a PanicError of %q", c.name, err, c.want)
		}
		if c.want != "" && !strings.HasPrefix(err.Error(), "load ") {
			t.Errorf("%s: error %v does not name the load", c.name, err)
		}
	}
}
