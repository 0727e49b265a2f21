package columnar

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/prefault"
	"github.com/rolemine/rolemine/internal/uerr"
)

// readParquet decodes the columns spec wants from a Parquet file into dictionary-coded
// columns, one goroutine per column (at most GOMAXPROCS at a time).
//
// Decoding goes page by page (RATIONALE.md section 1): a dictionary page's entries are each
// mapped once to a code of the column's global dictionary, and the page's int32 indexes are
// then translated through that small table; plain pages give byte arrays that are looked up
// with m[string(b)], which does not allocate. No Go string is built per row.
func readParquet(ctx context.Context, path string, spec *tableSpec) (t *table, err error) {
	file := filepath.Base(path)
	// parquet-go trusts the file's metadata in places; a corrupt file may make it panic.
	// The column decoders recover on their own goroutines; this covers the rest.
	defer func() {
		// recover: parquet-go's panic is a corrupt file; one in rolemine's code a bug (ownBug)
		if p := recover(); p != nil {
			t, err = nil, fmt.Errorf("%s: corrupt Parquet file: %v", file, p)
			if bug := ownBug(p); bug != nil {
				err = fmt.Errorf("%s: %w", file, bug)
			}
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open: %w", file, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot stat: %w", file, err)
	}
	size := st.Size()
	withSum := !spec.noSum
	pf, pages, pagesSize, spec, rows, err := openParquetTable(file, f, size, spec)
	if err != nil {
		return nil, err
	}
	probs := newProblems(file)
	t = &table{file: file, rows: int(rows), header: columnNames(pf)}
	own := &ownPlan{r: pages}
	check := func(leaves ...*parquet.Column) error {
		if err := checkPageHeaders(pages, pagesSize, pf, leaves, own); err != nil {
			return fmt.Errorf("%s: corrupt Parquet file: %w", file, err)
		}
		return nil
	}
	leaves, err := t.addParquetColumns(pf, spec, probs, size, check)
	if err != nil {
		return nil, err
	}
	if err := check(leaves...); err != nil {
		return nil, err
	}
	for i, leaf := range leaves {
		t.cols[i].own, t.cols[i].ownR = own.column(leaf.Index()), pages
	}
	sum, sumErr, err := decodeParquetColumns(ctx, file, f, size, pf, leaves, t.cols, withSum, spec.decoded)
	if err != nil {
		return nil, err
	}
	t.seal()
	if err := probs.err(); err != nil {
		return nil, err
	}
	if sumErr != nil {
		return nil, sumErr
	}
	t.input = Input{Name: spec.name, Path: path, Bytes: size, SHA256: sum, Rows: rows}
	return t, nil
}

// openParquetTable opens the Parquet file f, adapts spec to its columns, checks the
// header and that the footer's row count agrees with the row groups. It also returns the
// reader the pages are read from and its size: f, or f rewritten with its LZ4 pages
// decompressed and RLE booleans re-encoded (openRewritten).
func openParquetTable(file string, f *os.File, size int64, spec *tableSpec) (*parquet.File, io.ReaderAt, int64, *tableSpec, int64, error) {
	pf, err := openParquet(f, size)
	if err != nil {
		return nil, nil, 0, nil, 0, fmt.Errorf("%s: not a readable Parquet file: %v", file, err)
	}
	pf, pages, pagesSize, err := openRewritten(f, size, pf)
	if err != nil {
		return nil, nil, 0, nil, 0, fmt.Errorf("%s: corrupt Parquet file: %v", file, err)
	}
	names := columnNames(pf)
	spec = adaptSpec(spec, names)
	if err := checkHeader(file, spec, names); err != nil {
		return nil, nil, 0, nil, 0, err
	}
	rows := pf.NumRows()
	var groupRows int64
	for _, rg := range pf.RowGroups() {
		groupRows += rg.NumRows()
	}
	if rows < 0 || groupRows != rows || rows > maxRows {
		return nil, nil, 0, nil, 0, fmt.Errorf("%s: corrupt Parquet metadata: %d rows in the footer, %d in the row groups", file, rows, groupRows)
	}
	return pf, pages, pagesSize, spec, rows, nil
}

