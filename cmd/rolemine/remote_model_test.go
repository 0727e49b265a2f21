package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModelCommandsOnObjectStorage: drift, explain and report read their model and data
// directories from object storage, drift publishes its output there and report publishes
// the model again with its new report.html, as mine and merge do (scale-out.md
// object-storage). They refused every URL before (exit 2), so a nightly job on a bucket
// had to copy each directory down first. Run against file:// buckets always, and against
// the S3-compatible server when one is built (`make s3-server`).
func TestModelCommandsOnObjectStorage(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		root := t.TempDir()
		for _, d := range []string{"data", "next", "model", "drift", "nothing"} {
			if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		modelCommandsAt(t, func(p string) string { return "file://" + filepath.Join(root, p) }, func(prefix, dir string) {
			copyPlain(t, dir, filepath.Join(root, prefix))
		})
	})
	t.Run("s3", func(t *testing.T) {
		q, checksCredentials := s3Server(t, "rolemine")
		url := func(p string) string { return "s3://rolemine/" + p + q }
		modelCommandsAt(t, url, func(prefix, dir string) { upload(t, "s3://rolemine"+q, prefix, dir) })
		if !checksCredentials {
			return
		}
		// Wrong credentials (SeaweedFS checks signatures): exit 1, nothing published.
		t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
		_, stderr, code := runBin(t, "drift", "--model", url("model"), "--data", url("next"), "--out", url("denied"))
		t.Setenv("AWS_SECRET_ACCESS_KEY", "rolemine-test")
		if code != 1 {
			t.Errorf("drift with wrong credentials: exit %d, want 1\n%s", code, stderr)
		}
		if _, ok := fetch(t, url("denied")); ok {
			t.Error("drift with wrong credentials published an output")
		}
	})
}

// modelCommandsAt runs mine, explain, drift and report against url(PREFIX) locations
// (put uploads a local data directory under a prefix) and checks each against the same
// command on local directories.
func modelCommandsAt(t *testing.T, url func(string) string, put func(prefix, dir string)) {
	dir := t.TempDir()
	d0, d1 := filepath.Join(dir, "d0"), filepath.Join(dir, "d1")
	mustBin(t, "gen", "--identities", "2000", "--seed", "3", "--out", d0)
	mustBin(t, "gen", "--evolve", d0, "--seed", "4", "--out", d1)
	put("data", d0)
	put("next", d1)
	model, drift := filepath.Join(dir, "model"), filepath.Join(dir, "drift")
	mustBin(t, "mine", "--data", d0, "--out", model)
	mustBin(t, "mine", "--data", url("data"), "--out", url("model"))

	review, err := os.ReadFile(filepath.Join(model, "review.csv"))
	if err != nil {
		t.Fatal(err)
	}
	id := strings.Split(strings.Split(string(review), "\n")[1], ",")[1]
	want := mustBin(t, "explain", "--data", d0, "--model", model, "--identity", id, "--json")
	if got := mustBin(t, "explain", "--data", url("data"), "--model", url("model"), "--identity", id, "--json"); got != want {
		t.Errorf("explain from object storage:\n%s\nwant (local):\n%s", got, want)
	}

	mustBin(t, "drift", "--model", model, "--data", d1, "--previous-data", d0, "--out", drift)
	mustBin(t, "drift", "--model", url("model"), "--data", url("next"), "--previous-data", url("data"), "--out", url("drift"))
	got, ok := fetch(t, url("drift"))
	if !ok {
		t.Fatal("drift published no output set")
	}
	for _, f := range []string{"remediation.csv", "rules-health.json"} {
		if a, b := readFile(t, filepath.Join(drift, f)), readFile(t, filepath.Join(got, f)); !bytes.Equal(a, b) {
			t.Errorf("drift from object storage: %s differs from the local run's", f)
		}
	}
	// Outputs name a location without its query (endpoint, region), as mine's inputs.
	named := func(p string) string { u, _, _ := strings.Cut(url(p), "?"); return u }
	if s := string(readFile(t, filepath.Join(got, "summary.json"))); !strings.Contains(s, `"model": "`+named("model")+`"`) {
		t.Errorf("drift's summary.json does not name the model by its URL:\n%.400s", s)
	}

	before, _ := fetch(t, url("model"))
	out := mustBin(t, "report", "--data", url("data"), "--model", url("model"), "--drift", url("drift"))
	after, _ := fetch(t, url("model"))
	for _, f := range []string{"rules.json", "summary.json", "assignments.parquet", "review.csv"} {
		if !bytes.Equal(readFile(t, filepath.Join(before, f)), readFile(t, filepath.Join(after, f))) {
			t.Errorf("report changed the model's %s", f)
		}
	}
	html := string(readFile(t, filepath.Join(after, "report.html")))
	if !strings.Contains(html, `<section id="drift">`) || !strings.Contains(html, "<code>"+named("drift")+"</code>") || !strings.Contains(out, url("model")) {
		t.Errorf("report published without the drift section naming %s (stdout %q)", named("drift"), out)
	}

	// A prefix where nothing was published: exit 2, as for mine --previous.
	for _, args := range [][]string{
		{"explain", "--data", url("data"), "--model", url("nothing"), "--identity", id},
		{"report", "--data", url("data"), "--model", url("nothing")},
		{"drift", "--model", url("nothing"), "--data", url("next"), "--out", filepath.Join(dir, "d")},
	} {
		if _, stderr, code := runBin(t, args...); code != 2 || !strings.Contains(stderr, "no published output there") {
			t.Errorf("%v: exit %d, want 2 saying nothing is published\n%s", args, code, stderr)
		}
	}
}

// copyPlain copies the plain files of src into dst.
func copyPlain(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Type().IsRegular() {
			if err := os.WriteFile(filepath.Join(dst, e.Name()), readFile(t, filepath.Join(src, e.Name())), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// readFile returns the content of path.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPluginsCheckedBeforeDownloads: explain and report compile --plugin before anything
// is read, URLs included (cli.md model-plugins): a bad plugin is refused with exit 2
// before an unreachable bucket is ever contacted (which would fail with exit 1).
func TestPluginsCheckedBeforeDownloads(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.wasm")
	if err := os.WriteFile(bad, []byte("not wasm"), 0o644); err != nil {
		t.Fatal(err)
	}
	dead := func(p string) string {
		return "s3://rolemine/" + p + "?endpoint=http://127.0.0.1:1&use_path_style=true&disable_https=true&region=us-east-1"
	}
	for _, args := range [][]string{
		{"explain", "--data", dead("data"), "--model", dead("model"), "--identity", "u1", "--plugin", bad},
		{"report", "--data", dead("data"), "--model", dead("model"), "--plugin", bad},
		{"drift", "--data", dead("next"), "--model", dead("model"), "--out", dead("drift"), "--plugin", bad},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "not a valid WebAssembly module") {
			t.Errorf("%s: exit %d, want 2 naming the plugin first\n%s", args[0], code, stderr.String())
		}
	}
}
