package outdir

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/rolemine/rolemine/internal/crashpoint"
	"github.com/rolemine/rolemine/internal/uerr"
)

// An output directory on object storage keeps the layout of a local one, with an object
// in place of each link (RATIONALE.md, "Outputs on object storage"):
//
//	PREFIX/.sets/ID/NAME   one complete, immutable set of output files
//	PREFIX/.current        the manifest: the committed set's ID and each file's size
//	                       and SHA-256, written last, in one PUT
//
// A run uploads every file of its set under a fresh ID and then writes the manifest;
// object stores make a single PUT visible all at once, so a reader sees the old manifest
// or the new one. Readers trust nothing but the manifest: files of a set no manifest
// names (a run killed while uploading) are never read, and each file read is checked
// against the manifest's size and digest.

// ManifestName is the manifest object under an output prefix.
const ManifestName = ".current"

// ManifestFormat identifies the manifest document.
const ManifestFormat = "rolemine.manifest/v1"

// Manifest is the .current object of an output directory on object storage.
type Manifest struct {
	Format string         `json:"format"`
	Set    string         `json:"set"`
	Files  []ManifestFile `json:"files"`
}

// ManifestFile is one file of a published set.
type ManifestFile struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// IsURL reports whether s names an object-storage location (scheme://...) rather than a
// local path.
func IsURL(s string) bool {
	i := strings.Index(s, "://")
	return i > 0 && !strings.ContainsAny(s[:i], `/\.`)
}

// Remote is a directory on object storage: a bucket and a key prefix.
type Remote struct {
	URL    string
	bucket *blob.Bucket
}

// OpenRemote opens the bucket of u (s3://, gs://, azblob:// or file://), keeping its
// path as the key prefix; the query carries the store's options (region, endpoint...).
// An unknown scheme is a user error.
func OpenRemote(ctx context.Context, u string) (*Remote, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return nil, uerr.New("%s: not a valid URL: %v", u, err)
	}
	if !slices.Contains(blob.DefaultURLMux().BucketSchemes(), pu.Scheme) {
		return nil, uerr.New("%s: unsupported scheme %q (expected s3, gs, azblob or file)", u, pu.Scheme)
	}
	prefix := strings.Trim(pu.Path, "/")
	if pu.Scheme == "file" {
		// file:///abs/dir: the directory is the bucket.
		if pu.Host != "" {
			return nil, uerr.New("%s: a file URL names a directory after three slashes (file:///DIR); %q would be taken as a host and dropped", u, pu.Host)
		}
		prefix = ""
	} else {
		pu.Path = ""
	}
	b, err := blob.OpenBucket(ctx, pu.String())
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open the bucket: %w", u, err)
	}
	if prefix != "" {
		b = blob.PrefixedBucket(b, prefix+"/")
	}
	if pu.Scheme != "file" {
		if err := bucketExists(ctx, b, u, pu.Host); err != nil {
			b.Close()
			return nil, err
		}
	}
	return &Remote{URL: u, bucket: b}, nil
}

// bucketExists lists one object under the prefix of b, so that a bucket that does not
// exist fails where it is opened, before any work: read, it would look like a prefix
// without files or manifest, and written, it would fail only once the run's outputs are
// uploaded. Listing under the prefix, not the whole bucket, needs no permission beyond
// what reading the prefix needs.
func bucketExists(ctx context.Context, b *blob.Bucket, u, name string) error {
	ok, err := b.IsAccessible(ctx)
	if err != nil {
		return fmt.Errorf("%s: cannot reach the bucket: %w", u, err)
	}
	if !ok {
		return fmt.Errorf("%s: bucket %q does not exist", u, name)
	}
	return nil
}

// at names the object key under the remote directory for messages: the key joins the
// URL's path, before its query string, which would otherwise end in the key
// ("...&region=eu-west-1/.current").
func (r *Remote) at(key string) string {
	base, query, found := strings.Cut(r.URL, "?")
	name := strings.TrimSuffix(base, "/") + "/" + key
	if found {
		name += "?" + query
	}
	return name
}

// Close releases the bucket.
func (r *Remote) Close() error { return r.bucket.Close() }

// Manifest reads the committed set's manifest; ok is false when none is published.
func (r *Remote) Manifest(ctx context.Context) (m *Manifest, ok bool, err error) {
	data, err := r.bucket.ReadAll(ctx, ManifestName)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", r.at(ManifestName), err)
	}
	m = &Manifest{}
	if err := json.Unmarshal(data, m); err != nil || m.Format != ManifestFormat || m.Set == "" {
		return nil, false, uerr.New("%s: not a %s document", r.at(ManifestName), ManifestFormat)
	}
	if err := m.check(); err != nil {
		return nil, false, uerr.New("%s: %v", r.at(ManifestName), err)
	}
	return m, true, nil
}

