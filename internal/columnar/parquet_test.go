package columnar

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// TestLoadParquetTypes covers plain, dictionary-encoded, integer and optional columns,
// several row groups whose local dictionaries differ, several pages per chunk, and writers
// that fall back from dictionary to plain pages mid-chunk.
func TestLoadParquetTypes(t *testing.T) {
	depts := [][]string{{"Zeta", "Alpha"}, {"Mid", "Zeta", nullValue}, {"Beta", "Alpha", ""}, {"Omega"}}
	ids := tbl{header: []string{"identity_id:req", "kind:dict", "department:dict", "cost:int64", "level:int32", "site:dictint64", "email:str"}}
	var wantDept, wantKind, wantCost, wantLevel, wantSite []string
	const n = 40
	for i := range n {
		g := i / 10 // one row group per 10 rows
		d := depts[g][i%len(depts[g])]
		kind := []string{"", "bot", nullValue, "human", "api_key"}[i%5]
		cost := strconv.Itoa(1000 + i%3)
		if i%7 == 0 {
			cost = nullValue
		}
		level := strconv.Itoa(-i % 4)
		site := strconv.Itoa(1 << (40 + g))
		ids.rows = append(ids.rows, []string{fmt.Sprintf("id%03d", i), kind, d, cost, level, site, fmt.Sprintf("p%d@x", i)})
		wantDept = append(wantDept, orEmpty(d))
		if k := orEmpty(kind); k == "" {
			wantKind = append(wantKind, HumanKind)
		} else {
			wantKind = append(wantKind, k)
		}
		wantCost = append(wantCost, orEmpty(cost))
		wantLevel = append(wantLevel, level)
		wantSite = append(wantSite, site)
	}
	asg := tbl{header: []string{"identity_id:dict", "role_id:reqdict", "granted_at:int64"}}
	var wantHold []string
	for i := range n {
		for k := range 3 {
			r := fmt.Sprintf("R%02d", (i*7+k*13)%17)
			asg.rows = append(asg.rows, []string{fmt.Sprintf("id%03d", i), r, "17"})
			wantHold = append(wantHold, fmt.Sprintf("id%03d:%s", i, r))
		}
	}
	slices.Sort(wantHold)
	wantHold = slices.Compact(wantHold)

	variants := []struct {
		name string
		opts []parquet.WriterOption
	}{
		{"one row group", nil},
		{"row groups", []parquet.WriterOption{parquet.MaxRowsPerRowGroup(10)}},
		{"small pages", []parquet.WriterOption{parquet.MaxRowsPerRowGroup(10), parquet.PageBufferSize(64)}},
		{"dictionary fallback", []parquet.WriterOption{parquet.MaxRowsPerRowGroup(20), parquet.PageBufferSize(64), parquet.DictionaryMaxBytes(24)}},
		{"data page v1", []parquet.WriterOption{parquet.MaxRowsPerRowGroup(10), parquet.DataPageVersion(1)}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeParquet(t, dir, "identities", ids, v.opts...)
			writeParquet(t, dir, "assignments", asg, v.opts...)
			if v.opts != nil {
				checkDictionaryGroups(t, p, "department")
			}
			s, err := load(t, dir, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				dim  string
				want []string
			}{{"department", wantDept}, {"kind", wantKind}, {"cost", wantCost}, {"level", wantLevel}, {"site", wantSite}} {
				if got := dimValues(t, s, c.dim); !reflect.DeepEqual(got, c.want) {
					t.Errorf("%s\n got %q\nwant %q", c.dim, got, c.want)
				}
			}
			if got, want := s.Dims[s.DimIndex("department")].Values, []string{"Alpha", "Beta", "Mid", "Omega", "Zeta"}; !reflect.DeepEqual(got, want) {
				t.Errorf("department dictionary %q, want %q", got, want)
			}
			if got := holdings(s); !reflect.DeepEqual(got, wantHold) {
				t.Errorf("holdings\n got %q\nwant %q", got, wantHold)
			}
			if d := s.Dims[s.DimIndex("email")]; !d.Skipped {
				t.Errorf("email not skipped")
			}
			if s.Findings.DuplicateAssignments != len(asg.rows)-len(wantHold) {
				t.Errorf("duplicates %d, want %d", s.Findings.DuplicateAssignments, len(asg.rows)-len(wantHold))
			}
		})
	}
}

