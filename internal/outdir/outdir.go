// Package outdir commits the output files of a run into an output directory all or
// nothing, one writer at a time (docs/outputs.md#out-atomic; RATIONALE.md, section 15,
// "An atomic set of outputs").
//
// A committed output directory OUT looks like this:
//
//	OUT/.rolemine.lock        the writers' lock (flock) naming the last holder
//	OUT/.sets/ID/NAME         one complete, immutable set of output files
//	OUT/.current -> .sets/ID  the pointer to the committed set
//	OUT/NAME -> .current/NAME one fixed link per output file
//
// A run stages every file of a new set in a fresh .sets/ID, carries over (by hard link)
// the files of the committed set it does not replace, makes everything durable, and then
// commits by replacing the single link .current, which rename(2) does atomically. Every
// reader path OUT/NAME therefore resolves, at every instant, to the old set or the new
// one, never to a mix; a crash at any point leaves one complete set, and the next Open
// removes what the crashed run left behind. On object storage the same design holds with
// a pointer object written last in place of the .current link.
//
// Directories written by older rolemine versions (plain files) are adopted on the first
// Open: their files are linked into a first set without any reader seeing a change.
package outdir

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/rolemine/rolemine/internal/crashpoint"
	"github.com/rolemine/rolemine/internal/uerr"
)

const (
	setsDir     = ".sets"
	currentLink = ".current"
	// tmpPrefix starts every temporary entry at the top of an output directory; the next
	// Open removes those a crash left behind.
	tmpPrefix = ".rolemine.tmp-"
)

// Options configure Open.
type Options struct {
	// FS is the file system seam; nil means the operating system's.
	FS FS
	// Command names the run in the lock (for example "rolemine mine").
	Command string
	// Hook is called at named points of recovery and commit; nil means
	// crashpoint.Hit with the point prefixed by "outdir:".
	Hook func(point string)
	// Logger reports cleanup failures that do not fail the run; nil discards them.
	Logger *slog.Logger
}

// Dir is an output directory held by this process: its lock is taken and whatever a
// crashed run left in it has been cleaned.
type Dir struct {
	path   string
	fsys   FS
	hook   func(string)
	logger *slog.Logger
	lockF  *os.File

	// created is set when Open created the directory: Close removes it again if no set
	// was ever committed in it, so that a run refused for bad input leaves nothing.
	created bool

	mu     sync.Mutex
	closed bool
}

// Open creates the output directory path if needed, takes its lock (a *BusyError names
// the holder when another run has it), and recovers it: an interrupted commit or
// adoption is completed or undone and stale temporary files are removed.
func Open(path string, opts Options) (*Dir, error) {
	if path == "" {
		return nil, errors.New("output directory: empty path")
	}
	d := &Dir{path: path, fsys: opts.FS, hook: opts.Hook, logger: opts.Logger}
	if d.fsys == nil {
		d.fsys = OS{}
	}
	if d.hook == nil {
		d.hook = func(p string) { crashpoint.Hit("outdir:" + p) }
	}
	if d.logger == nil {
		d.logger = slog.New(slog.DiscardHandler)
	}
	if opts.Command == "" {
		opts.Command = commandLine()
	}
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		d.created = true
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			// The user named a file (or a path through one): bad usage, exit 2.
			return nil, uerr.New("output directory %s: %v; expected a directory, or a path where one can be created", path, err)
		}
		return nil, fmt.Errorf("create output directory %s: %w", path, err)
	}
	lf, err := lock(d.fsys, path, newHolder(opts.Command))
	if err != nil {
		return nil, err
	}
	d.lockF = lf
	if err := d.recover(); err != nil {
		d.Close()
		return nil, fmt.Errorf("recover output directory %s: %w", path, err)
	}
	return d, nil
}

// commandLine names this process for the lock: the program and its subcommand.
func commandLine() string {
	if len(os.Args) < 2 {
		return filepath.Base(os.Args[0])
	}
	return filepath.Base(os.Args[0]) + " " + os.Args[1]
}

// Path returns the output directory as given to Open.
func (d *Dir) Path() string { return d.path }

// Close releases the lock. It is safe to call more than once.
func (d *Dir) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	if d.created {
		d.removeIfUnused()
	}
	return d.lockF.Close()
}

// removeIfUnused removes the directory Open created when it holds nothing but the lock
// file. It runs with the lock held; Open's lock loop copes with the lock file going.
func (d *Dir) removeIfUnused() {
	ents, err := os.ReadDir(d.path)
	if err != nil || len(ents) != 1 || ents[0].Name() != LockFile {
		return
	}
	if os.Remove(d.join(LockFile)) == nil {
		_ = os.Remove(d.path)
	}
}

// join returns the path of name (slash-separated, relative) in the output directory.
func (d *Dir) join(name string) string { return filepath.Join(d.path, filepath.FromSlash(name)) }

// current returns the ID of the committed set, "" when there is none (a new or legacy
// directory, or a pointer to a set that is gone).
func (d *Dir) current() (string, error) {
	target, err := d.fsys.Readlink(d.join(currentLink))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", d.join(currentLink), err)
	}
	id, ok := strings.CutPrefix(target, setsDir+"/")
	if !ok || !validID(id) {
		return "", fmt.Errorf("%s points to %q, not to a set in %s", d.join(currentLink), target, setsDir)
	}
	if _, err := d.fsys.Lstat(d.join(setsDir + "/" + id)); err != nil {
		return "", nil
	}
	return id, nil
}

// setNames returns the file names of set id, sorted.
func (d *Dir) setNames(id string) ([]string, error) {
	if id == "" {
		return nil, nil
	}
	ents, err := d.fsys.ReadDir(d.join(setsDir + "/" + id))
	if err != nil {
		return nil, fmt.Errorf("read set %s: %w", id, err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names, nil
}

// linkTarget is what the top-level entry of output file name points to.
func linkTarget(name string) string { return currentLink + "/" + name }

// validName reports whether name can be an output file: a plain, non-hidden file name.
func validName(name string) bool {
	return name != "" && !strings.HasPrefix(name, ".") && !strings.ContainsAny(name, `/\`) && name != LockFile
}

// validID reports whether id looks like a set ID written by newID.
func validID(id string) bool {
	if len(id) != 16 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Resolve returns the directory holding the committed set of the output directory dir,
// for readers that want every file they read to come from one set even while a writer
// commits: dir/.sets/ID, or dir itself for a directory without sets (older versions, or
// files placed there by hand).
func Resolve(dir string) string {
	target, err := os.Readlink(filepath.Join(dir, currentLink))
	if err != nil {
		return dir
	}
	id, ok := strings.CutPrefix(target, setsDir+"/")
	if !ok || !validID(id) {
		return dir
	}
	return filepath.Join(dir, setsDir, id)
}
