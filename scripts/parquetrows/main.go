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
//
//	go run ./scripts/parquetrows -dump FILE
//
// prints each row of FILE as a JSON object, one a line, keyed by the top-level column
// names (a null value as null): for scripts that read assignments.parquet without a
// Parquet library (the reference readers of scripts/ref).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
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
	dump := flag.Bool("dump", false, "print the rows of one file as JSON lines")
	flag.Parse()
	if *dump && flag.NArg() == 1 {
		if err := dumpFile(flag.Arg(0), os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "parquetrows:", err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: parquetrows [-may-differ a,b] OLD NEW | -dump FILE")
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

// dumpFile writes the rows of the Parquet file at path to w as JSON objects, one a line,
// keyed by the top-level column names in schema order; a null value is null and a
// repeated column a list.
func dumpFile(path string, w io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	names := make([]string, 0, len(f.Schema().Fields()))
	for _, field := range f.Schema().Fields() {
		names = append(names, field.Name())
	}
	r := parquet.NewReader(bytes.NewReader(data), f.Schema())
	defer r.Close()
	for {
		row := map[string]any{}
		if err := r.Read(&row); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		if err := writeRow(bw, names, row); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writeRow writes one row as a JSON object with its keys in the order of names.
func writeRow(w *bufio.Writer, names []string, row map[string]any) error {
	w.WriteByte('{')
	for k, name := range names {
		if k > 0 {
			w.WriteByte(',')
		}
		key, _ := json.Marshal(name)
		val, err := json.Marshal(row[name])
		if err != nil {
			return err
		}
		w.Write(key)
		w.WriteByte(':')
		w.Write(val)
	}
	_, err := w.WriteString("}\n")
	return err
}
