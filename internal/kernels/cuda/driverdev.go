package cuda

import (
	"errors"
	"fmt"
	"unsafe"
)

// driverDevice implements device with the CUDA driver API. Every call goes through the
// owner thread, where the device's primary context is current.
type driverDevice struct {
	d     *driver
	own   *owner
	dev   int32
	ctx   uintptr
	mod   uintptr
	fns   [numKernels]uintptr
	info  DeviceInfo
	args  unsafe.Pointer // page-locked: launch argument slots, then pointers to them
	pins  map[unsafe.Pointer]int64
	ready bool
}

// maxArgs is the most kernel arguments a launch passes.
const maxArgs = 32

// openDriverDevice loads the library, initializes the driver, retains device ordinal's
// primary context on a fresh owner thread and loads ptx.
func openDriverDevice(lib string, ordinal int, ptx []byte) (*driverDevice, error) {
	d, err := loadDriver(lib)
	if err != nil {
		return nil, err
	}
	dd := &driverDevice{d: d, own: newOwner(), pins: map[unsafe.Pointer]int64{}}
	err = dd.own.do(func() error {
		n, err := d.probe()
		if err != nil {
			return err
		}
		if ordinal < 0 || ordinal >= n {
			return fmt.Errorf("cuda: device %d requested, %d present", ordinal, n)
		}
		if dd.dev, dd.info, err = d.deviceInfo(ordinal); err != nil {
			return err
		}
		if err := d.check("cuDevicePrimaryCtxRetain", d.cuDevicePrimaryCtxRetain(&dd.ctx, dd.dev)); err != nil {
			return err
		}
		dd.ready = true
		if err := d.check("cuCtxSetCurrent", d.cuCtxSetCurrent(dd.ctx)); err != nil {
			return err
		}
		if len(ptx) == 0 {
			return errNoPTX
		}
		img := make([]byte, len(ptx)+1) // NUL-terminated, as cuModuleLoadData reads PTX text
		copy(img, ptx)
		if err := d.check("cuModuleLoadData", d.cuModuleLoadData(&dd.mod, unsafe.Pointer(&img[0]))); err != nil {
			return err
		}
		for k, name := range kernelNames {
			if err := d.check("cuModuleGetFunction("+name+")", d.cuModuleGetFunction(&dd.fns[k], dd.mod, name)); err != nil {
				return err
			}
		}
		return d.check("cuMemAllocHost_v2", d.cuMemAllocHost(&dd.args, maxArgs*16))
	})
	if err != nil {
		_ = dd.close()
		return nil, err
	}
	return dd, nil
}

func (dd *driverDevice) memGetInfo() (free, total int64, err error) {
	err = dd.own.do(func() error {
		var f, t uint64
		err := dd.d.check("cuMemGetInfo_v2", dd.d.cuMemGetInfo(&f, &t))
		free, total = int64(f), int64(t)
		return err
	})
	return free, total, err
}

func (dd *driverDevice) alloc(bytes int64) (p devPtr, err error) {
	err = dd.own.do(func() error {
		var u uint64
		if err := dd.d.check("cuMemAlloc_v2", dd.d.cuMemAlloc(&u, uint64(max(bytes, 8)))); err != nil {
			return fmt.Errorf("%w (allocating %d bytes)", err, bytes)
		}
		p = devPtr(u)
		return nil
	})
	return p, err
}

func (dd *driverDevice) free(p devPtr) error {
	if p == 0 {
		return nil
	}
	return dd.own.do(func() error { return dd.d.check("cuMemFree_v2", dd.d.cuMemFree(uint64(p))) })
}

func (dd *driverDevice) hostAlloc(bytes int64) (b []byte, err error) {
	err = dd.own.do(func() error {
		var p unsafe.Pointer
		if err := dd.d.check("cuMemAllocHost_v2", dd.d.cuMemAllocHost(&p, uint64(max(bytes, 8)))); err != nil {
			return fmt.Errorf("%w (allocating %d page-locked bytes)", err, bytes)
		}
		dd.pins[p] = bytes
		b = unsafe.Slice((*byte)(p), bytes)
		return nil
	})
	return b, err
}

func (dd *driverDevice) hostFree(b []byte) error {
	if cap(b) == 0 {
		return nil
	}
	p := unsafe.Pointer(unsafe.SliceData(b))
	return dd.own.do(func() error {
		if _, ok := dd.pins[p]; !ok {
			return errors.New("cuda: hostFree of a buffer hostAlloc did not return")
		}
		delete(dd.pins, p)
		return dd.d.check("cuMemFreeHost", dd.d.cuMemFreeHost(p))
	})
}

