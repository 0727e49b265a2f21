package outdir

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
)

// TestRemotePublishFetch publishes output sets to a file:// bucket and reads them back:
// only what a manifest names is read, every file is checked against it, and the replaced
// set is removed.
func TestRemotePublishFetch(t *testing.T) {
	ctx := context.Background()
	bucket := t.TempDir()
	r, err := OpenRemote(ctx, "file://"+bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, ok, err := r.Manifest(ctx); ok || err != nil {
		t.Fatalf("empty bucket: manifest %v, %v", ok, err)
	}
	if ok, err := r.Fetch(ctx, t.TempDir()); ok || err != nil {
		t.Fatalf("empty bucket: fetch %v, %v", ok, err)
	}
	publish := func(content string) *Manifest {
		t.Helper()
		local := t.TempDir()
		os.WriteFile(filepath.Join(local, "rules.json"), []byte(content), 0o644)
		os.WriteFile(filepath.Join(local, "roles.json"), []byte("roles "+content), 0o644)
		os.WriteFile(filepath.Join(local, LockFile), []byte("lock"), 0o644)
		if err := r.Publish(ctx, local); err != nil {
			t.Fatal(err)
		}
		m, ok, err := r.Manifest(ctx)
		if !ok || err != nil {
			t.Fatalf("no manifest after publish: %v", err)
		}
		return m
	}
	first := publish("one")
	second := publish("two")
	if len(second.Files) != 2 || second.Set == first.Set {
		t.Fatalf("manifest %+v after %+v: want 2 files (no lock file) in a new set", second, first)
	}
	if _, err := os.Stat(filepath.Join(bucket, setsDir, first.Set, "rules.json")); !os.IsNotExist(err) {
		t.Fatalf("the replaced set is still there (%v)", err)
	}
	got := t.TempDir()
	if ok, err := r.Fetch(ctx, got); !ok || err != nil {
		t.Fatalf("fetch: %v, %v", ok, err)
	}
	if b, _ := os.ReadFile(filepath.Join(got, "rules.json")); string(b) != "two" {
		t.Fatalf("fetched rules.json %q, want the second set's", b)
	}
	// A file changed behind the manifest's back is refused.
	os.WriteFile(filepath.Join(bucket, setsDir, second.Set, "roles.json"), []byte("roles 2"), 0o644)
	if _, err := r.Fetch(ctx, t.TempDir()); err == nil || !strings.Contains(err.Error(), "do not match the manifest") {
		t.Fatalf("tampered file: %v", err)
	}
	os.WriteFile(filepath.Join(bucket, ManifestName), []byte("{}"), 0o644)
	if _, _, err := r.Manifest(ctx); !uerr.Is(err) {
		t.Fatalf("malformed manifest: %v, want a user error", err)
	}
	if _, err := OpenRemote(ctx, "ftp://x/y"); !uerr.Is(err) || !strings.Contains(err.Error(), "unsupported scheme") {
		t.Fatalf("ftp: %v", err)
	}
	// file://tmp/x: "tmp" is the URL's host, which fileblob drops; the run then failed on
	// "stat /x: no such file or directory", naming neither the slip nor the flag.
	if _, err := OpenRemote(ctx, "file:/"+bucket); !uerr.Is(err) || !strings.Contains(err.Error(), "file:///DIR") {
		t.Fatalf("file URL with a host: %v, want a user error showing file:///DIR", err)
	}
}

func TestIsURL(t *testing.T) {
	for s, want := range map[string]bool{"s3://b/p": true, "gs://b": true, "file:///tmp/x": true, "azblob://c/p?x=1": true,
		"/tmp/x": false, "out": false, "./a://b": false, "C:\\x": false, "": false} {
		if IsURL(s) != want {
			t.Errorf("IsURL(%q) = %v", s, !want)
		}
	}
}

// TestRemoteFailedPublishKeepsPrevious: an upload that fails part way (here a file that
// cannot be read, after another was uploaded) returns the error and leaves the previous
// manifest, and so the previous set, what readers get (scale-out.md, object storage).
func TestRemoteFailedPublishKeepsPrevious(t *testing.T) {
	ctx := context.Background()
	r, err := OpenRemote(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	good := t.TempDir()
	os.WriteFile(filepath.Join(good, "rules.json"), []byte("old"), 0o644)
	if err := r.Publish(ctx, good); err != nil {
		t.Fatal(err)
	}
	before, _, _ := r.Manifest(ctx)
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "a.json"), []byte("new"), 0o644)
	os.Mkdir(filepath.Join(bad, "rules.json"), 0o755) // read fails after a.json is uploaded
	if err := r.Publish(ctx, bad); err == nil {
		t.Fatal("publishing an unreadable file succeeded")
	}
	after, ok, err := r.Manifest(ctx)
	if !ok || err != nil || after.Set != before.Set {
		t.Fatalf("manifest after a failed publish: %+v (%v), want the previous %+v", after, err, before)
	}
	got := t.TempDir()
	if ok, err := r.Fetch(ctx, got); !ok || err != nil {
		t.Fatalf("fetch after a failed publish: %v, %v", ok, err)
	}
	if b, _ := os.ReadFile(filepath.Join(got, "rules.json")); string(b) != "old" {
		t.Fatalf("rules.json %q after a failed publish, want the previous set's", b)
	}
}

// TestRemoteAt: an object named in a message joins the URL's path, not its query string
// (found by the semantic audit: "upload s3://b/x?endpoint=...&region=us-east-1/.sets/...").
func TestRemoteAt(t *testing.T) {
	for u, want := range map[string]string{
		"s3://b/night ly?endpoint=http://h:9000&region=us-east-1": "s3://b/night ly/.current?endpoint=http://h:9000&region=us-east-1",
		"s3://b/p/":        "s3://b/p/.current",
		"file:///tmp/data": "file:///tmp/data/.current",
	} {
		if got := (&Remote{URL: u}).at(ManifestName); got != want {
			t.Errorf("%s: at(.current) = %q, want %q", u, got, want)
		}
	}
}

// TestRemoteSetFileMissing: a file the manifest names that is gone (a lifecycle rule on
// .sets/ expired the current set of a model no run replaced for that long) is a user
// error saying the published set is incomplete; it was a bare "read ...: NotFound", exit 1.
func TestRemoteSetFileMissing(t *testing.T) {
	ctx := context.Background()
	bucket := t.TempDir()
	r, err := OpenRemote(ctx, "file://"+bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	local := t.TempDir()
	os.WriteFile(filepath.Join(local, "rules.json"), []byte("rules"), 0o644)
	if err := r.Publish(ctx, local); err != nil {
		t.Fatal(err)
	}
	m, _, _ := r.Manifest(ctx)
	os.Remove(filepath.Join(bucket, setsDir, m.Set, "rules.json"))
	_, err = r.Fetch(ctx, t.TempDir())
	if !uerr.Is(err) || !strings.Contains(err.Error(), "the published set is incomplete") {
		t.Fatalf("fetch of a set missing a file: %v, want a user error saying the set is incomplete", err)
	}
}
