package parquetenc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Writer writes encoded row groups to a file, then the page index and the footer.
type Writer struct {
	out      io.Writer
	offset   int64
	template []byte
	meta     *format.FileMetaData
	groups   []format.RowGroup
	colIdx   [][]format.ColumnIndex
	offIdx   [][]format.OffsetIndex
}

// NewWriter returns a writer to out. template is the file parquet-go writes for no rows
// with the writer options this file stands for: its footer gives the schema, created_by,
// key/value metadata and column orders, and it is the whole output when no row group is
// written.
func NewWriter(out io.Writer, template []byte) (*Writer, error) {
	f, err := parquet.OpenFile(bytes.NewReader(template), int64(len(template)))
	if err != nil {
		return nil, fmt.Errorf("parquetenc: template file: %w", err)
	}
	meta := *f.Metadata()
	if len(meta.RowGroups) != 0 {
		return nil, fmt.Errorf("parquetenc: template file has %d row groups, want none", len(meta.RowGroups))
	}
	return &Writer{out: out, template: template, meta: &meta}, nil
}

// Template returns the bytes parquet-go writes for no rows of T with options.
func Template[T any](options ...parquet.WriterOption) ([]byte, error) {
	var buf bytes.Buffer
	pw := parquet.NewGenericWriter[T](&buf, options...)
	if err := pw.Close(); err != nil {
		return nil, fmt.Errorf("parquetenc: template file: %w", err)
	}
	return buf.Bytes(), nil
}

func (w *Writer) write(b []byte) error {
	n, err := w.out.Write(b)
	w.offset += int64(n)
	return err
}

// WriteGroup appends g (its rows after those of the groups written before). A group of
// no rows is skipped, as parquet-go skips it.
func (w *Writer) WriteGroup(g *Group) error {
	if g.NumRows == 0 {
		return nil
	}
	if w.offset == 0 {
		if err := w.write([]byte("PAR1")); err != nil {
			return err
		}
	}
	base := w.offset
	rg := format.RowGroup{
		Columns:    make([]format.ColumnChunk, len(g.chunks)),
		NumRows:    g.NumRows,
		FileOffset: base,
		Ordinal:    int16(len(w.groups)),
		// parquet-go writes an empty list of sorting columns.
		SortingColumns: []format.SortingColumn{},
	}
	for i, c := range g.chunks {
		m := &c.MetaData
		m.DataPageOffset += base
		if hasDict(m) {
			m.DictionaryPageOffset += base
		}
		rg.TotalByteSize += m.TotalUncompressedSize
		rg.TotalCompressedSize += m.TotalCompressedSize
		rg.Columns[i] = c
		for j := range g.offIdx[i].PageLocations {
			g.offIdx[i].PageLocations[j].Offset += base
		}
	}
	if err := w.write(g.Data); err != nil {
		return err
	}
	w.groups = append(w.groups, rg)
	w.colIdx = append(w.colIdx, g.colIdx)
	w.offIdx = append(w.offIdx, g.offIdx)
	return nil
}

func hasDict(m *format.ColumnMetaData) bool {
	return len(m.EncodingStats) > 0 && m.EncodingStats[0].PageType == format.DictionaryPage
}

// Close writes the page index and the footer (or the template when no row group was
// written). It does not close the underlying writer.
func (w *Writer) Close() error {
	if len(w.groups) == 0 {
		return w.write(w.template)
	}
	var buf bytesWriter
	var proto thrift.CompactProtocol
	enc := thrift.NewEncoder(proto.NewWriter(&buf))
	emit := func(v any) (int64, int32, error) {
		buf.b = buf.b[:0]
		if err := enc.Encode(v); err != nil {
			return 0, 0, fmt.Errorf("parquetenc: footer: %w", err)
		}
		at := w.offset
		return at, int32(len(buf.b)), w.write(buf.b)
	}
	var err error
	for i := range w.colIdx {
		for j := range w.colIdx[i] {
			c := &w.groups[i].Columns[j]
			if c.ColumnIndexOffset, c.ColumnIndexLength, err = emit(&w.colIdx[i][j]); err != nil {
				return err
			}
		}
	}
	for i := range w.offIdx {
		for j := range w.offIdx[i] {
			c := &w.groups[i].Columns[j]
			if c.OffsetIndexOffset, c.OffsetIndexLength, err = emit(&w.offIdx[i][j]); err != nil {
				return err
			}
		}
	}
	meta := *w.meta
	meta.RowGroups = w.groups
	meta.NumRows = 0
	for _, g := range w.groups {
		meta.NumRows += g.NumRows
	}
	_, n, err := emit(&meta)
	if err != nil {
		return err
	}
	var tail [8]byte
	binary.LittleEndian.PutUint32(tail[:4], uint32(n))
	copy(tail[4:], "PAR1")
	return w.write(tail[:])
}
