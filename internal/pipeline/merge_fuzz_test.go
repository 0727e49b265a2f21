package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/fuzzmin"
	"github.com/rolemine/rolemine/internal/shard"
	"github.com/rolemine/rolemine/internal/uerr"
)

// FuzzMergeShard feeds arbitrary bytes as shard 0's shard.json and shard-run.json (split at
// the first NUL byte) of a run of two shards over the report package's explain data:
// `rolemine merge` either writes the model or refuses with a user error, and never
// panics. The seeds are the two files as `mine --shard 0/2` wrote them, and shard 1's
// shard.json in shard 0's place.
func FuzzMergeShard(f *testing.F) {
	fuzzmin.Off(f)
	data, err := filepath.Abs(filepath.Join("..", "report", "testdata", "explain"))
	if err != nil {
		f.Fatal(err)
	}
	root := f.TempDir()
	var shards []string
	for i := range 2 {
		out := filepath.Join(root, fmt.Sprintf("s%d", i))
		fs := NewFlags("mine", io.Discard)
		mf := NewMineFlags(fs)
		args := []string{"--data", filepath.Join(data, "data"), "--config", filepath.Join(data, "mining.xml"), "--out", out, "--shard", fmt.Sprintf("%d/2", i), "--workers", "1"}
		if err := fs.Parse(args); err != nil {
			f.Fatal(err)
		}
		if err := Mine(context.Background(), fs, mf, quietEnv()); err != nil {
			f.Fatal(err)
		}
		shards = append(shards, out)
	}
	read := func(dir, name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	part0, run0 := read(shards[0], shard.File), read(shards[0], shard.RunFile)
	f.Add(bytes.Join([][]byte{part0, run0}, []byte{0}))
	f.Add(bytes.Join([][]byte{read(shards[1], shard.File), run0}, []byte{0}))
	f.Add(bytes.Join([][]byte{bytes.Replace(part0, []byte(`"count": 2`), []byte(`"count": 1`), 1), run0}, []byte{0}))
	f.Fuzz(func(t *testing.T, in []byte) {
		part, run, _ := bytes.Cut(in, []byte{0})
		dir := t.TempDir()
		s0 := filepath.Join(dir, "s0")
		if err := os.Mkdir(s0, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range map[string][]byte{shard.File: part, shard.RunFile: run} {
			if err := os.WriteFile(filepath.Join(s0, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		err := Merge(context.Background(), MergeOptions{Out: filepath.Join(dir, "out"), Workers: 1, Shards: []string{s0, shards[1]}}, quietEnv())
		if err != nil && !uerr.Is(err) {
			t.Fatalf("not a user error: %v", err)
		}
		if err != nil && !strings.Contains(err.Error(), "merge") && !strings.Contains(err.Error(), s0) {
			t.Fatalf("error %q names neither the command nor the shard", err)
		}
	})
}

// quietEnv is an Env writing nowhere.
func quietEnv() Env {
	return Env{Stdout: io.Discard, Stderr: io.Discard, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// TestMergeUnreadableShard: a shard directory that is a file, or whose shard.json is a
// directory, is a user error (exit 2) naming shard.json once, not a runtime failure.
func TestMergeUnreadableShard(t *testing.T) {
	dir := t.TempDir()
	file, sub := filepath.Join(dir, "file"), filepath.Join(dir, "sub")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(sub, shard.File), 0o755); err != nil {
		t.Fatal(err)
	}
	for shardDir, why := range map[string]string{file: "not a directory", sub: "is a directory"} {
		err := Merge(context.Background(), MergeOptions{Out: filepath.Join(dir, "out"), Shards: []string{shardDir}}, quietEnv())
		want := "merge: " + filepath.Join(shardDir, shard.File) + ": " + why + "; expected the output directory of a finished `rolemine mine --shard` run"
		if err == nil || !uerr.Is(err) || err.Error() != want {
			t.Errorf("merge %s: %v, want the user error %q", shardDir, err, want)
		}
	}
}
