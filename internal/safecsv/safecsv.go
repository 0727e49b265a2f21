// Package safecsv writes CSV files that are safe to open in a spreadsheet: a cell that
// starts with a character a spreadsheet reads as the start of a formula (=, +, -, @, tab
// or carriage return) gets a leading apostrophe, so that identity ids, role names and the
// like taken from input data show as text and never run (CSV or formula injection). See
// docs/outputs.md, "out-csv".
package safecsv

import (
	"encoding/csv"
	"io"
	"unicode"
	"unicode/utf8"
)

// Cell returns s, with a leading apostrophe when it starts like a formula.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Writer is a csv.Writer that neutralises every cell with Cell.
type Writer struct {
	cw  *csv.Writer
	rec []string
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{cw: csv.NewWriter(w)} }

// Write writes one record, each cell neutralised.
func (w *Writer) Write(record []string) error {
	w.rec = w.rec[:0]
	for _, c := range record {
		w.rec = append(w.rec, Cell(c))
	}
	return w.cw.Write(w.rec)
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() { w.cw.Flush() }

// Error reports any error of a previous Write or Flush.
func (w *Writer) Error() error { return w.cw.Error() }

// AppendCell appends s to dst as one field of a Writer's record: Cell's apostrophe, then
// encoding/csv's quoting (comma separator, LF line ends). It lets a hot loop build lines
// in a reused buffer; the caller adds the commas and the newline.
func AppendCell[T string | []byte](dst []byte, s T) []byte {
	prefix := false
	if len(s) > 0 {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			prefix = true
		}
	}
	// With the apostrophe first, the field needs quotes only for a special byte.
	quote := hasSpecial(s)
	if !prefix && !quote {
		quote = len(s) == 2 && s[0] == '\\' && s[1] == '.' || startsWithSpace(s)
	}
	if quote {
		dst = append(dst, '"')
	}
	if prefix {
		dst = append(dst, '\'')
	}
	if !quote {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"', '"')
		} else {
			dst = append(dst, s[i])
		}
	}
	return append(dst, '"')
}

// hasSpecial reports whether s holds a byte encoding/csv quotes a field for.
func hasSpecial[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\n' || c == '\r' || c == '"' || c == ',' {
			return true
		}
	}
	return false
}

// startsWithSpace reports whether s's first rune is a Unicode space (encoding/csv quotes
// such a field).
func startsWithSpace[T string | []byte](s T) bool {
	if len(s) == 0 {
		return false
	}
	if s[0] < utf8.RuneSelf {
		return unicode.IsSpace(rune(s[0]))
	}
	var r rune
	switch v := any(s).(type) {
	case string:
		r, _ = utf8.DecodeRuneInString(v)
	case []byte:
		r, _ = utf8.DecodeRune(v)
	}
	return unicode.IsSpace(r)
}
