package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/rolemine/rolemine/internal/crashpoint"
	"github.com/rolemine/rolemine/internal/outdir"
)

// s3Server starts an S3-compatible server as a separate process with one bucket, and
// returns the query string that points rolemine's s3:// URLs at it. It prefers SeaweedFS
// (`weed server -s3`, a real object store: master, volume server, filer and S3 gateway,
// checking each request's signature), which `make s3-server` builds into bin/tools from
// the module in tools/s3server ($ROLEMINE_S3_SERVER names another build). Only when no
// weed binary is there does it fall back to gofakes3's in-memory server (bin/tools or
// PATH), and it logs which one it used; without either the test skips.
func s3Server(t *testing.T, bucket string) (query string, checksCredentials bool) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "rolemine")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "rolemine-test")
	t.Setenv("AWS_REGION", "us-east-1")
	tools, _ := filepath.Abs(filepath.Join("..", "..", "bin", "tools"))
	var addr string
	if weed := toolPath(os.Getenv("ROLEMINE_S3_SERVER"), filepath.Join(tools, "weed"), "weed"); weed != "" {
		t.Logf("S3-compatible server: SeaweedFS (%s)", weed)
		addr, checksCredentials = startSeaweedFS(t, weed, bucket), true
	} else if fake := toolPath(filepath.Join(tools, "gofakes3"), "gofakes3"); fake != "" {
		t.Logf("S3-compatible server: gofakes3 (%s), the in-memory fallback: `make s3-server` builds SeaweedFS", fake)
		addr = freeAddrs(t, 1)[0]
		startServer(t, "gofakes3", addr, exec.Command(fake, "-backend", "memory", "-host", addr, "-initialbucket", bucket, "-quiet"))
	} else {
		t.Skip("no S3-compatible server: `make s3-server` builds SeaweedFS into bin/tools")
	}
	return "?endpoint=http://" + addr + "&use_path_style=true&disable_https=true&region=us-east-1", checksCredentials
}

// toolPath returns the first of candidates that is an existing file (a path) or found on
// PATH (a bare name), or "".
func toolPath(candidates ...string) string {
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if filepath.Base(c) == c {
			if p, err := exec.LookPath(c); err == nil {
				return p
			}
		} else if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c
		}
	}
	return ""
}

// startSeaweedFS runs `weed server` with every port of its own on the loopback, data in
// a temporary directory and the test's credentials as its one identity, creates bucket,
// and returns the S3 gateway's address once it answers.
func startSeaweedFS(t *testing.T, weed, bucket string) string {
	t.Helper()
	a := freeAddrs(t, 8)
	port := func(k int) string { _, p, _ := net.SplitHostPort(a[k]); return p }
	cmd := exec.Command(weed, "server", "-dir="+t.TempDir(), "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port="+port(0), "-master.port.grpc="+port(1), "-master.volumeSizeLimitMB=64",
		"-volume.port="+port(2), "-volume.port.grpc="+port(3), "-volume.max=4", "-volume.preStopSeconds=0",
		// The test writes a few megabytes: a nearly full disk on the machine running it
		// must not turn the volumes read-only (the default keeps 1% of the disk free).
		"-volume.minFreeSpace=64MiB",
		"-filer", "-filer.port="+port(4), "-filer.port.grpc="+port(5),
		"-s3", "-s3.port="+port(6), "-s3.port.grpc="+port(7), "-s3.port.iceberg=0")
	cmd.Env = os.Environ() // the gateway's admin identity: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
	logs := startServer(t, "SeaweedFS", a[6], cmd)
	// A bucket is a directory under /buckets of the filer: the filer's HTTP API makes it
	// (POST of a path ending in "/"), then the gateway must see it.
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for made := false; ; time.Sleep(200 * time.Millisecond) {
		if !made {
			if resp, err := client.Post("http://"+a[4]+"/buckets/"+bucket+"/", "", nil); err == nil {
				resp.Body.Close()
				made = resp.StatusCode/100 == 2
			}
		}
		if made && bucketReady(bucket, a[6]) {
			return a[6]
		}
		if time.Now().After(deadline) {
			t.Fatalf("SeaweedFS: bucket %s not ready on %s after 60 s\n%s", bucket, a[6], logs.String())
		}
	}
}

