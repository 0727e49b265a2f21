package outdir

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// linuxWriteback says whether sync_file_range and O_DIRECT are used here.
var linuxWriteback = runtime.GOOS == "linux" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64")

// writeUneven writes want to f in writes of a length that is no multiple of anything,
// then syncs and closes it, and checks the file's bytes.
func writeUneven(t *testing.T, path string, f *osFile, want []byte, check func()) {
	t.Helper()
	for at, step := 0, 1000003; at < len(want); at += step {
		if at%2 == 0 {
			_, err := f.Write(want[at:min(at+step, len(want))])
			if err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.WriteString(string(want[at:min(at+step, len(want))])); err != nil {
			t.Fatal(err)
		}
	}
	check()
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
		t.Errorf("%d bytes read back, want %d: the file's bytes differ from those written", len(got), len(want))
	}
}

func unevenBytes() []byte {
	want := make([]byte, 2*writebackBytes+12345)
	for k := range want {
		want[k] = byte(k * 7 / 3)
	}
	return want
}

// createOSFile creates a file named big in a temporary directory through OS.Create and
// returns its path and the osFile.
func createOSFile(t *testing.T) (string, *osFile) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big")
	raw, err := OS{}.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, raw.(*osFile)
}

// TestOSFileDirect writes a file of several buffers and a partial one through OS.Create:
// on Linux (a temporary directory on a file system that allows O_DIRECT) the whole
// buffers are written directly as they fill, the rest when the file is synced, and the
// bytes are the ones written.
func TestOSFileDirect(t *testing.T) {
	path, f := createOSFile(t)
	if f.buf == nil {
		if linuxWriteback && setDirect(f.File, true) == nil {
			t.Fatal("O_DIRECT allowed, but the file is not written directly")
		}
		t.Skip("no direct writes here")
	}
	want := unevenBytes()
	writeUneven(t, path, f, want, func() {
		if whole := int64(len(want) / directBytes * directBytes); f.written != whole {
			t.Errorf("%d bytes written before the sync, want the %d of whole buffers", f.written, whole)
		}
	})
}

// TestOSFileStartsWriteback writes a file larger than writebackBytes through a buffered
// osFile: the bytes are the ones written, and the writing of each writebackBytes was
// requested (on Linux, where sync_file_range exists).
func TestOSFileStartsWriteback(t *testing.T) {
	path, f := createOSFile(t)
	if err := f.Flush(); err != nil { // buffered from here
		t.Fatal(err)
	}
	want := unevenBytes()
	writeUneven(t, path, f, want, func() {
		if f.written != int64(len(want)) {
			t.Errorf("written %d, want %d", f.written, len(want))
		}
		if !linuxWriteback {
			return
		}
		if f.noWriteback {
			t.Error("sync_file_range failed on a local file")
		}
		// Requested whenever writebackBytes had been written since the last request.
		if f.started == 0 || f.started > f.written || f.written-f.started >= writebackBytes {
			t.Errorf("writing requested up to %d of %d bytes", f.started, f.written)
		}
	})
}
