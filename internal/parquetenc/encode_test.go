package parquetenc

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/fuzzmin"
)

// testRow has every kind of column the encoder writes.
type testRow struct {
	A    string `parquet:"a,dict"`
	B    string `parquet:"b,dict"`
	C    string `parquet:"c,optional,dict"`
	Flag bool   `parquet:"flag"`
	D    string `parquet:"d,optional,dict"`
	E    bool   `parquet:"e"`
}

var testCols = []Column{
	{Name: "a"},
	{Name: "b", NoBounds: true},
	{Name: "c", Optional: true},
	{Name: "flag", Bool: true},
	{Name: "d", Optional: true, NoBounds: true},
	{Name: "e", Bool: true},
}

func testOptions(groupRows int) []parquet.WriterOption {
	return []parquet.WriterOption{
		parquet.Compression(&parquet.Snappy),
		parquet.CreatedBy("rolemine", "test ", "parquet-go"),
		parquet.DataPageStatistics(false),
		parquet.SkipPageBounds("b"),
		parquet.SkipPageBounds("d"),
		parquet.MaxRowsPerRowGroup(int64(groupRows)),
	}
}

// refRow is testRow with its optional columns as pointers, nil for null: parquet-go
// writes a pointer column row by row, so every null as null. (A string column's ""
// would go through its writer of runs of nulls and values, which writes some nulls as
// "": see TestEncoderOptionalNulls.)
type refRow struct {
	A    string  `parquet:"a,dict"`
	B    string  `parquet:"b,dict"`
	C    *string `parquet:"c,optional,dict"`
	Flag bool    `parquet:"flag"`
	D    *string `parquet:"d,optional,dict"`
	E    bool    `parquet:"e"`
}

// refRows returns rows as refRows, "" in an optional column as nil.
func refRows(rows []testRow) []refRow {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	out := make([]refRow, len(rows))
	for k, r := range rows {
		out[k] = refRow{A: r.A, B: r.B, C: opt(r.C), Flag: r.Flag, D: opt(r.D), E: r.E}
	}
	return out
}

