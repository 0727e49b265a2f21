// Package legacyparquet rewrites a Parquet file's footer the way older writers (Hive,
// Impala, parquet-mr before logical types, Spark 2) write it: the columns named carry only
// the legacy converted type and no logical type. It is for tests: parquet-go always writes
// a column's logical type next to its converted type, and it has no option to leave the
// logical type out.
//
// The footer (the Thrift FileMetaData at the end of the file) is decoded, the schema
// elements of the named columns are changed, and the footer is encoded again in place of
// the old one. The pages come before the footer, so their offsets do not move.
package legacyparquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Column is the legacy annotation a column gets: its converted type and, for a DECIMAL,
// its scale and precision.
type Column struct {
	Converted        deprecated.ConvertedType
	Scale, Precision int32
}

// Rewrite rewrites the footer of the Parquet file at path: each column named in cols loses
// its logical type and gets the converted type (and a DECIMAL's scale and precision)
// cols gives it. Every name must be a column of the file.
func Rewrite(path string, cols map[string]Column) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	md, body, err := footer(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	seen := 0
	for i := range md.Schema {
		el := &md.Schema[i]
		c, ok := cols[el.Name]
		if !ok || i == 0 {
			continue
		}
		seen++
		el.LogicalType = format.LogicalType{}
		el.ConvertedType = thrift.New(c.Converted)
		el.Scale, el.Precision = thrift.Null[int32]{}, thrift.Null[int32]{}
		if c.Converted == deprecated.Decimal {
			el.Scale, el.Precision = thrift.New(c.Scale), thrift.New(c.Precision)
		}
	}
	if seen != len(cols) {
		return fmt.Errorf("%s: %d of the %d columns to rewrite found", path, seen, len(cols))
	}
	enc, err := thrift.Marshal(new(thrift.CompactProtocol), &md)
	if err != nil {
		return err
	}
	out := append(body, enc...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(enc)))
	out = append(out, "PAR1"...)
	// Read back: the rewritten columns must have no logical type left.
	back, _, err := footer(out)
	if err != nil {
		return fmt.Errorf("%s: rewritten footer: %w", path, err)
	}
	for _, el := range back.Schema {
		if _, ok := cols[el.Name]; ok && el.LogicalType.Value != nil {
			return fmt.Errorf("%s: column %s kept its logical type", path, el.Name)
		}
	}
	return os.WriteFile(path, out, 0o644)
}

// footer decodes the FileMetaData of the Parquet file data and returns it with a copy of
// the bytes before it.
func footer(data []byte) (format.FileMetaData, []byte, error) {
	var md format.FileMetaData
	if len(data) < 12 || string(data[len(data)-4:]) != "PAR1" {
		return md, nil, errors.New("not a Parquet file")
	}
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	start := len(data) - 8 - n
	if n <= 0 || start < 4 {
		return md, nil, fmt.Errorf("footer length %d", n)
	}
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[start:len(data)-8], &md); err != nil {
		return md, nil, err
	}
	return md, append([]byte(nil), data[:start]...), nil
}
