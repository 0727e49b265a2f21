package columnar

import (
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tableSpec says which columns of an input table are read and how they are checked.
type tableSpec struct {
	name     string             // identities, roles, assignments
	required []string           // columns that must exist
	known    map[string]colMode // columns read, with their mode
	// others: every column not in known is read too, with modeValue (identity attributes).
	others bool
	// keepLines: remember each CSV row's line number, for checks made after reading.
	keepLines bool
	// raw names the columns read without a dictionary map (column.raw), chunkDicts
	// those read with chunk dictionaries (column.chunkDicts).
	raw, chunkDicts []string
	// runs names raw columns that give a row repeating the row before's value its code
	// (column.runs).
	runs []string
	// unsealed names raw columns that seal leaves in their arena (column.unsealed).
	unsealed []string
	// rawIfDistinct: the other columns of values (but kind) turn raw when their first
	// rows are nearly all distinct (column.rawIfDistinct).
	rawIfDistinct bool
	// dimensions: the columns of values (modeValue, with a dictionary) are the
	// identities' dimensions: their codes are decoded straight into the table
	// sortedDimension keeps (hugepage.Make), which it then remaps in place, rather than
	// into an array of their own that is copied there and dropped (44 MB of memory touched
	// for the first time at tier L).
	dimensions bool
	// runCodes names the columns that keep their codes as runs of rows with one code
	// (column.runCodes).
	runCodes []string
	// noSum: a Parquet file's SHA-256 is not computed (its Input.SHA256 stays empty), for
	// readers that report no inputs (the lean load).
	noSum bool
	// decoded, when set, is called on a Parquet column's decoding goroutine after each of
	// its row groups, with the column and the file's rows. The column's codes and values so
	// far are final: the slices as they are then may be read on another goroutine while the
	// rest of the file is decoded (the lean load joins the assignments that way). Not
	// called for CSV.
	decoded func(c *column, rows int64)
}

var (
	// The identity ids are read raw and checked for repeats once read: no map of a
	// million ids is built only to be thrown away (identityIndex finds them). The owners
	// of a universe's non-human identities keep their chunk dictionaries: takeOwners only
	// turns them into each identity's string, so a map of them (175 thousand at the tier
	// L universe) would be built for nothing.
	identitiesSpec = tableSpec{
		name:          "identities",
		required:      []string{"identity_id"},
		known:         map[string]colMode{"identity_id": modeUnique, KindDimension: modeValue},
		others:        true,
		keepLines:     true,
		raw:           []string{"identity_id"},
		chunkDicts:    []string{OwnerColumn},
		rawIfDistinct: true,
		dimensions:    true,
	}
	rolesSpec = tableSpec{
		name:     "roles",
		required: []string{"role_id"},
		known: map[string]colMode{
			"role_id": modeUnique, "category": modeValue, "validations": modeValue,
			"application": modeValue, "description": modeValue,
		},
		keepLines: true,
	}
	// The assignments' identity ids keep their chunk dictionaries: they are matched to the
	// identities by value (identityCodes), with no map of their own.
	assignmentsSpec = tableSpec{
		name:       "assignments",
		required:   []string{"identity_id", "role_id"},
		known:      map[string]colMode{"identity_id": modeRequired, "role_id": modeRequired},
		chunkDicts: []string{"identity_id"},
	}
)

// wants reports whether column name is read, and with which mode.
func (s *tableSpec) wants(name string) (colMode, bool) {
	if m, ok := s.known[name]; ok {
		return m, true
	}
	return modeValue, s.others
}

// newColumn returns the column that reads name with mode for a table of about rows rows.
func (s *tableSpec) newColumn(name string, mode colMode, errs *problems, rows int) *column {
	raw, runs := slices.Contains(s.raw, name), slices.Contains(s.runs, name)
	if raw || runs {
		c := newCodes(name, mode, errs, rows)
		c.setRaw(rows)
		c.runs = runs && !raw
		c.unsealed = raw && slices.Contains(s.unsealed, name)
		return c
	}
	dim := s.dimensions && mode == modeValue && !slices.Contains(s.chunkDicts, name)
	runCoded := slices.Contains(s.runCodes, name)
	room := rows
	if dim || runCoded {
		room = 0 // the codes go in the dimension's table (dimCodes), or in runs
	}
	c := newColumn(name, mode, errs, room)
	switch {
	case slices.Contains(s.chunkDicts, name) && mode != modeUnique:
		c.chunkDicts = true
	case s.rawIfDistinct && mode == modeValue && name != KindDimension:
		c.rawIfDistinct = true
	}
	if dim {
		c.dimCodes(rows)
	}
	if runCoded {
		c.setRunCodes(rows)
	}
	return c
}

// table is one input file decoded into dictionary-coded columns.
type table struct {
	file  string // base name, e.g. identities.parquet
	rows  int
	cols  []*column // the columns read, in file order
	input Input
	// lines maps a 0-based row index to the CSV line used in messages (only with
	// tableSpec.keepLines); nil means the position is row+1 (Parquet).
	lines []int64
	// lists are the Parquet list columns of identities (multi-valued attributes).
	lists []*listColumn
	// header holds the file's column names, in file order.
	header []string
}

// col returns the column named name, or nil.
func (t *table) col(name string) *column {
	for _, c := range t.cols {
		if c.name == name {
			return c
		}
	}
	return nil
}

// fileName returns the name of t's file, or "" for a table not read (a nil t: an
// optional file that is not there).
func (t *table) fileName() string {
	if t == nil {
		return ""
	}
	return t.file
}

// seal completes the raw columns once the file is read (t.rows set), and checks those
// of unique values; the problems it finds go to the columns' problems, so it comes before
// they are reported.
func (t *table) seal() {
	for _, c := range t.cols {
		c.seal()
		c.checkUnique(t.pos)
	}
}

// pos returns the message position of 0-based row i.
func (t *table) pos(i int) int64 {
	if t.lines != nil {
		return t.lines[i]
	}
	return int64(i) + 1
}

// checkHeader validates the column names of a file against spec: no empty or duplicate
// names, and every required column present.
func checkHeader(file string, spec *tableSpec, names []string) error {
	seen := make(map[string]int, len(names))
	for i, n := range names {
		if n == "" {
			hint := ""
			if i == len(names)-1 && i > 0 {
				hint = " (the header ends in a separator, as exports that end every line with one write it: remove it from the end of every line)"
			}
			return fmt.Errorf("%s: column %d has an empty name; every column needs a name%s", file, i+1, hint)
		}
		if !nameOK(n) {
			// A name is written in rules.json and rules.xml as a value is.
			return fmt.Errorf("%s: the name of column %d: %s", file, i+1, badTextMessage(n))
		}
		if j, dup := seen[n]; dup {
			return fmt.Errorf("%s: column %q appears twice (columns %d and %d); column names must be unique", file, n, j+1, i+1)
		}
		seen[n] = i
	}
	var missing []string
	for _, r := range spec.required {
		if _, ok := seen[r]; !ok {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		have := append([]string(nil), names...)
		return fmt.Errorf("%s: missing required column(s) %q; the file has columns %q; %s", file, missing, have, missingHint(missing, names))
	}
	return nil
}

// missingHint says how to fix the header names that lack the missing required columns: a
// name that resembles one (looksLike), a header that is one name holding another
// separator than the comma, or else the general fix.
func missingHint(missing, names []string) string {
	for _, m := range missing {
		for _, n := range names {
			if looksLike(n, m) {
				return fmt.Sprintf("column names are exact (letter case, spaces and underscores count): rename %q to %q", n, m)
			}
		}
	}
	if len(names) == 1 {
		for _, sep := range []string{";", "\t", "|"} {
			if strings.Contains(names[0], sep) {
				return fmt.Sprintf("the header is one column holding %q: fields must be separated by commas (save the file as comma-separated CSV)", sep)
			}
		}
	}
	return "add the column, or rename the one that holds these values"
}

// nameOK reports whether a column name is text rules.xml can state: valid UTF-8 without
// the control characters XML 1.0 cannot hold (the rule values follow, column.textOK).
func nameOK(n string) bool {
	if !utf8.ValidString(n) {
		return false
	}
	for _, r := range n {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
}

// columnsOf lists the column names rolemine gives a meaning to in each input file.
var columnsOf = map[string][]string{
	"identities":  {"identity_id", "kind", "owner_id"},
	"roles":       {"role_id", "category", "validations", "application", "description"},
	"assignments": {"identity_id", "role_id", "system", "account_id", LastUsedColumn},
	"accounts":    {"system", "account_id", "identity_id"},
	"role_grants": {"role_id", "grants_role_id"},
	"attributes":  {"identity_id", "attribute", "value"},
}

// nearMisses returns, for each column of t that resembles one of its file's columns
// (looksLike) and is not that column exactly, the name and the column it misses: "Kind"
// is read as an attribute, "Last Used" is ignored.
func nearMisses(t *table) [][2]string {
	var out [][2]string
	for _, n := range t.header {
		for _, k := range columnsOf[t.input.Name] {
			if looksLike(n, k) && !slices.Contains(t.header, k) {
				out = append(out, [2]string{n, k})
			}
		}
	}
	return out
}

// warnNearMisses warns about each column of the tables that nearMisses finds: column
// names are exact, so such a column is not read as the one it resembles.
func warnNearMisses(log *slog.Logger, tables ...*table) {
	for _, t := range tables {
		if t == nil {
			continue
		}
		for _, m := range nearMisses(t) {
			log.Warn("column names are exact (letter case, spaces and underscores count): this column is not read as the one it resembles; rename it",
				"file", t.file, "column", m[0], "expected", m[1])
		}
	}
}

// looksLike reports whether the column name n is not rolemine's column name k but would be
// if letter case, spaces, hyphens, dots and underscores did not count: how exports and
// spreadsheets respell a name ("Identity ID", "IDENTITY_ID", "identity_id ", "Last-Used",
// "lastUsed").
func looksLike(n, k string) bool {
	return n != k && columnKey(n) == columnKey(k)
}

// columnKey is name n in lower case without spaces, tabs, hyphens, dots and underscores.
func columnKey(n string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '-', '.', '_', '\u00a0':
			return -1
		}
		return unicode.ToLower(r)
	}, n)
}
