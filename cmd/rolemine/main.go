// Command rolemine mines identity-governance role models: single role rules that explain
// who holds which role and why, and an account of every assignment they do not explain.
// This package holds flags and wiring only; see docs/cli.md for the contract.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/pipeline"
	"github.com/rolemine/rolemine/internal/plugins"
	"github.com/rolemine/rolemine/internal/uerr"
)

const usage = `rolemine: mine single role rules from identities, roles and assignments.

Usage:
  rolemine gen     --out DIR [--tier S|M|L|XL] [--identities N] [--roles R] [--seed S] [--format parquet|csv]
  rolemine mine    --data DIR --out OUT [--config mining.xml] [--workers N] [--backend auto|cpu|cuda]
                   [--truth DIR] [--exclude-dimension NAME]... [implicit-rule flags] [--shard I/N]
  rolemine merge   --out OUT [--data DIR] [--workers N] SHARD_DIR...
  rolemine gen     --evolve FROM --out NEXT [--movers P] [--joiners P] [--leavers P] [--nhi-repurposed P] [--nhi-retired P]
  rolemine drift   --model OUT --data NEXT [--previous-data PREV] --out DRIFT [--truth DIR]
  rolemine explain --data DIR --model OUT --identity ID [--json]
  rolemine report  --data DIR --model OUT [--drift DRIFT]
  rolemine discover (--data DIR | --upa FILE) --out OUT [--min-members M --coverage P]
  rolemine bench   [--tiers S,M,L] [--runs N] [--dir DIR] [--backends B,...] [--baseline BIN] [--json] | cooccur | peers | doc
  rolemine version

Run "rolemine COMMAND -h" for a command's flags.
Exit codes: 0 success, 1 runtime failure, 2 bad usage, configuration or input.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

// runContext is run under ctx (a test's hooks travel in it).
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first SIGINT or SIGTERM cancels ctx and the run stops at its next check; the
	// signals then get their default action back, so that a second one (a second Ctrl-C)
	// ends the process at once, as a crash would: the output directory is still only
	// ever replaced whole (docs/cli.md#exit-codes).
	// goroutine: context.AfterFunc's function only calls stop, which cannot panic
	context.AfterFunc(ctx, stop)
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if len(args) == 0 {
		fmt.Fprintf(stderr, "rolemine: no command given: expected %s\n", commandList)
		return 2
	}
	if !known(args[0]) {
		fmt.Fprintf(stderr, "rolemine: unknown command %q: expected %s\n", args[0], commandList)
		return 2
	}
	return exitCode(ctx, command(ctx, args, stdout, stderr, logger), stderr, logger)
}

// command runs the command args name. A panic on this goroutine (a bug) is recovered
// after the command's deferred functions have run (the output directory's lock released,
// nothing committed) and returned as a *parallel.PanicError, as the worker pools return
// theirs.
func command(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) (err error) {
	defer func() {
		// recover: the command's panic is a bug, returned as a *parallel.PanicError
		if p := recover(); p != nil {
			err = parallel.Recovered(p)
		}
	}()
	switch args[0] {
	case "gen":
		err = cmdGen(ctx, args[1:], stdout, stderr, logger)
	case "mine":
		err = cmdMine(ctx, args[1:], stdout, stderr, logger)
	case "merge":
		err = cmdMerge(ctx, args[1:], stdout, stderr, logger)
	case "discover":
		err = cmdDiscover(ctx, args[1:], stdout, stderr, logger)
	case "bench":
		err = cmdBench(ctx, args[1:], stdout, stderr, logger)
	case "drift":
		err = cmdDrift(ctx, args[1:], stdout, stderr, logger)
	case "explain":
		err = cmdExplain(ctx, args[1:], stdout, stderr, logger)
	case "report":
		err = cmdReport(ctx, args[1:], stdout, stderr, logger)
	case "version":
		err = parseFlags(newFlags("version", stdout), args[1:])
		if err == nil {
			fmt.Fprintln(stdout, "rolemine", pipeline.Version)
		}
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	}
	return err
}

// commandList names the commands for a usage error.
const commandList = "gen, mine, merge, drift, explain, report, discover, bench or version (rolemine -h describes them)"

// known says whether name is one of the commands (command's cases).
func known(name string) bool {
	switch name {
	case "gen", "mine", "merge", "discover", "bench", "drift", "explain", "report", "version", "help", "-h", "--help":
		return true
	}
	return false
}

// exitCode reports err, the command's failure, on stderr and returns the exit code
// (docs/cli.md#exit-codes): 0 success, 2 a user error, 1 anything else. A bug (a panic: a
// *parallel.PanicError, or a *plugins.InternalError of a host function) is 1 whatever
// wraps it, with one line saying so and its stack in the log at error level.
func exitCode(ctx context.Context, err error, stderr io.Writer, logger *slog.Logger) int {
	var bug *parallel.PanicError
	var hostBug *plugins.InternalError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &bug):
		writeInternalLine(stderr, err)
		logger.Error("internal error", "panic", fmt.Sprint(bug.Value), "stack", string(bug.Stack))
		return 1
	case errors.As(err, &hostBug):
		writeInternalLine(stderr, err)
		logger.Error("internal error", "host_function", hostBug.Function, "panic", fmt.Sprint(hostBug.Value),
			"stack", string(hostBug.Stack))
		return 1
	case errors.Is(err, flag.ErrHelp):
		return 0
	case uerr.Is(err):
		fmt.Fprintln(stderr, "rolemine:", err)
		return 2
	case errors.Is(err, context.Canceled) && context.Cause(ctx) != nil:
		// The run stopped at a signal: say so rather than "context canceled".
		fmt.Fprintf(stderr, "rolemine: interrupted (%v)\n", context.Cause(ctx))
		return 1
	default:
		fmt.Fprintln(stderr, "rolemine:", err)
		return 1
	}
}

// writeInternalLine writes the one line on stderr of a run failed by a bug, err.
func writeInternalLine(stderr io.Writer, err error) {
	fmt.Fprintf(stderr, "rolemine: internal error (a bug in rolemine, not in your data): %v; please report it with the log\n", err)
}

// newFlags returns the flag set of `rolemine NAME`; its -h help goes to help (the
// command's stdout: the help was asked for).
func newFlags(name string, help io.Writer) *flag.FlagSet { return pipeline.NewFlags(name, help) }

// parseFlags parses args, turning flag errors into user errors and rejecting stray
// positional arguments and flag values no command can use (pipeline.CheckFlagValues).
func parseFlags(fs *flag.FlagSet, args []string) error {
	return parse(fs, args, false)
}

// parseFlagsWithArgs is parseFlags for a command that takes positional arguments.
func parseFlagsWithArgs(fs *flag.FlagSet, args []string) error {
	return parse(fs, args, true)
}

// parse parses args into fs. The flag package's own messages are silenced: -h prints
// the flags to fs's output, and a bad flag becomes one line (flagError) rather than the
// package's message followed by every flag (docs/cli.md#cli-usage-errors).
func parse(fs *flag.FlagSet, args []string, positional bool) error {
	help := fs.Output()
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(help)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(help, "Usage of %s:\n", fs.Name())
		fs.PrintDefaults()
		return err
	}
	cmd := strings.TrimPrefix(fs.Name(), "rolemine ")
	if err != nil {
		return flagError(fs, cmd, err)
	}
	if !positional && fs.NArg() > 0 {
		return uerr.New("%s: unexpected argument %q: expected flags only (rolemine %s -h lists them)", cmd, fs.Arg(0), cmd)
	}
	return pipeline.CheckFlagValues(fs)
}

// Messages of the flag package's Parse, which returns no structured error.
var (
	unknownFlagRe  = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	needsValueRe   = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	invalidValueRe = regexp.MustCompile(`^invalid (?:boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?-+([^:]+): (.*)$`)
)

// flagError rewrites err, an error of fs.Parse for the command cmd, as one user error
// naming the flag and what it expects.
func flagError(fs *flag.FlagSet, cmd string, err error) error {
	msg := err.Error()
	if m := unknownFlagRe.FindStringSubmatch(msg); m != nil {
		return uerr.New("%s: unknown flag --%s (rolemine %s -h lists its flags)", cmd, m[1], cmd)
	}
	if m := needsValueRe.FindStringSubmatch(msg); m != nil {
		if want := expected(fs.Lookup(m[1]), ""); want != "" {
			return uerr.New("%s: --%s needs a value: expected %s", cmd, m[1], want)
		}
		return uerr.New("%s: --%s needs a value (rolemine %s -h describes it)", cmd, m[1], cmd)
	}
	if m := invalidValueRe.FindStringSubmatch(msg); m != nil {
		value, qerr := strconv.Unquote(m[1])
		if qerr != nil {
			value = m[1]
		}
		return uerr.New("%s: --%s %q: expected %s", cmd, m[2], value, expected(fs.Lookup(m[2]), m[3]))
	}
	return uerr.New("%s: %v (rolemine %s -h lists its flags)", cmd, err, cmd)
}

// expected names what flag f takes, from the type of its value; setErr is the reason its
// value was refused, kept for the flags whose type says nothing ("" for a string flag
// refused for no reason).
func expected(f *flag.Flag, setErr string) string {
	var v any
	if f != nil {
		if g, ok := f.Value.(flag.Getter); ok {
			v = g.Get()
		}
	}
	outOfRange := strings.Contains(setErr, "out of range")
	switch v.(type) {
	case bool:
		return "true or false"
	case int, int64:
		if outOfRange {
			return "a whole number (this one is out of range)"
		}
		return "a whole number"
	case uint, uint64:
		if outOfRange {
			return "a whole number from 0 (this one is out of range)"
		}
		return "a whole number from 0"
	case float64:
		return "a number"
	case time.Duration:
		return "a duration such as 500ms, 10s, 1m30s or 2h"
	}
	if rest, ok := strings.CutPrefix(setErr, "expected "); ok {
		return rest
	}
	if setErr != "" {
		return "a valid value: " + setErr
	}
	return ""
}

// multiFlag collects a repeatable string flag.
type multiFlag = pipeline.MultiFlag