// addParquetColumns adds to t a column for each field spec wants (multi-valued
// attributes of identities decoded at once into t.lists) and returns the leaves whose
// pages are still to decode, in t.cols order. check checks a list leaf's pages before
// they are decoded (checkPageHeaders).
func (t *table) addParquetColumns(pf *parquet.File, spec *tableSpec, probs *problems, size int64,
	check func(...*parquet.Column) error) ([]*parquet.Column, error) {
	rows := int64(t.rows)
	var leaves []*parquet.Column
	for _, c := range pf.Root().Columns() {
		mode, ok := spec.wants(c.Name())
		if !ok {
			continue
		}
		if leaf := listLeaf(c); leaf != nil && spec.name == "identities" && mode == modeValue && c.Name() != KindDimension {
			// A multi-valued attribute (effective privilege): decoded on its own.
			if err := check(leaf); err != nil {
				return nil, err
			}
			lc, err := readListColumn(t.file, c.Name(), leaf, rows, 16*size+1024)
			if err != nil {
				return nil, err
			}
			t.lists = append(t.lists, lc)
			continue
		}
		if err := checkParquetColumn(t.file, c); err != nil {
			return nil, err
		}
		// The footer's row count sizes the code slices; bound it by the file size so that
		// a corrupt footer cannot demand gigabytes (the slices grow if the hint is low).
		t.cols = append(t.cols, spec.newColumn(c.Name(), mode, probs, int(min(rows, 16*size+1024))))
		leaves = append(leaves, c)
	}
	return leaves, nil
}

// decodeParquetColumns decodes leaves into cols, one goroutine per column (at most
// GOMAXPROCS at a time), while another fingerprints the file (withSum), calling decoded
// (unless nil) after each row group of a column (tableSpec.decoded). It returns the
// file's SHA-256 ("" without withSum), the fingerprint's own error, and the first
// decoding error (or the context's).
func decodeParquetColumns(ctx context.Context, file string, f *os.File, size int64, pf *parquet.File,
	leaves []*parquet.Column, cols []*column, withSum bool, decoded func(*column, int64)) (sum string, sumErr, err error) {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fault, _ := ctx.Value(decodeFaultKey{}).(func(file, column string))
	var hashWG sync.WaitGroup
	var hashBug parallel.Bugs // a panic fingerprinting the file (a bug) fails the load
	hashBug.Go(&hashWG, func() {
		if !withSum {
			return
		}
		if fault != nil {
			fault(file, SumFaultColumn)
		}
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, size)); err != nil {
			sumErr = fmt.Errorf("%s: cannot read: %w", file, err)
			return
		}
		sum = hex.EncodeToString(h.Sum(nil))
	})
	errs := make([]error, len(leaves))
	order := largestFirst(pf, leaves)
	// Each failure is kept in errs (the pool's own error would be the cancellation); a
	// bug (a panic) stops the pool and is returned before anything else.
	bug := parallel.Each(ctx, len(leaves), runtime.GOMAXPROCS(0), func(_, k int) error {
		i := order[k]
		if fault != nil {
			fault(file, leaves[i].Name())
		}
		presizeArena(pf, leaves[i].Index(), size, cols[i])
		if err := decodeParquetColumn(ctx, pf, leaves[i], cols[i], decoded); err != nil {
			errs[i] = fmt.Errorf("%s column %s: %w", file, leaves[i].Name(), err)
			cancel()
			if uerr.IsInternal(err) {
				return errs[i]
			}
		}
		return nil
	})
	hashWG.Wait()
	if hb := hashBug.Err(); hb != nil && !uerr.IsInternal(bug) {
		return "", nil, fmt.Errorf("%s: computing its SHA-256: %w", file, hb)
	}
	if uerr.IsInternal(bug) {
		if _, bare := bug.(*parallel.PanicError); bare {
			bug = fmt.Errorf("%s: decoding its columns: %w", file, bug)
		}
		return "", nil, bug
	}
	if err := parent.Err(); err != nil {
		return "", nil, err
	}
	for _, e := range errs {
		// A failing column cancels its siblings: report the failure, not the cancellations.
		if e != nil && !errors.Is(e, context.Canceled) {
			return "", nil, e
		}
	}
	return sum, sumErr, nil
}

// The column names WithDecodeFault's fault is given on goroutines that decode no column:
// SumFaultColumn on the one fingerprinting a Parquet file (SHA-256), EarlyJoinFaultColumn
// on LoadHoldings' early join (with the assignments file's name). No test file has a
// column of either name.
const (
	SumFaultColumn       = "(sha256)"
	EarlyJoinFaultColumn = "(early join)"
)

// decodeFaultKey is the context key of a test's stand-in for a bug in the reading of the
// input files: a func(file, column string) (WithDecodeFault).
type decodeFaultKey struct{}

// WithDecodeFault returns ctx carrying fault, which the load then calls on the goroutine
// reading each input file, before it is read, with the file's name and column "", on
// the worker of each Parquet column, before it is decoded, with the column's name too,
// and on the goroutines of SumFaultColumn and EarlyJoinFaultColumn with those names
// (tests only: a fault that panics stands in for a bug in rolemine).
func WithDecodeFault(ctx context.Context, fault func(file, column string)) context.Context {
	return context.WithValue(ctx, decodeFaultKey{}, fault)
}

