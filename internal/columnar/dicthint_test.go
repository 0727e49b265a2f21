package columnar

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type hintRow struct {
	ID   string `parquet:"id,dict"`
	Role string `parquet:"role,dict"`
	Num  int64  `parquet:"num,dict"`
}

// TestDictionaryHint: a column whose row groups each bring new values (ids) is sized for
// all groups; one whose values recur from group to group (roles) only for what the first
// two groups hold, instead of its first dictionary times the number of groups.
func TestDictionaryHint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[hintRow](f)
	const groups, perGroup = 6, 100
	for g := range groups {
		var rows []hintRow
		for k := range perGroup {
			id := g*perGroup + k
			// Roles: 30 values, of which each group sees 20, shifted by 5 per group.
			rows = append(rows, hintRow{ID: fmt.Sprintf("u%05d", id), Role: fmt.Sprintf("r%02d", (g*5+k%20)%30), Num: int64(k % 7)})
		}
		if _, err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil { // one row group per Flush
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	f, err = os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if len(pf.RowGroups()) != groups {
		t.Fatalf("%d row groups, want %d", len(pf.RowGroups()), groups)
	}
	// ids: 100 per group, all new; roles: 20 in the first group, 5 new in the second;
	// numbers: 7, none new.
	for _, c := range []struct {
		col  string
		want int
	}{{"id", groups * perGroup}, {"role", 25}, {"num", 7}} {
		leaf, _ := pf.Schema().Lookup(c.col)
		if got := dictionaryHint(pf, leaf.ColumnIndex); got != c.want {
			t.Errorf("dictionaryHint(%s) = %d, want %d", c.col, got, c.want)
		}
	}
}
