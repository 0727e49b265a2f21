package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/rolemine/rolemine/internal/bench/cooccur"
	"github.com/rolemine/rolemine/internal/bench/harness"
	"github.com/rolemine/rolemine/internal/columnar"
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
	}
	fs := newFlags("bench", stderr)
	tiers := fs.String("tiers", "S,M,L", "comma list of tiers (S, M, L, XL)")
	runs := fs.Int("runs", 3, "runs per tier (each a fresh `rolemine mine` process)")
	dir := fs.String("dir", "bench-data", "directory of tier data (DIR/<tier>, generated when missing)")
	baseline := fs.String("baseline", "", "a previous rolemine binary: its runs alternate with this one's, ratios new/baseline are reported and the outputs compared byte for byte")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	backends := fs.String("backends", "", "comma list of --backend values (auto, cpu, cuda), alternated run by run; default: mine's default")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	bl, err := backendList(*backends)
	if err != nil {
		return err
	}
	tl, err := tierList(*tiers)
	if err != nil {
		return err
	}
	if *runs < 1 {
		return uerr.New("bench: --runs %d: expected at least 1", *runs)
	}
	if *baseline != "" {
		if st, err := os.Stat(*baseline); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return uerr.New("bench: --baseline %s: expected an executable rolemine binary", *baseline)
		}
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find the rolemine binary: %w", err)
	}
	rep, err := harness.MineBench(ctx, harness.MineOptions{Bin: bin, Tiers: tl, Runs: *runs, Dir: *dir, Logger: logger, Backends: bl,
		Baseline: *baseline,
		Progress: func(tier, backend string, k int, base bool, r harness.MineRun) {
			who := ""
			if base {
				who = " (baseline)"
			}
			fmt.Fprintf(stderr, "bench: tier %s%s run %d%s: %.2fs, peak RSS %d MiB\n", tier, backendSuffix(backend), k+1, who, r.Wall, r.PeakRSS>>20)
		}})
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(stdout, rep); err != nil {
			return err
		}
	} else {
		printMineBench(stdout, rep, *runs)
	}
	for _, t := range rep.Tiers {
		for _, c := range t.Outputs {
			if !c.Identical {
				return fmt.Errorf("bench: tier %s: outputs differ from the baseline's", t.Tier+backendSuffix(t.Backend))
			}
		}
	}
	return nil
}

// backendList parses --backends: empty for mine's default, else a comma list of backends.
func backendList(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for _, b := range strings.Split(s, ",") {
		b = strings.ToLower(strings.TrimSpace(b))
		switch b {
		case "auto", "cpu", "cuda":
			out = append(out, b)
		default:
			return nil, uerr.New("bench: --backends: unknown backend %q (expected auto, cpu or cuda)", b)
		}
	}
	return out, nil
}

// backendSuffix labels a row or progress line with its backend, when one was given.
func backendSuffix(b string) string {
	if b == "" {
		return ""
	}
	return " (" + b + ")"
}

// printMineBench prints the table of `rolemine bench`: per tier a row of medians, and with
// a baseline the baseline's row, the ratios new/baseline and the output comparison.
func printMineBench(w io.Writer, rep *harness.MineReport, runs int) {
	fmt.Fprintf(w, "%-4s %-8s %12s %6s %6s %6s %8s %6s %6s %7s %9s %14s\n", "tier", "binary", "assignments", "load", "plugin", "mine", "classify", "write", "report", "wall", "peak MiB", "assignments/s")
	row := func(t *harness.MineTier, who string) {
		m := t.Median
		fmt.Fprintf(w, "%-4s %-8s %12d %6.2f %6.2f %6.2f %8.2f %6.2f %6.2f %7.2f %9d %14.0f%s\n", t.Tier, who, t.Assignments,
			m["load"], m["plugin"], m["mine"], m["classify"], m["write"], m["report"], t.MedianWall, t.PeakRSS>>20, t.PerSecond, backendSuffix(t.Backend))
	}
	ratio := func(t *harness.MineTier, k string) string {
		if v, ok := t.Ratio[k]; ok {
			return fmt.Sprintf("%.2fx", v)
		}
		return "-"
	}
	for k := range rep.Tiers {
		t := &rep.Tiers[k]
		row(t, "new")
		if t.Baseline == nil {
			continue
		}
		row(t.Baseline, "baseline")
		fmt.Fprintf(w, "%-4s %-8s %12s %6s %6s %6s %8s %6s %6s %7s %9s\n", t.Tier, "new/base", "",
			ratio(t, "load"), ratio(t, "plugin"), ratio(t, "mine"), ratio(t, "classify"), ratio(t, "write"), ratio(t, "report"),
			ratio(t, "wall"), ratio(t, "peak_rss"))
		var same, diff []string
		for _, c := range t.Outputs {
			if c.Identical {
				same = append(same, c.File)
			} else {
				diff = append(diff, c.File+" ("+c.Detail+")")
			}
		}
		fmt.Fprintf(w, "     outputs identical: %s\n", strings.Join(same, ", "))
		if len(diff) > 0 {
			fmt.Fprintf(w, "     outputs DIFFERENT: %s\n", strings.Join(diff, ", "))
		}
	}
	fmt.Fprintf(w, "medians of %d runs; seconds; peak RSS is the largest of the runs", runs)
	if rep.Baseline != "" {
		fmt.Fprintf(w, "; new and baseline alternated, ratio = new / baseline (below 1: new is faster)")
	}
	fmt.Fprintf(w, "; load average %.1f at start, %.1f at end\n", rep.Load[0], rep.Load[1])
}

