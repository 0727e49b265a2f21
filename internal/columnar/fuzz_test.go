package columnar

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/rolemine/rolemine/internal/fuzzmin"
	"github.com/rolemine/rolemine/internal/legacyparquet"
	"github.com/rolemine/rolemine/internal/uerr"
)

// FuzzLoadCSV feeds arbitrary bytes as identities.csv: Load must either return a snapshot
// satisfying every invariant or a user error, and never panic; and the chunked reading
// with tiny chunks must give what the sequential one gives (fuzzChunked).
func FuzzLoadCSV(f *testing.F) {
	fuzzmin.Off(f)
	for _, seed := range []string{
		"identity_id,kind,department\nu1,,Sales\nu2,bot,Eng\nu3,,\n",
		"\xef\xbb\xbfidentity_id,title\r\nu1,\"a,b\"\r\nu2,\"x\"\"y\"\r\n",
		"identity_id\nu1\nu1\n",
		"identity_id,a\nu1\n",
		"identity_id,a,a\nu1,2,3\n",
		"identity_id,\"a\nb\"\nghost,1\n",
		"",
		"kind\nbot\n",
		"identity_id,x\nu1,\xff\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzChunked(t, data)
		s := fuzzLoad(t, "identities.csv", data, "identity_id,role_id\nu1,R1\nghost,R2\nu2,R1\nu1,R1\n")
		if s == nil {
			return
		}
		if got := len(s.RoleIdx) + s.Findings.OrphanAssignments + s.Findings.DuplicateAssignments; got != 4 {
			t.Fatalf("%d assignments accounted for, want 4", got)
		}
	})
}

