package columnar

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/rolemine/rolemine/internal/hugepage"
	"github.com/rolemine/rolemine/internal/prefault"
)

// colMode says how a column's values are validated while they are coded.
type colMode uint8

const (
	// modeValue: an empty or null value is "no value" (code -1).
	modeValue colMode = iota
	// modeRequired: every row needs a non-empty value.
	modeRequired
	// modeUnique: every row needs a non-empty value, different from every other row's.
	modeUnique
)

// Sentinel results of column.intern for values that get no dictionary code.
const (
	codeEmpty   int32 = -1 // empty or null
	codeBadUTF8 int32 = -2 // not valid UTF-8
)

// column is one input column being dictionary coded: every row's value becomes an int32
// code into dict (first-seen order, not yet sorted), or -1 for no value.
//
// Ownership: a column is written by exactly one goroutine while its file is read; errs is
// shared by the columns of one file and has its own lock.
type column struct {
	name string
	mode colMode
	// own holds the Parquet chunks of this column the load decodes itself, by row group
	// (ownpages.go), and ownR the reader their pages come from.
	own  map[int]*ownChunk
	ownR io.ReaderAt

	ids  map[string]int32 // value -> code
	vals []string         // code -> value, first-seen order

	codes []int32 // one per row read so far
	// firstPos holds, for modeUnique, the position (row or line) where each code was first
	// seen; 0 means not seen yet.
	firstPos []int64

	// lastCode caches the previous row's code: inputs sorted or grouped by a column repeat
	// values, and comparing with the previous value is cheaper than a map lookup.
	lastCode int32

	errs *problems
	// keys is set for columns of internal keys (which may hold NUL separators) rather
	// than of text read from a file: they skip textOK's control-character check.
	keys bool

	// raw columns (tableSpec.raw) have no dictionary map: each non-empty value read
	// becomes a new code, and the values go into one arena rather than a string each.
	// For columns of nearly unique values that their consumer sorts or joins anyway
	// (accounts' account_id): no map insert and no allocation per value. vals is filled
	// from the arena by seal once the file is read.
	raw   bool
	arena strings.Builder
	ends  []int // end offset in arena of each code's value
	// rawBase is the code of the arena's first value: a column that turned raw while
	// being read (rawIfDistinct) keeps the dictionary it had, whose values come first.
	rawBase int
	sealed  bool
	// unsealed raw columns are left in their arena by seal (no vals): their one reader
	// takes each value by code (rawText) and keeps what it needs in an order of its own,
	// so that no string header per row is made in file order only to be dropped (the
	// accounts' account_id: sortAccounts copies the ids in account order).
	unsealed bool
	// runs: a raw column whose row repeats the value of the row before gets that row's
	// code (tableSpec.runs): for values grouped in the file, such as the identity of
	// each of a person's accounts, the repeats cost one comparison, with no map.
	runs bool
	// rawIfDistinct columns turn raw once their first rows show nearly every value to be
	// new (goRaw): a column of unique values (an email) then costs no map insert per row,
	// and its consumer (sortedDimension) merges the repeated values it may still hold.
	rawIfDistinct bool
	// rawBytes sizes the arena of a rawIfDistinct column when it turns raw: the file's
	// bytes of the column (presizeArena), or 0 where unknown (CSV). Without it the arena
	// of a tier's emails grew a quarter at a time, 18 copies into fresh memory.
	rawBytes int

	// chunkDicts columns (tableSpec.chunkDicts) give each entry of a Parquet column
	// chunk's dictionary a new code, without looking it up in the column's dictionary:
	// a value in the dictionaries of two row groups gets two codes. Plain pages and CSV
	// values are interned as usual. For columns of many distinct values that their
	// consumer joins by value anyway (the assignments' account_id).
	chunkDicts bool

	// index is the join index of a raw unique column's values, made by checkUnique (nil
	// before, or for another column).
	index *joinIndex

	// runCodes columns (tableSpec.runCodes) keep their codes as runs: run k holds the
	// code runCode[k] for rows runEnd[k-1] (0 for the first) to runEnd[k], and codes is
	// nil. Only the dictionary pages whose every entry is a code a row may take as it is
	// are coded that way; any other page first expands the runs into codes (expandRuns).
	// codeRoom is about how many rows the column will hold.
	runCodes        bool
	runCode, runEnd []int32
	codeRoom        int

	// dimTable is the table a dimension's codes were made in (dimCodes): sortedDimension
	// remaps them in place while they are still in it. Nil otherwise.
	dimTable []int32

	// identityPrefix says that vals starts with the identities' ids in index order, that
	// many of them, so that the identity of such a code is the code itself
	// (resolveAccounts's identity keys).
	identityPrefix int
}

