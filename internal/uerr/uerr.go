// Package uerr marks errors caused by the user's input or invocation (bad flags, bad
// configuration, bad data files), which the command line maps to exit code 2. Every other
// error is a runtime failure (exit code 1).
package uerr

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// Error is an error the user can fix by changing input, configuration or flags.
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New formats a user error, like fmt.Errorf (it supports %w).
func New(format string, args ...any) error {
	return &Error{Err: fmt.Errorf(format, args...)}
}

// Wrap marks err as a user error; nil stays nil.
func Wrap(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err}
}

// Is reports whether err, or any error it wraps, is a user error, and err holds no
// internal error (Internal): a bug met while reading the input is still a bug.
func Is(err error) bool {
	var e *Error
	return errors.As(err, &e) && !IsInternal(err)
}

// Internal is an error that reports a bug in rolemine (parallel.PanicError): never the
// user's to fix, whatever wraps it, so never a user error (exit code 1, not 2).
type Internal interface {
	error
	InternalBug()
}

// IsInternal reports whether err, or any error it wraps, is an Internal error.
func IsInternal(err error) bool {
	var b Internal
	return errors.As(err, &b)
}

// WrapInput marks err, met while reading the user's input, as a user error unless it is
// an I/O failure (IOFailure): a file that is missing, unreadable for its permissions, or
// malformed is the user's to fix; a disk that fails under a file that exists is not, and
// exits 1 like any runtime failure. nil stays nil.
func WrapInput(err error) error {
	if err == nil || IOFailure(err) || IsInternal(err) {
		return err
	}
	return &Error{Err: err}
}

// IOFailure reports whether err records the operating system failing on a file it found
// (EIO, ESTALE, a read interrupted by a device error, ...): any system error other than
// the ones that describe the path the user gave (does not exist, permission denied, not a
// directory, is a directory, too many links, name too long).
func IOFailure(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	switch {
	case errors.Is(errno, fs.ErrNotExist), errors.Is(errno, fs.ErrPermission):
		return false
	}
	switch errno {
	case syscall.ENOTDIR, syscall.EISDIR, syscall.ELOOP, syscall.ENAMETOOLONG:
		return false
	}
	return true
}
