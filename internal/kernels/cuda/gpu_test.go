package cuda

import (
	"os"
	"testing"
)

// requireGPU skips a test when no usable CUDA device is present, unless
// ROLEMINE_REQUIRE_GPU=1 (set by `make gpu-check`), which makes that a failure.
func requireGPU(t *testing.T) {
	t.Helper()
	if ok, reason := Available(); !ok {
		if os.Getenv("ROLEMINE_REQUIRE_GPU") == "1" {
			t.Fatalf("ROLEMINE_REQUIRE_GPU=1 but the CUDA backend is unavailable: %s", reason)
		}
		t.Skipf("no usable CUDA device (%s): the real-GPU differential test runs with `make gpu-check` on a GPU node", reason)
	}
}

// TestGPUAgainstCPU is TestEmulatedAgainstCPU on the real device: the same host code, the
// embedded PTX, the same random cases.
func TestGPUAgainstCPU(t *testing.T) {
	requireGPU(t)
	dd, err := openDriverDevice(LibraryName, 0, embeddedPTX())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := dd.close(); err != nil {
			t.Error(err)
		}
	}()
	t.Logf("device: %+v", dd.info)
	differential(t, 1200, func(cfg config) (*Backend, error) {
		cfg.block = deviceConfig.block
		cfg.stageBytes = max(cfg.stageBytes, 4096)
		return newBackend(dd, cfg)
	}, func(b *Backend) error { return b.eng.close() })
}