// largestFirst returns the indices of leaves ordered by their compressed size in the
// file, largest first (ties in column order): decoded in that order, the file's last
// column to finish is a small one, and the processors are not left waiting on one large
// column (the assignments' account_id) started last.
func largestFirst(pf *parquet.File, leaves []*parquet.Column) []int {
	size := make([]int64, len(leaves))
	for _, rg := range pf.Metadata().RowGroups {
		for i, leaf := range leaves {
			if idx := leaf.Index(); idx >= 0 && idx < len(rg.Columns) {
				size[i] += max(rg.Columns[idx].MetaData.TotalCompressedSize, 0)
			}
		}
	}
	order := make([]int, len(leaves))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(size[b], size[a]) })
	return order
}

// presizeArena sizes a raw column's arena once for the values of column idx in every row
// group, by the footer's uncompressed sizes (which count some page overhead as well),
// rather than let it double as it fills: at five million account ids the copies of
// growing cost more than the writes. A column that may turn raw while read
// (rawIfDistinct) keeps the size for then (column.rawBytes). The hint is bounded by 16
// times the file's size so that a corrupt footer cannot demand more.
func presizeArena(pf *parquet.File, idx int, size int64, c *column) {
	if (!c.raw && !c.rawIfDistinct) || c.arena.Len() > 0 {
		return
	}
	var total int64
	for _, rg := range pf.Metadata().RowGroups {
		if idx >= 0 && idx < len(rg.Columns) {
			total += max(rg.Columns[idx].MetaData.TotalUncompressedSize, 0)
		}
	}
	if !c.raw {
		c.rawBytes = int(min(total, 16*size))
		return
	}
	c.arena.Grow(int(min(total, 16*size)))
	// The values fill most of it (the uncompressed size also counts their lengths): map it
	// in before they are copied there.
	prefault.Populate(arenaRoom(&c.arena))
}

// arenaRoom is the memory an arena has room for, written or not: the bytes from its
// first on, as far as its capacity. Only for advice about that memory (prefault).
func arenaRoom(b *strings.Builder) []byte {
	if b.Cap() == 0 {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(b.String()), b.Cap())
}

// copyString returns a string holding a copy of b, whose memory, when large, is mapped
// in before the copy writes it (prefault).
func copyString(b []byte) string {
	if len(b) < prefault.MinBytes {
		return string(b)
	}
	buf := prefault.Make[byte](len(b))
	copy(buf, b)
	return unsafe.String(unsafe.SliceData(buf), len(buf))
}

// maxRows bounds the rows of one file: codes and CSR offsets are int32 row indices.
const maxRows = 1<<31 - 1

