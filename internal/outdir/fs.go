package outdir

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// FS is the file system seam of an output directory: every change the package makes goes
// through it, so that tests can make any single operation fail or stop the process there.
// Paths are absolute or relative to the working directory, as for package os.
type FS interface {
	Mkdir(path string, perm fs.FileMode) error
	// Create creates path exclusively (it must not exist) for writing.
	Create(path string) (RawFile, error)
	// OpenLock opens (creating it if needed) the lock file for reading and writing.
	OpenLock(path string) (*os.File, error)
	Rename(from, to string) error
	Symlink(target, path string) error
	Link(from, to string) error
	Remove(path string) error
	RemoveAll(path string) error
	Readlink(path string) (string, error)
	Lstat(path string) (fs.FileInfo, error)
	ReadDir(path string) ([]fs.DirEntry, error)
	Open(path string) (io.ReadCloser, error)
	// SyncDir makes the entries of directory path durable.
	SyncDir(path string) error
}

// RawFile is a file being written through an FS.
type RawFile interface {
	io.Writer
	Chmod(mode fs.FileMode) error
	Sync() error
	Close() error
}

// OS is the FS of the operating system.
type OS struct{}

func (OS) Mkdir(path string, perm fs.FileMode) error { return os.Mkdir(path, perm) }
func (OS) Create(path string) (RawFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return newOSFile(f), nil
}
func (OS) OpenLock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
}
func (OS) Rename(from, to string) error               { return os.Rename(from, to) }
func (OS) Symlink(target, path string) error          { return os.Symlink(target, path) }
func (OS) Link(from, to string) error                 { return os.Link(from, to) }
func (OS) Remove(path string) error                   { return os.Remove(path) }
func (OS) RemoveAll(path string) error                { return os.RemoveAll(path) }
func (OS) Readlink(path string) (string, error)       { return os.Readlink(path) }
func (OS) Lstat(path string) (fs.FileInfo, error)     { return os.Lstat(path) }
func (OS) ReadDir(path string) ([]fs.DirEntry, error) { return os.ReadDir(path) }
func (OS) Open(path string) (io.ReadCloser, error)    { return os.Open(path) }

// SyncDir fsyncs a directory. File systems that cannot sync a directory (some network
// file systems) are tolerated.
func (OS) SyncDir(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}
