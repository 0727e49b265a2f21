//go:build linux && (amd64 || arm64)

package outdir

import (
	"os"
	"syscall"
)

// syncFileRangeWrite is SYNC_FILE_RANGE_WRITE: start writing the range's dirty pages,
// without waiting for them.
const syncFileRangeWrite = 2

// startWriteback asks the kernel to start writing bytes [off, off+n) of f to disk
// (sync_file_range), and returns at once.
func startWriteback(f *os.File, off, n int64) error {
	return control(f, func(fd uintptr) syscall.Errno {
		_, _, errno := syscall.Syscall6(syscall.SYS_SYNC_FILE_RANGE, fd, uintptr(off), uintptr(n), syncFileRangeWrite, 0, 0)
		return errno
	})
}

// setDirect turns direct writing (O_DIRECT) of f on or off; turning it on fails where
// the file system does not allow it.
func setDirect(f *os.File, on bool) error {
	return control(f, func(fd uintptr) syscall.Errno {
		flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		if errno != 0 {
			return errno
		}
		if on {
			flags |= syscall.O_DIRECT
		} else {
			flags &^= syscall.O_DIRECT
		}
		_, _, errno = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFL, flags)
		return errno
	})
}

// control runs call on f's descriptor and returns its error.
func control(f *os.File, call func(fd uintptr) syscall.Errno) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) { errno = call(fd) }); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}
