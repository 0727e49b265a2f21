package outdir

import "os"

// writebackBytes is how much an output file takes between two requests to the kernel to
// start writing it to disk (startWriteback).
const writebackBytes = 8 << 20

// osFile is an output file of the operating system that asks the kernel to start
// writing its bytes to disk every writebackBytes, while the run goes on computing, so
// that the fsync of Commit finds little left to write and waits less. The request only
// starts the writing: durability is still the fsync's.
type osFile struct {
	*os.File
	written, started int64 // bytes written; bytes whose writing was requested
	noWriteback      bool  // a request failed (a file system without it): stop asking
}

func (f *osFile) Write(p []byte) (int, error) {
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
