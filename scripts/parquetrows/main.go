// Command parquetrows compares two Parquet files by content: the footer apart from its
// row groups (schema, created_by, key/value metadata), the row groups' sizes and every
// row as parquet-go reads it back, and the bytes of each column chunk, which may differ
// only in the columns named by -may-differ (a column whose compression changed).
// compare-outputs.sh uses it for a universe's assignments.parquet, whose universe-only
// columns are compressed differently since the thirteenth session.
//
//	go run ./scripts/parquetrows [-may-differ a,b] OLD NEW
//
// It prints what differs and exits 1, or prints a line and exits 0 when the files hold
// the same rows.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

func main() {
	mayDiffer := flag.String("may-differ", "", "comma-separated columns whose chunks' bytes may differ")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: parquetrows [-may-differ a,b] OLD NEW")
		os.Exit(2)
	}
	old, err := os.ReadFile(flag.Arg(0))
	if err == nil {
		var new []byte
		if new, err = os.ReadFile(flag.Arg(1)); err == nil {
			var allowed []string
			if *mayDiffer != "" {
				allowed = strings.Split(*mayDiffer, ",")
			}
			var msg string
			if msg, err = Compare(old, new, allowed); err == nil {
				fmt.Println(msg)
				return
			}
		}
	}
	fmt.Fprintln(os.Stderr, "parquetrows:", err)
	os.Exit(1)
}

// Compare returns an error unless files a and b hold the same content (see the command's
// doc), and otherwise a line saying which columns' bytes differ.
func Compare(a, b []byte, mayDiffer []string) (string, error) {
	af, err := parquet.OpenFile(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		return "", fmt.Errorf("old file: %w", err)
	}
	bf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return "", fmt.Errorf("new file: %w", err)
	}
	am, bm := *af.Metadata(), *bf.Metadata()
	am.RowGroups, bm.RowGroups = nil, nil
	if !reflect.DeepEqual(am, bm) {
		return "", fmt.Errorf("the footers differ beyond the row groups (schema, created_by, metadata or rows)")
	}
	ag, bg := af.RowGroups(), bf.RowGroups()
	if len(ag) != len(bg) {
		return "", fmt.Errorf("%d row groups, then %d", len(ag), len(bg))
	}
	differ := map[string]bool{}
	for i := range ag {
		if err := sameRows(ag[i], bg[i]); err != nil {
			return "", fmt.Errorf("row group %d: %w", i, err)
		}
		ac, bc := af.Metadata().RowGroups[i].Columns, bf.Metadata().RowGroups[i].Columns
		for c := range ac {
			name := strings.Join(ac[c].MetaData.PathInSchema, ".")
			if bytes.Equal(chunkBytes(a, &ac[c].MetaData), chunkBytes(b, &bc[c].MetaData)) {
				continue
			}
			if !slices.Contains(mayDiffer, name) {
				return "", fmt.Errorf("row group %d: the bytes of column %s differ", i, name)
			}
			differ[name] = true
		}
	}
	names := make([]string, 0, len(differ))
	for n := range differ {
		names = append(names, n)
	}
	slices.Sort(names)
	return fmt.Sprintf("same rows (%d row groups, %d rows); bytes differ in columns: %s", len(ag), af.NumRows(), strings.Join(names, ",")), nil
}

// sameRows returns an error unless a and b hold the same rows.
func sameRows(a, b parquet.RowGroup) error {
	if a.NumRows() != b.NumRows() {
		return fmt.Errorf("%d rows, then %d", a.NumRows(), b.NumRows())
	}
	ar, br := a.Rows(), b.Rows()
	defer ar.Close()
	defer br.Close()
	abuf, bbuf := make([]parquet.Row, 1024), make([]parquet.Row, 1024)
	for at := 0; ; {
		n, err := fill(ar, abuf)
		if err != nil {
			return err
		}
		m, err := fill(br, bbuf)
		if err != nil {
			return err
		}
		if n != m {
			return fmt.Errorf("read %d rows, then %d", at+n, at+m)
		}
		for k := range n {
			if !abuf[k].Equal(bbuf[k]) {
				return fmt.Errorf("row %d differs: %v, then %v", at+k, abuf[k], bbuf[k])
			}
		}
		if n < len(abuf) {
			return nil
		}
		at += n
	}
}

// fill reads rows into buf until it is full or the rows end, and returns how many.
func fill(rows parquet.Rows, buf []parquet.Row) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := rows.ReadRows(buf[n:])
		for j := n; j < n+k; j++ {
			buf[j] = buf[j].Clone() // (values may point into a page the next read reuses)
		}
		n += k
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// chunkBytes returns the bytes of the column chunk m in file.
func chunkBytes(file []byte, m *format.ColumnMetaData) []byte {
	start := m.DataPageOffset
	if m.DictionaryPageOffset != 0 {
		start = m.DictionaryPageOffset
	}
	return file[start : start+m.TotalCompressedSize]
}
