// Package uerr marks errors caused by the user's input or invocation (bad flags, bad
// configuration, bad data files), which the command line maps to exit code 2. Every other
// error is a runtime failure (exit code 1).
package uerr

import (
	"errors"
	"fmt"
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

// Is reports whether err, or any error it wraps, is a user error.
func Is(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
