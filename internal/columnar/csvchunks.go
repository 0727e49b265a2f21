package columnar

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	"github.com/rolemine/rolemine/internal/parallel"
)

// csvParallelMin is the size from which readCSV reads a file in chunks on every core:
// below it, the scan for chunk ends and the merge cost more than they save.
const csvParallelMin = 32 << 20

// csvChunkBytes is the least number of bytes of a file one chunk holds (csvChunkSize).
const csvChunkBytes = 4 << 20

// csvChunkSize returns the chunk size for a file of size bytes: about four chunks per
// core, at least csvChunkBytes. The merge looks up each chunk's distinct values of a
// column in the file's dictionary, on one goroutine per column: a column of values
// spread over the whole file (the assignments' role_id, not sorted) brings most of its
// values again in every chunk, so more chunks than the cores need cost merge time.
// A chunk's bytes are never held whole (each is read through a small buffer), so a
// large chunk costs no more memory than its rows' codes, which the table keeps anyway.
func csvChunkSize(size int64) int64 {
	return max(csvChunkBytes, size/int64(4*runtime.GOMAXPROCS(0)))
}

// errCSVFallback says that the chunked reading cannot give what the sequential reading
// gives (a format or data error, a value repeated across chunks in a column of unique
// values, a file too short): readCSVChunked then reads the whole file with readCSVSeq.
var errCSVFallback = errors.New("csv: read sequentially")

// readCSVChunked is readCSV reading a file in chunks of about chunk bytes, on every core,
// with the same table (rows, lines, every column's codes, values and first-seen order,
// raw and run modes), Input and errors as readCSVSeq:
//
//   - the header, and for a spec with rawIfDistinct columns the first minRawRows rows,
//     are read by the sequential code into the table's columns, so that judgeRaw decides
//     each column's mode there exactly as readCSVSeq does; every column keeps that mode
//     for the rest of the file;
//   - the rest is cut at line ends outside quotes (splitCSV) and each chunk is read by an
//     encoding/csv reader of its own into chunk-local columns (dictionaries, or arenas for
//     raw columns); the chunks are merged in file order (column.mergeChunk), so codes
//     follow first-seen order, and a runs column's first value in a chunk joins the run
//     of the chunk before when it repeats it;
//   - any error of any chunk (format or data), a UTF-16 mark, a file ending within the
//     first minRawRows rows, and a value of a modeUnique dictionary column seen in two
//     chunks, falls back to readCSVSeq over the whole file, so that every message is
//     the sequential reader's. A chunk cut inside a quoted field (the quote scan is only
//     a guess at a malformed file) ends in an open quote, an error, so it falls back too.
//
// The SHA-256 is computed on one of the workers while the chunks are read.
func readCSVChunked(ctx context.Context, path string, spec *tableSpec, chunk int64) (*table, error) {
	t, err := readCSVParallel(ctx, path, spec, chunk)
	if err == nil {
		return t, nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return nil, cerr
	}
	var perr *parallel.PanicError
	if errors.As(err, &perr) {
		return nil, err
	}
	return readCSVSeq(ctx, path, spec)
}

// csvHead is what readCSVHead read sequentially: the table and its columns by field, the
// rows read and the offset of the byte after them.
type csvHead struct {
	t      *table
	sinks  []*column
	probs  *problems
	spec   *tableSpec
	rows   int
	off    int64
	fields int
}

// readCSVParallel is readCSVChunked without its fallback: errCSVFallback (or any error)
// sends the file to readCSVSeq.
func readCSVParallel(ctx context.Context, path string, spec *tableSpec, chunk int64) (*table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	head, err := readCSVHead(f, filepath.Base(path), spec)
	if err != nil {
		return nil, err
	}
	line, err := countLines(f, head.off)
	if err != nil {
		return nil, err
	}
	chunks, err := splitCSV(ctx, f, head.off, size, chunk, line+1)
	if err != nil {
		return nil, err
	}
	parts := make([]*csvPart, len(chunks))
	var sum []byte
	var read int64
	err = parallel.Each(ctx, len(chunks)+1, runtime.GOMAXPROCS(0), func(_, k int) error {
		if k == 0 { // the longest item: handed out first
			var herr error
			sum, read, herr = hashFile(f, size)
			return herr
		}
		ch := chunks[k-1]
		var cerr error
		parts[k-1], cerr = readCSVChunk(ctx, f, ch, head)
		return cerr
	})
	if err != nil {
		return nil, err
	}
	if err := head.merge(ctx, parts); err != nil {
		return nil, err
	}
	t := head.t
	t.seal()
	if err := head.probs.err(); err != nil {
		return nil, err
	}
	t.input = Input{Name: head.spec.name, Path: path, Bytes: read, SHA256: hex.EncodeToString(sum), Rows: int64(t.rows)}
	return t, nil
}

