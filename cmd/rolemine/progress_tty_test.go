//go:build linux

package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// openPTY returns a new pseudo-terminal's controller and its terminal end.
func openPTY(t *testing.T) (ctl, tty *os.File) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	var unlock int32
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ctl.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		ctl.Close()
		t.Skipf("unlock pseudo-terminal: %v", e)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ctl.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		ctl.Close()
		t.Skipf("pseudo-terminal number: %v", e)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		ctl.Close()
		t.Skipf("open pseudo-terminal: %v", err)
	}
	return ctl, tty
}

// onTTY runs args with stderr on a pseudo-terminal and returns the exit code, stdout and
// what the terminal showed.
func onTTY(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctl, tty := openPTY(t)
	defer ctl.Close()
	shown := make(chan string)
	go func() {
		b, _ := io.ReadAll(ctl) // ends with EIO once the terminal end is closed
		shown <- string(b)
	}()
	var stdout bytes.Buffer
	code := run(args, &stdout, tty)
	tty.Close()
	return code, stdout.String(), <-shown
}

// TestProgressOnTerminalOnly: gen, mine, drift, report and explain show their steps on a
// terminal (stderr), clear the line before they end, and write nothing of it when stderr
// is not a terminal; stdout never carries it. Found by the semantic audit: drift, report
// and explain showed nothing on a terminal while they loaded and worked; gen neither, for a
// minute or more at tier L.
func TestProgressOnTerminalOnly(t *testing.T) {
	tmp := t.TempDir()
	data := tinyData(t, filepath.Join(tmp, "data"))
	model, drift := filepath.Join(tmp, "model"), filepath.Join(tmp, "drift")
	commands := []struct {
		args []string
		step string
	}{
		{[]string{"gen", "--tier", "S", "--identities", "500", "--out", filepath.Join(tmp, "gen")}, "gen: writing assignments ..."},
		{[]string{"mine", "--data", data, "--out", model}, "loading " + data},
		{[]string{"drift", "--model", model, "--data", data, "--out", drift}, "holding the model against"},
		{[]string{"report", "--data", data, "--model", model}, "classifying assignments"},
		{[]string{"explain", "--data", data, "--model", model, "--identity", "a1"}, "explaining a1"},
	}
	for _, c := range commands {
		code, stdout, shown := onTTY(t, c.args...)
		name := "rolemine " + c.args[0]
		if code != 0 || !strings.Contains(shown, c.step) || !strings.HasSuffix(shown, "\r\033[K") {
			t.Errorf("%s on a terminal: exit %d, terminal showed %q; want %q and the line cleared at the end", name, code, shown, c.step)
		}
		if strings.Contains(stdout, "\033") || stdout == "" {
			t.Errorf("%s: stdout %q carries the progress line or nothing", name, stdout)
		}
		var out, errOut bytes.Buffer
		if code := run(c.args, &out, &errOut); code != 0 || errOut.Len() != 0 {
			t.Errorf("%s with stderr not a terminal: exit %d, stderr %q; want nothing", name, code, errOut.String())
		}
	}
}
