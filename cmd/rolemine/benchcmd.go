package main

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"github.com/rolemine/rolemine/internal/bench/harness"
	"github.com/rolemine/rolemine/internal/uerr"
)

// cmdBench runs `rolemine bench`: end-to-end mine timings by default, or one of the
// subcommands cooccur (the kernel's complete co-occurrence table), peers (rolemine against
// peer programs) and doc (BENCHMARKS.md's section from their JSON).
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	if len(args) > 0 {
		switch args[0] {
		case "cooccur":
			return benchCooccur(ctx, args[1:], stdout, stderr, logger)
		case "peers":
			return benchPeers(ctx, args[1:], stdout, stderr, logger)
		case "doc":
			return benchDoc(args[1:], stdout, stderr)
		}
		if !strings.HasPrefix(args[0], "-") {
			return uerr.New("bench: unknown subcommand %q: expected cooccur, peers or doc, or the flags of bench itself (rolemine bench -h lists them)", args[0])
		}
	}
	fs := newFlags("bench", stdout)
	var c harness.MineCommand
	fs.StringVar(&c.Tiers, "tiers", "S,M,L", "comma list of tiers: S, M, L, XL, or the universes SU, MU and LU750 (issue 12's tier L universe), each compared with its flat tier when both are listed")
	fs.IntVar(&c.Runs, "runs", 3, "runs per tier (each a fresh rolemine mine process)")
	fs.StringVar(&c.Dir, "dir", "bench-data", "directory of tier data (DIR/<tier>, generated when missing)")
	fs.StringVar(&c.Baseline, "baseline", "", "a previous rolemine binary: its runs alternate with this one's, ratios new/baseline are reported and the outputs compared byte for byte")
	fs.BoolVar(&c.JSON, "json", false, "print JSON instead of a table")
	fs.IntVar(&c.WarmMiB, "warm-memory", 0, "MiB of memory written and released right before each run, so that every run starts on memory the machine has just backed (0: none; docs/cli.md)")
	fs.StringVar(&c.Backends, "backends", "", "comma list of --backend values (auto, cpu, cuda), alternated run by run; default: mine's default")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return harness.RunMineCommand(ctx, c, stdout, stderr, logger)
}

// benchPeers runs `rolemine bench peers`.
func benchPeers(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("bench peers", stdout)
	var c harness.PeersCommand
	fs.StringVar(&c.Peer, "duckdb", "", "the DuckDB peer binary (built from bench/peers/duckdb)")
	fs.StringVar(&c.Tiers, "tiers", "M,L", "comma list of tiers")
	fs.StringVar(&c.Depths, "depths", "1,2", "comma list of depths")
	fs.IntVar(&c.Runs, "runs", 3, "runs of each program per tier and depth, alternated")
	fs.StringVar(&c.Dir, "dir", "bench-data", "directory of tier data (DIR/<tier>, generated when missing)")
	fs.StringVar(&c.JSON, "json", "", "also write the report as JSON to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return harness.RunPeersCommand(ctx, c, stdout, stderr, logger)
}

// benchDoc runs `rolemine bench doc`.
func benchDoc(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench doc", stdout)
	var c harness.DocCommand
	fs.StringVar(&c.Mine, "mine", "", "JSON of rolemine bench --json")
	fs.StringVar(&c.Peers, "peers", "", "JSON of rolemine bench peers --json (a comma list is merged)")
	fs.StringVar(&c.File, "file", "BENCHMARKS.md", "file whose section is rewritten; - prints the section")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return harness.RunDocCommand(c, stdout)
}

// benchCooccur runs `rolemine bench cooccur`.
func benchCooccur(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("bench cooccur", stdout)
	var c harness.CooccurCommand
	fs.StringVar(&c.Data, "data", "", "data directory (as for mine)")
	fs.IntVar(&c.Depth, "depth", 1, "table depth: 1 (single terms) or 2 (two-term criteria with tp >= 3)")
	fs.IntVar(&c.Workers, "workers", 0, "workers (default: number of CPUs)")
	fs.BoolVar(&c.PrintDims, "print-dims", false, "print the dimensions criteria use (comma list) and exit")
	fs.StringVar(&c.Dims, "dims", "", "attributes criteria use, comma list (as --print-dims prints them): only those columns are read")
	fs.BoolVar(&c.Verbose, "v", false, "print each step's time")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile (pprof) of the run to this file")
	fs.StringVar(&c.Trace, "trace", "", "write a runtime execution trace (go tool trace) of the run to this file")
	fs.BoolVar(&c.PlanEarly, "plan-early", false, "depth 2: prepare the kernel's calls (codes table, patterns) while loading, not after the load as mine does")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return harness.RunCooccurCommand(ctx, c, stdout, logger)
}
