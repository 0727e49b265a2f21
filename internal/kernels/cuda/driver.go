package cuda

import (
	"fmt"
	"runtime"
	"unsafe"

	"github.com/ebitengine/purego"
)

// LibraryName is the driver library the backend loads at run time.
const LibraryName = "libcuda.so.1"

// driver is the part of the CUDA driver API the backend calls, bound at run time with
// purego (no cgo). Every function returns a CUresult. Handles (CUcontext, CUmodule,
// CUfunction, CUstream) are opaque pointers and kept as uintptr; device memory
// (CUdeviceptr) is a uint64 that is never dereferenced on the host.
type driver struct {
	lib uintptr

	cuInit                    func(flags uint32) result
	cuDriverGetVersion        func(v *int32) result
	cuDeviceGetCount          func(n *int32) result
	cuDeviceGet               func(dev *int32, ordinal int32) result
	cuDeviceGetName           func(name *byte, n int32, dev int32) result
	cuDeviceTotalMem          func(bytes *uint64, dev int32) result
	cuDeviceGetAttribute      func(v *int32, attr int32, dev int32) result
	cuDevicePrimaryCtxRetain  func(ctx *uintptr, dev int32) result
	cuDevicePrimaryCtxRelease func(dev int32) result
	cuCtxSetCurrent           func(ctx uintptr) result
	cuCtxSynchronize          func() result
	cuMemGetInfo              func(free, total *uint64) result
	cuMemAlloc                func(p *uint64, bytes uint64) result
	cuMemFree                 func(p uint64) result
	cuMemAllocHost            func(p *unsafe.Pointer, bytes uint64) result
	cuMemFreeHost             func(p unsafe.Pointer) result
	cuMemcpyHtoDAsync         func(dst uint64, src unsafe.Pointer, bytes uint64, s uintptr) result
	cuMemcpyDtoHAsync         func(dst unsafe.Pointer, src uint64, bytes uint64, s uintptr) result
	cuMemsetD32Async          func(dst uint64, v uint32, n uint64, s uintptr) result
	cuModuleLoadData          func(mod *uintptr, image unsafe.Pointer) result
	cuModuleUnload            func(mod uintptr) result
	cuModuleGetFunction       func(fn *uintptr, mod uintptr, name string) result
	cuLaunchKernel            func(fn uintptr, gx, gy, gz, bx, by, bz, shared uint32, s uintptr, params unsafe.Pointer, extra unsafe.Pointer) result
	cuStreamCreate            func(s *uintptr, flags uint32) result
	cuStreamDestroy           func(s uintptr) result
	cuStreamSynchronize       func(s uintptr) result
	cuGetErrorName            func(r result, s *unsafe.Pointer) result
	cuGetErrorString          func(r result, s *unsafe.Pointer) result
}

// Device attributes (CUdevice_attribute).
const (
	attrComputeMajor = 75
	attrComputeMinor = 76
)

