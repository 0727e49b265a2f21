package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/rolemine/rolemine/internal/crashpoint"
	"github.com/rolemine/rolemine/internal/outdir"
)

// s3Server starts the S3-compatible server (gofakes3's command: `make s3-server` builds
// it into bin/tools; $ROLEMINE_S3_SERVER names another build) as a separate process with
// one bucket, and returns the query string that points rolemine's s3:// URLs at it. The
// test skips when the server cannot be found or built.
func s3Server(t *testing.T, bucket string) string {
	t.Helper()
	bin := os.Getenv("ROLEMINE_S3_SERVER")
	if bin == "" {
		bin, _ = filepath.Abs(filepath.Join("..", "..", "bin", "tools", "gofakes3"))
	}
	if _, err := os.Stat(bin); err != nil {
		if p, err := exec.LookPath("gofakes3"); err == nil {
			bin = p
		} else {
			gobin := t.TempDir()
			cmd := exec.Command("go", "install", "github.com/johannesboyne/gofakes3/cmd/gofakes3@v1.2.0")
			cmd.Env = append(os.Environ(), "GOBIN="+gobin)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Skipf("no S3-compatible server: `make s3-server` builds it (go install failed here: %v\n%s)", err, out)
			}
			bin = filepath.Join(gobin, "gofakes3")
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	srv := exec.Command(bin, "-backend", "memory", "-host", addr, "-initialbucket", bucket, "-quiet")
	var logs bytes.Buffer
	srv.Stdout, srv.Stderr = &logs, &logs
	if err := srv.Start(); err != nil {
		t.Skipf("no S3-compatible server: start %s: %v", bin, err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("S3 server did not listen on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "rolemine")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "rolemine-test")
	t.Setenv("AWS_REGION", "us-east-1")
	return "?endpoint=http://" + addr + "&use_path_style=true&disable_https=true&region=us-east-1"
}

// upload copies the plain files of dir under prefix of the bucket.
func upload(t *testing.T, bucketURL, prefix, dir string) {
	t.Helper()
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, bucketURL)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.WriteAll(ctx, prefix+"/"+e.Name(), data, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// fetch downloads the published output set at u into a new directory.
func fetch(t *testing.T, u string) (string, bool) {
	t.Helper()
	r, err := outdir.OpenRemote(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := t.TempDir()
	ok, err := r.Fetch(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return d, ok
}

// TestShardsOnObjectStorage uploads tier S to an S3-compatible server, mines it as 3
// shards and merges them against s3:// URLs, and checks the outputs against a local
// single run; a shard killed while uploading leaves nothing a reader or merge accepts,
// and an unreachable bucket fails with exit 1 and nothing written.
func TestShardsOnObjectStorage(t *testing.T) {
	q := s3Server(t, "rolemine")
	data := generated(t, "S")
	upload(t, "s3://rolemine"+q, "nightly/data", data)
	url := func(p string) string { return "s3://rolemine/" + p + q }
	dir := t.TempDir()
	single := filepath.Join(dir, "single")
	mustBin(t, "mine", "--data", data, "--out", single)
	var shards []string
	for _, i := range []int{2, 0, 1} {
		u := url(fmt.Sprintf("nightly/shards/%d", i))
		mustBin(t, "mine", "--data", url("nightly/data"), "--out", u, "--shard", fmt.Sprintf("%d/3", i))
		shards = append(shards, u)
	}
	mustBin(t, append([]string{"merge", "--out", url("nightly/model")}, shards...)...)
	merged, ok := fetch(t, url("nightly/model"))
	if !ok {
		t.Fatal("the merged model has no manifest")
	}
	sameOutputs(t, single, merged, true)

	// The next night's merge replaces the model; readers see one set or the other.
	mustBin(t, append([]string{"merge", "--out", url("nightly/model")}, shards...)...)
	again, _ := fetch(t, url("nightly/model"))
	sameOutputs(t, single, again, true)

	// A shard killed after uploading its first file, before its manifest.
	t.Setenv(crashpoint.Env, "outdir:remote:uploaded:shard-run.json")
	_, stderr, code := runBin(t, "mine", "--data", url("nightly/data"), "--out", url("nightly/killed"), "--shard", "1/3")
	t.Setenv(crashpoint.Env, "")
	if code == 0 {
		t.Fatalf("the crash point did not stop the shard: %s", stderr)
	}
	if _, ok := fetch(t, url("nightly/killed")); ok {
		t.Fatal("a reader accepted the output of a shard killed before its manifest")
	}
	_, stderr, code = runBin(t, "merge", "--out", url("nightly/bad"), shards[0], url("nightly/killed"), shards[2])
	if code != 2 || !strings.Contains(stderr, "no published output there") {
		t.Fatalf("merge with a killed shard: exit %d, want 2\n%s", code, stderr)
	}
	// Killed while replacing a good shard: the old one stays what readers get.
	t.Setenv(crashpoint.Env, "outdir:remote:uploaded:shard-run.json")
	runBin(t, "mine", "--data", url("nightly/data"), "--out", shards[2], "--shard", "1/3")
	t.Setenv(crashpoint.Env, "")
	mustBin(t, append([]string{"merge", "--out", url("nightly/model2")}, shards...)...)
	m2, _ := fetch(t, url("nightly/model2"))
	sameOutputs(t, single, m2, true)

	// An unreachable bucket: exit 1, nothing written.
	dead := "s3://rolemine/x?endpoint=http://127.0.0.1:1&use_path_style=true&disable_https=true&region=us-east-1"
	local := filepath.Join(dir, "never")
	_, stderr, code = runBin(t, "mine", "--data", data, "--out", dead)
	if code != 1 || !strings.Contains(stderr, "--out s3://rolemine/x") {
		t.Fatalf("unreachable bucket: exit %d, want 1 naming --out\n%s", code, stderr)
	}
	_, stderr, code = runBin(t, "mine", "--data", dead, "--out", local)
	if code != 1 {
		t.Fatalf("unreachable data bucket: exit %d, want 1\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(local, "rules.json")); err == nil {
		t.Fatal("a run with an unreachable data bucket wrote outputs")
	}
}
