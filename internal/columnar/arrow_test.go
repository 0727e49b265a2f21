package columnar

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestDimensionArrow(t *testing.T) {
	cases := []struct {
		name   string
		dim    Dimension
		values []string // per identity, "" = null
	}{
		{"with nulls", Dimension{Name: "dept", Values: []string{"Eng", "Sales"}, Codes: []int32{1, -1, 0, 1}}, []string{"Sales", "", "Eng", "Sales"}},
		{"no nulls", Dimension{Name: "kind", Values: []string{"human"}, Codes: []int32{0, 0}}, []string{"human", "human"}},
		{"empty", Dimension{Name: "x"}, nil},
		{"all null", Dimension{Name: "y", Codes: []int32{-1, -1, -1}}, []string{"", "", ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			arr := tc.dim.Arrow(mem)
			defer arr.Release()
			if arr.Len() != len(tc.values) {
				t.Fatalf("len %d, want %d", arr.Len(), len(tc.values))
			}
			typ := arr.DataType().(*arrow.DictionaryType)
			if typ.IndexType.ID() != arrow.INT32 || typ.ValueType.ID() != arrow.STRING {
				t.Errorf("type %s, want dictionary<int32, string>", typ)
			}
			dict := arr.Dictionary().(*array.String)
			if dict.Len() != len(tc.dim.Values) {
				t.Fatalf("dictionary has %d values, want %d", dict.Len(), len(tc.dim.Values))
			}
			nulls := 0
			for i, want := range tc.values {
				if want == "" {
					nulls++
					if !arr.IsNull(i) {
						t.Errorf("slot %d not null", i)
					}
					continue
				}
				if got := dict.Value(arr.GetValueIndex(i)); got != want {
					t.Errorf("slot %d = %q, want %q", i, got, want)
				}
			}
			if arr.NullN() != nulls {
				t.Errorf("%d nulls, want %d", arr.NullN(), nulls)
			}
			// Zero-copy: the indices are the dimension's codes.
			if len(tc.dim.Codes) > 0 && len(tc.dim.Values) > 0 {
				idx := arr.Indices().(*array.Int32).Int32Values()
				if &idx[0] != &tc.dim.Codes[0] {
					t.Errorf("indices were copied")
				}
			}
		})
	}
}
