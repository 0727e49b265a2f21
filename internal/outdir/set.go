package outdir

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// Set is a new version of an output directory being written: files created through it
// are staged in a set of their own, and Commit publishes them, with the committed files
// they do not replace, in one atomic step. Create and Commit/Abort may be called from
// different goroutines; distinct files may be written in parallel, one file by one
// goroutine at a time.
type Set struct {
	d     *Dir
	owned bool // Commit and Abort close d (NewSet)
	id    string

	mu    sync.Mutex
	files []*File
	names map[string]bool
	// replaced are names the set stands for whether it creates them or not (Replace).
	replaced map[string]bool
	done     bool
}

// File is one file of a Set, buffered. It implements io.Writer.
type File struct {
	name, path string
	f          RawFile
	w          fileBuffer
}

// fileBuffer is a File's buffer: a bufio.Writer, or a direct osFile's own.
type fileBuffer interface {
	io.Writer
	io.StringWriter
	Flush() error
}

// bufferSize is the write buffer of every output file.
const bufferSize = 1 << 20

// NewSet opens dir (see Open) and begins a set that releases the lock when committed or
// aborted: the one-call form for commands that write a few files at the end.
func NewSet(dir string, opts Options) (*Set, error) {
	d, err := Open(dir, opts)
	if err != nil {
		return nil, err
	}
	s, err := d.Begin()
	if err != nil {
		d.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// Begin starts a new set. Only one set of a Dir may be open at a time.
func (d *Dir) Begin() (*Set, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, fmt.Errorf("output directory %s: already closed", d.path)
	}
	id, err := d.stage()
	if err != nil {
		return nil, err
	}
	d.hook("begin")
	return &Set{d: d, id: id, names: make(map[string]bool)}, nil
}

// Dir returns the output directory's path.
func (s *Set) Dir() string { return s.d.path }

// Replace declares names as the set's own whether or not it creates them: a file of the
// committed set with one of these names that the set does not create is not carried over
// (a run writing a whole model drops what an earlier model had and this one has not).
func (s *Set) Replace(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.replaced == nil {
		s.replaced = make(map[string]bool, len(names))
	}
	for _, n := range names {
		s.replaced[n] = true
	}
}

// Create starts the file name, a plain file name that does not start with a dot.
// Creating the same name twice, or after Commit or Abort, is an error.
func (s *Set) Create(name string) (*File, error) {
	if !validName(name) {
		return nil, fmt.Errorf("output file %q: want a plain file name not starting with a dot", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil, fmt.Errorf("output file %s: output set already committed or aborted", name)
	}
	if s.names[name] {
		return nil, fmt.Errorf("output file %s: created twice", name)
	}
	path := s.d.join(setsDir + "/" + s.id + "/" + name)
	f, err := s.d.fsys.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create output file %s: %w", s.d.join(name), err)
	}
	of := &File{name: name, path: path, f: f}
	if o, ok := f.(*osFile); ok && o.buf != nil {
		of.w = o // written directly from its own buffer
	} else {
		of.w = bufio.NewWriterSize(f, bufferSize)
	}
	s.files = append(s.files, of)
	s.names[name] = true
	s.d.hook("create:" + name)
	return of, nil
}

// Name returns the file's name in the output directory.
func (f *File) Name() string { return f.name }

// Write writes p to the file's buffer. Errors name the file (os errors already do).
func (f *File) Write(p []byte) (int, error) { return f.w.Write(p) }

// WriteString writes s to the file's buffer.
func (f *File) WriteString(s string) (int, error) { return f.w.WriteString(s) }

// finish flushes, fsyncs and closes the file and makes it world-readable.
func (f *File) finish() error {
	if err := f.w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	if err := f.f.Chmod(0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", f.path, err)
	}
	if err := f.f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", f.path, err)
	}
	err := f.f.Close()
	f.f = nil
	if err != nil {
		return fmt.Errorf("close %s: %w", f.path, err)
	}
	return nil
}

// Commit completes every file and publishes the set: its files, together with the
// committed files it does not replace, become the directory's content in one atomic
// step. On error before that step the directory keeps its previous content. Commit
// after Commit or Abort is an error.
func (s *Set) Commit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return errors.New("commit outputs: output set already committed or aborted")
	}
	if err := s.publish(); err != nil {
		var nd *notDurableError
		if errors.As(err, &nd) {
			// Committed, but not known to be durable: keep the set, report the failure.
			s.done = true
			if s.owned {
				s.d.Close()
			}
		} else {
			s.abortLocked()
		}
		return fmt.Errorf("commit outputs in %s: %w", s.d.path, err)
	}
	s.done = true
	s.d.hook("committed")
	if s.owned {
		defer s.d.Close()
	}
	if err := s.d.recover(); err != nil {
		// The new set is committed; what is left is removed by the next Open.
		s.d.logger.Warn("cleaning the output directory after commit", "dir", s.d.path, "err", err)
	}
	return nil
}

// publish writes out and commits the staged set; nothing is visible before the flip.
func (s *Set) publish() error {
	d := s.d
	for _, f := range s.files {
		if err := f.finish(); err != nil {
			return err
		}
		d.hook("finished:" + f.name)
	}
	cur, err := d.current()
	if err != nil {
		return err
	}
	old, err := d.setNames(cur)
	if err != nil {
		return err
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range s.names {
			if !yield(n) {
				return
			}
		}
	})
	for _, n := range old {
		if !s.names[n] && !s.replaced[n] {
			if err := d.linkOrCopy(d.join(setsDir+"/"+cur+"/"+n), d.join(setsDir+"/"+s.id+"/"+n)); err != nil {
				return err
			}
			names = append(names, n)
		}
	}
	if err := d.syncStage(s.id); err != nil {
		return err
	}
	d.hook("staged")
	// Links for new names dangle until the flip: a reader sees them missing, as in the
	// committed set.
	for _, n := range names {
		if err := d.placeLink(n); err != nil {
			return err
		}
	}
	if err := d.fsys.SyncDir(d.path); err != nil {
		return fmt.Errorf("fsync %s: %w", d.path, err)
	}
	d.hook("linked")
	return d.flip(s.id)
}

// Abort discards the set; the directory keeps its previous content. It does nothing after
// Commit, so it is safe to defer.
func (s *Set) Abort() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	s.abortLocked()
}

func (s *Set) abortLocked() {
	for _, f := range s.files {
		if f.f != nil {
			_ = f.f.Close()
			f.f = nil
		}
	}
	s.files = nil
	s.done = true
	if err := s.d.fsys.RemoveAll(s.d.join(setsDir + "/" + s.id)); err != nil {
		s.d.logger.Warn("removing an aborted output set", "dir", s.d.path, "err", err)
	} else if err := s.d.recover(); err != nil {
		s.d.logger.Warn("cleaning the output directory after a failed commit", "dir", s.d.path, "err", err)
	}
	if s.owned {
		s.d.Close()
	}
}
