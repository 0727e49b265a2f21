// Command badout is a fault plugin written against the raw ABI (ABI.md) without the SDK,
// which also shows how small a plugin in any language can be. Its init returns a valid
// manifest; its batch answers are malformed, as chosen by the configuration:
//
//	"range"   the result points outside linear memory (the default)
//	"rows"    the output declares one row fewer than the input has
//	"utf8"    a value that is not UTF-8
//	"utf8last" a value that is not UTF-8 in the last row of a batch of under 4 rows only
//	          (the tests' last batch, whose rows are far apart in the identities)
package main

import (
	"encoding/binary"
	"unsafe"
)

var (
	buf  []byte
	res  []byte
	mode = "range"
)

//go:wasmexport rolemine_abi_version
func abiVersion() int32 { return 1 }

//go:wasmexport rolemine_alloc
func alloc(size int32) uint32 {
	buf = make([]byte, size)
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
}

//go:wasmexport rolemine_init
func initExport(ptr, size uint32) int32 {
	if size > 0 {
		mode = string(buf[:size])
	}
	res = []byte(`{"name":"fault-badout","version":"1","inputs":["title"],"outputs":["x"]}`)
	return 0
}

//go:wasmexport rolemine_batch
func batch(ptr, size uint32) int32 {
	rows := binary.LittleEndian.Uint32(buf[:4])
	res = res[:0]
	switch mode {
	case "rows":
		rows--
		fallthrough
	default:
		res = binary.LittleEndian.AppendUint32(res, rows)
		res = binary.LittleEndian.AppendUint32(res, 1)
		for i := uint32(0); i < rows; i++ {
			res = binary.LittleEndian.AppendUint32(res, 1)
			res = binary.LittleEndian.AppendUint32(res, 2)
			if mode == "utf8" || mode == "utf8last" && rows < 4 && i == rows-1 {
				res = append(res, 0xff, 0xfe)
			} else {
				res = append(res, "ok"...)
			}
		}
	}
	return 0
}

//go:wasmexport rolemine_result
func result() uint64 {
	if mode == "range" && len(res) > 0 && res[0] != '{' {
		return uint64(0xFFFF0000)<<32 | 64
	}
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(res))))<<32 | uint64(len(res))
}

func main() {}
