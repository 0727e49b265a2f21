package outdir

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// recover brings the directory to a clean committed state: legacy files are adopted into
// a first set, an interrupted adoption is finished, and everything a crashed run left
// (staged sets, superseded sets, temporary links, dangling file links, temporary files of
// older versions) is removed. It runs under the lock.
func (d *Dir) recover() error {
	cur, err := d.current()
	if err != nil {
		return err
	}
	if cur == "" {
		if cur, err = d.adopt(); err != nil {
			return err
		}
	}
	names, err := d.setNames(cur)
	if err != nil {
		return err
	}
	// An adoption interrupted after its commit leaves plain files that are hard links of
	// the set's files: they become the links they should be.
	for _, name := range names {
		if err := d.relinkAdopted(cur, name); err != nil {
			return err
		}
	}
	return d.clean(cur, names)
}

// relinkAdopted replaces the plain top-level file name by its link into the committed
// set when both are the same file.
func (d *Dir) relinkAdopted(cur, name string) error {
	top, err := d.fsys.Lstat(d.join(name))
	if err != nil || !top.Mode().IsRegular() {
		return nil
	}
	in, err := d.fsys.Lstat(d.join(setsDir + "/" + cur + "/" + name))
	if err != nil || !os.SameFile(top, in) {
		return nil
	}
	return d.placeLink(name)
}

// legacyOutputs are the files rolemine wrote as plain files before output sets existed:
// the only files a first set adopts. Any other file of a directory without a set is not
// rolemine's (the output directory was given as a directory of other things) and stays a
// plain file, outside every set.
var legacyOutputs = []string{
	"assignments.parquet", "churn.json", "discovered.json", "remediation.csv", "report.html",
	"review.csv", "roles.json", "rules-health.json", "rules.json", "rules.parquet", "rules.xml",
	"suggestions.csv", "suggestions.parquet", "summary.json",
}

// adopt turns the plain output files (legacyOutputs) of a directory written before sets
// existed into a first set, without any reader seeing a change: the files are hard-linked
// into the set, the set is committed, and only then is each plain file replaced by its
// link (which resolves to the same content). It returns the set's ID, "" when there was nothing.
func (d *Dir) adopt() (string, error) {
	ents, err := d.fsys.ReadDir(d.path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", d.path, err)
	}
	var names []string
	for _, e := range ents {
		if slices.Contains(legacyOutputs, e.Name()) && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return "", nil
	}
	id, err := d.stage()
	if err != nil {
		return "", err
	}
	for _, name := range names {
		if err := d.linkOrCopy(d.join(name), d.join(setsDir+"/"+id+"/"+name)); err != nil {
			return "", err
		}
	}
	if err := d.syncStage(id); err != nil {
		return "", err
	}
	d.hook("adopt-staged")
	if err := d.flip(id); err != nil {
		return "", err
	}
	d.hook("adopt-flipped")
	for _, name := range names {
		if err := d.placeLink(name); err != nil {
			return "", err
		}
	}
	return id, d.fsys.SyncDir(d.path)
}

