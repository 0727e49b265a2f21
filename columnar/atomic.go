package columnar

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// OutputSet writes the output files of one run all or nothing (DESIGN.md section 6).
//
// Each file created through the set is written to a temporary name in the output directory
// (".NAME.tmp-RANDOM"). Commit flushes and fsyncs every file and only then renames them
// into place, one after the other, and fsyncs the directory; a run that fails calls Abort,
// which removes the temporary files and leaves the previous outputs untouched. A process
// killed before Commit leaves only hidden temporary files behind, never a half-written
// output under its final name.
//
// Create and Commit/Abort may be called from different goroutines; writing to one
// OutputFile is not safe for concurrent use, but distinct files may be written in parallel.
type OutputSet struct {
	dir string

	mu    sync.Mutex
	files []*OutputFile
	names map[string]bool
	done  bool // committed or aborted
}

// OutputFile is one file of an OutputSet, buffered. It implements io.Writer.
type OutputFile struct {
	name string // final base name
	tmp  string // temporary path
	f    *os.File
	w    *bufio.Writer
}

// outputBufferSize is the write buffer of every output file.
const outputBufferSize = 1 << 20

// NewOutputSet prepares to write output files into dir, creating it (and its parents) if
// needed.
func NewOutputSet(dir string) (*OutputSet, error) {
	if dir == "" {
		return nil, errors.New("output directory: empty path")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory %s: %w", dir, err)
	}
	return &OutputSet{dir: dir, names: make(map[string]bool)}, nil
}

// Dir returns the output directory.
func (s *OutputSet) Dir() string { return s.dir }

// Create starts the file name (a base name without a path separator) under a temporary
// name. Creating the same name twice, or creating after Commit or Abort, is an error.
func (s *OutputSet) Create(name string) (*OutputFile, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return nil, fmt.Errorf("output file %q: want a plain file name", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil, fmt.Errorf("output file %s: output set already committed or aborted", name)
	}
	if s.names[name] {
		return nil, fmt.Errorf("output file %s: created twice", name)
	}
	f, err := os.CreateTemp(s.dir, "."+name+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create output file %s: %w", filepath.Join(s.dir, name), err)
	}
	of := &OutputFile{name: name, tmp: f.Name(), f: f, w: bufio.NewWriterSize(f, outputBufferSize)}
	s.files = append(s.files, of)
	s.names[name] = true
	return of, nil
}

// Name returns the final base name of the file.
func (f *OutputFile) Name() string { return f.name }

// Write writes p to the file's buffer.
func (f *OutputFile) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err != nil {
		return n, fmt.Errorf("write %s: %w", f.tmp, err)
	}
	return n, nil
}

// WriteString writes s to the file's buffer.
func (f *OutputFile) WriteString(s string) (int, error) {
	n, err := f.w.WriteString(s)
	if err != nil {
		return n, fmt.Errorf("write %s: %w", f.tmp, err)
	}
	return n, nil
}

// finish flushes, fsyncs and closes the temporary file and makes it world-readable.
func (f *OutputFile) finish() error {
	if err := f.w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", f.tmp, err)
	}
	if err := f.f.Chmod(0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", f.tmp, err)
	}
	if err := f.f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", f.tmp, err)
	}
	err := f.f.Close()
	f.f = nil
	if err != nil {
		return fmt.Errorf("close %s: %w", f.tmp, err)
	}
	return nil
}

// Commit completes every file and renames them all into place. On error, the files not
// yet renamed are removed (a rename error after the first rename can leave a mix of old
// and new files; only the file system failing makes that happen). Commit after Commit or
// Abort is an error.
func (s *OutputSet) Commit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return errors.New("commit outputs: output set already committed or aborted")
	}
	for _, f := range s.files {
		if err := f.finish(); err != nil {
			s.abortLocked()
			return fmt.Errorf("commit outputs in %s: %w", s.dir, err)
		}
	}
	for i, f := range s.files {
		if err := os.Rename(f.tmp, filepath.Join(s.dir, f.name)); err != nil {
			s.files = s.files[i:]
			s.abortLocked()
			return fmt.Errorf("commit outputs in %s: %w", s.dir, err)
		}
	}
	s.files = nil
	s.done = true
	return syncDir(s.dir)
}

// Abort removes every temporary file. It does nothing after Commit, so it is safe to defer.
func (s *OutputSet) Abort() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	s.abortLocked()
}

func (s *OutputSet) abortLocked() {
	for _, f := range s.files {
		if f.f != nil {
			_ = f.f.Close()
			f.f = nil
		}
		_ = os.Remove(f.tmp)
	}
	s.files = nil
	s.done = true
}

// syncDir fsyncs a directory so that renames in it are durable. File systems that cannot
// sync a directory (some network file systems) are tolerated.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open output directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("fsync output directory %s: %w", dir, err)
	}
	return nil
}
