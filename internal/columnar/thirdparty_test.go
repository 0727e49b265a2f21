package columnar

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// thirdPartyDir holds Parquet files written by real third-party writers (DuckDB, the Rust
// Arrow writer through parquet-wasm, hyparquet-writer), the text their values must read
// as (expected.csv, and expected-attributes.csv for the list column) and a README naming
// each file's writer and version. scripts/thirdparty/fixtures.sh rewrites them.
var thirdPartyDir = filepath.Join("testdata", "thirdparty")

// allThirdPartyColumns are the attribute columns of the full fixtures: strings, BOOLEAN,
// DATE, TIMESTAMP (microseconds), DECIMAL(9,2), DECIMAL(38,4), INTEGER, UBIGINT, ENUM.
var allThirdPartyColumns = []string{"login", "dept", "active", "hired", "seen", "salary", "wide", "level", "counter", "region"}

// arrowColumns are those of the Arrow fixtures: the full set and the LIST column tags.
var arrowColumns = append(slices.Clone(allThirdPartyColumns), "tags")

// thirdPartyFiles are the fixtures that must read as expected, with the attribute columns
// each holds besides identity_id (a UUID in the DuckDB files, its text elsewhere).
var thirdPartyFiles = map[string][]string{
	"duckdb-snappy": allThirdPartyColumns, "duckdb-zstd": allThirdPartyColumns,
	"duckdb-gzip": allThirdPartyColumns, "duckdb-brotli": allThirdPartyColumns,
	"duckdb-lz4": allThirdPartyColumns, "duckdb-uncompressed": allThirdPartyColumns,
	"duckdb-nodict-rg": allThirdPartyColumns, "duckdb-list": {"tags"},
	"arrow-v2-lz4raw": arrowColumns, "arrow-v1-lz4": arrowColumns,
	"arrow-v2-lz4-delta": arrowColumns, "arrow-v2-zstd-dlba": arrowColumns,
	"arrow-v1-bss": arrowColumns, "arrow-v2-snappy": arrowColumns,
	"hyparquet-snappy": {"login", "dept", "active", "level"},
	"hyparquet-delta":  {"login", "dept", "active", "level"},
}

// TestThirdPartyParquet: each third-party file, as identities.parquet, loads (full and
// lean) into the identities, attribute values and holdings that expected.csv gives as
// text: every codec (LZ4_RAW and LZ4 included), version 1 and 2 data pages, dictionary
// and plain, the DELTA and BYTE_STREAM_SPLIT encodings, RLE booleans, several row groups,
// nulls, UUID identity ids, and a LIST column read as a multi-valued attribute.
func TestThirdPartyParquet(t *testing.T) {
	want, asg := loadThirdPartyExpected(t)
	files, err := filepath.Glob(filepath.Join(thirdPartyDir, "*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(thirdPartyFiles)+1 { // and refused-arrow-flba16
		t.Fatalf("%d fixtures, %d known: add the new one to thirdPartyFiles", len(files), len(thirdPartyFiles))
	}
	for name, cols := range thirdPartyFiles {
		t.Run(name, func(t *testing.T) {
			dir := thirdPartyCase(t, name, asg)
			s, err := load(t, dir, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.IdentityIDs, want.IdentityIDs) {
				t.Fatalf("identity ids differ: first %q, want %q", s.IdentityIDs[:3], want.IdentityIDs[:3])
			}
			if got, w := holdings(s), holdings(want); !reflect.DeepEqual(got, w) {
				t.Errorf("%d holdings, want %d", len(got), len(w))
			}
			if got := dimNamesOf(s); !reflect.DeepEqual(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(append([]string{KindDimension}, cols...)))) {
				t.Errorf("dimensions %v, want %v", got, cols)
			}
			for _, c := range cols {
				if got, w := allDimValues(t, s, c), allDimValues(t, want, c); !reflect.DeepEqual(got, w) {
					t.Errorf("column %s differs: first values %q, want %q", c, got[:4], w[:4])
				}
			}
			// The lean load (the depth-2 command's) reads flat columns only.
			flat := slices.DeleteFunc(slices.Clone(cols), func(c string) bool { return c == "tags" })
			if len(flat) == 0 {
				return
			}
			h, err := LoadHoldings(context.Background(), dir, HoldingsOptions{Dims: flat})
			if err != nil {
				t.Fatalf("lean load: %v", err)
			}
			if h.Identities != len(want.IdentityIDs) || len(h.RoleIdx) != len(want.IdentityIDs) {
				t.Errorf("lean load: %d identities, %d holdings, want %d", h.Identities, len(h.RoleIdx), len(want.IdentityIDs))
			}
			for _, c := range flat {
				if got, w := dimTexts(t, h.Dims, h.Identities, c), allDimValues(t, want, c); !reflect.DeepEqual(got, w) {
					t.Errorf("lean load: column %s differs: first values %q, want %q", c, got[:4], w[:4])
				}
			}
		})
	}
}

