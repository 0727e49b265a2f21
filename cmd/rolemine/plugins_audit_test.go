package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExcludedPluginOutputNotWarned: --exclude-dimension may name a plugin's output
// (docs/cli.md), which is excluded once the plugin has run; the load no longer warns that
// it is "not found in identities" (found by the semantic audit: the warning said the
// exclusion failed while summary.json listed it as excluded). A name neither the data nor
// a plugin has is still warned about.
func TestExcludedPluginOutputNotWarned(t *testing.T) {
	wasm, err := filepath.Abs("../../internal/plugins/testdata/assemblyscript/titlefamily.wasm")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	args := []string{"mine", "--data", small(t), "--out", out, "--plugin", wasm,
		"--exclude-dimension", "title_family", "--exclude-dimension", "no_such_attribute"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	log := stderr.String()
	if strings.Contains(log, "dimension=title_family") || !strings.Contains(log, "dimension=no_such_attribute") {
		t.Errorf("log %q: want the unknown name warned about, and title_family not", log)
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Skipped []struct{ Name, Reason string } `json:"skipped_dimensions"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	excluded := false
	for _, d := range sum.Skipped {
		excluded = excluded || d.Name == "title_family" && d.Reason == "excluded by user"
	}
	if !excluded {
		t.Errorf("summary.json skipped_dimensions %+v: want title_family excluded by user", sum.Skipped)
	}
}

// TestPluginOutputClashBeforeLoading: two plugins producing the same attribute, or a
// plugin producing kind, identity_id or owner_id, are refused (exit 2) before any data is
// read, here a data directory that does not exist: the manifests show it at start-up,
// and the load of a large data set took minutes before the refusal (found by the
// semantic audit).
func TestPluginOutputClashBeforeLoading(t *testing.T) {
	wasm, err := filepath.Abs("../../internal/plugins/testdata/assemblyscript/titlefamily.wasm")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kind := filepath.Join(dir, "kind.json")
	os.WriteFile(kind, []byte(`{"input": "title", "family": "kind"}`), 0o644)
	for _, tc := range []struct {
		plugins []string
		want    string
	}{
		{[]string{wasm, wasm}, `produces attribute "title_family", which plugin titlefamily-as (--plugin ` + wasm + `) produces already`},
		{[]string{wasm + "=" + kind}, `plugin titlefamily-as produces attribute "kind", which already exists`},
	} {
		args := []string{"mine", "--data", filepath.Join(dir, "no-such-data"), "--out", filepath.Join(dir, "out")}
		for _, p := range tc.plugins {
			args = append(args, "--plugin", p)
		}
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 with %q", tc.plugins, code, stderr.String(), tc.want)
		}
	}
}

// TestMergeNamesRecordedPlugin: a plugin the shards were mined with that the merge cannot
// find where they recorded it is exit 2 saying the path comes from the shards' --plugin,
// relative to the merge's working directory (the message named only --config and --data;
// found by the semantic audit).
func TestMergeNamesRecordedPlugin(t *testing.T) {
	dir := t.TempDir()
	wasm := filepath.Join(dir, "tf.wasm")
	b, err := os.ReadFile("../../internal/plugins/testdata/assemblyscript/titlefamily.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wasm, b, 0o644); err != nil {
		t.Fatal(err)
	}
	data := small(t)
	var stdout, stderr bytes.Buffer
	var shards []string
	for _, s := range []string{"0/2", "1/2"} {
		out := filepath.Join(dir, "s"+s[:1])
		if code := run([]string{"mine", "--data", data, "--plugin", wasm, "--shard", s, "--out", out}, &stdout, &stderr); code != 0 {
			t.Fatalf("shard %s: exit %d: %s", s, code, stderr.String())
		}
		shards = append(shards, out)
	}
	os.Remove(wasm)
	stderr.Reset()
	code := run(append([]string{"merge", "--out", filepath.Join(dir, "m")}, shards...), &stdout, &stderr)
	if want := "the shards' --config, --data and --plugin, relative to the merge's working directory"; code != 2 || !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "tf.wasm") {
		t.Fatalf("exit %d, %q; want exit 2 naming tf.wasm and %q", code, stderr.String(), want)
	}
}
