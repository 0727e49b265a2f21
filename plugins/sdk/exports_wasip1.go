//go:build wasip1

package sdk

import "unsafe"

// The exports of ABI.md, version 1. Pointers are offsets in the module's linear memory;
// Go's garbage collector does not move heap objects, and g keeps the buffers alive.

//go:wasmexport rolemine_abi_version
func abiVersion() int32 { return ABIVersion }

//go:wasmexport rolemine_alloc
func alloc(size int32) uint32 {
	if size <= 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(g.alloc(int(size))))))
}

//go:wasmexport rolemine_init
func initExport(ptr, size uint32) int32 {
	return status(g.init(view(ptr, size)))
}

//go:wasmexport rolemine_batch
func batchExport(ptr, size uint32) int32 {
	return status(g.batch(view(ptr, size)))
}

//go:wasmexport rolemine_result
func result() uint64 {
	if len(g.result) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(g.result))))<<32 | uint64(len(g.result))
}

func view(ptr, size uint32) []byte {
	if size == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(ptr))), size)
}

func status(ok bool) int32 {
	if ok {
		return 0
	}
	return 1
}