// openParquet opens a Parquet file, turning a panic of the decoder on a corrupt footer into
// an error.
func openParquet(r io.ReaderAt, size int64) (pf *parquet.File, err error) {
	// Check the framing first: parquet-go allocates the footer length the file claims.
	var head, tail [8]byte
	if size < 12 {
		return nil, fmt.Errorf("%d bytes is too short", size)
	}
	if _, err := r.ReadAt(head[:4], 0); err != nil {
		return nil, err
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, err
	}
	if string(head[:4]) != "PAR1" || string(tail[4:]) != "PAR1" {
		return nil, errors.New(`missing the "PAR1" magic bytes at the start or end (encrypted Parquet is not supported)`)
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n > size-12 {
		return nil, fmt.Errorf("footer length %d exceeds the file size %d (truncated file?)", n, size)
	}
	// parquet-go allocates the element count a list in the footer declares (checkThrift).
	footer := make([]byte, n)
	if _, err := r.ReadAt(footer, size-8-n); err != nil {
		return nil, err
	}
	if err := checkThrift(footer); err != nil {
		return nil, fmt.Errorf("corrupt footer: %v", err)
	}
	defer func() {
		// recover: parquet-go's panic is a corrupt footer; one in rolemine's code a bug (ownBug)
		if p := recover(); p != nil {
			pf, err = nil, fmt.Errorf("corrupt footer: %v", p)
			if bug := ownBug(p); bug != nil {
				err = fmt.Errorf("reading the footer: %w", bug)
			}
		}
	}()
	return parquet.OpenFile(r, size,
		parquet.SkipPageIndex(true),
		parquet.SkipBloomFilters(true),
		parquet.ReadBufferSize(256<<10),
	)
}

// checkParquetColumn accepts flat, non-repeated string (BYTE_ARRAY), integer (INT32,
// INT64), BOOLEAN and INT96 columns, DECIMALs (on those or on FIXED_LEN_BYTE_ARRAY) and
// UUIDs, required or optional.
func checkParquetColumn(file string, c *parquet.Column) error {
	if !c.Leaf() {
		if e := listElement(c); e != nil {
			return fmt.Errorf("%s column %s: is a list of %s (%s); expected one value per row (a list is read only as an attribute of identities, and only a list of strings)", file, c.Name(), e.Type().Kind(), e.Type())
		}
		return fmt.Errorf("%s column %s: is a nested group; expected a flat string or integer column", file, c.Name())
	}
	if c.Repeated() {
		return fmt.Errorf("%s column %s: is repeated (a list); expected one string or integer value per row", file, c.Name())
	}
	if err := checkDecimal(file, c); err != nil {
		return err
	}
	switch k := c.Type().Kind(); k {
	case parquet.ByteArray, parquet.Int32, parquet.Int64, parquet.Int96, parquet.Boolean:
		return nil
	case parquet.FixedLenByteArray:
		if _, ok := wideTextOf(c.Type()); ok {
			return nil
		}
		return fmt.Errorf("%s column %s: has type FIXED_LEN_BYTE_ARRAY(%d) (%s); rolemine reads it only as a DECIMAL or a UUID: %s", file, c.Name(), c.Type().Length(), c.Type(), expectedTypes)
	default:
		return fmt.Errorf("%s column %s: has type %s; %s", file, c.Name(), k, expectedTypes)
	}
}

// decodeParquetColumn codes every row of leaf into c, row group by row group, page by
// page, calling decoded (unless nil) after each row group.
func decodeParquetColumn(ctx context.Context, pf *parquet.File, leaf *parquet.Column, c *column, decoded func(*column, int64)) (err error) {
	defer func() {
		// recover: parquet-go's panic is corrupt data; one in rolemine's code a bug (ownBug)
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt data: %v", p)
			if bug := ownBug(p); bug != nil {
				err = bug
			}
		}
	}()
	d := pageDecoder{c: c, kind: leaf.Type().Kind(), ints: intTextOf(leaf.Type()), maxDef: byte(leaf.MaxDefinitionLevel()), groups: len(pf.RowGroups())}
	if w, ok := wideTextOf(leaf.Type()); ok {
		d.kind, d.wide = kindWide, w
	}
	idx := leaf.Index()
	for g, rg := range pf.RowGroups() {
		start := d.pos
		chunks := rg.ColumnChunks()
		if idx < 0 || idx >= len(chunks) {
			return fmt.Errorf("row group %d has no chunk for this column", g)
		}
		if g == 0 && len(c.vals) == 0 && c.mode != modeUnique && !c.raw && !c.chunkDicts { // unique, raw: sized by rows; chunkDicts: no map to size
			if hint := dictionaryHint(pf, idx); hint > 0 {
				c.reserve(hint)
			} else {
				d.sizeAfter = pf.NumRows() // plain pages: sized once the first pages show how distinct they are
			}
		}
		own, err := d.decodeOwn(ctx, g, chunks[idx])
		if err != nil {
			return fmt.Errorf("row group %d: %w", g, err)
		}
		pages := chunks[idx].Pages()
		for !own {
			if err := ctx.Err(); err != nil {
				pages.Close()
				return err
			}
			p, err := pages.ReadPage()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				pages.Close()
				return fmt.Errorf("row group %d: %w", g, err)
			}
			err = d.page(p)
			parquet.Release(p)
			if err != nil {
				pages.Close()
				return fmt.Errorf("row group %d: %w", g, err)
			}
		}
		if err := pages.Close(); err != nil {
			return fmt.Errorf("row group %d: %w", g, err)
		}
		if got, want := d.pos-start, rg.NumRows(); got != want {
			return fmt.Errorf("row group %d: %d values, expected %d (one per row)", g, got, want)
		}
		c.judgeChunkDicts(d.pos)
		if decoded != nil {
			decoded(c, pf.NumRows())
		}
	}
	return nil
}

// dictionaryHint sizes the dictionary of column idx from those of its first two chunks.
// When nearly every entry of the second is new (a column of ids in a file ordered by
// them), every further row group is assumed to bring as many; otherwise (roles, teams:
// values that recur from group to group) the hint is the two chunks' distinct entries,
// and the dictionary grows past it as needed. Sizing a recurring column by the number of
// groups spread about 100k roles over a table of four million at tier XL. 0 when the first
// chunk has no dictionary.
func dictionaryHint(pf *parquet.File, idx int) int {
	rgs := pf.RowGroups()
	keys0 := dictionaryKeys(rgs[0], idx)
	if keys0 == nil {
		return 0
	}
	n := int64(len(keys0))
	if len(rgs) > 1 {
		seen := make(map[string]struct{}, len(keys0))
		for _, k := range keys0 {
			seen[k] = struct{}{}
		}
		keys1 := dictionaryKeys(rgs[1], idx)
		fresh := 0
		for _, k := range keys1 {
			if _, ok := seen[k]; !ok {
				fresh++
			}
		}
		if 10*fresh >= 9*len(keys1) {
			n += int64(fresh) * int64(len(rgs)-1)
		} else {
			n += int64(fresh)
		}
	}
	return int(min(n, pf.NumRows()))
}

