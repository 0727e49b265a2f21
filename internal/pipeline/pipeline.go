// Package pipeline runs rolemine's model-building commands end to end: `mine` (stage the
// inputs, load, run the criterion plugins, mine, classify, write one output set), `merge`
// (the shards of one run into the single run's outputs), `drift`, `report` and `explain`
// (answers from a model and its data without mining again), and the wiring of `gen` and
// `discover`. It also holds the checks of flag values and directories every command
// shares, and the progress line.
//
// cmd/rolemine declares and parses the flags of each command and calls one function of
// this package; `mine`'s flags are declared here (NewMineFlags) because a shard records
// them and merge parses them back.
package pipeline

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
)

// Version is rolemine's version: reported in summary.json, recorded by each shard and
// printed by `rolemine version`.
const Version = "0.1.0"

// Env is where a command writes: its result on Stdout, the progress line on Stderr, and
// warnings through Logger.
type Env struct {
	Stdout, Stderr io.Writer
	Logger         *slog.Logger
}

// NewFlags returns the flag set of `rolemine NAME`, which prints its usage to out and
// leaves parse errors to the caller.
func NewFlags(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("rolemine "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	return fs
}

// MultiFlag collects a repeatable string flag.
type MultiFlag []string

func (m *MultiFlag) String() string     { return fmt.Sprint(*m) }
func (m *MultiFlag) Set(v string) error { *m = append(*m, v); return nil }