// stage creates an empty set directory and returns its ID.
func (d *Dir) stage() (string, error) {
	if err := d.fsys.Mkdir(d.join(setsDir), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("create %s: %w", d.join(setsDir), err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	if err := d.fsys.Mkdir(d.join(setsDir+"/"+id), 0o755); err != nil {
		return "", fmt.Errorf("create set %s: %w", d.join(setsDir+"/"+id), err)
	}
	return id, nil
}

// syncStage makes a staged set's entries durable.
func (d *Dir) syncStage(id string) error {
	if err := d.fsys.SyncDir(d.join(setsDir + "/" + id)); err != nil {
		return fmt.Errorf("fsync %s: %w", d.join(setsDir+"/"+id), err)
	}
	if err := d.fsys.SyncDir(d.join(setsDir)); err != nil {
		return fmt.Errorf("fsync %s: %w", d.join(setsDir), err)
	}
	return nil
}

// flip commits set id: a new link to it replaces .current in one rename. Once the rename
// is done the set is committed, whatever flip returns: see errNotDurable.
func (d *Dir) flip(id string) error {
	tmp := d.join(tmpPrefix + "current-" + id)
	if err := d.fsys.Symlink(setsDir+"/"+id, tmp); err != nil {
		return fmt.Errorf("commit %s: %w", d.path, err)
	}
	d.hook("flip-linked")
	if err := d.fsys.Rename(tmp, d.join(currentLink)); err != nil {
		_ = d.fsys.Remove(tmp)
		return fmt.Errorf("commit %s: %w", d.path, err)
	}
	if err := d.fsys.SyncDir(d.path); err != nil {
		return &notDurableError{fmt.Errorf("fsync %s: %w", d.path, err)}
	}
	return nil
}

// notDurableError is a failure after the commit point: the new set is visible but may
// not survive a power loss.
type notDurableError struct{ err error }

func (e *notDurableError) Error() string { return e.err.Error() }
func (e *notDurableError) Unwrap() error { return e.err }

// placeLink makes the top-level entry name the link .current/name, replacing whatever
// plain file is there in one rename. A directory in the way is an error.
func (d *Dir) placeLink(name string) error {
	path := d.join(name)
	if t, err := d.fsys.Readlink(path); err == nil && t == linkTarget(name) {
		return nil
	}
	if fi, err := d.fsys.Lstat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("output file %s: a directory is in the way", path)
	}
	tmp := d.join(tmpPrefix + "link-" + name)
	_ = d.fsys.Remove(tmp)
	if err := d.fsys.Symlink(linkTarget(name), tmp); err != nil {
		return fmt.Errorf("link %s: %w", path, err)
	}
	if err := d.fsys.Rename(tmp, path); err != nil {
		_ = d.fsys.Remove(tmp)
		return fmt.Errorf("link %s: %w", path, err)
	}
	return nil
}

// linkOrCopy hard-links from to to, copying where the file system has no hard links.
func (d *Dir) linkOrCopy(from, to string) error {
	if err := d.fsys.Link(from, to); err == nil {
		return nil
	}
	src, err := d.fsys.Open(from)
	if err != nil {
		return fmt.Errorf("carry over %s: %w", from, err)
	}
	defer src.Close()
	dst, err := d.fsys.Create(to)
	if err != nil {
		return fmt.Errorf("carry over %s: %w", from, err)
	}
	_, err = io.Copy(dst, src)
	if err == nil {
		err = dst.Chmod(0o644)
	}
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("carry over %s: %w", from, err)
	}
	return nil
}

// clean removes everything in the directory that is not the committed set cur (with the
// file names names) or its links: other sets, temporary entries, links to files the set
// does not have, and the temporary files of older rolemine versions (".NAME.tmp-*").
func (d *Dir) clean(cur string, names []string) error {
	if sets, err := d.fsys.ReadDir(d.join(setsDir)); err == nil {
		for _, e := range sets {
			if e.Name() != cur {
				if err := d.fsys.RemoveAll(d.join(setsDir + "/" + e.Name())); err != nil {
					return fmt.Errorf("remove stale set: %w", err)
				}
			}
		}
	}
	if cur == "" {
		_ = d.fsys.Remove(d.join(setsDir)) // empty now; fails harmlessly when absent
	}
	ents, err := d.fsys.ReadDir(d.path)
	if err != nil {
		return fmt.Errorf("read %s: %w", d.path, err)
	}
	for _, e := range ents {
		name := e.Name()
		stale := strings.HasPrefix(name, tmpPrefix) ||
			strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-") && e.Type().IsRegular()
		if !stale && e.Type()&fs.ModeSymlink != 0 && !slices.Contains(names, name) {
			t, err := d.fsys.Readlink(d.join(name))
			stale = err == nil && t == linkTarget(name)
		}
		if stale {
			if err := d.fsys.Remove(d.join(name)); err != nil {
				return fmt.Errorf("remove stale %s: %w", d.join(name), err)
			}
		}
	}
	return d.fsys.SyncDir(d.path)
}
