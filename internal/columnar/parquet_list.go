package columnar

import (
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// listColumn is a multi-valued attribute of identities read from a Parquet list column:
// each row's values, in file order.
type listColumn struct {
	name string
	vals [][]string
}

// listLeaf returns the string leaf of a list column of identities (a repeated string
// column, or a LIST group holding one, at most two levels down), or nil when c is not one.
func listLeaf(c *parquet.Column) *parquet.Column {
	if e := listElement(c); e != nil && e.Type().Kind() == parquet.ByteArray {
		return e
	}
	return nil
}

// listElement returns the leaf of a list column c (a repeated leaf, or a LIST group
// holding one, at most two levels down, as listLeaf walks it) whatever its type, or nil
// when c is not a list.
func listElement(c *parquet.Column) *parquet.Column {
	for range 3 {
		if c.Leaf() {
			if c.MaxRepetitionLevel() == 1 {
				return c
			}
			return nil
		}
		if len(c.Columns()) != 1 {
			return nil
		}
		c = c.Columns()[0]
	}
	return nil
}

// readListColumn decodes the values of a list column's leaf into one list per row: a
// value with repetition level 0 starts a row; a null or empty list, or an empty or null
// element, adds nothing. Invalid UTF-8 is a data error naming the row. hint sizes the
// rows up front: the footer's row count bounded by the file's size, since a corrupt
// footer could claim two billion rows (48 GB of row slices before a page was read).
func readListColumn(file, name string, leaf *parquet.Column, rows, hint int64) (*listColumn, error) {
	lc := &listColumn{name: name, vals: make([][]string, 0, min(rows, hint))}
	pages := leaf.Pages()
	defer pages.Close()
	maxDef := leaf.MaxDefinitionLevel()
	buf := make([]parquet.Value, 1024)
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s column %s: %w", file, name, err)
		}
		vr := p.Values()
		for {
			n, err := vr.ReadValues(buf)
			for _, v := range buf[:n] {
				if v.RepetitionLevel() == 0 {
					lc.vals = append(lc.vals, nil)
				}
				if len(lc.vals) == 0 {
					return nil, fmt.Errorf("%s column %s: corrupt list: a continued value before any row", file, name)
				}
				if v.DefinitionLevel() != maxDef || v.IsNull() || len(v.ByteArray()) == 0 {
					continue
				}
				if !utf8.Valid(v.ByteArray()) {
					return nil, fmt.Errorf("%s row %d, column %s: value %q is not valid UTF-8", file, len(lc.vals), name, truncate(string(v.ByteArray())))
				}
				row := len(lc.vals) - 1
				lc.vals[row] = append(lc.vals[row], string(v.ByteArray()))
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquet.Release(p)
				return nil, fmt.Errorf("%s column %s: %w", file, name, err)
			}
		}
		parquet.Release(p)
	}
	if int64(len(lc.vals)) != rows {
		return nil, fmt.Errorf("%s column %s: corrupt list: %d rows, the file has %d", file, name, len(lc.vals), rows)
	}
	return lc, nil
}
