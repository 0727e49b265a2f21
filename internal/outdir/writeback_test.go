package outdir

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestOSFileStartsWriteback writes a file larger than writebackBytes through OS.Create
// in uneven writes: the bytes are the ones written, and the writing of every full
// writebackBytes was requested (on Linux, where sync_file_range exists).
func TestOSFileStartsWriteback(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big")
	raw, err := OS{}.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f := raw.(*osFile)
	want := make([]byte, 2*writebackBytes+12345)
	for k := range want {
		want[k] = byte(k * 7 / 3)
	}
	for at, step := 0, 1000003; at < len(want); at += step {
		if _, err := f.Write(want[at:min(at+step, len(want))]); err != nil {
			t.Fatal(err)
		}
	}
	if f.written != int64(len(want)) {
		t.Errorf("written %d, want %d", f.written, len(want))
	}
	if runtime.GOOS == "linux" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") {
		if f.noWriteback {
			t.Error("sync_file_range failed on a local file")
		}
		// Requested whenever writebackBytes had been written since the last request.
		if f.started == 0 || f.started > f.written || f.written-f.started >= writebackBytes {
			t.Errorf("writing requested up to %d of %d bytes", f.started, f.written)
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("the file's bytes differ from those written")
	}
}
