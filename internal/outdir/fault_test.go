package outdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// faultFS is the operating system's FS with one injected fault: the failAt-th operation
// that changes something (counting from 1) fails. With crash set, that operation and every
// later one fail without doing anything, as if the process had been killed just before
// it; otherwise only that one fails, with err. Writes past budget bytes (when budget >= 0)
// fail with ENOSPC, as on a full disk.
type faultFS struct {
	OS
	failAt int
	crash  bool
	err    error
	budget int64

	ops     int
	crashed bool
	written int64
}

var errInjected = errors.New("injected fault")

// step counts one changing operation and says whether it must fail.
func (f *faultFS) step(op string) error {
	if f.crashed {
		return fmt.Errorf("%s: process is dead", op)
	}
	f.ops++
	if f.ops != f.failAt {
		return nil
	}
	if f.crash {
		f.crashed = true
		return fmt.Errorf("%s: process is dead", op)
	}
	return fmt.Errorf("%s: %w", op, f.err)
}

func (f *faultFS) Mkdir(p string, m fs.FileMode) error {
	if err := f.step("mkdir"); err != nil {
		return err
	}
	return f.OS.Mkdir(p, m)
}
func (f *faultFS) Create(p string) (RawFile, error) {
	if err := f.step("create"); err != nil {
		return nil, err
	}
	raw, err := f.OS.Create(p)
	if err != nil {
		return nil, err
	}
	return &faultFile{fs: f, f: raw}, nil
}
func (f *faultFS) Rename(a, b string) error {
	if err := f.step("rename"); err != nil {
		return err
	}
	return f.OS.Rename(a, b)
}
func (f *faultFS) Symlink(a, b string) error {
	if err := f.step("symlink"); err != nil {
		return err
	}
	return f.OS.Symlink(a, b)
}
func (f *faultFS) Link(a, b string) error {
	if err := f.step("link"); err != nil {
		return err
	}
	return f.OS.Link(a, b)
}
func (f *faultFS) Remove(p string) error {
	if err := f.step("remove"); err != nil {
		return err
	}
	return f.OS.Remove(p)
}
func (f *faultFS) RemoveAll(p string) error {
	if err := f.step("removeall"); err != nil {
		return err
	}
	return f.OS.RemoveAll(p)
}
func (f *faultFS) SyncDir(p string) error {
	if err := f.step("syncdir"); err != nil {
		return err
	}
	return f.OS.SyncDir(p)
}

// faultFile is a file of a faultFS: writes, chmod, fsync and close are operations too.
type faultFile struct {
	fs *faultFS
	f  RawFile
}

func (w *faultFile) Write(p []byte) (int, error) {
	if err := w.fs.step("write"); err != nil {
		return 0, err
	}
	if w.fs.budget >= 0 && w.fs.written+int64(len(p)) > w.fs.budget {
		n := max(0, w.fs.budget-w.fs.written)
		w.fs.written += n
		w.f.Write(p[:n])
		return int(n), fmt.Errorf("write: %w", syscall.ENOSPC)
	}
	w.fs.written += int64(len(p))
	return w.f.Write(p)
}
func (w *faultFile) Chmod(m fs.FileMode) error {
	if err := w.fs.step("chmod"); err != nil {
		return err
	}
	return w.f.Chmod(m)
}
func (w *faultFile) Sync() error {
	if err := w.fs.step("fsync"); err != nil {
		return err
	}
	return w.f.Sync()
}
func (w *faultFile) Close() error {
	if w.fs.crashed {
		w.f.Close() // the kernel closes a dead process's files
		return errors.New("close: process is dead")
	}
	return w.f.Close()
}

// scenario is one commit to inject faults into: the directory before it (made by prepare)
// and the files the run writes.
type scenario struct {
	name    string
	prepare func(t *testing.T, dir string)
	write   map[string]string
	// before and after are what a reader sees before and after a successful commit.
	before, after map[string]string
}