func newColumn(name string, mode colMode, errs *problems, sizeHint int) *column {
	c := newCodes(name, mode, errs, sizeHint)
	if mode == modeUnique {
		// Every row brings a new value: size the dictionary once rather than rehash
		// repeatedly as it grows.
		c.reserve(sizeHint)
	}
	return c
}

// newCodes is newColumn with room for sizeHint codes but no dictionary sized: for a
// column about to turn raw (setRaw), which has no map, a map sized for the identities'
// million ids would be made only to be dropped (tens of megabytes on every load).
func newCodes(name string, mode colMode, errs *problems, sizeHint int) *column {
	return &column{
		name:     name,
		mode:     mode,
		ids:      make(map[string]int32),
		codes:    make([]int32, 0, sizeHint),
		lastCode: -1,
		errs:     errs,
	}
}

// dimCodes gives an empty column room for n codes in a table made as a dimension's
// codes are (hugepage.Make), for sortedDimension to remap in place.
func (c *column) dimCodes(n int) {
	c.dimTable = hugepage.Make[int32](n)
	c.codes = c.dimTable[:0]
}

// inDimTable reports whether the column's codes are still in its dimCodes table (not
// grown past it into an array of their own).
func (c *column) inDimTable() bool {
	return c.dimTable != nil && len(c.codes) > 0 && unsafe.SliceData(c.codes) == unsafe.SliceData(c.dimTable)
}

// prefaultRoom maps in the memory of the next rows codes, where the codes' capacity
// already holds them (a column sized for its table), before a page's decoding writes them:
// one system call instead of a page fault every 1,024 codes (prefault).
func (c *column) prefaultRoom(rows int64) {
	n := len(c.codes)
	if rows <= 0 {
		return // a page of no rows, or a corrupt count that the decoding reports
	}
	prefault.Populate(c.codes[n:min(int64(cap(c.codes)), int64(n)+rows)])
}

// setRaw makes an empty column raw (see column.raw), sized for about n values.
func (c *column) setRaw(n int) {
	c.raw, c.ids, c.vals, c.firstPos = true, nil, nil, nil
	c.ends = make([]int, 0, n)
}

// goRaw turns a column raw part way through its rows: the values read so far keep their
// codes, and every later value gets a new one. n is about how many values are to come.
func (c *column) goRaw(n int) {
	c.raw, c.ids, c.rawBase = true, nil, len(c.vals)
	c.ends = make([]int, 0, max(n, 0))
	c.arena.Grow(c.rawBytes)
}

// minRawRows is how many rows a rawIfDistinct column is read as a dictionary before it
// is judged (judgeRaw).
const minRawRows = 4096

// judgeRaw turns a rawIfDistinct column raw when at least 90% of the rows read so far
// (rows) brought a new value; n is about how many rows are to come.
func (c *column) judgeRaw(rows int64, n int) bool {
	if !c.rawIfDistinct || c.raw || rows < minRawRows || 10*int64(len(c.vals)) < 9*rows {
		return false
	}
	c.goRaw(n)
	return true
}

