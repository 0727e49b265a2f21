package columnar

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// utf8BOM is the byte order mark some spreadsheet programs put at the start of CSV files.
const utf8BOM = "\xef\xbb\xbf"

// ctxCheckRows is how many rows are read between checks of the context.
const ctxCheckRows = 1 << 16

// readCSV decodes a CSV file (UTF-8, header row, RFC 4180 quoting, optional BOM, CRLF or
// LF line ends) into dictionary-coded columns as spec says. Data errors (empty required
// values, duplicates, invalid UTF-8) are collected and returned together; format errors
// (bad quoting, ragged rows) stop reading at once.
//
// A file of csvParallelMin bytes or more is read in chunks on every core
// (readCSVChunked), with the same table, Input and errors as the sequential reading
// (readCSVSeq) that smaller files keep.
func readCSV(ctx context.Context, path string, spec *tableSpec) (*table, error) {
	if st, err := os.Stat(path); err == nil && st.Size() >= csvParallelMin {
		return readCSVChunked(ctx, path, spec, csvChunkSize(st.Size()))
	}
	return readCSVSeq(ctx, path, spec)
}

// readCSVSeq is readCSV reading the file on one goroutine, with one encoding/csv reader:
// the reference readCSVChunked must match, and its fallback.
func readCSVSeq(ctx context.Context, path string, spec *tableSpec) (*table, error) {
	file := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open: %w", file, err)
	}
	defer f.Close()

	h := sha256.New()
	cr := &countingReader{r: f}
	br := bufio.NewReaderSize(io.TeeReader(cr, h), 1<<20)
	if b, _ := br.Peek(len(utf8BOM)); string(b) == utf8BOM {
		_, _ = br.Discard(len(utf8BOM))
	} else if len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
		return nil, fmt.Errorf("%s: starts with a UTF-16 byte order mark; expected UTF-8 text (save the file as UTF-8 CSV)", file)
	}
	r := csv.NewReader(br)
	r.ReuseRecord = true
	r.FieldsPerRecord = 0 // the header fixes the count; encoding/csv checks every row

	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: the file is empty; expected a header row naming the columns (%s)",
			file, strings.Join(spec.required, ", "))
	}
	if err != nil {
		return nil, csvError(path, r, err, 0)
	}
	names := append([]string(nil), header...)
	spec = adaptSpec(spec, names)
	if err := checkHeader(file, spec, names); err != nil {
		return nil, err
	}

	probs := newProblems(file)
	t, sinks := newCSVTable(file, spec, names, probs)
	rows, err := readCSVRows(ctx, path, r, names, sinks, t, spec.keepLines, probs)
	if err != nil {
		return nil, err
	}
	t.rows = rows
	t.seal()
	if err := probs.err(); err != nil {
		return nil, err
	}
	t.input = Input{
		Name:   spec.name,
		Path:   path,
		Bytes:  cr.n,
		SHA256: hex.EncodeToString(h.Sum(nil)),
		Rows:   int64(rows),
	}
	return t, nil
}

// readCSVRows decodes the rows after the header (names) into the columns sinks (nil:
// column not read), with each row's line in t.lines when keepLines, and returns the number
// of rows. A ragged row is reported to probs and reading goes on, so that the message
// lists the first few of them; other format errors stop reading at once.
func readCSVRows(ctx context.Context, path string, r *csv.Reader, names []string, sinks []*column, t *table, keepLines bool, probs *problems) (int, error) {
	rows := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil && !errors.Is(err, csv.ErrFieldCount) {
			return 0, csvError(path, r, err, len(sinks))
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			raggedRow(probs, int64(line), names, len(rec))
			continue
		}
		pos := int64(line)
		putCSVRow(rec, sinks, pos)
		if keepLines {
			t.lines = append(t.lines, pos)
		}
		rows++
		if rows == minRawRows {
			for _, c := range sinks {
				if c != nil {
					c.judgeRaw(int64(rows), 0)
				}
			}
		}
		if rows%ctxCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
	}
}

