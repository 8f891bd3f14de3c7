package main

import (
	"errors"
	"flag"
	"fmt"
)

// Exit codes.
const (
	exitOK      = 0 // every employee synced
	exitFailed  = 1 // the sync failed outright
	exitUsage   = 2 // usage or configuration error; nothing was requested
	exitPartial = 3 // some employees could not be synced, or removals were held back; the report says which
)

// exitError is an error that ends the command with an exit status other
// than 0. The command's steps return one; exit prints it and returns its
// code.
type exitError struct {
	code int     // exitFailed, exitUsage or exitPartial
	errs []error // what stderr says, a line each
}

func (e *exitError) Error() string   { return errors.Join(e.errs...).Error() }
func (e *exitError) Unwrap() []error { return e.errs }

// usageError is a usage or configuration error (exit 2): nothing was
// requested from Asana.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, errs: []error{fmt.Errorf(format, args...)}}
}

// failure is a command that failed outright (exit 1).
func failure(format string, args ...any) error {
	return &exitError{code: exitFailed, errs: []error{fmt.Errorf(format, args...)}}
}

// partial is a sync that left some employees or removals undone (exit 3);
// each of errs is one line on stderr.
func partial(errs ...error) error {
	return &exitError{code: exitPartial, errs: errs}
}

// exit is where the command ends: it prints err on stderr and returns the
// exit status. A nil err and flag.ErrHelp (the help is printed) are 0; an
// error that carries no status is a failure, 1. An exitError's errors are
// a line each; any other error is one line.
func (c *cli) exit(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	code, lines := exitFailed, []error{err}
	if ee, ok := err.(*exitError); ok {
		code, lines = ee.code, ee.errs
	} else if errors.As(err, &ee) {
		code = ee.code
	}
	for _, line := range lines {
		c.errorf("%v", line)
	}
	return code
}