// bucketReady reports whether an object can be written to and read from bucket on the S3
// server at addr.
func bucketReady(bucket, addr string) bool {
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "s3://"+bucket+"?endpoint=http://"+addr+"&use_path_style=true&disable_https=true&region=us-east-1")
	if err != nil {
		return false
	}
	defer b.Close()
	if err := b.WriteAll(ctx, ".ready", []byte("ok"), nil); err != nil {
		return false
	}
	got, err := b.ReadAll(ctx, ".ready")
	return err == nil && string(got) == "ok" && b.Delete(ctx, ".ready") == nil
}

// freeAddrs returns n loopback addresses with ports free at the time of the call.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs
}

// startServer starts cmd, stopped when the test ends, and waits until addr accepts
// connections. It returns the server's output, for messages.
func startServer(t *testing.T, name, addr string, cmd *exec.Cmd) *syncBuffer {
	t.Helper()
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Skipf("no S3-compatible server: start %s: %v", name, err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s: %v\n%s", name, addr, err, logs.String())
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a process's output and a test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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
	q, checksCredentials := s3Server(t, "rolemine")
	data := generated(t, "S")
	upload(t, "s3://rolemine"+q, "nightly/data", data)
	url := func(p string) string { return "s3://rolemine/" + p + q }
	dir := t.TempDir()
	single := filepath.Join(dir, "single")
	mustBin(t, "mine", "--data", data, "--out", single)
	var shards []string
	for _, i := range []int{2, 0, 1} {
		u := url(fmt.Sprintf("nightly/the shards/%d", i)) // a prefix with a space
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

	// Wrong credentials (SeaweedFS checks every request's signature; gofakes3 does not):
	// exit 1, nothing published.
	if checksCredentials {
		t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
		_, stderr, code := runBin(t, "mine", "--data", data, "--out", url("nightly/denied"))
		t.Setenv("AWS_SECRET_ACCESS_KEY", "rolemine-test")
		if code != 1 {
			t.Fatalf("wrong credentials: exit %d, want 1\n%s", code, stderr)
		}
		if _, ok := fetch(t, url("nightly/denied")); ok {
			t.Fatal("a run with wrong credentials published an output")
		}
		// Shards the merge cannot read for want of credentials (or a store that fails
		// for a while) are a runtime failure, exit 1, which the merge Job retries; it
		// was exit 2, a usage error, which merge.yaml fails the Job on at once.
		t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
		_, stderr, code = runBin(t, append([]string{"merge", "--out", filepath.Join(dir, "denied")}, shards...)...)
		t.Setenv("AWS_SECRET_ACCESS_KEY", "rolemine-test")
		if code != 1 {
			t.Fatalf("merge with wrong credentials: exit %d, want 1\n%s", code, stderr)
		}
	}

	// A bucket that does not exist fails where it is opened, exit 1, before any work:
	// as --out it was found missing only once the mined outputs were uploaded, and as
	// --data it read as an empty export (exit 2, "no input files there").
	missing := "s3://no-such-bucket/nightly/x" + q
	for _, args := range [][]string{
		{"mine", "--data", url("nightly/data"), "--out", missing, "--shard", "0/3"},
		{"mine", "--data", missing, "--out", filepath.Join(dir, "never")},
		{"merge", "--out", filepath.Join(dir, "never"), shards[0], missing, shards[2]},
	} {
		stdout, stderr, code := runBin(t, args...)
		if code != 1 || !strings.Contains(stderr, `bucket "no-such-bucket" does not exist`) || strings.Contains(stdout, "mined") {
			t.Errorf("%v: exit %d, want 1 before any work naming the missing bucket\nstdout: %s\nstderr: %s", args, code, stdout, stderr)
		}
	}

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

// TestURLRefusedWhereOnlyPathsWork: only the data, model and output directories of mine,
// merge, drift, explain and report read object storage (scale-out.md). A URL given to
// another flag (discover's directories, mine's --config, drift's --truth) was taken for a
// local path that does not exist ("rules.json is missing", "stat file:///..."); it is a
// usage error saying which flags take URLs, before anything is read.
func TestURLRefusedWhereOnlyPathsWork(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"drift", "--model", dir, "--data", dir, "--out", out, "--truth", "gs://bucket/truth"},
		{"discover", "--data", "file:///tmp/data", "--out", out},
		{"discover", "--upa", "s3://bucket/upa.txt", "--out", out},
		{"mine", "--data", dir, "--out", out, "--config", "s3://bucket/mining.xml"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), "an object-storage URL is read only by the data, model and output directories of mine, merge, drift, explain and report") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 saying which flags take URLs", args, code, stderr.String())
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("something was written: %v", entries)
	}
}