// loadDriver opens the driver library at path (LibraryName to search the loader path) and
// binds every function the backend uses. A missing library or symbol is an error naming it.
func loadDriver(path string) (*driver, error) {
	// dlerror's text is per OS thread: Dlopen and Dlsym read it right after the failed
	// call, which must therefore run on the same thread. Without the lock the goroutine
	// can move between the two and the reason comes back empty.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	lib, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	d := &driver{lib: lib}
	syms := []struct {
		fn   any
		name string
	}{
		{&d.cuInit, "cuInit"},
		{&d.cuDriverGetVersion, "cuDriverGetVersion"},
		{&d.cuDeviceGetCount, "cuDeviceGetCount"},
		{&d.cuDeviceGet, "cuDeviceGet"},
		{&d.cuDeviceGetName, "cuDeviceGetName"},
		{&d.cuDeviceTotalMem, "cuDeviceTotalMem_v2"},
		{&d.cuDeviceGetAttribute, "cuDeviceGetAttribute"},
		{&d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"},
		{&d.cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"},
		{&d.cuCtxSetCurrent, "cuCtxSetCurrent"},
		{&d.cuCtxSynchronize, "cuCtxSynchronize"},
		{&d.cuMemGetInfo, "cuMemGetInfo_v2"},
		{&d.cuMemAlloc, "cuMemAlloc_v2"},
		{&d.cuMemFree, "cuMemFree_v2"},
		{&d.cuMemAllocHost, "cuMemAllocHost_v2"},
		{&d.cuMemFreeHost, "cuMemFreeHost"},
		{&d.cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2"},
		{&d.cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2"},
		{&d.cuMemsetD32Async, "cuMemsetD32Async"},
		{&d.cuModuleLoadData, "cuModuleLoadData"},
		{&d.cuModuleUnload, "cuModuleUnload"},
		{&d.cuModuleGetFunction, "cuModuleGetFunction"},
		{&d.cuLaunchKernel, "cuLaunchKernel"},
		{&d.cuStreamCreate, "cuStreamCreate"},
		{&d.cuStreamDestroy, "cuStreamDestroy_v2"},
		{&d.cuStreamSynchronize, "cuStreamSynchronize"},
		{&d.cuGetErrorName, "cuGetErrorName"},
		{&d.cuGetErrorString, "cuGetErrorString"},
	}
	for _, s := range syms {
		sym, err := purego.Dlsym(lib, s.name)
		if err != nil {
			_ = purego.Dlclose(lib)
			return nil, fmt.Errorf("load %s: symbol %s: %w", path, s.name, err)
		}
		purego.RegisterFunc(s.fn, sym)
	}
	return d, nil
}

// check turns a CUresult into nil or an *Error naming call, the error name and the
// driver's description.
func (d *driver) check(call string, r result) error {
	if r == errSuccess {
		return nil
	}
	e := &Error{Call: call, Code: int32(r), Name: r.Name()}
	var p unsafe.Pointer
	if d.cuGetErrorName(r, &p) == errSuccess && p != nil {
		e.Name = cString(p)
	}
	p = nil
	if d.cuGetErrorString(r, &p) == errSuccess && p != nil {
		e.Desc = cString(p)
	}
	return e
}

// cString copies a NUL-terminated C string owned by the driver.
func cString(p unsafe.Pointer) string {
	n := 0
	for *(*byte)(unsafe.Add(p, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(p), n))
}

// probe initializes the driver and returns the number of devices.
func (d *driver) probe() (int, error) {
	if err := d.check("cuInit", d.cuInit(0)); err != nil {
		return 0, err
	}
	var n int32
	if err := d.check("cuDeviceGetCount", d.cuDeviceGetCount(&n)); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, &Error{Call: "cuDeviceGetCount", Code: int32(errNoDevice), Name: errNoDevice.Name(), Desc: "0 devices"}
	}
	return int(n), nil
}

// deviceInfo describes device ordinal dev.
func (d *driver) deviceInfo(ordinal int) (dev int32, info DeviceInfo, err error) {
	if err := d.check("cuDeviceGet", d.cuDeviceGet(&dev, int32(ordinal))); err != nil {
		return 0, info, err
	}
	name := make([]byte, 256)
	if err := d.check("cuDeviceGetName", d.cuDeviceGetName(&name[0], int32(len(name)), dev)); err != nil {
		return 0, info, err
	}
	for i, c := range name {
		if c == 0 {
			name = name[:i]
			break
		}
	}
	info.Name = string(name)
	var total uint64
	if err := d.check("cuDeviceTotalMem_v2", d.cuDeviceTotalMem(&total, dev)); err != nil {
		return 0, info, err
	}
	info.TotalMem = int64(total)
	var maj, mnr int32
	if err := d.check("cuDeviceGetAttribute", d.cuDeviceGetAttribute(&maj, attrComputeMajor, dev)); err != nil {
		return 0, info, err
	}
	if err := d.check("cuDeviceGetAttribute", d.cuDeviceGetAttribute(&mnr, attrComputeMinor, dev)); err != nil {
		return 0, info, err
	}
	info.Compute = fmt.Sprintf("%d.%d", maj, mnr)
	var v int32
	if err := d.check("cuDriverGetVersion", d.cuDriverGetVersion(&v)); err != nil {
		return 0, info, err
	}
	info.Driver = fmt.Sprintf("%d.%d", v/1000, v%1000/10)
	return dev, info, nil
}

// DeviceInfo describes the device a backend runs on.
type DeviceInfo struct {
	Name     string // e.g. "NVIDIA H100 80GB HBM3"
	TotalMem int64  // bytes
	Compute  string // compute capability, e.g. "9.0"
	Driver   string // CUDA version the driver supports, e.g. "12.4"
}
