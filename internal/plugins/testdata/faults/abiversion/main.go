// Command abiversion is a fault plugin written against the raw ABI, without the SDK: it
// declares ABI version 2.
package main

//go:wasmexport rolemine_abi_version
func abiVersion() int32 { return 2 }

//go:wasmexport rolemine_alloc
func alloc(size int32) uint32 { return 0 }

//go:wasmexport rolemine_init
func initExport(ptr, size uint32) int32 { return 1 }

//go:wasmexport rolemine_batch
func batch(ptr, size uint32) int32 { return 1 }

//go:wasmexport rolemine_result
func result() uint64 { return 0 }

func main() {}
