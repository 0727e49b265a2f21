package columnar

import (
	"fmt"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/format"
)

// TestCheckDeltaReusesLengths: the check of a DELTA_BYTE_ARRAY or DELTA_LENGTH_BYTE_ARRAY
// page decodes its lengths into buffers kept from page to page (a column of unique ids
// decoded them into fresh arrays for every page): checking a page again allocates nothing.
func TestCheckDeltaReusesLengths(t *testing.T) {
	var vals []byte
	var offs []uint32
	const n = 20000
	for i := range n {
		offs = append(offs, uint32(len(vals)))
		vals = fmt.Appendf(vals, "u%06d", i*7)
	}
	offs = append(offs, uint32(len(vals)))
	prefixed, err := new(delta.ByteArrayEncoding).EncodeByteArray(nil, vals, offs)
	if err != nil {
		t.Fatal(err)
	}
	lengths, err := new(delta.LengthByteArrayEncoding).EncodeByteArray(nil, vals, offs)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		enc format.Encoding
		src []byte
	}{{format.DeltaByteArray, prefixed}, {format.DeltaLengthByteArray, lengths}} {
		check := func() {
			if err := checkDeltaValues(c.enc, c.src, n); err != nil {
				t.Fatalf("%s: %v", c.enc, err)
			}
		}
		check()
		if a := testing.AllocsPerRun(10, check); a > 0.5 {
			t.Errorf("%s: checking the page again made %.1f allocations", c.enc, a)
		}
	}
}