// readCSVHead reads the header of file f (base name file) as readCSVSeq does and, when a
// column of spec may turn raw (rawIfDistinct), the first minRawRows rows too, then
// judges those columns: the mode of every column is then final.
func readCSVHead(f *os.File, file string, spec *tableSpec) (*csvHead, error) {
	br := bufio.NewReaderSize(f, 1<<16)
	bom := 0
	if b, _ := br.Peek(len(utf8BOM)); string(b) == utf8BOM {
		bom, _ = br.Discard(len(utf8BOM))
	} else if len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
		return nil, fmt.Errorf("%w: a UTF-16 byte order mark", errCSVFallback)
	}
	r := csv.NewReader(br)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return nil, err
	}
	names := append([]string(nil), header...)
	spec = adaptSpec(spec, names)
	if err := checkHeader(file, spec, names); err != nil {
		return nil, err
	}
	probs := newProblems(file)
	t, sinks := newCSVTable(file, spec, names, probs)
	h := &csvHead{t: t, sinks: sinks, probs: probs, spec: spec, fields: len(names)}
	if slices.ContainsFunc(t.cols, func(c *column) bool { return c.rawIfDistinct }) {
		for h.rows < minRawRows {
			rec, err := r.Read()
			if err != nil {
				return nil, fmt.Errorf("%w: within the first rows: %v", errCSVFallback, err)
			}
			line, _ := r.FieldPos(0)
			putCSVRow(rec, sinks, int64(line))
			if spec.keepLines {
				t.lines = append(t.lines, int64(line))
			}
			h.rows++
		}
		for _, c := range t.cols {
			c.judgeRaw(int64(h.rows), 0)
		}
	}
	if probs.any() {
		return nil, errCSVFallback
	}
	h.off = int64(bom) + r.InputOffset()
	return h, nil
}

// countLines returns the number of line feeds in the first n bytes of f.
func countLines(f io.ReaderAt, n int64) (int64, error) {
	buf := make([]byte, min(n, 1<<20))
	lines := int64(0)
	for off := int64(0); off < n; {
		b := buf[:min(int64(len(buf)), n-off)]
		if _, err := f.ReadAt(b, off); err != nil {
			return 0, err
		}
		lines += int64(bytes.Count(b, []byte{'\n'}))
		off += int64(len(b))
	}
	return lines, nil
}

// csvChunk is a run of whole records of a file: bytes [off, end), its first line line,
// and lines lines (at least its rows: room for their codes).
type csvChunk struct {
	off, end, line, lines int64
}

// splitCSV cuts bytes [from, size) of f, starting at line line, into chunks of about
// chunk bytes, each ending at the first line feed past chunk bytes that follows an even
// number of quotes since from: outside quotes in a well-formed file; in a malformed one a
// cut in a quoted field leaves the chunk before it ending in an open quote, an error of
// that chunk, which sends the file to readCSVSeq. It reads the file once, a MiB at a
// time, counting quotes and line feeds (bytes.Count) up to each cut and byte by byte
// only from there to the line feed.
func splitCSV(ctx context.Context, f io.ReaderAt, from, size, chunk, line int64) ([]csvChunk, error) {
	var out []csvChunk
	buf := make([]byte, min(1<<20, size-from))
	start, startLine, next := from, line, from+chunk
	quotes := 0
	for off := from; off < size; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := buf[:min(int64(len(buf)), size-off)]
		if _, err := f.ReadAt(b, off); err != nil {
			return nil, fmt.Errorf("scanning for record ends: %w", err)
		}
		for i := 0; i < len(b); {
			if j := int(min(int64(len(b)), next-off)); i < j {
				quotes += bytes.Count(b[i:j], []byte{'"'})
				line += int64(bytes.Count(b[i:j], []byte{'\n'}))
				i = j
				continue
			}
			switch b[i] {
			case '"':
				quotes++
			case '\n':
				line++
				if quotes%2 == 0 {
					end := off + int64(i) + 1
					out = append(out, csvChunk{start, end, startLine, line - startLine})
					start, startLine, next = end, line, end+chunk
				}
			}
			i++
		}
		off += int64(len(b))
	}
	if start < size {
		out = append(out, csvChunk{start, size, startLine, line - startLine + 1})
	}
	return out, nil
}

// hashFile returns the SHA-256 of f's size bytes and how many were read.
func hashFile(f io.ReaderAt, size int64) ([]byte, int64, error) {
	h := sha256.New()
	n, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, size), make([]byte, 1<<20))
	if err != nil {
		return nil, 0, err
	}
	return h.Sum(nil), n, nil
}

// csvPart is one chunk read into chunk-local columns.
type csvPart struct {
	cols  []*column // by field, nil where not read
	lines []int64   // each row's line, with keepLines
	rows  int
}