// reference writes rows with parquet-go the way rolemine's writers do: chunks of
// chunk rows per Write call, each null as null (refRow).
func reference(t testing.TB, rows []testRow, groupRows, chunk int) []byte {
	var buf bytes.Buffer
	schema := parquet.NewSchema("testRow", parquet.SchemaOf(refRow{})) // testRow's name
	pw := parquet.NewGenericWriter[refRow](&buf, append(testOptions(groupRows), schema)...)
	all := refRows(rows)
	for lo := 0; lo < len(all); lo += chunk {
		if _, err := pw.Write(all[lo:min(lo+chunk, len(all))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// dictOf assigns each distinct string a code.
type dictOf struct {
	values []string
	code   map[string]int32
}

func (d *dictOf) of(s string) int32 {
	if d.code == nil {
		d.code = map[string]int32{}
	}
	c, ok := d.code[s]
	if !ok {
		c = int32(len(d.values))
		d.code[s] = c
		d.values = append(d.values, s)
	}
	return c
}

// encodeRows writes rows with the encoder, in row groups of groupRows.
func encodeRows(t testing.TB, rows []testRow, groupRows int) []byte {
	return encodeRowsAs(t, rows, groupRows, orderNone)
}

// Ways encodeRowsAs gives the encoder the values' order.
const (
	orderNone      = iota
	orderAscending // codes index values sorted (Data.Ascending)
	orderRank      // Data.Rank from Ranks, the values in first-use order
)

// encodeRowsAs is encodeRows, telling the encoder the values' order as order says.
func encodeRowsAs(t testing.TB, rows []testRow, groupRows int, order int) []byte {
	tmpl, err := Template[testRow](testOptions(groupRows)...)
	if err != nil {
		t.Fatal(err)
	}
	return encodeRowsWith(t, rows, groupRows, order, testCols, tmpl)
}

// encodeRowsWith is encodeRowsAs with columns testCols but for their codecs, and the
// file template tmpl.
func encodeRowsWith(t testing.TB, rows []testRow, groupRows int, order int, testCols []Column, tmpl []byte) []byte {
	ascending := order == orderAscending
	var buf bytes.Buffer
	w, err := NewWriter(&buf, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEncoder(testCols)
	dicts := make([]dictOf, len(testCols))
	if ascending {
		// Every value first, in order, so that the codes follow the values.
		var all [5][]string
		for _, r := range rows {
			for c, s := range []string{r.A, r.B, r.C, "", r.D} {
				all[c] = append(all[c], s)
			}
		}
		for c := range all {
			slices.Sort(all[c])
			for _, s := range all[c] {
				if s != "" || !testCols[c].Optional {
					dicts[c].of(s)
				}
			}
		}
	}
	for lo := 0; lo < len(rows); lo += groupRows {
		grp := rows[lo:min(lo+groupRows, len(rows))]
		data := make([]Data, len(testCols))
		for _, r := range grp {
			for c, s := range []string{r.A, r.B, r.C, "", r.D} {
				if testCols[c].Bool {
					continue
				}
				code := int32(-1)
				if s != "" || !testCols[c].Optional {
					code = dicts[c].of(s)
				}
				data[c].Codes = append(data[c].Codes, code)
			}
			data[3].Bools = append(data[3].Bools, r.Flag)
			data[5].Bools = append(data[5].Bools, r.E)
		}
		for c := range data {
			data[c].Values = dicts[c].values
			if ascending && !testCols[c].Bool {
				if !Ascending(data[c].Values) {
					t.Fatalf("column %d: values not ascending", c)
				}
				data[c].Ascending = true
			}
			if order == orderRank && !testCols[c].Bool {
				if data[c].Rank = Ranks(data[c].Values); data[c].Rank == nil && len(data[c].Values) > 0 {
					t.Fatalf("column %d: no ranks for %d values", c, len(data[c].Values))
				}
			}
		}
		g, err := e.Encode(data)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteGroup(g); err != nil {
			t.Fatal(err)
		}
		e.Reuse(g.Data) // written out: the next group may take its storage
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// randomRows makes n rows: a repeats in runs (like identity ids), b and c draw from
// vocabularies of the given size, long and unicode strings and empty strings mixed in.
func randomRows(rng *rand.Rand, n, vocab int) []testRow {
	word := func(k int) string {
		switch k % 7 {
		case 0:
			return fmt.Sprintf("w%d", k)
		case 1:
			return strings.Repeat("long", 1+k%40) + fmt.Sprint(k)
		case 2:
			return fmt.Sprintf("ünï-%d-日本", k)
		case 3:
			return ""
		default:
			return fmt.Sprintf("v%05d", k)
		}
	}
	rows := make([]testRow, n)
	a := 0
	for i := range rows {
		if rng.IntN(5) == 0 {
			a = rng.IntN(vocab * 10)
		}
		r := testRow{A: word(a), B: word(rng.IntN(vocab)), Flag: rng.IntN(3) == 0, E: rng.IntN(50) == 0}
		if rng.IntN(4) > 0 {
			r.C = word(rng.IntN(vocab) + 1)
		}
		if rng.IntN(10) == 0 {
			r.D = word(rng.IntN(3))
		}
		rows[i] = r
	}
	return rows
}

// TestRanks: Ranks orders values as a sort does (equal values in index order), for
// values made of up to maxRankRuns ascending runs, and gives up past that.
// TestInsertSorted: codes added in batches to the sorted ones (InsertSorted), and the
// ranks of values ascending but for an appended tail (RanksAfter), agree with sorting all
// the values.
func TestInsertSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	for round := range 300 {
		var values []string
		seen := map[string]bool{}
		var sorted []int32
		for range 1 + rng.IntN(6) {
			var added []int32
			for range rng.IntN(60) {
				v := fmt.Sprint(rng.IntN(1000))
				if !seen[v] {
					seen[v] = true
					added = append(added, int32(len(values)))
					values = append(values, v)
				}
			}
			sorted = InsertSorted(values, sorted, added)
			if len(sorted) != len(values) {
				t.Fatalf("round %d: %d codes sorted of %d", round, len(sorted), len(values))
			}
			if !slices.IsSortedFunc(sorted, func(a, b int32) int { return strings.Compare(values[a], values[b]) }) {
				t.Fatalf("round %d: %v not in the order of %q", round, sorted, values)
			}
			rank := RanksOf(sorted)
			for c := range values {
				if sorted[rank[c]] != int32(c) {
					t.Fatalf("round %d: code %d has rank %d", round, c, rank[c])
				}
			}
		}
		n := rng.IntN(len(values) + 1)
		head := slices.Clone(values[:n])
		slices.Sort(head)
		tail := append(head, values[n:]...)
		rank := RanksAfter(tail, n)
		for a := range tail {
			for b := range tail {
				if (rank[a] < rank[b]) != (tail[a] < tail[b]) {
					t.Fatalf("round %d: %q has rank %d, %q %d", round, tail[a], rank[a], tail[b], rank[b])
				}
			}
		}
	}
}

func TestRanks(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for round := range 300 {
		n := rng.IntN(1000)
		values := make([]string, n)
		for k := range values {
			values[k] = fmt.Sprint(rng.IntN(50))
		}
		// Sort random stretches so that some rounds have few runs.
		for range rng.IntN(5) {
			a := rng.IntN(n + 1)
			slices.Sort(values[a:min(n, a+rng.IntN(n+1))])
		}
		rank := Ranks(values)
		runs := 0
		for k := range values {
			if k == 0 || values[k-1] > values[k] {
				runs++
			}
		}
		if runs > maxRankRuns {
			if rank != nil {
				t.Fatalf("round %d: ranks for %d runs", round, runs)
			}
			continue
		}
		order := make([]int, n)
		for k := range order {
			order[k] = k
		}
		slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(values[a], values[b]) })
		for r, k := range order {
			if rank[k] != int32(r) {
				t.Fatalf("round %d: value %d (%q) has rank %d, want %d", round, k, values[k], rank[k], r)
			}
		}
	}
}

func TestEncoderMatchesParquetGo(t *testing.T) {
	cases := []struct {
		n, vocab, group int
	}{
		{0, 5, 100}, {1, 5, 100}, {63, 3, 100}, {64, 3, 64}, {65, 3, 64},
		{1000, 1, 1 << 20}, {5000, 50, 1000}, {70000, 1000, 1 << 20},
		{200000, 100000, 1 << 20}, {150000, 20, 65536},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range cases {
		t.Run(fmt.Sprintf("n%d-v%d-g%d", tc.n, tc.vocab, tc.group), func(t *testing.T) {
			rows := randomRows(rng, tc.n, tc.vocab)
			want := reference(t, rows, tc.group, 1<<16)
			for order := range []string{"none", "ascending", "rank"} {
				if order == orderRank && tc.vocab*10 > 2*maxRankRuns {
					continue // too many runs for Ranks
				}
				got := encodeRowsAs(t, rows, tc.group, order)
				if !bytes.Equal(got, want) {
					t.Fatalf("order %d: encoder wrote %d bytes, parquet-go %d; first difference at %d", order, len(got), len(want), firstDiff(got, want))
				}
			}
		})
	}
}

// codecRow is refRow with a codec for each column: a and d parquet-go's Snappy (the
// tag), c and e none, b and flag the writer's codec.
type codecRow struct {
	A    string  `parquet:"a,dict,snappy"`
	B    string  `parquet:"b,dict"`
	C    *string `parquet:"c,optional,dict,uncompressed"`
	Flag bool    `parquet:"flag"`
	D    *string `parquet:"d,optional,dict,snappy"`
	E    bool    `parquet:"e,uncompressed"`
}

// TestEncoderCodecsMatchParquetGo: columns of each codec (Column.Codec) are the bytes
// parquet-go writes with ParquetCodec's codec for them, for every mix of codecs on the
// columns the writer's codec (b and flag) can take.
func TestEncoderCodecsMatchParquetGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	rows := randomRows(rng, 150000, 300)
	for _, codec := range []Codec{SnappyBetter, SnappyFast, Uncompressed} {
		for _, group := range []int{1 << 20, 40000} {
			opts := append(testOptions(group), parquet.Compression(ParquetCodec(codec)),
				parquet.NewSchema("testRow", parquet.SchemaOf(codecRow{})))
			var buf bytes.Buffer
			pw := parquet.NewGenericWriter[codecRow](&buf, opts...)
			all := refRows(rows)
			for lo := 0; lo < len(all); lo += 1 << 16 {
				chunk := make([]codecRow, 0, 1<<16)
				for _, r := range all[lo:min(lo+1<<16, len(all))] {
					chunk = append(chunk, codecRow(r))
				}
				if _, err := pw.Write(chunk); err != nil {
					t.Fatal(err)
				}
			}
			if err := pw.Close(); err != nil {
				t.Fatal(err)
			}
			cols := slices.Clone(testCols)
			for c, cc := range []Codec{SnappyBetter, codec, Uncompressed, codec, SnappyBetter, Uncompressed} {
				cols[c].Codec = cc
			}
			tmpl, err := Template[testRow](testOptions(group)...)
			if err != nil {
				t.Fatal(err)
			}
			got, want := encodeRowsWith(t, rows, group, orderNone, cols, tmpl), buf.Bytes()
			if !bytes.Equal(got, want) {
				t.Fatalf("codec %d, groups of %d: encoder wrote %d bytes, parquet-go %d; first difference at %d", codec, group, len(got), len(want), firstDiff(got, want))
			}
			if codec != SnappyBetter && bytes.Equal(got, reference(t, rows, group, 1<<16)) {
				t.Fatalf("codec %d: the same bytes as parquet-go's Snappy", codec)
			}
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestEncoderOptionalRuns covers 64-row writes of optional values: each chunk holds one
// run of values at a random place and of a random length, among them runs as long as
// their offset followed by nulls only (the pattern whose nulls parquet-go's string writer
// writes as "", see TestEncoderOptionalNulls), all written as the reference's nulls.
func TestEncoderOptionalRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	rows := make([]testRow, 64*3000+17)
	for c := 0; c*64 < len(rows); c++ {
		y := rng.IntN(64)
		n := rng.IntN(64 - y + 1)
		if c%3 == 0 && 2*y <= 64 {
			n = y // a run of y values at y, then nulls: parquet-go's string writer's ""
		}
		for k := y; k < y+n && c*64+k < len(rows); k++ {
			rows[c*64+k].C = fmt.Sprintf("c%d", k)
			rows[c*64+k].D = "d"
		}
		if rng.IntN(4) == 0 {
			rows[c*64].C = "first" // a value before the run
		}
		for k := range rows[c*64 : min(len(rows), c*64+64)] {
			rows[c*64+k].A = fmt.Sprint(c)
		}
	}
	for _, group := range []int{64 * 100, 1 << 20} {
		want := reference(t, rows, group, 1<<16)
		got := encodeRows(t, rows, group)
		if !bytes.Equal(got, want) {
			t.Fatalf("group %d: encoder wrote %d bytes, parquet-go %d; first difference at %d", group, len(got), len(want), firstDiff(got, want))
		}
	}
}

// FuzzEncoder decodes the input into rows (each byte picks the next row's values from a
// small vocabulary, nulls included) and compares the encoder's file with parquet-go's.
func FuzzEncoder(f *testing.F) {
	fuzzmin.Off(f)
	f.Add([]byte{0, 1, 2, 3}, uint16(64))
	f.Add(bytes.Repeat([]byte{0x13, 0x80, 0x07}, 100), uint16(100))
	f.Fuzz(func(t *testing.T, in []byte, group uint16) {
		if len(in) > 1<<14 {
			return
		}
		vocab := []string{"", "a", "b", "ü", "a long value " + strings.Repeat("z", 20)}
		rows := make([]testRow, len(in))
		for i, b := range in {
			rows[i] = testRow{
				A: vocab[1+int(b)%4], B: vocab[int(b>>2)%5], C: vocab[int(b>>4)%5], D: vocab[int(b>>5)%2],
				Flag: b&1 == 1, E: b&0x80 != 0,
			}
		}
		g := int(group)%300 + 1
		want := reference(t, rows, g, 1<<16)
		if got := encodeRows(t, rows, g); !bytes.Equal(got, want) {
			t.Fatalf("%d rows in groups of %d: encoder wrote %d bytes, parquet-go %d; first difference at %d", len(rows), g, len(got), len(want), firstDiff(got, want))
		}
	})
}

// TestPresentCodes: presentCodes marks exactly the codes >= 0, for writes of every length
// up to 64 (the full write takes its own eight-code path) and codes of any magnitude.
func TestPresentCodes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for n := 0; n <= 64; n++ {
		for range 2000 {
			codes := make([]int32, n)
			var want uint64
			for k := range codes {
				codes[k] = int32(rng.Uint32())
				if rng.IntN(4) == 0 {
					codes[k] = int32(rng.IntN(3)) - 1
				}
				if codes[k] >= 0 {
					want |= 1 << k
				}
			}
			if got := presentCodes(codes); got != want {
				t.Fatalf("%d codes %v: got %b, want %b", n, codes, got, want)
			}
		}
	}
}

// TestRequiredColumnBadCode checks that a required string column refuses a null code and
// a code past its values on every path: page bounds from the page's distinct values (a
// large unordered dictionary), from ascending codes, from ranks, and with no bounds.
func TestRequiredColumnBadCode(t *testing.T) {
	values := make([]string, 5000)
	for k := range values {
		values[k] = fmt.Sprintf("v%05d", len(values)-k) // descending: no order to use
	}
	asc := slices.Clone(values)
	slices.Sort(asc)
	rank := make([]int32, len(values))
	for k := range rank {
		rank[k] = int32(len(values) - 1 - k)
	}
	paths := []struct {
		name string
		col  Column
		data Data
	}{
		{"distinct", Column{Name: "c"}, Data{Values: values}},
		{"ascending", Column{Name: "c"}, Data{Values: asc, Ascending: true}},
		{"rank", Column{Name: "c"}, Data{Values: values, Rank: rank}},
		{"no-bounds", Column{Name: "c", NoBounds: true}, Data{Values: values}},
	}
	bad := []struct {
		code int32
		want string
	}{
		{-1, "null in required column c"},
		{5000, "column c: code 5000, want 0..4999"},
	}
	for _, p := range paths {
		for _, b := range bad {
			// the bad code within a page and as its first row
			for _, codes := range [][]int32{{0, 1, 2, b.code, 4}, {b.code, 1, 2}} {
				d := p.data
				d.Codes = codes
				_, err := NewEncoder([]Column{p.col}).Encode([]Data{d})
				if err == nil || !strings.Contains(err.Error(), b.want) {
					t.Errorf("%s, codes %v: error %v, want one containing %q", p.name, codes, err, b.want)
				}
			}
		}
	}
}

// TestEncoderReuse encodes one group's data twice, the second time into the storage of the
// first group handed back: the bytes must be the same and the storage the one handed back;
// storage too small for the group is not taken.
func TestEncoderReuse(t *testing.T) {
	rows := randomRows(rand.New(rand.NewPCG(5, 6)), 3000, 40)
	dicts := make([]dictOf, len(testCols))
	data := make([]Data, len(testCols))
	for _, r := range rows {
		for c, s := range []string{r.A, r.B, r.C, "", r.D} {
			if !testCols[c].Bool {
				data[c].Codes = append(data[c].Codes, dicts[c].of(s))
			}
		}
		data[3].Bools = append(data[3].Bools, r.Flag)
		data[5].Bools = append(data[5].Bools, r.E)
	}
	for c := range data {
		data[c].Values = dicts[c].values
	}
	e := NewEncoder(testCols)
	first, err := e.Encode(data)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(first.Data)
	e.Reuse(first.Data)
	second, err := e.Encode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(second.Data, want) {
		t.Fatalf("group encoded into reused storage differs at byte %d", firstDiff(second.Data, want))
	}
	if unsafe.SliceData(second.Data) != unsafe.SliceData(first.Data) {
		t.Fatal("the storage handed back was not used")
	}
	e.Reuse(make([]byte, 0, 16))
	third, err := e.Encode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(third.Data, want) || cap(third.Data) <= 16 {
		t.Fatalf("storage too small: %d bytes, capacity %d", len(third.Data), cap(third.Data))
	}
}
