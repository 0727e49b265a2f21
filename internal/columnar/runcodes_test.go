package columnar

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// TestRunCodes: the lean load's assignments keep identity_id as runs while its rows come
// in runs (at least four rows a run), and go back to a code per row once they do not;
// either way every row has the code the assignments' one-code-a-row reading gives it,
// and a bad row fails both alike.
func TestRunCodes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rows     int
		runOf    func(k int) int // the identity of row k
		typ      string
		null     int // a row without an identity (-1: none)
		wantRuns bool
	}{
		{"long runs", 3000, func(k int) int { return k / 7 }, "reqdict", -1, true},
		{"runs of one", minRunRows + 5000, func(k int) int { return k % 1000 }, "reqdict", -1, false},
		{"short runs, few rows", 500, func(k int) int { return k }, "reqdict", -1, true},
		{"a null row", 3000, func(k int) int { return k / 7 }, "dict", 2500, false},
	} {
		asg := tbl{header: []string{"identity_id:" + tc.typ, "role_id:reqdict"}}
		for k := range tc.rows {
			id := fmt.Sprintf("u%06d", tc.runOf(k))
			if k == tc.null {
				id = nullValue
			}
			asg.rows = append(asg.rows, []string{id, fmt.Sprintf("R%d", k%13)})
		}
		p := writeParquet(t, t.TempDir(), "assignments", asg, parquet.MaxRowsPerRowGroup(1100), parquet.PageBufferSize(512))
		ctx := context.Background()
		got, err := readTable(ctx, p, &leanAssignmentsSpec)
		want, wantErr := readTable(ctx, p, &assignmentsSpec)
		if tc.null >= 0 {
			if err == nil || wantErr == nil || err.Error() != wantErr.Error() {
				t.Fatalf("%s: error %v, want %v", tc.name, err, wantErr)
			}
			continue
		}
		if err != nil || wantErr != nil {
			t.Fatalf("%s: %v, %v", tc.name, err, wantErr)
		}
		c, wc := got.col("identity_id"), want.col("identity_id")
		if c.runCodes != tc.wantRuns {
			t.Errorf("%s: runs kept %v, want %v", tc.name, c.runCodes, tc.wantRuns)
		}
		if c.rowsCoded() != tc.rows || !slices.Equal(c.runIdents().perRow(), wc.codes) || !slices.Equal(c.vals, wc.vals) {
			t.Errorf("%s: %d rows coded; codes differ from a code per row", tc.name, c.rowsCoded())
		}
	}
}

// TestAppendRunsBadIndex: a page with a dictionary index outside the dictionary codes
// none of its rows: the runs before it are as they were.
func TestAppendRunsBadIndex(t *testing.T) {
	c := newColumn("identity_id", modeRequired, newProblems("a"), 0)
	c.setRunCodes(100)
	remap := []int32{10, 11, 12}
	if i := c.appendRuns([]int32{0, 0, 1, 1}, remap, 0); i != -1 {
		t.Fatalf("a good page refused at %d", i)
	}
	if i := c.appendRuns([]int32{1, 1, 2, 3, 2}, remap, 4); i != 3 {
		t.Fatalf("a bad index at 3 reported at %d", i)
	}
	if !slices.Equal(c.runCode, []int32{10, 11}) || !slices.Equal(c.runEnd, []int32{2, 4}) {
		t.Fatalf("runs %v ending %v after the bad page, want [10 11] ending [2 4]", c.runCode, c.runEnd)
	}
	if i := c.appendRuns([]int32{1, 2}, remap, 4); i != -1 || !slices.Equal(c.runIdents().perRow(), []int32{10, 10, 11, 11, 11, 12}) {
		t.Fatalf("then a good page: %d, codes %v", i, c.runIdents().perRow())
	}
}

// TestDimensionsDecodedInPlace: the identities' attribute columns are decoded into the
// table their dimension keeps, sorted in place (no second array), in both loads, and
// with the same dimensions as before.
func TestDimensionsDecodedInPlace(t *testing.T) {
	ids := tbl{header: []string{"identity_id", "dept:dict", "title"}}
	for k := range 5000 {
		ids.rows = append(ids.rows, []string{fmt.Sprintf("u%05d", k), fmt.Sprintf("d%d", (k*7)%31), fmt.Sprintf("t%d", k%3)})
	}
	p := writeParquet(t, t.TempDir(), "identities", ids, parquet.MaxRowsPerRowGroup(2000))
	for _, spec := range []*tableSpec{&identitiesSpec, leanIdentitiesSpec([]string{"dept", "title"})} {
		tb, err := readTable(context.Background(), p, spec)
		if err != nil {
			t.Fatal(err)
		}
		tables := map[string]*int32{}
		for _, c := range tb.cols {
			if c.name != "identity_id" {
				tables[c.name] = unsafe.SliceData(c.dimTable)
			}
		}
		var s Snapshot
		if err := buildIdentities(&s, tb, LoadOptions{}, nil); err != nil {
			t.Fatal(err)
		}
		for _, d := range s.Dims {
			if d.Name == KindDimension {
				continue
			}
			if tables[d.Name] == nil || unsafe.SliceData(d.Codes) != tables[d.Name] {
				t.Errorf("%s: dimension %s's codes are not in the table they were decoded into", spec.name, d.Name)
			}
			for k, code := range d.Codes {
				want := ids.rows[k][1]
				if d.Name == "title" {
					want = ids.rows[k][2]
				}
				if d.Values[code] != want {
					t.Fatalf("%s: %s row %d: %q, want %q", spec.name, d.Name, k, d.Values[code], want)
				}
			}
			if !slices.IsSortedFunc(d.Values, strings.Compare) {
				t.Errorf("%s: %s values not sorted", spec.name, d.Name)
			}
		}
	}
}