func commitScenarios() []scenario {
	committed := func(files map[string]string) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			if err := writeSet(t, dir, files).Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	legacy := func(files map[string]string) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			for n, c := range files {
				if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// A temporary file left by a kill -9 of an older version.
			if err := os.WriteFile(filepath.Join(dir, ".rules.json.tmp-123"), []byte("half"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	old := map[string]string{"rules.json": "old rules", "roles.json": "old roles", "discovered.json": "old discovered"}
	write := map[string]string{"rules.json": "new rules", "roles.json": "new roles", "churn.json": "new churn"}
	after := map[string]string{"rules.json": "new rules", "roles.json": "new roles", "churn.json": "new churn", "discovered.json": "old discovered"}
	return []scenario{
		{"first commit", func(*testing.T, string) {}, write, map[string]string{}, write},
		{"over a committed set", committed(old), write, old, after},
		{"over plain files of an older version", legacy(old), write, old, after},
	}
}

// run opens dir through fsys and commits sc.write, returning the first error.
func (sc scenario) run(dir string, fsys FS) error {
	s, err := NewSet(dir, Options{FS: fsys})
	if err != nil {
		return err
	}
	defer s.Abort()
	for _, n := range sortedKeys(sc.write) {
		f, err := s.Create(n)
		if err != nil {
			return err
		}
		if _, err := f.WriteString(sc.write[n]); err != nil {
			return err
		}
	}
	return s.Commit()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys
}

// countOps returns the number of changing operations of a fault-free run of sc.
func countOps(t *testing.T, sc scenario) int {
	dir := t.TempDir()
	sc.prepare(t, dir)
	f := &faultFS{budget: -1}
	if err := sc.run(dir, f); err != nil {
		t.Fatal(err)
	}
	checkClean(t, dir, sc.after)
	return f.ops
}

// TestCrashAtEveryOperation kills a commit (in effect) before each of its file system
// operations in turn: a reader must see the old set or the new one, complete, at that
// instant, and the next run must clean up and commit normally.
func TestCrashAtEveryOperation(t *testing.T) {
	for _, sc := range commitScenarios() {
		n := countOps(t, sc)
		for k := 1; k <= n; k++ {
			t.Run(fmt.Sprintf("%s/op%d", sc.name, k), func(t *testing.T) {
				dir := t.TempDir()
				sc.prepare(t, dir)
				err := sc.run(dir, &faultFS{failAt: k, crash: true, budget: -1})
				got := view(t, dir)
				if !sameView(got, sc.before) && !sameView(got, sc.after) {
					t.Fatalf("after a crash at operation %d (err %v) a reader sees %v: neither %v nor %v", k, err, got, sc.before, sc.after)
				}
				// The next run starts clean: Open recovers, and a new commit works.
				d, oerr := Open(dir, Options{})
				if oerr != nil {
					t.Fatal(oerr)
				}
				d.Close()
				checkClean(t, dir, got)
				if err := sc.run(dir, nil); err != nil {
					t.Fatal(err)
				}
				checkClean(t, dir, sc.after)
			})
		}
	}
}

// TestFailEachOperation makes each file system operation of a commit fail once (a failing
// rename, link, fsync...): the run either fails and leaves the old set, or succeeds with
// the new one, and in both cases leaves nothing stale behind.
func TestFailEachOperation(t *testing.T) {
	for _, sc := range commitScenarios() {
		n := countOps(t, sc)
		for k := 1; k <= n; k++ {
			t.Run(fmt.Sprintf("%s/op%d", sc.name, k), func(t *testing.T) {
				dir := t.TempDir()
				sc.prepare(t, dir)
				err := sc.run(dir, &faultFS{failAt: k, err: errInjected, budget: -1})
				got := view(t, dir)
				switch {
				case err == nil && !sameView(got, sc.after):
					t.Fatalf("commit succeeded with operation %d failing, but a reader sees %v, want %v", k, got, sc.after)
				case err != nil && !sameView(got, sc.before) && !sameView(got, sc.after):
					t.Fatalf("commit failed at operation %d (%v); a reader sees %v: neither %v nor %v", k, err, got, sc.before, sc.after)
				}
				d, oerr := Open(dir, Options{})
				if oerr != nil {
					t.Fatal(oerr)
				}
				d.Close()
				checkClean(t, dir, got)
			})
		}
	}
}

// TestFullDisk fills the disk at every point of the writing: the commit fails with ENOSPC
// and the old set stays.
func TestFullDisk(t *testing.T) {
	for _, sc := range commitScenarios() {
		for _, budget := range []int64{0, 1, 5, 12, 20} {
			t.Run(fmt.Sprintf("%s/%dB", sc.name, budget), func(t *testing.T) {
				dir := t.TempDir()
				sc.prepare(t, dir)
				err := sc.run(dir, &faultFS{budget: budget})
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("commit on a disk with %d bytes free: err %v, want ENOSPC", budget, err)
				}
				checkClean(t, dir, sc.before)
			})
		}
	}
}