// reserve sizes an empty dictionary for about n distinct values.
func (c *column) reserve(n int) {
	if len(c.vals) > 0 || n <= 0 || c.raw {
		return
	}
	if c.chunkDicts {
		c.vals = make([]string, 0, n) // the map is for plain pages only: let it grow
		return
	}
	c.ids = make(map[string]int32, n)
	c.vals = make([]string, 0, n)
	if c.mode == modeUnique {
		c.firstPos = make([]int64, 0, n)
	}
}

// intern returns the code of value b, adding it to the dictionary when new; codeEmpty for
// an empty value and codeBadUTF8 for invalid UTF-8 (checked once per distinct value). It
// does not allocate for values already in the dictionary.
func (c *column) intern(b []byte) int32 {
	if len(b) == 0 {
		return codeEmpty
	}
	if c.raw {
		return c.internRaw(b, false)
	}
	if c.lastCode >= 0 && string(b) == c.vals[c.lastCode] {
		return c.lastCode
	}
	code, ok := c.ids[string(b)]
	if !ok {
		if !c.textOK(string(b)) {
			return codeBadUTF8
		}
		code = int32(len(c.vals))
		s := string(b)
		c.ids[s] = code
		c.vals = append(c.vals, s)
		if c.mode == modeUnique {
			c.firstPos = append(c.firstPos, 0)
		}
	}
	c.lastCode = code
	return code
}

// internRaw is intern for a raw column (b not empty); checked says that b is known to be
// printable ASCII.
func (c *column) internRaw(b []byte, checked bool) int32 {
	if c.runs && c.lastCode >= 0 && string(b) == c.lastRaw() {
		return c.lastCode
	}
	start := c.arena.Len()
	c.arena.Write(b)
	return c.rawAdded(start, checked)
}

// internString is intern for a string value (CSV fields); it never allocates for values
// already in the dictionary.
func (c *column) internString(s string) int32 {
	if len(s) == 0 {
		return codeEmpty
	}
	if c.raw {
		if c.runs && c.lastCode >= 0 && s == c.lastRaw() {
			return c.lastCode
		}
		start := c.arena.Len()
		c.arena.WriteString(s)
		return c.rawAdded(start, false)
	}
	if c.lastCode >= 0 && s == c.vals[c.lastCode] {
		return c.lastCode
	}
	code, ok := c.ids[s]
	if !ok {
		if !c.textOK(s) {
			return codeBadUTF8
		}
		code = int32(len(c.vals))
		s = strings.Clone(s) // s may point into a larger record buffer
		c.ids[s] = code
		c.vals = append(c.vals, s)
		if c.mode == modeUnique {
			c.firstPos = append(c.firstPos, 0)
		}
	}
	c.lastCode = code
	return code
}

// rawAdded finishes intern for a raw column once the value is written to the arena from
// offset start: it gets the next code, or codeBadUTF8 (checked: known to be printable
// ASCII). A refused value keeps its place in the arena and its code, which no row uses
// (the file then fails to load anyway).
func (c *column) rawAdded(start int, checked bool) int32 {
	c.ends = append(c.ends, c.arena.Len())
	if !checked && !c.textOK(c.arena.String()[start:]) {
		c.lastCode = -1
		return codeBadUTF8
	}
	c.lastCode = int32(c.rawBase + len(c.ends) - 1)
	return c.lastCode
}

// lastRaw returns the value a raw column read last.
func (c *column) lastRaw() string {
	k := len(c.ends) - 1
	start := 0
	if k > 0 {
		start = c.ends[k-1]
	}
	return c.arena.String()[start:c.ends[k]]
}

// chunkValue is intern for an entry of a column chunk's dictionary in a column with
// chunkDicts: a new code, without a map insert or an allocation (v is a substring of the
// dictionary's values). checked says that v is known to be printable ASCII.
func (c *column) chunkValue(v string, checked bool) int32 {
	if v == "" {
		return codeEmpty
	}
	if !checked && !c.textOK(v) {
		return codeBadUTF8
	}
	c.vals = append(c.vals, v)
	return int32(len(c.vals) - 1)
}

// minChunkDictsFallback is how many codes a chunkDicts column may hand out before
// judgeChunkDicts considers it: below that, the copies cost less than a map.
const minChunkDictsFallback = 1 << 16

