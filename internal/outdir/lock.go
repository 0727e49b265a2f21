package outdir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// LockFile is the name of the lock file in an output directory. It is never removed: the
// lock is the kernel's advisory lock on the open file, which dies with the process, and
// the content only names the last holder.
const LockFile = ".rolemine.lock"

// Holder names the run that holds (or last held) an output directory's lock.
type Holder struct {
	Command string    `json:"command"`
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
}

// BusyError is returned by Open when another run holds the output directory.
type BusyError struct {
	Dir string
	// Holder is the other run, nil when it had not yet recorded itself.
	Holder *Holder
}

func (e *BusyError) Error() string {
	lock := filepath.Join(e.Dir, LockFile)
	if e.Holder == nil {
		return fmt.Sprintf("output directory %s is in use by another run (lock %s; holder not recorded yet)", e.Dir, lock)
	}
	h := e.Holder
	return fmt.Sprintf("output directory %s is in use by another run: %s, pid %d on host %s, started %s (lock %s); wait for it to finish or choose another --out",
		e.Dir, graphic(h.Command), h.PID, graphic(h.Host), h.Started.UTC().Format(time.RFC3339), lock)
}

// graphic escapes, as Go quotes them, the characters of s a terminal would not show as
// they are (newlines, escape sequences, invalid UTF-8): the lock file is anyone's to
// write, and its text ends up in an error message.
func graphic(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsGraphic(r) }) < 0 && utf8.ValidString(s) {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}

// errLocked is what tryLock returns when another open file description holds the lock.
var errLocked = errors.New("locked")

// lock takes the exclusive lock of dir and records holder in the lock file.
func lock(fsys FS, dir string, holder Holder) (*os.File, error) {
	path := filepath.Join(dir, LockFile)
	var f *os.File
	for attempt := 0; ; attempt++ {
		var err error
		if f, err = fsys.OpenLock(path); err != nil {
			return nil, fmt.Errorf("open lock %s: %w", path, err)
		}
		if err := tryLock(f); err != nil {
			f.Close()
			if errors.Is(err, errLocked) {
				return nil, &BusyError{Dir: dir, Holder: readHolder(path)}
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// A holder that gave up a directory it had created removed the lock file: the
		// lock taken is then on a file no one else will open, and another try is needed.
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			break
		}
		f.Close()
		if attempt == 3 {
			return nil, fmt.Errorf("lock %s: the lock file keeps being replaced", path)
		}
	}
	data, _ := json.Marshal(holder)
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("write lock %s: %w", path, err)
	}
	if _, err := f.WriteAt(append(data, '\n'), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("write lock %s: %w", path, err)
	}
	return f, nil
}

// readHolder reads the holder recorded in a lock file, nil when there is none yet.
func readHolder(path string) *Holder {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil
	}
	var h Holder
	if json.Unmarshal(data, &h) != nil || h.PID == 0 {
		return nil
	}
	return &h
}

// newHolder describes this process running command.
func newHolder(command string) Holder {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return Holder{Command: command, PID: os.Getpid(), Host: host, Started: time.Now().UTC().Truncate(time.Second)}
}
