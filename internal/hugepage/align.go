package hugepage

import "unsafe"

// sizeOf is the size of one T in bytes.
func sizeOf[T any](v T) uintptr { return unsafe.Sizeof(v) }

// alignOffset is the index of the first element of s that starts on a Size boundary,
// or 0 when none does within the slack (an element size that does not divide the
// distance).
func alignOffset[T any](s []T, size int) int {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	d := int((Size - p%Size) % Size)
	if d%size != 0 || d/size > len(s) {
		return 0
	}
	return d / size
}

// bytesOf is the memory under s, as bytes.
func bytesOf[T any](s []T, size int) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*size)
}
