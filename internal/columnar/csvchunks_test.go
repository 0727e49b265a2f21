package columnar

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// csvCase is a kind of file the property test writes: the spec it is read with, its
// columns (the first is the key, unique for a modeUnique key) and how many rows.
type csvCase struct {
	file   string
	spec   *tableSpec
	header []string
	rows   int
}

// csvCases covers every column kind the chunked reading merges: dictionaries (with a
// modeUnique one), raw and raw unique columns, runs (accounts, attributes), columns that
// turn raw after minRawRows rows (identities' email) and dimensions, and the adapted
// assignments specs (accounts, last_used, keepLines).
func csvCases() []csvCase {
	return []csvCase{
		{"identities.csv", &identitiesSpec, []string{"identity_id", "kind", "email", "department", "note"}, minRawRows + 1500},
		{"identities.csv", &identitiesSpec, []string{"identity_id", "email"}, 300},
		{"assignments.csv", &assignmentsSpec, []string{"identity_id", "role_id", "comment"}, 600},
		{"assignments.csv", &assignmentsSpec, []string{"identity_id", "role_id", "system", "account_id", LastUsedColumn}, 400},
		{"roles.csv", &rolesSpec, []string{"role_id", "category", "description"}, 300},
		{"accounts.csv", &accountsSpec, []string{"system", "account_id", "identity_id"}, 400},
		{"attributes.csv", &attributesSpec, []string{"identity_id", "attribute", "value"}, 400},
		{"assignments.csv", &leanAssignmentsSpec, []string{"identity_id", "role_id"}, 400},
		{"identities.csv", leanIdentitiesSpec([]string{"department", KindDimension}), []string{"identity_id", "kind", "department", "note"}, 1500},
		{"identities.csv", leanIdentitiesSpec(nil), []string{"identity_id", "kind", "email", "department"}, minRawRows + 900},
	}
}

// randomCSV writes a random, well-formed file of case c: values from small pools (so
// that they repeat, in runs or not), unique keys, empty optional values, quoted fields
// with commas, doubled quotes and line breaks, LF or CR LF line ends, blank lines, and
// sometimes a byte order mark.
func randomCSV(rng *rand.Rand, c csvCase) string {
	eol := []string{"\n", "\r\n"}[rng.IntN(2)]
	var b strings.Builder
	if rng.IntN(3) == 0 {
		b.WriteString(utf8BOM)
	}
	b.WriteString(strings.Join(c.header, ",") + eol)
	run := 0
	for i := range c.rows {
		if rng.IntN(200) == 0 {
			b.WriteString(eol) // a blank line: skipped, but counted in line numbers
		}
		if rng.IntN(3) == 0 {
			run = rng.IntN(c.rows)
		}
		fields := make([]string, len(c.header))
		for j, name := range c.header {
			fields[j] = csvField(rng, csvValue(rng, c, name, i, run), eol)
		}
		b.WriteString(strings.Join(fields, ","))
		if i < c.rows-1 || rng.IntN(2) == 0 {
			b.WriteString(eol)
		}
	}
	return b.String()
}

// csvValue returns the value of column name in row i of a file of case c (run: the
// current run of repeated identities).
func csvValue(rng *rand.Rand, c csvCase, name string, i, run int) string {
	odd := []string{"a,b", "x\"y", "multi\nline", "two\r\nlines", "é ü", "\"q\""}
	switch {
	case name == c.header[0] && c.spec.known[name] == modeUnique:
		return fmt.Sprintf("k%06d%s", i, []string{"", ",u", "\"u"}[i%7%3])
	case name == "identity_id":
		return fmt.Sprintf("u%d", run)
	case name == "account_id":
		return fmt.Sprintf("a%d", rng.IntN(3*c.rows))
	case name == "email":
		if i > minRawRows && rng.IntN(4) == 0 {
			return fmt.Sprintf("e%d@x", rng.IntN(minRawRows)) // repeats after the switch
		}
		if rng.IntN(50) == 0 {
			return ""
		}
		return fmt.Sprintf("e%d@x", i)
	case name == "kind" && rng.IntN(10) == 0:
		return "bot"
	case c.spec.known[name] == modeValue && rng.IntN(8) == 0:
		return "" // no value (modeValue is also the mode of a column not known)
	case rng.IntN(10) == 0:
		return odd[rng.IntN(len(odd))]
	case name == LastUsedColumn:
		return fmt.Sprintf("2025-0%d-1%d", 1+rng.IntN(9), rng.IntN(10))
	default:
		return fmt.Sprintf("%s%d", name[:1], rng.IntN(40))
	}
}

// csvField quotes v when it needs it, or sometimes when it does not, with line breaks
// written as eol.
func csvField(rng *rand.Rand, v, eol string) string {
	if !strings.ContainsAny(v, ",\"\r\n") && rng.IntN(5) != 0 {
		return v
	}
	v = strings.ReplaceAll(v, "\r\n", "\n")
	v = strings.ReplaceAll(v, "\n", eol)
	return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
}

// requiredEmpty reports whether case c has a required column to empty in a bad file.
func (c csvCase) required() []int {
	var out []int
	for j, name := range c.header {
		if m, ok := c.spec.known[name]; ok && m != modeValue {
			out = append(out, j)
		}
	}
	return out
}