// dictionaryKeys returns the entries of the dictionary of column idx in row group rg as
// strings (byte arrays as they are, integers as their bytes), or nil without one.
func dictionaryKeys(rg parquet.RowGroup, idx int) []string {
	chunks := rg.ColumnChunks()
	if idx < 0 || idx >= len(chunks) {
		return nil
	}
	pages := chunks[idx].Pages()
	defer pages.Close()
	dp, ok := pages.(interface {
		ReadDictionary() (parquet.Dictionary, error)
	})
	if !ok {
		return nil
	}
	dict, err := dp.ReadDictionary()
	if err != nil || dict == nil {
		return nil
	}
	keys := make([]string, 0, dict.Len())
	data := dict.Page().Data()
	switch dict.Type().Kind() {
	case parquet.ByteArray:
		vals, offs := data.ByteArray()
		for j := 0; j+1 < len(offs); j++ {
			keys = append(keys, string(vals[offs[j]:offs[j+1]]))
		}
	case parquet.Int32:
		for _, v := range data.Int32() {
			keys = append(keys, strconv.Itoa(int(v)))
		}
	case parquet.Int64:
		for _, v := range data.Int64() {
			keys = append(keys, strconv.FormatInt(v, 10))
		}
	}
	return keys
}

// pageDecoder turns the pages of one column into codes. pos counts the rows decoded so far
// (row pos+1 is the next one, 1-based in messages). remap holds, for the dictionary of the
// current column chunk (dict), the global code of each dictionary entry.
type pageDecoder struct {
	c    *column
	kind parquet.Kind
	// ints says how an integer column's values are written as text: chosen once per
	// column from its logical type (intTextOf).
	ints intText
	// wide says how the values of a kindWide column (INT96, DECIMAL stored as bytes) are
	// written as text.
	wide   wideText
	maxDef byte
	pos    int64
	groups int // row groups in the file

	dict  parquet.Dictionary
	remap []int32
	// clean says that every entry of remap is a code a row may take as it is (no value
	// that is refused, no empty value where one is required, no column of unique
	// values): indexed then only translates the page. For a raw column it says that every
	// entry of dict is printable ASCII (rawIndexed).
	clean   bool
	badUTF8 map[int32]string // dictionary entries that are not valid UTF-8, for messages
	scratch []byte
	// sizeAfter, when not 0, is the rows of a file whose column has no dictionary to size
	// the map by: once a few plain pages are read, a column of nearly unique values (an
	// email) gets a map of that size rather than growing it a rehash at a time.
	sizeAfter int64
}

// minSizingRows is how many rows sizeDictionary wants seen before it judges a column.
const minSizingRows = 4096

// sizeDictionary presizes the column's map for the whole file (sizeAfter) when at least
// 90% of the values seen so far were distinct, or turns a rawIfDistinct column raw; it
// judges once, after minSizingRows rows.
func (d *pageDecoder) sizeDictionary() {
	c := d.c
	if d.sizeAfter == 0 || d.pos < minSizingRows {
		return
	}
	// The codes were sized by the footer's rows bounded by the file's size: a corrupt
	// footer cannot ask for more.
	n := int(min(d.sizeAfter, int64(c.codesRoom())))
	if c.judgeRaw(d.pos, n-int(d.pos)) {
		d.sizeAfter = 0
		return
	}
	if 10*int64(len(c.vals)) >= 9*d.pos && n > len(c.vals) {
		ids := make(map[string]int32, n)
		for code, v := range c.vals {
			ids[v] = int32(code)
		}
		c.ids = ids
		c.vals = slices.Grow(c.vals, n-len(c.vals))
	}
	d.sizeAfter = 0
}

