package columnar

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/uerr"
)

// withFooterListSize returns the Parquet file data with its footer's schema list (field
// 2 of FileMetaData, after the version) declaring n elements.
func withFooterListSize(t *testing.T, data []byte, n uint64) []byte {
	t.Helper()
	size := len(data)
	flen := int(binary.LittleEndian.Uint32(data[size-8:]))
	footer := data[size-8-flen : size-8]
	if footer[0] != 0x15 || footer[2] != 0x19 || footer[3]&15 != tcStruct {
		t.Fatalf("footer does not start with the version and the schema list: % x", footer[:8])
	}
	skip := 4 // the list header byte, then its size when that is 15 or more
	if footer[3]>>4 == 15 {
		_, k := binary.Uvarint(footer[4:])
		skip += k
	}
	nf := append(append(append([]byte(nil), footer[:3]...), 0xf0|tcStruct), binary.AppendUvarint(nil, n)...)
	nf = append(nf, footer[skip:]...)
	out := append(append([]byte(nil), data[:size-8-flen]...), nf...)
	return append(binary.LittleEndian.AppendUint32(out, uint32(len(nf))), "PAR1"...)
}

// TestLoadParquetRefusesFooterListBomb: a footer list declaring more elements than the
// footer has bytes is refused before parquet-go makes the list (unguarded: 2^27 schema
// elements asked for about 13 GB; a process under a memory limit died).
func TestLoadParquetRefusesFooterListBomb(t *testing.T) {
	data := runsFixture(t, 2)
	flen := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	own := uint64(data[len(data)-8-flen+3] >> 4) // the schema's elements (fewer than 15)
	if _, err, _ := loadIdentities(t, withFooterListSize(t, data, own)); err != nil {
		t.Fatalf("the footer rewritten with its own list size: %v", err)
	}
	_, err, alloc := loadIdentities(t, withFooterListSize(t, data, 1<<27))
	if err == nil || !uerr.Is(err) {
		t.Fatalf("got %v, want a user error", err)
	}
	for _, want := range []string{"identities.parquet", "corrupt footer", "a list of 134217728 elements"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if alloc > 32<<20 {
		t.Errorf("refusing the footer allocated %d MB", alloc>>20)
	}
}

// TestCheckThrift: lists, sets and maps may declare at most as many elements as bytes
// remain; binaries no more bytes than remain; nesting is bounded; booleans take no byte
// as fields and one as list elements.
func TestCheckThrift(t *testing.T) {
	deep := strings.Repeat("\x1c", maxThriftDepth+2) + strings.Repeat("\x00", maxThriftDepth+3)
	for _, c := range []struct {
		in, err string
	}{
		{"\x00", ""},
		{"\x15\x02\x11\x12\x00", ""},                     // an i32 and two booleans
		{"\x19\x21\x01\x02\x00", ""},                     // a list of two booleans
		{"\x19\x2c\x00\x00\x00", ""},                     // a list of two empty structs
		{"\x19\x4c\x00\x00\x00", "a list of 4 elements"}, // four declared, three bytes left
		{"\x19\xfc\x80\x80\x80\x80\x08\x00", "a list of 2147483648 elements"},
		{"\x1b\x01\x55\x02\x04\x00", ""}, // a map of one i32 to i32
		{"\x1b\x80\x80\x04\x55\x00", "a list of 65536 elements"},
		{"\x18\x05ab\x00", "5 bytes at byte 2 exceed the 3 left"},
		{"\x1f\x00", "unknown type 15"},
		{"\x15", "corrupt varint"},
		{"", "truncated"},
		{deep, "nested more than 64 deep"},
	} {
		err := checkThrift([]byte(c.in))
		switch {
		case c.err == "" && err != nil:
			t.Errorf("% x: %v", c.in, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("% x: %v, want an error saying %q", c.in, err, c.err)
		}
	}
}

// TestLoadParquetRefusesRowsClaim: a footer claiming 2^30 rows (the file and its row
// group alike) over a list column is refused when the pages hold fewer, without sizing
// the list column's rows by the claim first (unguarded: 24 GB asked for, fatal out of
// memory).
func TestLoadParquetRefusesRowsClaim(t *testing.T) {
	data := runsFixture(t, 2)
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	md := *pf.Metadata()
	md.RowGroups = slices.Clone(md.RowGroups)
	md.NumRows, md.RowGroups[0].NumRows = 1<<30, 1<<30
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	out, err := appendFooter(slices.Clone(data[:len(data)-8-n]), &md)
	if err != nil {
		t.Fatal(err)
	}
	_, err, alloc := loadIdentities(t, out)
	if err == nil || !uerr.Is(err) {
		t.Fatalf("got %v, want a user error", err)
	}
	for _, want := range []string{"identities.parquet", "column project", "corrupt list: 40 rows, the file has 1073741824"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if alloc > 32<<20 {
		t.Errorf("refusing the file allocated %d MB", alloc>>20)
	}
}