// breakCSV makes one random defect in a well-formed file text of case c, at a random
// line after the header: a ragged row, a bare quote, an unclosed quote, invalid UTF-8, a
// control character, an empty required value, or a repeated unique key.
func breakCSV(rng *rand.Rand, c csvCase, text string) string {
	lines := strings.SplitAfter(text, "\n")
	k := 1 + rng.IntN(len(lines)-1)
	for try := 0; try < 50 && (strings.TrimSpace(lines[k]) == "" || strings.Contains(lines[k], `"`)); try++ {
		k = 1 + rng.IntN(len(lines)-1) // a line that is a whole record, more likely
	}
	l := lines[k]
	switch rng.IntN(7) {
	case 0:
		l = "x," + l
	case 1:
		l = "b\"ad" + l
	case 2:
		l = "\"open," + l
	case 3:
		l = "\xff\xfe" + l
	case 4:
		l = "\x01" + l
	case 5:
		req := c.required()
		fields := strings.Split(strings.TrimRight(l, "\r\n"), ",")
		if j := req[rng.IntN(len(req))]; j < len(fields) {
			fields[j] = ""
		}
		l = strings.Join(fields, ",") + l[len(strings.TrimRight(l, "\r\n")):]
	default:
		l = lines[1]
	}
	lines[k] = l
	return strings.Join(lines, "")
}

// TestCSVChunkedMatchesSequential reads random files, well-formed and broken, with the
// chunked reader at small chunk sizes and with the sequential one, and wants the same
// table (codes, values, modes, lines, Input) or the same error. A well-formed file must
// be read in chunks, not by the fallback.
func TestCSVChunkedMatchesSequential(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 23))
	dir := t.TempDir()
	ctx := context.Background()
	for n := range 60 {
		for _, c := range csvCases() {
			text := randomCSV(rng, c)
			broken := n%3 == 2
			if broken {
				text = breakCSV(rng, c, text)
			}
			path := filepath.Join(dir, c.file)
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			chunk := int64(1 + rng.IntN(4096))
			name := fmt.Sprintf("%d %s chunk %d broken %v", n, c.file, chunk, broken)
			want, werr := readCSVSeq(ctx, path, c.spec)
			short := c.spec.rawIfDistinct && c.rows < minRawRows // judged only by readCSVSeq
			if !broken && short {
				if _, err := readCSVParallel(ctx, path, c.spec, chunk); !errors.Is(err, errCSVFallback) {
					t.Fatalf("%s: a file shorter than minRawRows: %v, want a fallback", name, err)
				}
			}
			if !broken && !short {
				got, err := readCSVParallel(ctx, path, c.spec, chunk)
				if werr != nil || err != nil {
					t.Fatalf("%s: a well-formed file: sequential %v, chunked %v", name, werr, err)
				}
				diffTables(t, name, got, want)
			}
			got, err := readCSVChunked(ctx, path, c.spec, chunk)
			if fmt.Sprint(err) != fmt.Sprint(werr) {
				t.Fatalf("%s: error\n%v\nwant\n%v", name, err, werr)
			}
			if err == nil {
				diffTables(t, name, got, want)
			}
		}
	}
}

// TestCSVChunkedUnique: a value of a modeUnique dictionary column repeated in another
// chunk is not merged as one: the file falls back to the sequential reading, whose
// message names both lines.
func TestCSVChunkedUnique(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roles.csv")
	mustWrite(t, path, "role_id\nR1\nR2\nR3\nR1\n")
	if _, err := readCSVParallel(context.Background(), path, &rolesSpec, 6); !errors.Is(err, errCSVFallback) {
		t.Fatalf("chunked reading of a repeated role: %v, want a fallback", err)
	}
	_, err := readCSVChunked(context.Background(), path, &rolesSpec, 6)
	if err == nil || !strings.Contains(err.Error(), "row 5, column role_id: duplicate \"R1\" (first at row 2)") {
		t.Fatalf("error %v, want the duplicate at row 5", err)
	}
}

// diffTables fails the test unless got and want hold the same rows, lines, Input and
// columns, compared field by field.
func diffTables(t *testing.T, name string, got, want *table) {
	t.Helper()
	if got.rows != want.rows || got.file != want.file || got.input != want.input || !slices.Equal(got.lines, want.lines) {
		t.Fatalf("%s: rows %d, file %s, input %+v, %d lines; want %d, %s, %+v, %d", name,
			got.rows, got.file, got.input, len(got.lines), want.rows, want.file, want.input, len(want.lines))
	}
	if len(got.cols) != len(want.cols) {
		t.Fatalf("%s: %d columns, want %d", name, len(got.cols), len(want.cols))
	}
	for i, g := range got.cols {
		if d := diffColumn(g, want.cols[i]); d != "" {
			t.Fatalf("%s: column %s: %s", name, g.name, d)
		}
	}
}

// diffColumn says how two columns differ, "" when they do not.
func diffColumn(g, w *column) string {
	type flags struct {
		name                                                         string
		mode                                                         colMode
		raw, runs, unsealed, sealed, rawIfDistinct, chunkDicts, keys bool
		runCodes, inDimTable                                         bool
		rawBase, lastCode, index                                     int
	}
	f := func(c *column) flags {
		return flags{c.name, c.mode, c.raw, c.runs, c.unsealed, c.sealed, c.rawIfDistinct, c.chunkDicts, c.keys,
			c.runCodes, c.inDimTable(), c.rawBase, int(c.lastCode), len(c.text().vals) * boolInt(c.index != nil)}
	}
	switch {
	case f(g) != f(w):
		return fmt.Sprintf("%+v, want %+v", f(g), f(w))
	case !slices.Equal(g.codes, w.codes):
		return "codes differ"
	case !slices.Equal(g.vals, w.vals):
		return fmt.Sprintf("values %q, want %q", firstN(g.vals), firstN(w.vals))
	case !slices.Equal(g.firstPos, w.firstPos):
		return "first positions differ"
	case !slices.Equal(g.ends, w.ends) || g.arena.String() != w.arena.String():
		return "arenas differ"
	case !maps.Equal(g.ids, w.ids):
		return "dictionaries differ"
	}
	return ""
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func firstN(vals []string) []string { return vals[:min(len(vals), 8)] }
