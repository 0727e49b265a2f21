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
	"syscall"

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
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if !known(args[0]) {
		fmt.Fprintf(stderr, "rolemine: unknown command %q\n\n%s", args[0], usage)
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
		err = parseFlags(newFlags("version", stderr), args[1:])
		if err == nil {
			fmt.Fprintln(stdout, "rolemine", pipeline.Version)
		}
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	}
	return err
}

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

// newFlags returns the flag set of `rolemine NAME`.
func newFlags(name string, stderr io.Writer) *flag.FlagSet { return pipeline.NewFlags(name, stderr) }

// parseFlags parses args, turning flag errors into user errors and rejecting stray
// positional arguments and flag values no command can use (pipeline.CheckFlagValues).
func parseFlags(fs *flag.FlagSet, args []string) error {
	return parse(fs, args, false)
}

// parseFlagsWithArgs is parseFlags for a command that takes positional arguments.
func parseFlagsWithArgs(fs *flag.FlagSet, args []string) error {
	return parse(fs, args, true)
}

func parse(fs *flag.FlagSet, args []string, positional bool) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return uerr.Wrap(err)
	}
	if !positional && fs.NArg() > 0 {
		return uerr.New("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return pipeline.CheckFlagValues(fs)
}

// multiFlag collects a repeatable string flag.
type multiFlag = pipeline.MultiFlag