// TestLoadParquetUnsigned: integer columns whose logical type is unsigned (parquet's
// UINT_32 and UINT_64, which pyarrow writes for uint32 and uint64 data) are read as the
// decimal text of their unsigned value, as docs/inputs.md (input-parquet) says, so that
// 3000000000 in identities matches "3000000000" in a CSV or string column elsewhere.
func TestLoadParquetUnsigned(t *testing.T) {
	ids := tbl{header: []string{"identity_id:requint64", "level:uint32", "site:dictuint32", "big:uint64"}}
	asg := tbl{header: []string{"identity_id:req", "role_id:req"}}
	var wantIDs, wantLevel, wantSite, wantBig []string
	for i := range 30 {
		id := strconv.FormatUint(18446744073709551615-uint64(i), 10)
		level := strconv.FormatUint(3000000000+uint64(i%3), 10)
		site := strconv.FormatUint(4294967295-uint64(i%2), 10)
		big := strconv.FormatUint(1<<63+uint64(i%4), 10)
		ids.rows = append(ids.rows, []string{id, level, site, big})
		asg.rows = append(asg.rows, []string{id, "R"})
		wantIDs, wantLevel, wantSite, wantBig = append(wantIDs, id), append(wantLevel, level), append(wantSite, site), append(wantBig, big)
	}
	for _, opts := range [][]parquet.WriterOption{nil, {parquet.MaxRowsPerRowGroup(10), parquet.PageBufferSize(64)}} {
		_, s := loadParquetPair(t, ids, asg, opts...)
		if got := s.IdentityIDs; !reflect.DeepEqual(got, wantIDs) {
			t.Errorf("identity ids\n got %q\nwant %q", got, wantIDs)
		}
		if len(s.Orphans) != 0 {
			t.Errorf("%d orphan assignments, want 0: unsigned ids must read as the same text as in assignments", len(s.Orphans))
		}
		for _, c := range []struct {
			dim  string
			want []string
		}{{"level", wantLevel}, {"site", wantSite}, {"big", wantBig}} {
			if got := dimValues(t, s, c.dim); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s\n got %q\nwant %q", c.dim, got, c.want)
			}
		}
	}
}

func orEmpty(s string) string {
	if s == nullValue {
		return ""
	}
	return s
}

// checkDictionaryGroups asserts the file has several row groups and that column col is
// dictionary encoded in them, so the test exercises local-to-global code mapping.
func checkDictionaryGroups(t *testing.T, path, col string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if len(pf.RowGroups()) < 2 {
		t.Fatalf("%s has %d row groups, want several", path, len(pf.RowGroups()))
	}
	leaf := pf.Root().Column(col).Index()
	for g, rg := range pf.Metadata().RowGroups {
		if !slices.Contains(rg.Columns[leaf].MetaData.Encoding, format.RLEDictionary) {
			t.Errorf("row group %d: column %s encodings %v, want dictionary", g, col, rg.Columns[leaf].MetaData.Encoding)
		}
	}
}

// TestLoadParquetRowNumbers checks that positions in messages count rows across row groups
// and pages, for plain and dictionary pages.
func TestLoadParquetRowNumbers(t *testing.T) {
	for _, typ := range []string{"req", "reqdict", "str", "dict"} {
		t.Run(typ, func(t *testing.T) {
			ids := tbl{header: []string{"identity_id:" + typ}}
			for i := range 25 {
				ids.rows = append(ids.rows, []string{fmt.Sprintf("u%d", i)})
			}
			ids.rows[21][0] = "u3"
			dir := t.TempDir()
			writeParquet(t, dir, "identities", ids, parquet.MaxRowsPerRowGroup(10), parquet.PageBufferSize(32))
			writeTable(t, dir, "assignments", "csv", tbl{header: []string{"identity_id", "role_id"}})
			_, err := load(t, dir, LoadOptions{})
			want := `identities.parquet row 22, column identity_id: duplicate "u3" (first at row 4)`
			if err == nil || err.Error() != "load "+dir+": "+want+"; identity_id must be unique" {
				t.Errorf("error %v, want %s", err, want)
			}
		})
	}
}
