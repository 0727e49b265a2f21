// Package safecsv writes CSV files that are safe to open in a spreadsheet: a cell that
// starts with a character a spreadsheet reads as the start of a formula (=, +, -, @, tab
// or carriage return) gets a leading apostrophe, so that identity ids, role names and the
// like taken from input data show as text and never run (CSV or formula injection). See
// docs/outputs.md, "out-csv".
package safecsv

import (
	"encoding/csv"
	"io"
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
