package uerr

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

func TestWrapInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		user bool
	}{
		{"device error", &fs.PathError{Op: "read", Path: "x.csv", Err: syscall.EIO}, false},
		{"device error, wrapped", fmt.Errorf("load d: %w", &fs.PathError{Op: "read", Path: "x.csv", Err: syscall.EIO}), false},
		{"stale handle", &fs.PathError{Op: "read", Path: "x.csv", Err: syscall.ESTALE}, false},
		{"missing file", &fs.PathError{Op: "open", Path: "x.csv", Err: syscall.ENOENT}, true},
		{"permission", &fs.PathError{Op: "open", Path: "x.csv", Err: syscall.EACCES}, true},
		{"directory", &fs.PathError{Op: "read", Path: "x.csv", Err: syscall.EISDIR}, true},
		{"not a directory", &fs.PathError{Op: "open", Path: "x/y.csv", Err: syscall.ENOTDIR}, true},
		{"malformed content", errors.New("x.csv:3: expected 2 fields"), true},
	} {
		got := WrapInput(tc.err)
		if Is(got) != tc.user {
			t.Errorf("%s: user error %v, want %v", tc.name, Is(got), tc.user)
		}
		if !errors.Is(got, tc.err) {
			t.Errorf("%s: WrapInput lost the error", tc.name)
		}
	}
	if WrapInput(nil) != nil {
		t.Error("WrapInput(nil) != nil")
	}
}