// readCSVChunk reads chunk ch of f into columns like head's (of their final modes);
// errCSVFallback on any error or data problem.
func readCSVChunk(ctx context.Context, f io.ReaderAt, ch csvChunk, head *csvHead) (*csvPart, error) {
	probs := newProblems(head.t.file)
	p := &csvPart{cols: make([]*column, len(head.sinks))}
	if head.spec.keepLines {
		p.lines = make([]int64, 0, ch.lines)
	}
	for i, c := range head.sinks {
		if c != nil {
			p.cols[i] = c.chunkColumn(probs, int(ch.lines))
		}
	}
	r := csv.NewReader(bufio.NewReaderSize(io.NewSectionReader(f, ch.off, ch.end-ch.off), 1<<16))
	r.ReuseRecord = true
	r.FieldsPerRecord = head.fields
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errCSVFallback, err)
		}
		line, _ := r.FieldPos(0)
		pos := ch.line + int64(line) - 1
		putCSVRow(rec, p.cols, pos)
		if head.spec.keepLines {
			p.lines = append(p.lines, pos)
		}
		p.rows++
		if p.rows%ctxCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	if probs.any() {
		return nil, errCSVFallback
	}
	return p, nil
}

// chunkColumn returns an empty column for one chunk of c's file: c's name, mode and
// final kind (dictionary, raw, runs), reporting to errs, with room for about rows codes.
func (c *column) chunkColumn(errs *problems, rows int) *column {
	l := &column{name: c.name, mode: c.mode, errs: errs, lastCode: -1, raw: c.raw, runs: c.runs,
		codes: make([]int32, 0, rows)}
	if !c.raw {
		l.ids = make(map[string]int32)
	}
	return l
}

// merge appends the chunks' rows, lines and columns to head's table, in file order, one
// column per worker.
func (h *csvHead) merge(ctx context.Context, parts []*csvPart) error {
	t := h.t
	t.rows = h.rows
	for _, p := range parts {
		t.rows += p.rows
	}
	if h.spec.keepLines {
		t.lines = slices.Grow(t.lines, t.rows-len(t.lines))
		for _, p := range parts {
			t.lines = append(t.lines, p.lines...)
		}
	}
	return parallel.Each(ctx, len(h.sinks), runtime.GOMAXPROCS(0), func(_, i int) error {
		c := h.sinks[i]
		if c == nil {
			return nil
		}
		c.codes = slices.Grow(c.codes, t.rows-len(c.codes))
		if c.raw {
			c.growRaw(parts, i)
		}
		for _, p := range parts {
			if err := c.mergeChunk(p.cols[i]); err != nil {
				return err
			}
			p.cols[i] = nil // its codes and values are no longer needed
		}
		return nil
	})
}

// growRaw sizes a raw column's arena and ends for the values of column i of parts.
func (c *column) growRaw(parts []*csvPart, i int) {
	bytes, values := 0, 0
	for _, p := range parts {
		bytes += p.cols[i].arena.Len()
		values += len(p.cols[i].ends)
	}
	c.arena.Grow(bytes)
	c.ends = slices.Grow(c.ends, values)
}

// mergeChunk appends the rows of l, the same column read from the next chunk, as
// readCSVSeq would have coded them in c.
func (c *column) mergeChunk(l *column) error {
	if c.raw {
		c.mergeRaw(l)
		return nil
	}
	remap := make([]int32, len(l.vals))
	for j, v := range l.vals {
		code, ok := c.ids[v]
		switch {
		case ok && c.mode == modeUnique:
			return fmt.Errorf("%w: %s repeats a value of an earlier chunk", errCSVFallback, c.name)
		case !ok:
			code = int32(len(c.vals))
			c.ids[v] = code
			c.vals = append(c.vals, v)
			if c.mode == modeUnique {
				c.firstPos = append(c.firstPos, l.firstPos[j])
			}
		}
		remap[j] = code
	}
	for _, k := range l.codes {
		if k >= 0 {
			k = remap[k]
		}
		c.codes = append(c.codes, k)
	}
	if l.lastCode >= 0 {
		c.lastCode = remap[l.lastCode]
	}
	return nil
}

// mergeRaw is mergeChunk for a raw column: l's values follow c's in the arena, their
// codes shifted past c's; with runs, l's first value joins c's last run when it repeats
// its value, as it would have read after it.
func (c *column) mergeRaw(l *column) {
	skip, from := 0, 0
	if c.runs && c.lastCode >= 0 && len(l.ends) > 0 && l.arena.String()[:l.ends[0]] == c.lastRaw() {
		skip, from = 1, l.ends[0]
	}
	base := int32(c.rawBase+len(c.ends)) - int32(skip)
	off := c.arena.Len() - from
	c.arena.WriteString(l.arena.String()[from:])
	for _, e := range l.ends[skip:] {
		c.ends = append(c.ends, e+off)
	}
	joined := c.lastCode
	code := func(k int32) int32 {
		switch {
		case k < 0:
			return k
		case k < int32(skip):
			return joined
		default:
			return base + k
		}
	}
	for _, k := range l.codes {
		c.codes = append(c.codes, code(k))
	}
	if l.lastCode >= 0 {
		c.lastCode = code(l.lastCode)
	}
}
