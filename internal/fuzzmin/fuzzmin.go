// Package fuzzmin turns off the Go fuzzer's minimizing of new inputs for the target being
// fuzzed. Every fuzz target of rolemine calls Off first (TestTargetsCallOff keeps them
// so).
//
// Go minimizes every input that adds coverage for up to -fuzzminimizetime (60 s by
// default), removing bytes and byte ranges: quadratic in the input's length. On inputs
// that each take a temporary directory and a load to run, that filled the run:
// FuzzLoadParquet's two workers made 14 executions in 60 s (about 800/s without), and
// FuzzLoadUniverse, FuzzLoadCSV and shard's FuzzDecode stalled for most of a 30 s run
// (1, 36 and 5 new inputs; 204, 176 and 128 without). A crashing input is still
// reported, unminimized.
package fuzzmin

import (
	"errors"
	"flag"
	"regexp"
	"testing"
)

// Off sets -test.fuzzminimizetime to 0 when f's target is the one being fuzzed and the
// flag was not given (given, the value stands). It fails f if the testing package's fuzz
// flags are gone, so that their renaming does not silently bring the stall back.
func Off(f *testing.F) {
	f.Helper()
	if err := off(flag.CommandLine, f.Name()); err != nil {
		f.Fatal(err)
	}
}

// off is Off on the flag set fs for the target named name.
func off(fs *flag.FlagSet, name string) error {
	target, minimize := fs.Lookup("test.fuzz"), fs.Lookup("test.fuzzminimizetime")
	if target == nil || minimize == nil {
		return errors.New("no -test.fuzz or -test.fuzzminimizetime flag")
	}
	if target.Value.String() == "" {
		return nil
	}
	if ok, err := regexp.MatchString(target.Value.String(), name); err != nil || !ok {
		return err
	}
	given := false
	fs.Visit(func(fl *flag.Flag) { given = given || fl == minimize })
	if given {
		return nil
	}
	return minimize.Value.Set("0")
}
