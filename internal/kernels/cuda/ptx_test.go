package cuda

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// nvccFlags are the flags `make ptx` passes to nvcc (keep the two in step): PTX for
// compute capability 8.0, which the driver JIT-compiles for 8.x and 9.x devices.
var nvccFlags = []string{"-ptx", "-arch=compute_80", "-O3"}

// TestPTXUpToDate fails when the committed PTX is not what nvcc makes of kernels.cu today
// (the source changed without `make ptx`), and checks that ptxas assembles it for sm_80
// and sm_90. It is skipped without nvcc, and when this build has no PTX.
func TestPTXUpToDate(t *testing.T) {
	nvcc, err := exec.LookPath("nvcc")
	if err != nil {
		t.Skip("nvcc not found: install nvidia-cuda-toolkit (`make -C internal/kernels/cuda toolkit`) to check the PTX")
	}
	committed := embeddedPTX()
	if committed == nil {
		t.Skip("no ptx/kernels.ptx in this build: run `make ptx`")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "kernels.ptx")
	args := append(append([]string{}, nvccFlags...), "-o", out, "kernels.cu")
	if msg, err := exec.Command(nvcc, args...).CombinedOutput(); err != nil {
		t.Fatalf("nvcc %v: %v\n%s", args, err, msg)
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, committed) {
		t.Fatalf("ptx/kernels.ptx is stale: kernels.cu compiles to different PTX; run `make ptx` and commit the result")
	}
	ptxas, err := exec.LookPath("ptxas")
	if err != nil {
		t.Skip("ptxas not found")
	}
	for _, sm := range []string{"sm_80", "sm_90"} {
		cmd := exec.Command(ptxas, "-arch="+sm, "-o", filepath.Join(dir, sm+".cubin"), "ptx/kernels.ptx")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("ptxas -arch=%s: %v\n%s", sm, err, msg)
		}
	}
}
