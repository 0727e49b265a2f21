package columnar

import (
	"context"
	"fmt"
	"reflect"
	"slices"
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
			if c := tb.col("email"); !c.raw {
				t.Errorf("email was not read raw")
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
