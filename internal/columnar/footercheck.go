package columnar

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// parquet-go v0.32.0's thrift decoder makes a list of the size the list's header declares
// before it reads an element: one corrupt footer byte, read as a list of row groups or
// column chunks of a billion elements, asked for 12.9 GB (fatal out of memory). Every
// element takes at least one byte in the compact protocol, so checkThrift walks the
// footer first and refuses a list or map that declares more elements than bytes remain.

// Thrift compact protocol types.
const (
	tcStop, tcTrue, tcFalse, tcByte, tcI16, tcI32, tcI64, tcDouble, tcBinary, tcList, tcSet, tcMap, tcStruct = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
)

// maxThriftDepth bounds the nesting of structs and containers (FileMetaData nests a few
// levels; a corrupt footer could nest one per byte).
const maxThriftDepth = 64

// checkThrift checks that b begins with one compact-protocol struct whose lists, sets
// and maps each declare at most as many elements as bytes remain after their header.
func checkThrift(b []byte) error {
	w := thriftWalker{b: b}
	return w.value(tcStruct, 0)
}

type thriftWalker struct {
	b   []byte
	off int
}

func (w *thriftWalker) varint() (uint64, error) {
	v, k := binary.Uvarint(w.b[w.off:])
	if k <= 0 {
		return 0, fmt.Errorf("corrupt varint at byte %d", w.off)
	}
	w.off += k
	return v, nil
}

func (w *thriftWalker) byte() (byte, error) {
	if w.off >= len(w.b) {
		return 0, errors.New("truncated")
	}
	w.off++
	return w.b[w.off-1], nil
}

func (w *thriftWalker) skip(n uint64) error {
	if n > uint64(len(w.b)-w.off) {
		return fmt.Errorf("%d bytes at byte %d exceed the %d left", n, w.off, len(w.b)-w.off)
	}
	w.off += int(n)
	return nil
}

// value walks one value of compact type t (a list element's type for booleans: a byte).
func (w *thriftWalker) value(t byte, depth int) error {
	if depth > maxThriftDepth {
		return fmt.Errorf("nested more than %d deep at byte %d", maxThriftDepth, w.off)
	}
	switch t {
	case tcTrue, tcFalse, tcByte:
		return w.skip(1)
	case tcI16, tcI32, tcI64:
		_, err := w.varint()
		return err
	case tcDouble:
		return w.skip(8)
	case tcBinary:
		n, err := w.varint()
		if err != nil {
			return err
		}
		return w.skip(n)
	case tcList, tcSet:
		h, err := w.byte()
		if err != nil {
			return err
		}
		n := uint64(h >> 4)
		if n == 15 {
			if n, err = w.varint(); err != nil {
				return err
			}
		}
		return w.elements(n, []byte{h & 15}, depth)
	case tcMap:
		n, err := w.varint()
		if err != nil || n == 0 {
			return err
		}
		kv, err := w.byte()
		if err != nil {
			return err
		}
		return w.elements(n, []byte{kv >> 4, kv & 15}, depth)
	case tcStruct:
		return w.fields(depth)
	}
	return fmt.Errorf("unknown type %d at byte %d", t, w.off)
}

// elements walks n elements, each a value of every type in types (a map entry: key and
// value), refusing n above the bytes left.
func (w *thriftWalker) elements(n uint64, types []byte, depth int) error {
	if n > uint64(len(w.b)-w.off) {
		return fmt.Errorf("a list of %d elements at byte %d, but %d bytes remain", n, w.off, len(w.b)-w.off)
	}
	for range n {
		for _, t := range types {
			if err := w.value(t, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// fields walks a struct's fields up to its stop byte.
func (w *thriftWalker) fields(depth int) error {
	for {
		h, err := w.byte()
		if err != nil {
			return err
		}
		t := h & 15
		if t == tcStop {
			return nil
		}
		if h>>4 == 0 { // the field id follows in full
			if _, err := w.varint(); err != nil {
				return err
			}
		}
		if t == tcTrue || t == tcFalse { // a boolean field's value is its type
			continue
		}
		if err := w.value(t, depth+1); err != nil {
			return err
		}
	}
}