// judgeChunkDicts stops a chunkDicts column giving each chunk dictionary entry a code of
// its own once its codes number more than half the rows read (rows), and more than
// minChunkDictsFallback: a file ordered so
// that every row group's dictionary names most values again (assignments sorted by role
// rather than by identity) would otherwise hold a copy of each value per row group. The
// values coded so far enter the map (a value repeated keeps its first code there; the
// rows coded with the others keep theirs), and every later value is interned.
func (c *column) judgeChunkDicts(rows int64) {
	if !c.chunkDicts || 2*int64(len(c.vals)) <= rows || len(c.vals) <= minChunkDictsFallback {
		return
	}
	c.chunkDicts = false
	for code, v := range c.vals {
		if _, ok := c.ids[v]; !ok {
			c.ids[v] = int32(code)
		}
	}
}

// seal fills a raw column's vals from its arena once reading is done: every value is a
// substring of one string, so the values cost one allocation.
func (c *column) seal() {
	if !c.raw || c.sealed || c.unsealed {
		return
	}
	c.sealed = true
	all := c.arena.String()
	vals := make([]string, c.rawBase+len(c.ends))
	copy(vals, c.vals)
	start := 0
	for k, end := range c.ends {
		vals[c.rawBase+k] = all[start:end]
		start = end
	}
	c.vals, c.ends = vals, nil
}

// rawText reads the values of a column by code, sealed or not (column.unsealed).
type rawText struct {
	vals []string // a sealed column's values; nil for an unsealed one
	all  string   // an unsealed column's arena: value k ends at ends[k]
	ends []int
}

// text returns c's values by code: its vals once sealed (or for a column that is not
// raw), else its arena.
func (c *column) text() rawText {
	if !c.raw || c.sealed || !c.unsealed {
		return rawText{vals: c.vals}
	}
	return rawText{all: c.arena.String(), ends: c.ends}
}

// at returns the value of code (not negative; an unsealed column's codes start at 0).
func (r rawText) at(code int32) string {
	if r.vals != nil {
		return r.vals[code]
	}
	start := 0
	if code > 0 {
		start = r.ends[code-1]
	}
	return r.all[start:r.ends[code]]
}

// code returns row's code, -1 for no value or a missing column (nil).
func (c *column) code(row int) int32 {
	if c == nil {
		return -1
	}
	return c.codes[row]
}

// put appends the code of the row at pos (a 1-based Parquet row or a CSV line), checking
// the column's mode. raw is the value's text, used only in messages (may be nil).
func (c *column) put(code int32, pos int64, raw string) {
	switch {
	case code == codeBadUTF8:
		c.errs.add(pos, c.name, badTextMessage(raw))
		code = -1
	case code < 0:
		if c.mode != modeValue {
			c.errs.add(pos, c.name, "empty or null, expected a value")
		}
		code = -1
	case c.mode == modeUnique && !c.raw: // raw: checked once read (checkUnique)
		if first := c.firstPos[code]; first != 0 {
			c.errs.add(pos, c.name, c.duplicateMessage(c.vals[code], first))
		} else {
			c.firstPos[code] = pos
		}
	}
	c.codes = append(c.codes, code)
}

// duplicateMessage says that a column of unique values repeats v, first seen at first.
func (c *column) duplicateMessage(v string, first int64) string {
	return fmt.Sprintf("duplicate %q (first at %s %d); %s must be unique", v, c.errs.posWord, first, c.name)
}

