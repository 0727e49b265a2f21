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

type bug struct{}

func (bug) Error() string { return "panic: bug" }
func (bug) InternalBug()  {}

// TestInternalNeverUserError: an Internal error is not a user error, whether WrapInput,
// Wrap or fmt.Errorf wraps it.
func TestInternalNeverUserError(t *testing.T) {
	for _, err := range []error{
		WrapInput(fmt.Errorf("load d: %w", bug{})),
		Wrap(fmt.Errorf("x.parquet column a: %w", bug{})),
		fmt.Errorf("mine: %w", &Error{Err: bug{}}),
	} {
		if Is(err) || !IsInternal(err) {
			t.Errorf("%v: user error %v, internal %v", err, Is(err), IsInternal(err))
		}
	}
	if _, ok := WrapInput(bug{}).(*Error); ok {
		t.Error("WrapInput marked an internal error as the user's")
	}
}