func (d *pageDecoder) page(p parquet.Page) error {
	levels := p.DefinitionLevels()
	if d.maxDef == 0 {
		levels = nil
	}
	if int64(len(levels)) != p.NumRows() && levels != nil {
		return fmt.Errorf("page has %d definition levels for %d rows", len(levels), p.NumRows())
	}
	data := p.Data()
	if dict := p.Dictionary(); dict != nil {
		if d.c.raw {
			return d.rawIndexed(dict, data.Int32(), levels, p.NumRows())
		}
		if dict != d.dict {
			if err := d.mapDictionary(dict); err != nil {
				return err
			}
		}
		return d.indexed(data.Int32(), levels, p.NumRows())
	}
	d.c.expandRuns()
	defer d.sizeDictionary()
	switch d.kind {
	case parquet.ByteArray:
		vals, offs := data.ByteArray()
		n := max(len(offs)-1, 0)
		if d.c.raw && levels == nil && int64(n) == p.NumRows() && n > 0 && printableASCII(vals[offs[0]:offs[n]]) {
			d.rawPlain(vals, offs)
			return nil
		}
		return d.values(n, levels, p.NumRows(), func(i int) int32 {
			return d.c.intern(vals[offs[i]:offs[i+1]])
		}, func(i int) string { return string(vals[offs[i]:offs[i+1]]) })
	case parquet.Int32:
		v := data.Int32()
		return d.values(len(v), levels, p.NumRows(), func(i int) int32 {
			d.scratch = d.appendInt32(v[i])
			return d.c.intern(d.scratch)
		}, nil)
	case parquet.Int64:
		v := data.Int64()
		return d.values(len(v), levels, p.NumRows(), func(i int) int32 {
			d.scratch = d.appendInt64(v[i])
			return d.c.intern(d.scratch)
		}, nil)
	case kindWide:
		n, text, err := d.wide.texts(&data, int(p.NumValues()-p.NumNulls()))
		if err != nil {
			return err
		}
		return d.values(n, levels, p.NumRows(), func(i int) int32 {
			d.scratch = text(d.scratch[:0], i)
			return d.c.intern(d.scratch)
		}, nil)
	}
	return fmt.Errorf("unsupported physical type %s", d.kind)
}

// appendInt32 returns d.scratch holding v's text: its decimal text (of the unsigned value
// for an unsigned column) or, for a column with a DATE or DECIMAL logical type, that.
func (d *pageDecoder) appendInt32(v int32) []byte {
	switch d.ints.kind {
	case intSigned:
		return strconv.AppendInt(d.scratch[:0], int64(v), 10)
	case intUnsigned:
		return strconv.AppendUint(d.scratch[:0], uint64(uint32(v)), 10)
	}
	return d.ints.appendLogical(d.scratch[:0], int64(v))
}

// appendInt64 returns d.scratch holding v's text: its decimal text (of the unsigned value
// for an unsigned column) or, for a column with a TIMESTAMP or DECIMAL logical type, that.
func (d *pageDecoder) appendInt64(v int64) []byte {
	switch d.ints.kind {
	case intSigned:
		return strconv.AppendInt(d.scratch[:0], v, 10)
	case intUnsigned:
		return strconv.AppendUint(d.scratch[:0], uint64(v), 10)
	}
	return d.ints.appendLogical(d.scratch[:0], v)
}

// rawPlain decodes a plain page of a raw column whose every row has a value (offs: one
// more offset than rows), all of it printable ASCII: the values go into the arena in one
// copy when no row repeats the one before, with no check per value.
func (d *pageDecoder) rawPlain(vals []byte, offs []uint32) {
	c := d.c
	n := len(offs) - 1
	first := offs[0]
	start := c.arena.Len()
	if !c.runs {
		c.arena.Write(vals[first:offs[n]])
	}
	for i := range n {
		v := vals[offs[i]:offs[i+1]]
		pos := d.pos + int64(i) + 1
		switch {
		case len(v) == 0:
			c.put(codeEmpty, pos, "")
			continue
		case c.runs && c.lastCode >= 0 && string(v) == c.lastRaw():
		case c.runs:
			c.arena.Write(v)
			c.ends = append(c.ends, c.arena.Len())
			c.lastCode = int32(c.rawBase + len(c.ends) - 1)
		default:
			c.ends = append(c.ends, start+int(offs[i+1]-first))
			c.lastCode = int32(c.rawBase + len(c.ends) - 1)
		}
		c.codes = append(c.codes, c.lastCode)
	}
	d.pos += int64(n)
}

