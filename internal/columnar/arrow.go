package columnar

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Arrow returns the dimension as an Arrow dictionary array (int32 indices, string
// dictionary), one slot per identity, null where the identity has no value. Multi-valued
// extra codes (MultiOff/MultiCodes) are not represented.
//
// The indices buffer is d.Codes itself (zero-copy): d.Codes must not change while the
// array is in use. The dictionary strings are copied into one contiguous buffer (a Go
// []string has none to share), and a validity bitmap is allocated from mem only when some
// identity has no value. mem nil means memory.DefaultAllocator. The caller must Release
// the array.
func (d *Dimension) Arrow(mem memory.Allocator) *array.Dictionary {
	if mem == nil {
		mem = memory.DefaultAllocator
	}

	dict := stringArray(mem, d.Values)
	defer dict.Release()

	n := len(d.Codes)
	nulls := 0
	for _, c := range d.Codes {
		if c < 0 {
			nulls++
		}
	}
	var valid *memory.Buffer
	if nulls > 0 {
		valid = memory.NewResizableBuffer(mem)
		valid.Resize(int(bitutil.BytesForBits(int64(n))))
		bits := valid.Bytes()
		clear(bits)
		for i, c := range d.Codes {
			if c >= 0 {
				bitutil.SetBit(bits, i)
			}
		}
		defer valid.Release()
	}
	codes := memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(d.Codes))
	idxData := array.NewData(arrow.PrimitiveTypes.Int32, n, []*memory.Buffer{valid, codes}, nil, nulls, 0)
	defer idxData.Release()
	indices := array.NewInt32Data(idxData)
	defer indices.Release()

	typ := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: dict.DataType()}
	return array.NewDictionaryArray(typ, indices, dict)
}

// stringArray copies vals into an Arrow string array (large string if the bytes exceed
// int32 offsets).
func stringArray(mem memory.Allocator, vals []string) arrow.Array {
	total := 0
	for _, v := range vals {
		total += len(v)
	}
	data := memory.NewResizableBuffer(mem)
	defer data.Release()
	data.Resize(total)
	buf := data.Bytes()
	offs := memory.NewResizableBuffer(mem)
	defer offs.Release()

	var typ arrow.DataType
	if total <= math.MaxInt32 {
		typ = arrow.BinaryTypes.String
		offs.Resize(arrow.Int32Traits.BytesRequired(len(vals) + 1))
		packStrings(arrow.Int32Traits.CastFromBytes(offs.Bytes()), buf, vals)
	} else {
		typ = arrow.BinaryTypes.LargeString
		offs.Resize(arrow.Int64Traits.BytesRequired(len(vals) + 1))
		packStrings(arrow.Int64Traits.CastFromBytes(offs.Bytes()), buf, vals)
	}
	ad := array.NewData(typ, len(vals), []*memory.Buffer{nil, offs, data}, nil, 0, 0)
	defer ad.Release()
	return array.MakeFromData(ad)
}

// packStrings copies vals back to back into buf and writes their Arrow offsets (len(vals)+1
// entries) into o.
func packStrings[T int32 | int64](o []T, buf []byte, vals []string) {
	at := 0
	for i, v := range vals {
		o[i] = T(at)
		at += copy(buf[at:], v)
	}
	o[len(vals)] = T(at)
}