// tierList parses a comma list of tiers.
func tierList(s string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.ToUpper(strings.TrimSpace(t))
		switch t {
		case "S", "M", "L", "XL":
			out = append(out, t)
		default:
			return nil, uerr.New("bench: tier %q: expected S, M, L or XL", t)
		}
	}
	return out, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return uerr.New("bench doc: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return uerr.New("bench doc: %s: %w", path, err)
	}
	return nil
}

func benchPeers(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("bench peers", stderr)
	peer := fs.String("duckdb", "", "the DuckDB peer binary (built from bench/peers/duckdb)")
	tiers := fs.String("tiers", "M,L", "comma list of tiers")
	depths := fs.String("depths", "1,2", "comma list of depths")
	runs := fs.Int("runs", 3, "runs of each program per tier and depth, alternated")
	dir := fs.String("dir", "bench-data", "directory of tier data (DIR/<tier>, generated when missing)")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *peer == "" {
		return uerr.New("bench peers: --duckdb is required")
	}
	tl, err := tierList(*tiers)
	if err != nil {
		return err
	}
	var dl []int
	for _, d := range strings.Split(*depths, ",") {
		switch strings.TrimSpace(d) {
		case "1":
			dl = append(dl, 1)
		case "2":
			dl = append(dl, 2)
		default:
			return uerr.New("bench peers: --depths: %q: expected 1 or 2", d)
		}
	}
	if *runs < 1 {
		return uerr.New("bench peers: --runs %d: expected at least 1", *runs)
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench peers: find the rolemine binary: %w", err)
	}
	rep, err := harness.PeerBench(ctx, harness.PeerOptions{Rolemine: bin, Peer: *peer, PeerName: "duckdb", Tiers: tl, Depths: dl,
		Runs: *runs, Dir: *dir, Logger: logger, Progress: func(tier string, r harness.CooccurResult) {
			fmt.Fprintf(stderr, "tier %s: %s\n", tier, r.Line())
		}})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-4s %5s %12s %8s %10s %10s %7s\n", "tier", "depth", "rows", "equal", "rolemine", "duckdb", "ratio")
	bad := false
	for _, c := range rep.Cases {
		fmt.Fprintf(stdout, "%-4s %5d %12d %8v %9.2fs %9.2fs %6.1fx\n", c.Tier, c.Depth, c.Rows, c.Equal, c.RolemineSeconds, c.PeerSeconds, c.Ratio)
		bad = bad || !c.Equal
	}
	fmt.Fprintf(stdout, "medians of %d alternated runs; ratio = duckdb / rolemine\n", *runs)
	if *jsonOut != "" {
		f, err := os.Create(*jsonOut)
		if err != nil {
			return fmt.Errorf("bench peers: %w", err)
		}
		if err := writeJSON(f, rep); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if bad {
		return fmt.Errorf("bench peers: row counts or checksums differ between rolemine and duckdb")
	}
	return nil
}

func benchDoc(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench doc", stderr)
	mineFile := fs.String("mine", "", "JSON of `rolemine bench --json`")
	peersFile := fs.String("peers", "", "JSON of `rolemine bench peers --json` (a comma list is merged)")
	file := fs.String("file", "BENCHMARKS.md", "file whose section is rewritten; - prints the section")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var mine *harness.MineReport
	var peers *harness.PeerReport
	if *mineFile != "" {
		mine = new(harness.MineReport)
		if err := readJSON(*mineFile, mine); err != nil {
			return err
		}
	}
	if *peersFile != "" {
		// Several reports (e.g. one per tier) are merged in order.
		for _, path := range strings.Split(*peersFile, ",") {
			var p harness.PeerReport
			if err := readJSON(path, &p); err != nil {
				return err
			}
			if peers == nil {
				peers = &p
			} else {
				peers.Cases = append(peers.Cases, p.Cases...)
			}
		}
	}
	if mine == nil && peers == nil {
		return uerr.New("bench doc: give --mine, --peers or both")
	}
	sec := harness.Markdown(mine, peers)
	if *file == "-" {
		_, err := io.WriteString(stdout, sec)
		return err
	}
	return harness.UpdateFile(*file, sec)
}

func benchCooccur(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("bench cooccur", stderr)
	data := fs.String("data", "", "data directory (as for mine)")
	depth := fs.Int("depth", 1, "table depth: 1 (single terms) or 2 (two-term criteria with tp >= 3)")
	workers := fs.Int("workers", 0, "workers (default: number of CPUs)")
	printDims := fs.Bool("print-dims", false, "print the dimensions criteria use (comma list) and exit")
	verbose := fs.Bool("v", false, "print each step's time")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return uerr.New("bench cooccur: --data is required")
	}
	if *depth != 1 && *depth != 2 {
		return uerr.New("bench cooccur: --depth %d: expected 1 or 2", *depth)
	}
	start := time.Now()
	snap, err := columnar.Load(ctx, *data, columnar.LoadOptions{Logger: logger})
	if err != nil {
		return err
	}
	if *printDims {
		fmt.Fprintln(stdout, strings.Join(cooccur.DimNames(snap), ","))
		return nil
	}
	loaded := time.Since(start)
	res, err := cooccur.Compute(ctx, snap, cooccur.Options{Depth: *depth, Workers: *workers})
	if err != nil {
		return err
	}
	r := harness.CooccurResult{Program: "rolemine", Depth: *depth, Rows: res.Digest.Rows,
		Checksum: fmt.Sprintf("%016x", res.Digest.Sum), Seconds: time.Since(start).Seconds(), PeakRSS: harness.PeakRSSSelf()}
	if *verbose {
		fmt.Fprintf(stdout, "  load %.3fs\n", loaded.Seconds())
		for _, p := range res.Phases {
			fmt.Fprintf(stdout, "  %s %.3fs\n", p.Name, p.Seconds)
		}
	}
	fmt.Fprintln(stdout, r.Line())
	return nil
}