// FuzzLoadParquet feeds corrupted Parquet files as identities.parquet: Load must return a
// valid snapshot or a user error, and never panic. A panic raised in parquet-go is
// recovered as a user error (it panics on some corrupt metadata); one raised in
// rolemine's code comes back as a *parallel.PanicError, no user error, and fails the
// target (fuzzLoad).
func FuzzLoadParquet(f *testing.F) {
	fuzzmin.Off(f)
	dir := f.TempDir()
	ids := tbl{header: []string{"identity_id:req", "kind:dict", "department:str", "cost:int64"}}
	for i := range 12 {
		ids.rows = append(ids.rows, []string{"u" + string(rune('a'+i)), []string{"", "bot"}[i%2], []string{"Sales", nullValue, "Eng"}[i%3], "7"})
	}
	// Each file parquet-go writes is a seed twice: as written, with a CRC on every page
	// (a changed page byte fails the checksum), and without (withoutPageCRC), so that
	// mutations of page data reach the value decoders.
	addWritten := func(p string) {
		seed, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(seed)
		f.Add(withoutPageCRC(f, seed))
	}
	addWritten(writeParquet(f, dir, "identities", ids))
	// The forms read through wideText and TIME, then the same with only legacy
	// converted types (legacyparquet).
	wide := tbl{header: []string{"identity_id:req", "at:int96", "seen:dictint96", "amount:decflba16s2", "rate:decbytes", "start:timems", "day:date"}}
	for i := range 12 {
		wide.rows = append(wide.rows, []string{"u" + string(rune('a'+i)), "2461131:29700000000000", []string{"2440588:0", nullValue}[i%2],
			[]string{"-170141183460469231731687303715884105728", "12345", nullValue}[i%3], []string{"-129", "99999999999999999999"}[i%2], "29700500", "20543"})
	}
	for _, legacy := range []map[string]legacyparquet.Column{nil, {
		"amount": {Converted: deprecated.Decimal, Scale: 2, Precision: 38}, "rate": {Converted: deprecated.Decimal, Scale: 2, Precision: 20},
		"start": {Converted: deprecated.TimeMillis}, "day": {Converted: deprecated.Date},
	}} {
		p := writeParquet(f, dir, "identities", wide)
		if legacy != nil {
			if err := legacyparquet.Rewrite(p, legacy); err != nil {
				f.Fatal(err)
			}
		}
		addWritten(p)
	}
	// BOOLEAN and UUID columns (wideText), then third-party files through the rewrite of
	// parquet_rewrite.go: LZ4_RAW (DuckDB), Hadoop LZ4 in version 1 pages and RLE booleans
	// in version 2 pages, one of them stored uncompressed in an LZ4 chunk (the Rust Arrow
	// writer), RLE booleans and DELTA encodings uncompressed (hyparquet-writer), and
	// DuckDB's uncompressed pages. The third-party files carry no page CRCs.
	flags := tbl{header: []string{"identity_id:req", "on:bool", "must:reqbool", "guid:uuid", "dguid:dictuuid"}}
	for i := range 12 {
		flags.rows = append(flags.rows, []string{"u" + string(rune('a'+i)), []string{"true", nullValue, "false"}[i%3], []string{"true", "false"}[i/5%2],
			"0189f6a2-3c4d-7e8f-9a0b-1c2d3e4f5a6b", []string{"123e4567-e89b-12d3-a456-426614174000", nullValue}[i%2]})
	}
	addWritten(writeParquet(f, dir, "flags", flags))
	for _, name := range []string{"duckdb-lz4", "arrow-v1-lz4", "arrow-v2-lz4-delta", "hyparquet-delta", "duckdb-uncompressed"} {
		seed, err := os.ReadFile(filepath.Join(thirdPartyDir, name+".parquet"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(seed)
	}
	f.Add(corruptDeltaFixture(f))
	// Lists, repeated and nullable columns and nullable DELTA_BYTE_ARRAY values, in
	// version 1 and 2 pages, uncompressed and with Snappy, without CRCs: pages whose level
	// and dictionary index runs the run checks read (runcheck.go).
	for _, v := range []int{1, 2} {
		f.Add(runsFixture(f, v))
		f.Add(runsFixture(f, v, parquet.Compression(&parquet.Snappy)))
	}
	// Pages whose compressed data states or decodes into more than their headers declare
	// (codeccheck.go), and the same files' pages as written, in ZSTD and BROTLI.
	for _, c := range hostileCodecCases {
		seed, err := os.ReadFile(filepath.Join(hostileDir, c.name+".parquet"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(seed)
	}
	f.Add(runsFixture(f, 2, parquet.Compression(&parquet.Zstd)))
	f.Add(runsFixture(f, 1, parquet.Compression(&parquet.Brotli)))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzLoad(t, "identities.parquet", data, "identity_id,role_id\nua,R1\nghost,R2\n")
	})
}

// fuzzLoad writes data as the identities file name beside a fixed assignments.csv and
// loads the directory: it returns the snapshot (checked against the invariants), or nil
// after checking that the error is a user error.
func fuzzLoad(t *testing.T, name string, data []byte, assignments string) *Snapshot {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "assignments.csv"), []byte(assignments), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		if !uerr.Is(err) {
			t.Fatalf("not a user error: %v", err)
		}
		return nil
	}
	checkInvariants(t, s)
	return s
}

// fuzzChunked reads data as identities.csv with readCSVSeq and with readCSVChunked at
// tiny chunk sizes, by identitiesSpec and by specs of the other column kinds that read any
// identities file (identity_id as a modeUnique dictionary, as a raw column with runs;
// identitiesSpec without rawIfDistinct, whose files are read in chunks whatever their
// length): the same table or the same error.
func fuzzChunked(t *testing.T, data []byte) {
	path := filepath.Join(t.TempDir(), "identities.csv")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	noJudge := identitiesSpec
	noJudge.rawIfDistinct = false
	unique := tableSpec{name: "identities", required: []string{"identity_id"},
		known: map[string]colMode{"identity_id": modeUnique}, others: true, keepLines: true}
	runs := tableSpec{name: "identities", required: []string{"identity_id"},
		known: map[string]colMode{"identity_id": modeRequired}, others: true, runs: []string{"identity_id"}}
	ctx := context.Background()
	for _, spec := range []*tableSpec{&identitiesSpec, &noJudge, &unique, &runs} {
		want, werr := readCSVSeq(ctx, path, spec)
		for _, chunk := range []int64{1, 5, 64} {
			got, err := readCSVChunked(ctx, path, spec, chunk)
			name := fmt.Sprintf("spec %+v, chunk %d", spec.known, chunk)
			if fmt.Sprint(err) != fmt.Sprint(werr) {
				t.Fatalf("%s: error\n%v\nwant\n%v", name, err, werr)
			}
			if err == nil {
				diffTables(t, name, got, want)
			}
		}
	}
}
