package cuda

import (
	"errors"
	"strings"
	"testing"
)

// TestMissingLibrary: a driver library that cannot be loaded is the documented error, and
// New names the path.
func TestMissingLibrary(t *testing.T) {
	_, err := New(Options{Library: "/nonexistent/libcuda.so.1", PTX: []byte("// none")})
	if err == nil || !strings.HasPrefix(err.Error(), "load /nonexistent/libcuda.so.1: ") {
		t.Fatalf("New with a missing library: %v, want \"load /nonexistent/libcuda.so.1: ...\"", err)
	}
	if ok, reason := available("/nonexistent/libcuda.so.1"); ok || !strings.HasPrefix(reason, "load /nonexistent/libcuda.so.1: ") {
		t.Fatalf("available with a missing library: %v, %q", ok, reason)
	}
	// A library that loads but is not the CUDA driver: a missing symbol, named.
	_, err = loadDriver("libc.so.6")
	if err == nil || !strings.Contains(err.Error(), "symbol cuInit") {
		t.Fatalf("loadDriver(libc.so.6): %v, want a missing cuInit", err)
	}
}

// TestAvailableHere checks the reason Available gives on this machine. On the development
// machines and CI there is no GPU: either libcuda.so.1 is absent (the default), or
// Debian's libcuda1 is installed (`make -C internal/kernels/cuda libcuda1`) and cuInit returns
// CUDA_ERROR_NO_DEVICE (100).
func TestAvailableHere(t *testing.T) {
	ok, reason := Available()
	t.Logf("cuda.Available() = %v, %q", ok, reason)
	if ok {
		t.Skip("a CUDA device is present: the no-GPU paths are not exercised here")
	}
	_, err := New(Options{})
	if err == nil {
		t.Fatalf("Available says no (%s) but New succeeded", reason)
	}
	switch {
	case strings.HasPrefix(reason, "load "+LibraryName+": "):
		if err.Error() != reason {
			t.Fatalf("New: %v, want the same reason as Available: %s", err, reason)
		}
	case strings.HasPrefix(reason, "cuInit: "):
		var ce *Error
		if !errors.As(err, &ce) || ce.Call != "cuInit" {
			t.Fatalf("New: %v, want a cuInit error like Available's %q", err, reason)
		}
		t.Logf("libcuda.so.1 loaded; cuInit returned %d (%s)", ce.Code, ce.Name)
		if !IsNoDevice(err) {
			t.Logf("note: expected CUDA_ERROR_NO_DEVICE on a machine without a GPU")
		}
	case reason == errNoPTX.Error():
		// A device is present but this build has no PTX: New must say the same.
		if !errors.Is(err, errNoPTX) {
			t.Fatalf("New: %v, want %v", err, errNoPTX)
		}
	default:
		t.Fatalf("Available: undocumented reason %q", reason)
	}
}

func TestErrorNames(t *testing.T) {
	for _, c := range []struct {
		code result
		name string
	}{
		{0, "CUDA_SUCCESS"},
		{1, "CUDA_ERROR_INVALID_VALUE"},
		{2, "CUDA_ERROR_OUT_OF_MEMORY"},
		{3, "CUDA_ERROR_NOT_INITIALIZED"},
		{35, "CUDA_ERROR_INSUFFICIENT_DRIVER"},
		{100, "CUDA_ERROR_NO_DEVICE"},
		{209, "CUDA_ERROR_NO_BINARY_FOR_GPU"},
		{218, "CUDA_ERROR_INVALID_PTX"},
		{222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"},
		{700, "CUDA_ERROR_ILLEGAL_ADDRESS"},
		{701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"},
		{719, "CUDA_ERROR_LAUNCH_FAILED"},
		{999, "CUDA_ERROR_UNKNOWN"},
		{12345, "CUDA_ERROR_12345"},
	} {
		if got := c.code.Name(); got != c.name {
			t.Errorf("result(%d).Name() = %q, want %q", c.code, got, c.name)
		}
	}
	e := &Error{Call: "cuInit", Code: 100, Name: "CUDA_ERROR_NO_DEVICE", Desc: "no CUDA-capable device is detected"}
	if got, want := e.Error(), "cuInit: CUDA_ERROR_NO_DEVICE (100): no CUDA-capable device is detected"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e.Desc = ""
	if got, want := e.Error(), "cuInit: CUDA_ERROR_NO_DEVICE (100)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !IsNoDevice(errors.Join(errors.New("x"), e)) || IsNoDevice(&Error{Code: 2}) || IsNoDevice(nil) {
		t.Error("IsNoDevice")
	}
}