// newCSVTable returns the table of a CSV file with header names, read as spec says, and
// its columns by field (nil: field not read).
func newCSVTable(file string, spec *tableSpec, names []string, probs *problems) (*table, []*column) {
	t := &table{file: file, header: names}
	sinks := make([]*column, len(names))
	for i, n := range names {
		if mode, ok := spec.wants(n); ok {
			c := spec.newColumn(n, mode, probs, 1024)
			c.expandRuns() // CSV rows are coded one at a time
			sinks[i] = c
			t.cols = append(t.cols, c)
		}
	}
	return t, sinks
}

// putCSVRow codes the fields of one record, at line pos, into the columns sinks.
func putCSVRow(rec []string, sinks []*column, pos int64) {
	for i, c := range sinks {
		if c != nil {
			v := rec[i]
			c.put(c.internString(v), pos, v)
		}
	}
}

// raggedRow reports a row at line with n fields where the header has len(names): at the
// first missing column when it is short, else at the last column.
func raggedRow(probs *problems, line int64, names []string, n int) {
	if n < len(names) {
		probs.add(line, names[n], fmt.Sprintf("the row has %s, expected %d like the header; %s and the columns after it are missing", fieldCount(n), len(names), names[n]))
		return
	}
	probs.add(line, names[len(names)-1], fmt.Sprintf("the row has %s, expected %d like the header; quote values that contain commas", fieldCount(n), len(names)))
}

// fieldCount says "1 field" or "n fields".
func fieldCount(n int) string {
	if n == 1 {
		return "1 field"
	}
	return fmt.Sprintf("%d fields", n)
}

// csvError turns an encoding/csv error into a message naming the file, line and what was
// expected.
func csvError(path string, r *csv.Reader, err error, fields int) error {
	file := filepath.Base(path)
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%s: cannot read: %w", file, err)
	}
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount):
		return errors.New(fmt.Sprintf("%s row %d: wrong number of fields, expected %d like the header; quote values that contain commas",
			file, pe.StartLine, fields))
	case errors.Is(pe.Err, csv.ErrQuote) && (pe.Line > pe.StartLine || openQuoteColumn(path, pe.StartLine) > 0):
		// A quote left open runs to the end of the file, which may be the row it opens
		// on: say where it opened.
		where := fmt.Sprintf("row %d", pe.StartLine)
		if col := openQuoteColumn(path, pe.StartLine); col > 0 {
			where = fmt.Sprintf("row %d, character %d", pe.StartLine, col)
		}
		return errors.New(fmt.Sprintf("%s %s: a quoted field opens here and is never closed (reading stopped at row %d); expected RFC 4180 quoting (a field with quotes is wrapped in \" and inner quotes doubled)",
			file, where, pe.Line))
	case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
		return errors.New(fmt.Sprintf("%s row %d, character %d: %v; expected RFC 4180 quoting (a field with quotes is wrapped in \" and inner quotes doubled)",
			file, pe.Line, pe.Column, pe.Err))
	default:
		return errors.New(fmt.Sprintf("%s row %d, character %d: %v", file, pe.Line, pe.Column, pe.Err))
	}
}

// openQuoteColumn returns the 1-based character position, on line number line of the file,
// of a quote that opens a field and is not closed on that line; 0 when there is none, when
// a closed quoted field is followed by anything but a comma before it (the line's error is
// there), or when the file cannot be read again.
func openQuoteColumn(path string, line int) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if n < line {
			continue
		}
		rs := []rune(sc.Text())
		open, quoted, fieldStart := 0, false, true
		for i := 0; i < len(rs); i++ {
			switch c := rs[i]; {
			case quoted && c == '"' && i+1 < len(rs) && rs[i+1] == '"':
				i++ // a doubled quote inside a quoted field
			case quoted && c == '"':
				quoted = false
				if i+1 < len(rs) && rs[i+1] != ',' {
					return 0 // text after a closing quote
				}
			case quoted:
			case fieldStart && c == '"':
				quoted, open, fieldStart = true, i+1, false
			default:
				fieldStart = c == ','
			}
		}
		if quoted {
			return open
		}
		return 0
	}
	return 0
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