func (dd *driverDevice) newStream() (s stream, err error) {
	err = dd.own.do(func() error {
		var h uintptr
		const nonBlocking = 1 // CU_STREAM_NON_BLOCKING: no implicit sync with stream 0
		err := dd.d.check("cuStreamCreate", dd.d.cuStreamCreate(&h, nonBlocking))
		s = stream(h)
		return err
	})
	return s, err
}

func (dd *driverDevice) destroyStream(s stream) error {
	return dd.own.do(func() error { return dd.d.check("cuStreamDestroy_v2", dd.d.cuStreamDestroy(uintptr(s))) })
}

// pinned checks that b lies in a page-locked buffer from hostAlloc, as asynchronous
// copies require (a Go buffer could be reused before the copy ran).
func (dd *driverDevice) pinned(b []byte) error {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	for base, n := range dd.pins {
		if b0 := uintptr(base); p >= b0 && p+uintptr(len(b)) <= b0+uintptr(n) {
			return nil
		}
	}
	return errors.New("cuda: asynchronous copy from memory that hostAlloc did not return")
}

func (dd *driverDevice) htod(dst devPtr, src []byte, s stream) error {
	if len(src) == 0 {
		return nil
	}
	return dd.own.do(func() error {
		if err := dd.pinned(src); err != nil {
			return err
		}
		return dd.d.check("cuMemcpyHtoDAsync_v2", dd.d.cuMemcpyHtoDAsync(uint64(dst), unsafe.Pointer(&src[0]), uint64(len(src)), uintptr(s)))
	})
}

func (dd *driverDevice) dtoh(dst []byte, src devPtr, s stream) error {
	if len(dst) == 0 {
		return nil
	}
	return dd.own.do(func() error {
		if err := dd.pinned(dst); err != nil {
			return err
		}
		return dd.d.check("cuMemcpyDtoHAsync_v2", dd.d.cuMemcpyDtoHAsync(unsafe.Pointer(&dst[0]), uint64(src), uint64(len(dst)), uintptr(s)))
	})
}

func (dd *driverDevice) memset32(dst devPtr, v uint32, n int64, s stream) error {
	if n == 0 {
		return nil
	}
	return dd.own.do(func() error {
		return dd.d.check("cuMemsetD32Async", dd.d.cuMemsetD32Async(uint64(dst), v, uint64(n), uintptr(s)))
	})
}

func (dd *driverDevice) launch(k kernelID, grid, block uint32, s stream, args ...uint64) error {
	if len(args) > maxArgs {
		return fmt.Errorf("cuda: %s: %d arguments, at most %d", kernelNames[k], len(args), maxArgs)
	}
	if grid == 0 {
		return nil
	}
	return dd.own.do(func() error {
		// Slots hold the values; the pointer array after them points at each slot. The
		// driver copies the values at launch, so the area is reused by the next launch.
		vals := unsafe.Slice((*uint64)(dd.args), maxArgs)
		ptrs := unsafe.Slice((*unsafe.Pointer)(unsafe.Add(dd.args, maxArgs*8)), maxArgs)
		for i, a := range args {
			vals[i] = a
			ptrs[i] = unsafe.Pointer(&vals[i])
		}
		r := dd.d.cuLaunchKernel(dd.fns[k], grid, 1, 1, block, 1, 1, 0, uintptr(s), unsafe.Pointer(&ptrs[0]), nil)
		return dd.d.check("cuLaunchKernel("+kernelNames[k]+")", r)
	})
}

func (dd *driverDevice) sync(s stream) error {
	return dd.own.do(func() error { return dd.d.check("cuStreamSynchronize", dd.d.cuStreamSynchronize(uintptr(s))) })
}

// close frees what open acquired, in reverse order, and ends the owner thread.
func (dd *driverDevice) close() error {
	var errs []error
	_ = dd.own.do(func() error {
		for p := range dd.pins {
			errs = append(errs, dd.d.check("cuMemFreeHost", dd.d.cuMemFreeHost(p)))
		}
		clear(dd.pins)
		if dd.args != nil {
			errs = append(errs, dd.d.check("cuMemFreeHost", dd.d.cuMemFreeHost(dd.args)))
			dd.args = nil
		}
		if dd.mod != 0 {
			errs = append(errs, dd.d.check("cuModuleUnload", dd.d.cuModuleUnload(dd.mod)))
			dd.mod = 0
		}
		if dd.ready {
			errs = append(errs, dd.d.check("cuDevicePrimaryCtxRelease_v2", dd.d.cuDevicePrimaryCtxRelease(dd.dev)))
			dd.ready = false
		}
		return nil
	})
	dd.own.stop()
	return errors.Join(errs...)
}
