package cuda

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The emulated device: testdata/emu_main.cc linked with kernels.cu compiled for the CPU
// through cuda_emu.h, driven over a pipe. It implements device, so the backend's host
// code runs unchanged on top of the real kernel source.

var emuBuild struct {
	once sync.Once
	path string
	err  error
	dir  string
}

// cxx finds a C++ compiler: $CXX, then g++, c++, clang++.
func cxx() (string, error) {
	if c := os.Getenv("CXX"); c != "" {
		return exec.LookPath(c)
	}
	for _, c := range []string{"g++", "c++", "clang++"} {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no C++ compiler found ($CXX, g++, c++ or clang++)")
}

// buildEmulator compiles the emulator once per test binary, with AddressSanitizer and
// UBSan when the compiler supports them (out-of-bounds accesses in the kernels then fail
// the test).
func buildEmulator(t testing.TB) string {
	emuBuild.once.Do(func() {
		cc, err := cxx()
		if err != nil {
			emuBuild.err = err
			return
		}
		dir, err := os.MkdirTemp("", "rolemine-cuda-emu-")
		if err != nil {
			emuBuild.err = err
			return
		}
		emuBuild.dir = dir
		out := filepath.Join(dir, "emu")
		base := []string{"-std=c++17", "-O1", "-g", "-I.", "-o", out, "testdata/emu_main.cc"}
		san := []string{"-fsanitize=address,undefined", "-fno-sanitize-recover=all"}
		msg, err := exec.Command(cc, append(san, base...)...).CombinedOutput()
		if err != nil {
			msg, err = exec.Command(cc, base...).CombinedOutput()
		}
		if err != nil {
			emuBuild.err = fmt.Errorf("%s testdata/emu_main.cc: %v\n%s", cc, err, msg)
			return
		}
		emuBuild.path = out
	})
	if emuBuild.err != nil {
		if strings.HasPrefix(emuBuild.err.Error(), "no C++ compiler") {
			t.Skipf("skipping the emulated CUDA kernels: %v", emuBuild.err)
		}
		t.Fatal(emuBuild.err)
	}
	return emuBuild.path
}

type emuDevice struct {
	cmd    *exec.Cmd
	w      *bufio.Writer
	r      *bufio.Reader
	stderr *strings.Builder
	avail  int64
}

// startEmulator runs the emulator; it is stopped when the test ends.
func startEmulator(t testing.TB) *emuDevice {
	path := buildEmulator(t)
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(), "ASAN_OPTIONS=detect_leaks=0")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	ed := &emuDevice{cmd: cmd, w: bufio.NewWriter(in), r: bufio.NewReader(out), stderr: &strings.Builder{}, avail: 1 << 30}
	cmd.Stderr = ed.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = ed.close()
		_ = cmd.Wait()
	})
	return ed
}

func (ed *emuDevice) put(vs ...any) {
	for _, v := range vs {
		_ = binary.Write(ed.w, binary.LittleEndian, v)
	}
}

// call sends one request and reads the status byte.
func (ed *emuDevice) call(op byte, args ...any) error {
	_ = ed.w.WriteByte(op)
	ed.put(args...)
	if err := ed.w.Flush(); err != nil {
		return fmt.Errorf("emulator: %v (stderr: %s)", err, ed.stderr)
	}
	st, err := ed.r.ReadByte()
	if err != nil {
		return fmt.Errorf("emulator died: %v (stderr: %s)", err, ed.stderr)
	}
	if st != 0 {
		var n uint32
		_ = binary.Read(ed.r, binary.LittleEndian, &n)
		msg := make([]byte, n)
		_, _ = io.ReadFull(ed.r, msg)
		return fmt.Errorf("emulator: %s", msg)
	}
	return nil
}

func (ed *emuDevice) u64() uint64 {
	var v uint64
	_ = binary.Read(ed.r, binary.LittleEndian, &v)
	return v
}

func (ed *emuDevice) memGetInfo() (int64, int64, error) { return ed.avail, ed.avail, nil }

func (ed *emuDevice) alloc(bytes int64) (devPtr, error) {
	if err := ed.call(1, uint64(bytes)); err != nil {
		return 0, err
	}
	return devPtr(ed.u64()), nil
}

func (ed *emuDevice) free(p devPtr) error {
	if p == 0 {
		return nil
	}
	return ed.call(2, uint64(p))
}

func (ed *emuDevice) hostAlloc(bytes int64) ([]byte, error) { return make([]byte, bytes), nil }
func (ed *emuDevice) hostFree([]byte) error                 { return nil }
func (ed *emuDevice) newStream() (stream, error)            { return 1, nil }
func (ed *emuDevice) destroyStream(stream) error            { return nil }
func (ed *emuDevice) sync(stream) error                     { return nil }

func (ed *emuDevice) htod(dst devPtr, src []byte, _ stream) error {
	if len(src) == 0 {
		return nil
	}
	return ed.call(3, uint64(dst), uint64(len(src)), src)
}

func (ed *emuDevice) dtoh(dst []byte, src devPtr, _ stream) error {
	if len(dst) == 0 {
		return nil
	}
	if err := ed.call(4, uint64(src), uint64(len(dst))); err != nil {
		return err
	}
	_, err := io.ReadFull(ed.r, dst)
	return err
}

func (ed *emuDevice) memset32(dst devPtr, v uint32, n int64, _ stream) error {
	return ed.call(5, uint64(dst), v, uint64(n))
}

func (ed *emuDevice) launch(k kernelID, grid, block uint32, _ stream, args ...uint64) error {
	return ed.call(6, uint32(k), grid, block, uint32(len(args)), args)
}

func (ed *emuDevice) close() error {
	_ = ed.w.WriteByte(0)
	return ed.w.Flush()
}

// layout returns the emulator's sizeof(rm_job), its field offsets and sizeof(rm_entry).
func (ed *emuDevice) layout() ([10]uint64, error) {
	var v [10]uint64
	if err := ed.call(7); err != nil {
		return v, err
	}
	for i := range v {
		v[i] = ed.u64()
	}
	return v, nil
}

// live returns how many emulated allocations are not freed.
func (ed *emuDevice) live() (uint64, error) {
	if err := ed.call(8); err != nil {
		return 0, err
	}
	return ed.u64(), nil
}