// TestThirdPartyParquetRefused: a UUID written through Arrow without its extension type
// is a FIXED_LEN_BYTE_ARRAY(16) with no logical type, bytes rolemine cannot know to be a
// UUID: it is refused, naming the file, the column and what is read.
func TestThirdPartyParquetRefused(t *testing.T) {
	_, asg := loadThirdPartyExpected(t)
	dir := thirdPartyCase(t, "refused-arrow-flba16", asg)
	_, err := load(t, dir, LoadOptions{})
	want := "identities.parquet column identity_id: has type FIXED_LEN_BYTE_ARRAY(16) (FIXED_LEN_BYTE_ARRAY(16)); rolemine reads it only as a DECIMAL or a UUID: expected"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one containing %q", err, want)
	}
}

// loadThirdPartyExpected loads expected.csv and expected-attributes.csv as identities and
// attributes, each identity holding role R, and returns the snapshot with the text of
// that assignments file.
func loadThirdPartyExpected(t *testing.T) (*Snapshot, string) {
	t.Helper()
	dir := t.TempDir()
	for from, to := range map[string]string{"expected.csv": "identities.csv", "expected-attributes.csv": "attributes.csv"} {
		data, err := os.ReadFile(filepath.Join(thirdPartyDir, from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, to), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Loaded once without assignments' ids to learn them, then with them.
	if err := os.WriteFile(filepath.Join(dir, "assignments.csv"), []byte("identity_id,role_id\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := load(t, dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("identity_id,role_id\n")
	for _, id := range s.IdentityIDs {
		b.WriteString(id + ",R\n")
	}
	asg := b.String()
	if err := os.WriteFile(filepath.Join(dir, "assignments.csv"), []byte(asg), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err = load(t, dir, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(s.IdentityIDs) != 120 || len(holdings(s)) != 120 {
		t.Fatalf("expected: %d identities, %d holdings, want 120", len(s.IdentityIDs), len(holdings(s)))
	}
	return s, asg
}

// thirdPartyCase returns a new directory holding the fixture name as identities.parquet
// and asg as assignments.csv.
func thirdPartyCase(t *testing.T, name, asg string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(thirdPartyDir, name+".parquet"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "identities.parquet"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "assignments.csv"), []byte(asg), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// allDimValues renders dimension name as each identity's values, single and multiple,
// sorted and joined by "|".
func allDimValues(t *testing.T, s *Snapshot, name string) []string {
	t.Helper()
	return dimTexts(t, s.Dims, len(s.IdentityIDs), name)
}

// dimTexts renders dimension name of dims (over n identities) as allDimValues does.
func dimTexts(t *testing.T, dims []Dimension, n int, name string) []string {
	t.Helper()
	d := slices.IndexFunc(dims, func(d Dimension) bool { return d.Name == name })
	if d < 0 {
		t.Fatalf("no dimension %q", name)
	}
	dim := &dims[d]
	out := make([]string, n)
	for i := range n {
		var vs []string
		if dim.Codes[i] >= 0 {
			vs = append(vs, dim.Values[dim.Codes[i]])
		}
		if dim.MultiOff != nil {
			for _, c := range dim.MultiCodes[dim.MultiOff[i]:dim.MultiOff[i+1]] {
				vs = append(vs, dim.Values[c])
			}
		}
		slices.Sort(vs)
		out[i] = strings.Join(vs, "|")
	}
	return out
}