// checkUnique reports the repeated values of a raw column of unique values (the check
// put makes row by row for a dictionary column): each row whose value an earlier row
// holds, naming that row. The values are compared by hash first (joinIndex.anyRepeated),
// so a column without repeats costs no map; pos gives the message position of a row.
// The join index of the values is kept (c.index) for the lookups of the identities'
// ids (newIdentityIndexOf), which need the same hashes.
func (c *column) checkUnique(pos func(row int) int64) {
	if !c.raw || c.mode != modeUnique {
		return
	}
	c.index = newStringIndex(c.vals)
	if !c.index.anyRepeated() {
		return
	}
	first := make(map[string]int64)
	for row, code := range c.codes {
		if code < 0 {
			continue
		}
		v, p := c.vals[code], pos(row)
		if f, ok := first[v]; ok {
			c.errs.add(p, c.name, c.duplicateMessage(v, f))
		} else {
			first[v] = p
		}
	}
}

func truncate(s string) string {
	const max = 40
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// maxListed is how many offending rows an error message lists.
const maxListed = 5

// problems collects the data errors of one input file (several goroutines may add), so that
// one message can list the first few offenders rather than stopping at the first.
type problems struct {
	file    string // base name, e.g. identities.csv
	posWord string // "row" (both formats; for CSV it is the line number)

	mu    sync.Mutex
	count int
	list  []problem
}

type problem struct {
	pos    int64
	column string
	msg    string
}

func newProblems(file string) *problems { return &problems{file: file, posWord: "row"} }

func (p *problems) add(pos int64, column, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	// Keep the maxListed smallest positions so that the message lists the first offenders
	// whatever order parallel columns report them in.
	pr := problem{pos: pos, column: column, msg: msg}
	if len(p.list) < maxListed {
		p.list = append(p.list, pr)
	} else if pos < p.list[len(p.list)-1].pos {
		p.list[len(p.list)-1] = pr
	} else {
		return
	}
	for i := len(p.list) - 1; i > 0 && p.list[i].pos < p.list[i-1].pos; i-- {
		p.list[i], p.list[i-1] = p.list[i-1], p.list[i]
	}
}

// any reports whether a problem was added.
func (p *problems) any() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count > 0
}

// err returns nil when nothing was added, else a message listing the first offenders.
func (p *problems) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.count == 0 {
		return nil
	}
	var b strings.Builder
	for i, pr := range p.list {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s %s %d, column %s: %s", p.file, p.posWord, pr.pos, pr.column, pr.msg)
	}
	if more := p.count - len(p.list); more > 0 {
		plural := "s"
		if more == 1 {
			plural = ""
		}
		fmt.Fprintf(&b, "\n%s: and %d more such problem%s", p.file, more, plural)
	}
	return errors.New(b.String())
}

// textOK reports whether s is valid UTF-8 free of the control characters XML 1.0 cannot
// hold (all below U+0020 but tab, line feed and carriage return, and U+FFFE, U+FFFF):
// every value may end up in rules.xml, which must match the data exactly.
func (c *column) textOK(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	if c.keys {
		return true
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
}

// printableASCII reports whether every byte of b is printable ASCII or DEL (0x20 to
// 0x7F), eight bytes at a time: text of such bytes is what textOK accepts, so a page or
// dictionary of them needs no check per value. Tabs and line breaks, which textOK also
// accepts, send the caller to the check per value.
func printableASCII(b []byte) bool {
	const high, lift = 0x8080808080808080, 0x6060606060606060
	for len(b) >= 8 {
		v := binary.LittleEndian.Uint64(b)
		// A byte below 0x80 is at least 0x20 exactly when adding 0x60 sets its high bit;
		// no sum carries into the next byte (0x7F + 0x60 < 0x100).
		if v&high != 0 || (v+lift)&high != high {
			return false
		}
		b = b[8:]
	}
	for _, x := range b {
		if x < 0x20 || x >= 0x80 {
			return false
		}
	}
	return true
}

// badTextMessage says what is wrong with a value textOK refused.
func badTextMessage(raw string) string {
	if !utf8.ValidString(raw) {
		return fmt.Sprintf("value %q is not valid UTF-8", truncate(raw))
	}
	for _, r := range raw {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return fmt.Sprintf("value %q holds the control character U+%04X, which rules.xml cannot represent; expected printable text", truncate(raw), r)
		}
	}
	return fmt.Sprintf("value %q is not valid text", truncate(raw))
}
