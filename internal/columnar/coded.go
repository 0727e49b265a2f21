package columnar

import (
	"context"

	"github.com/rolemine/rolemine/internal/uerr"
)

// Coded holds string columns of one Parquet file, dictionary-coded: row k of column c
// has the value Values[c][Codes[c][k]], or no value where the code is -1 (an empty or
// null cell of an optional column). A value may have several codes (each row group's
// dictionary gives its entries codes of their own); a code has one value.
type Coded struct {
	Rows   int
	Codes  [][]int32
	Values [][]string
}

// ReadCoded reads the string columns required (each must exist) and optional (nil Codes
// when absent) of the Parquet file at path, in that order, with the loader's decoder and
// its checks: the footer and every page header are checked before anything is decoded,
// and bad text is an error naming the file, row and column. An empty or null cell is code
// -1 in either. Other columns are not read. Errors are user errors (uerr) but for a
// bug, which is a *parallel.PanicError as in Load.
//
// It reads the outputs rolemine wrote earlier (drift reads a model's assignments.parquet
// through it) at the speed the inputs are read, where parquet-go's row reader decodes
// every row into a struct.
func ReadCoded(ctx context.Context, path string, required, optional []string) (*Coded, error) {
	spec := &tableSpec{name: "coded", required: required, known: map[string]colMode{}}
	for _, n := range append(append([]string(nil), required...), optional...) {
		spec.known[n] = modeValue
		spec.chunkDicts = append(spec.chunkDicts, n) // matched by value by the caller: no map
	}
	spec.noSum = true
	t, err := readParquet(ctx, path, spec)
	if err != nil {
		return nil, uerr.WrapInput(err)
	}
	out := &Coded{Rows: t.rows}
	for _, n := range append(append([]string(nil), required...), optional...) {
		c := t.col(n)
		if c == nil {
			out.Codes, out.Values = append(out.Codes, nil), append(out.Values, nil)
			continue
		}
		out.Codes, out.Values = append(out.Codes, c.codes), append(out.Values, c.vals)
	}
	return out, nil
}