// rawIndexed decodes a dictionary-encoded page into a raw column: each row's value gets
// its own code, as in a plain page.
func (d *pageDecoder) rawIndexed(dict parquet.Dictionary, idx []int32, levels []byte, rows int64) error {
	n := dict.Len()
	for _, x := range idx {
		if uint32(x) >= uint32(n) {
			return fmt.Errorf("rows %d to %d: dictionary index %d out of range [0,%d)", d.pos+1, d.pos+rows, x, n)
		}
	}
	data := dict.Page().Data()
	var entry func(x int32) []byte
	checked := true // integers' text is digits
	switch d.kind {
	case parquet.ByteArray:
		vals, offs := data.ByteArray()
		if len(offs) != n+1 {
			return fmt.Errorf("dictionary of %d entries has %d offsets", n, len(offs))
		}
		entry = func(x int32) []byte { return vals[offs[x]:offs[x+1]] }
		if dict != d.dict {
			// Checked once per dictionary, not per page.
			d.dict, d.clean = dict, printableASCII(vals[offs[0]:offs[n]])
		}
		checked = d.clean
	case parquet.Int32:
		v := data.Int32()
		if len(v) != n {
			return fmt.Errorf("dictionary of %d entries has %d values", n, len(v))
		}
		entry = func(x int32) []byte {
			d.scratch = d.appendInt32(v[x])
			return d.scratch
		}
	case parquet.Int64:
		v := data.Int64()
		if len(v) != n {
			return fmt.Errorf("dictionary of %d entries has %d values", n, len(v))
		}
		entry = func(x int32) []byte {
			d.scratch = d.appendInt64(v[x])
			return d.scratch
		}
	case kindWide:
		m, text, err := d.wide.texts(&data, n)
		if err != nil {
			return err
		}
		if m != n {
			return fmt.Errorf("dictionary of %d entries has %d values", n, m)
		}
		entry = func(x int32) []byte {
			d.scratch = text(d.scratch[:0], int(x))
			return d.scratch
		}
	default:
		return fmt.Errorf("unsupported dictionary type %s", d.kind)
	}
	return d.values(len(idx), levels, rows, func(i int) int32 {
		if b := entry(idx[i]); len(b) > 0 {
			return d.c.internRaw(b, checked)
		}
		return codeEmpty
	}, func(i int) string { return string(entry(idx[i])) })
}

// mapDictionary maps each entry of a column chunk's dictionary to a global code once.
func (d *pageDecoder) mapDictionary(dict parquet.Dictionary) error {
	d.dict = dict
	d.badUTF8 = nil
	n := dict.Len()
	d.remap = d.remap[:0]
	note := func(j int, code int32, raw []byte) {
		if code == codeBadUTF8 {
			if d.badUTF8 == nil {
				d.badUTF8 = make(map[int32]string)
			}
			d.badUTF8[int32(j)] = string(raw)
		}
		d.remap = append(d.remap, code)
	}
	data := dict.Page().Data()
	switch d.kind {
	case parquet.ByteArray:
		vals, offs := data.ByteArray()
		if len(offs) != n+1 {
			return fmt.Errorf("dictionary of %d entries has %d offsets", n, len(offs))
		}
		if d.c.chunkDicts {
			if len(d.c.vals) == 0 {
				d.c.vals = slices.Grow(d.c.vals, chunkDictsRoom(n, d.groups, d.c.codesRoom()))
			}
			all := copyString(vals) // one allocation for the chunk's entries
			checked := printableASCII(vals[offs[0]:offs[n]])
			for j := range n {
				note(j, d.c.chunkValue(all[offs[j]:offs[j+1]], checked), vals[offs[j]:offs[j+1]])
			}
			break
		}
		for j := range n {
			b := vals[offs[j]:offs[j+1]]
			note(j, d.c.intern(b), b)
		}
	case parquet.Int32:
		v := data.Int32()
		if len(v) != n {
			return fmt.Errorf("dictionary of %d entries has %d values", n, len(v))
		}
		for j := range n {
			d.scratch = d.appendInt32(v[j])
			note(j, d.c.intern(d.scratch), nil)
		}
	case parquet.Int64:
		v := data.Int64()
		if len(v) != n {
			return fmt.Errorf("dictionary of %d entries has %d values", n, len(v))
		}
		for j := range n {
			d.scratch = d.appendInt64(v[j])
			note(j, d.c.intern(d.scratch), nil)
		}
	case kindWide:
		m, text, err := d.wide.texts(&data, n)
		if err != nil {
			return err
		}
		if m != n {
			return fmt.Errorf("dictionary of %d entries has %d values", n, m)
		}
		for j := range n {
			d.scratch = text(d.scratch[:0], j)
			note(j, d.c.intern(d.scratch), nil)
		}
	default:
		return fmt.Errorf("unsupported dictionary type %s", d.kind)
	}
	// Consecutive plain pages compare with the last code; the dictionary pass moved it.
	d.c.lastCode = -1
	d.clean = d.c.mode != modeUnique && !slices.ContainsFunc(d.remap, func(code int32) bool {
		return code == codeBadUTF8 || code == codeEmpty && d.c.mode != modeValue
	})
	return nil
}

