package outdir

import (
	"os"
	"unsafe"
)

// writebackBytes is how much a buffered output file takes between two requests to the
// kernel to start writing it to disk (startWriteback).
const writebackBytes = 8 << 20

// directBytes is the size of a direct file's buffer, written at once: bufferSize, and a
// multiple of directAlign.
const directBytes = bufferSize

// directAlign is the alignment of a direct write's memory, offset and length: a page,
// which covers the logical block sizes of disks (512 or 4096 bytes).
const directAlign = 4096

// osFile is an output file of the operating system. Where the file system allows, it is
// written directly (O_DIRECT, Linux): whole buffers go from memory to the disk without
// being copied into the page cache first, which costs system time on every core it
// takes from the run (the more when the kernel must reclaim memory for the copy: the
// tier L universe writes about 760 MB), and leaves the fsync of Commit little to write.
// Its buffer then replaces File's (Flush writes the last partial block through the page
// cache). Otherwise it asks the kernel to start writing its bytes to disk every
// writebackBytes (startWriteback), for the same end. Durability is still the fsync's.
type osFile struct {
	*os.File
	written, started int64 // bytes written; bytes whose writing was requested
	noWriteback      bool  // a request failed (a file system without it): stop asking
	// buf (direct files only) holds the bytes not yet written, in memory aligned to
	// directAlign; nil once the file is no longer direct.
	buf []byte
}

// newOSFile returns f as an osFile, direct when its file system allows it.
func newOSFile(f *os.File) *osFile {
	o := &osFile{File: f}
	if setDirect(f, true) == nil {
		raw := make([]byte, directBytes+directAlign)
		at := (directAlign - int(uintptr(unsafe.Pointer(&raw[0]))%directAlign)) % directAlign
		o.buf = raw[at : at : at+directBytes]
	}
	return o
}

func (f *osFile) Write(p []byte) (int, error) {
	if f.buf == nil {
		return f.writeBuffered(p)
	}
	done := 0
	for len(p) > 0 {
		n := copy(f.buf[len(f.buf):cap(f.buf)], p)
		f.buf = f.buf[:len(f.buf)+n]
		p, done = p[n:], done+n
		if len(f.buf) == cap(f.buf) {
			if err := f.writeDirect(); err != nil {
				return done - len(f.buf), err
			}
		}
	}
	return done, nil
}

// WriteString writes s (File's buffer interface).
func (f *osFile) WriteString(s string) (int, error) {
	return f.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// writeDirect writes the full buffer. Should the file system refuse a direct write after
// all, the file goes on buffered from there.
func (f *osFile) writeDirect() error {
	n, err := f.File.Write(f.buf)
	f.written += int64(n)
	if err == nil {
		f.buf = f.buf[:0]
		return nil
	}
	if n == 0 && setDirect(f.File, false) == nil {
		rest := f.buf
		f.buf = nil
		_, err = f.writeBuffered(rest)
	}
	return err
}

// Flush writes what the buffer holds, through the page cache (a direct write is of whole
// blocks), and leaves the file buffered: the last write of a direct file.
func (f *osFile) Flush() error {
	if f.buf == nil {
		return nil
	}
	rest := f.buf
	f.buf = nil
	if err := setDirect(f.File, false); err != nil {
		return err
	}
	_, err := f.writeBuffered(rest)
	return err
}

// Sync writes what the buffer holds, then fsyncs.
func (f *osFile) Sync() error {
	if err := f.Flush(); err != nil {
		return err
	}
	return f.File.Sync()
}

// writeBuffered writes p through the page cache, asking for its writing to disk every
// writebackBytes.
func (f *osFile) writeBuffered(p []byte) (int, error) {
	n, err := f.File.Write(p)
	f.written += int64(n)
	if f.written-f.started >= writebackBytes && !f.noWriteback {
		if startWriteback(f.File, f.started, f.written-f.started) != nil {
			f.noWriteback = true
		}
		f.started = f.written
	}
	return n, err
}