// check refuses a manifest whose set is not one name under the sets' prefix (such as
// "../x", which would read objects beside the sets), or that names a file that is not an
// output file, or one file twice.
func (m *Manifest) check() error {
	if !validName(m.Set) {
		return fmt.Errorf("set %q: expected the name of a set under %s/", m.Set, setsDir)
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if !validName(f.Name) {
			return fmt.Errorf("file name %q", f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("file %q listed twice", f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

// Publish uploads the files of the local output directory dir (as its readers see
// them) as a new set and then publishes the set's manifest. The set replaced is removed
// afterwards; a failure there is returned but leaves the new set committed.
func (r *Remote) Publish(ctx context.Context, dir string) error {
	old, hadOld, err := r.Manifest(ctx)
	if err != nil && !uerr.Is(err) {
		return err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("publish %s: %w", dir, err)
	}
	m := &Manifest{Format: ManifestFormat, Set: newSetID()}
	for _, e := range ents {
		if !validName(e.Name()) {
			continue
		}
		mf, err := r.upload(ctx, filepath.Join(dir, e.Name()), path.Join(setsDir, m.Set, e.Name()))
		if err != nil {
			return err
		}
		mf.Name = e.Name()
		m.Files = append(m.Files, mf)
		crashpoint.Hit("outdir:remote:uploaded:" + e.Name())
	}
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := r.bucket.WriteAll(ctx, ManifestName, body, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return fmt.Errorf("publish %s: %w", r.at(ManifestName), err)
	}
	crashpoint.Hit("outdir:remote:published")
	if hadOld && old.Set != m.Set {
		var errs []error
		for _, f := range old.Files {
			if err := r.bucket.Delete(ctx, path.Join(setsDir, old.Set, f.Name)); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("published %s, but removing the replaced set failed: %w", r.URL, err)
		}
	}
	return nil
}

// upload copies one local file to key, measuring it for the manifest.
func (r *Remote) upload(ctx context.Context, local, key string) (ManifestFile, error) {
	f, err := os.Open(local)
	if err != nil {
		return ManifestFile{}, fmt.Errorf("publish %s: %w", local, err)
	}
	defer f.Close()
	// The upload's own context: cancelling it discards the object instead of leaving a
	// truncated one.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := r.bucket.NewWriter(wctx, key, nil)
	if err != nil {
		return ManifestFile{}, fmt.Errorf("upload %s: %w", r.at(key), err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), f)
	if err != nil {
		cancel()
		w.Close()
		return ManifestFile{}, fmt.Errorf("upload %s: %w", r.at(key), err)
	}
	if err := w.Close(); err != nil {
		return ManifestFile{}, fmt.Errorf("upload %s: %w", r.at(key), err)
	}
	return ManifestFile{Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Fetch downloads the files of the published set into the local directory dir, checking
// each against the manifest. ok is false when no set is published.
func (r *Remote) Fetch(ctx context.Context, dir string) (ok bool, err error) {
	m, ok, err := r.Manifest(ctx)
	if err != nil || !ok {
		return false, err
	}
	for _, f := range m.Files {
		if err := r.download(ctx, path.Join(setsDir, m.Set, f.Name), filepath.Join(dir, f.Name), &f); err != nil {
			return false, err
		}
	}
	return true, nil
}

// FetchPlain downloads every object directly under the prefix whose name does not start
// with a dot (an input directory uploaded as plain files) into dir, and returns their
// names.
func (r *Remote) FetchPlain(ctx context.Context, dir string) ([]string, error) {
	var names []string
	it := r.bucket.List(&blob.ListOptions{Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", r.URL, err)
		}
		if obj.IsDir || !validName(obj.Key) {
			continue
		}
		if err := r.download(ctx, obj.Key, filepath.Join(dir, obj.Key), nil); err != nil {
			return nil, err
		}
		names = append(names, obj.Key)
	}
	return names, nil
}

// download copies key into the local file local; with want, it checks size and digest.
func (r *Remote) download(ctx context.Context, key, local string, want *ManifestFile) error {
	rd, err := r.bucket.NewReader(ctx, key, nil)
	if want != nil && gcerrors.Code(err) == gcerrors.NotFound {
		return uerr.New("%s: the published set is incomplete: %s names %s, which is not there (removed behind the manifest, by a lifecycle rule on %s/ for one); publish the output again",
			r.URL, ManifestName, r.at(key), setsDir)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", r.at(key), err)
	}
	defer rd.Close()
	f, err := os.OpenFile(local, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("download %s: %w", r.at(key), err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), rd)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("download %s: %w", r.at(key), err)
	}
	if want != nil && (n != want.Bytes || hex.EncodeToString(h.Sum(nil)) != want.SHA256) {
		return fmt.Errorf("%s: %d bytes that do not match the manifest (%d bytes, sha256 %.12s)", r.at(key), n, want.Bytes, want.SHA256)
	}
	return nil
}

// newSetID names a new set: the time, for people listing the bucket, and random bits.
func newSetID() string {
	var b [6]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