// chunkDictsRoom is the room a chunkDicts column's values get when its first chunk's
// dictionary has n entries, in a file of groups row groups: as many for every group (ids
// each group brings anew), and a third more, since later groups' dictionaries are often
// larger than the first's (in all, 1.15 times the first's entries times the groups in
// the tier L universe's identity_id and account_id, 1.18 in tier L's identity_id, 1.25
// in tier XL's). Growing the values by append past the room copies every string header
// into a fresh array a quarter larger (for the tier L universe's account_id, 54 MB
// copied into 68 MB of memory touched for the first time); room never written is never
// touched. At most limit (the rows' codes).
func chunkDictsRoom(n, groups, limit int) int {
	return min(n*groups+n*groups/3, limit)
}

// indexed decodes a dictionary-encoded page: idx holds the non-null values' dictionary
// indexes, levels (nil for a required column) says which rows are null.
func (d *pageDecoder) indexed(idx []int32, levels []byte, rows int64) error {
	c := d.c
	remap := d.remap
	nd := int32(len(remap))
	fast := c.mode != modeUnique
	if levels == nil {
		if int64(len(idx)) != rows {
			return fmt.Errorf("page has %d values for %d rows", len(idx), rows)
		}
		if d.clean && c.runCodes {
			if i := c.appendRuns(idx, remap, d.pos); i >= 0 {
				return fmt.Errorf("row %d: dictionary index %d out of range [0,%d)", d.pos+int64(i)+1, idx[i], nd)
			}
			d.pos += rows
			return nil
		}
		c.expandRuns()
		c.prefaultRoom(rows)
		if d.clean {
			base := len(c.codes)
			c.codes = slices.Grow(c.codes, len(idx))[:base+len(idx)]
			out := c.codes[base:]
			for i, x := range idx {
				if uint32(x) >= uint32(nd) {
					c.codes = c.codes[:base]
					return fmt.Errorf("row %d: dictionary index %d out of range [0,%d)", d.pos+int64(i)+1, x, nd)
				}
				out[i] = remap[x]
			}
			d.pos += rows
			return nil
		}
		for i, x := range idx {
			if uint32(x) >= uint32(nd) {
				return fmt.Errorf("row %d: dictionary index %d out of range [0,%d)", d.pos+int64(i)+1, x, nd)
			}
			code := remap[x]
			if fast && code >= 0 {
				c.codes = append(c.codes, code)
				continue
			}
			c.put(code, d.pos+int64(i)+1, d.badUTF8[x])
		}
		d.pos += rows
		return nil
	}
	c.expandRuns()
	c.prefaultRoom(rows)
	k := 0
	for i, l := range levels {
		pos := d.pos + int64(i) + 1
		if l != d.maxDef {
			c.put(codeEmpty, pos, "")
			continue
		}
		if k >= len(idx) {
			return fmt.Errorf("row %d: page has fewer values than non-null rows", pos)
		}
		x := idx[k]
		k++
		if uint32(x) >= uint32(nd) {
			return fmt.Errorf("row %d: dictionary index %d out of range [0,%d)", pos, x, nd)
		}
		code := remap[x]
		if fast && code >= 0 {
			c.codes = append(c.codes, code)
			continue
		}
		c.put(code, pos, d.badUTF8[x])
	}
	d.pos += rows
	return nil
}

// values decodes a plain page of n non-null values: code(i) interns value i, raw(i) (may be
// nil) gives its text for messages.
func (d *pageDecoder) values(n int, levels []byte, rows int64, code func(int) int32, raw func(int) string) error {
	c := d.c
	text := func(i int) string {
		if raw == nil {
			return ""
		}
		return raw(i)
	}
	if levels == nil {
		if int64(n) != rows {
			return fmt.Errorf("page has %d values for %d rows", n, rows)
		}
		for i := range n {
			x := code(i)
			if x >= 0 && c.mode != modeUnique {
				c.codes = append(c.codes, x)
				continue
			}
			c.put(x, d.pos+int64(i)+1, text(i))
		}
		d.pos += rows
		return nil
	}
	k := 0
	for i, l := range levels {
		pos := d.pos + int64(i) + 1
		if l != d.maxDef {
			c.put(codeEmpty, pos, "")
			continue
		}
		if k >= n {
			return fmt.Errorf("row %d: page has fewer values than non-null rows", pos)
		}
		c.put(code(k), pos, text(k))
		k++
	}
	d.pos += rows
	return nil
}

// columnNames returns the names of the top-level columns of pf, in file order.
func columnNames(pf *parquet.File) []string {
	fields := pf.Root().Columns()
	names := make([]string, len(fields))
	for i, c := range fields {
		names[i] = c.Name()
	}
	return names
}
