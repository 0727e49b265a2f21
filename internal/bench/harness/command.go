package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"
	"time"

	"github.com/rolemine/rolemine/internal/bench/cooccur"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/uerr"
)

// MineCommand are the flags of `rolemine bench`.
type MineCommand struct {
	// Tiers and Backends are comma lists (Backends empty: mine's default).
	Tiers, Backends string
	Runs            int
	Dir, Baseline   string
	JSON            bool
	WarmMiB         int // MineOptions.WarmMiB
}

// RunMineCommand runs `rolemine bench`: end-to-end mine timings per tier, printed as a
// table or JSON; with a baseline binary, an error when the outputs differ from its.
func RunMineCommand(ctx context.Context, c MineCommand, stdout, stderr io.Writer, logger *slog.Logger) error {
	bl, err := backendList(c.Backends)
	if err != nil {
		return err
	}
	tl, err := tierList(c.Tiers)
	if err != nil {
		return err
	}
	if c.Runs < 1 {
		return uerr.New("bench: --runs %d: expected at least 1", c.Runs)
	}
	if c.WarmMiB < 0 {
		return uerr.New("bench: --warm-memory %d: expected a number of MiB, 0 for none", c.WarmMiB)
	}
	if c.Baseline != "" {
		if !isExecutable(c.Baseline) {
			return uerr.New("bench: --baseline %s: expected an executable rolemine binary", c.Baseline)
		}
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find the rolemine binary: %w", err)
	}
	rep, err := MineBench(ctx, MineOptions{Bin: bin, Tiers: tl, Runs: c.Runs, Dir: c.Dir, Logger: logger, Backends: bl,
		Baseline: c.Baseline, WarmMiB: c.WarmMiB,
		Progress: func(tier, backend string, k int, base bool, r MineRun) {
			who := ""
			if base {
				who = " (baseline)"
			}
			fmt.Fprintf(stderr, "bench: tier %s%s run %d%s: %.2fs, peak RSS %d MiB\n", tier, backendSuffix(backend), k+1, who, r.Wall, r.PeakRSS>>20)
		}})
	if err != nil {
		return err
	}
	if c.JSON {
		if err := writeJSON(stdout, rep); err != nil {
			return err
		}
	} else {
		PrintMineBench(stdout, rep, c.Runs)
	}
	for _, t := range rep.Tiers {
		for _, o := range t.Outputs {
			if !o.Identical {
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

// PrintMineBench prints the table of `rolemine bench`: per tier a row of medians, and with
// a baseline the baseline's row, the ratios new/baseline and the output comparison.
func PrintMineBench(w io.Writer, rep *MineReport, runs int) {
	fmt.Fprintf(w, "%-5s %-8s %12s %6s %6s %6s %6s %8s %6s %6s %7s %7s %9s %14s\n", "tier", "binary", "assignments", "load", "plugin", "eff", "mine", "classify", "write", "report", "wall", "cpu", "peak MiB", "assignments/s")
	row := func(t *MineTier, who string) {
		m := t.Median
		fmt.Fprintf(w, "%-5s %-8s %12d %6.2f %6.2f %6.2f %6.2f %8.2f %6.2f %6.2f %7.2f %7.2f %9d %14.0f%s\n", t.Tier, who, t.Assignments,
			m["load"], m["plugin"], m["effective"], m["mine"], m["classify"], m["write"], m["report"], t.MedianWall, t.MedianCPU, t.PeakRSS>>20, t.PerSecond, backendSuffix(t.Backend))
	}
	ratio := func(t *MineTier, k string) string {
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
		fmt.Fprintf(w, "%-5s %-8s %12s %6s %6s %6s %6s %8s %6s %6s %7s %7s %9s\n", t.Tier, "new/base", "",
			ratio(t, "load"), ratio(t, "plugin"), ratio(t, "effective"), ratio(t, "mine"), ratio(t, "classify"), ratio(t, "write"), ratio(t, "report"),
			ratio(t, "wall"), ratio(t, "cpu"), ratio(t, "peak_rss"))
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
	for _, u := range rep.Universes {
		fmt.Fprintf(w, "%s against %s%s, same run: wall %.2fx, cpu %.2fx\n", u.Universe, u.Flat, backendSuffix(u.Backend), u.Wall, u.CPU)
		p := u.Parity
		fmt.Fprintf(w, "%s at %s's cost per unit (input bytes, assignments mined, pairs written): %.2f s, %.2fx; over that: load %+.2f s, mine %+.2f s, classify %+.2f s, output %+.2f s\n",
			u.Universe, u.Flat, p.Wall, p.Ratio, p.Over["load"], p.Over["mine"], p.Over["classify"], p.Over["output"])
	}
	fmt.Fprintf(w, "medians of %d runs, the tiers taking turns; seconds; peak RSS is the largest of the runs", runs)
	if rep.Baseline != "" {
		fmt.Fprintf(w, "; new and baseline alternated, ratio = new / baseline (below 1: new is faster)")
	}
	if rep.WarmMiB > 0 {
		fmt.Fprintf(w, "; %d MiB of memory warmed before each run", rep.WarmMiB)
	}
	fmt.Fprintf(w, "; load average %.1f at start, %.1f at end\n", rep.Load[0], rep.Load[1])
}

// tierList parses a comma list of tiers (Tiers' names, any case), each at most once.
func tierList(s string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.ToUpper(strings.TrimSpace(t))
		if _, ok := Tiers(t); !ok {
			return nil, uerr.New("bench: tier %q: expected one of %s", t, tierNames)
		}
		if slices.Contains(out, t) {
			return nil, uerr.New("bench: tier %s given twice", t)
		}
		out = append(out, t)
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

// PeersCommand are the flags of `rolemine bench peers`.
type PeersCommand struct {
	// Peer is the DuckDB peer binary; Tiers and Depths are comma lists; JSON, when set, a
	// file the report is also written to as JSON.
	Peer, Tiers, Depths string
	Runs                int
	Dir, JSON           string
}

// RunPeersCommand runs `rolemine bench peers`: rolemine's counting kernel against the
// DuckDB peer, alternated, with an error when their tables differ.
func RunPeersCommand(ctx context.Context, c PeersCommand, stdout, stderr io.Writer, logger *slog.Logger) error {
	if c.Peer == "" {
		return uerr.New("bench peers: --duckdb is required")
	}
	if !isExecutable(c.Peer) {
		return uerr.New("bench peers: --duckdb %s: expected an executable peer binary (make bin/duckdb-peer)", c.Peer)
	}
	tl, err := tierList(c.Tiers)
	if err != nil {
		return err
	}
	for _, t := range tl {
		if FlatOf(t) != "" {
			// The peer reads identity_id and role_id from assignments.parquet; a
			// universe's rows may name an account instead.
			return uerr.New("bench peers: tier %s is a universe: the DuckDB peer counts flat tiers only (S, M, L, XL)", t)
		}
	}
	var dl []int
	for _, d := range strings.Split(c.Depths, ",") {
		switch strings.TrimSpace(d) {
		case "1":
			dl = append(dl, 1)
		case "2":
			dl = append(dl, 2)
		default:
			return uerr.New("bench peers: --depths: %q: expected 1 or 2", d)
		}
	}
	if c.Runs < 1 {
		return uerr.New("bench peers: --runs %d: expected at least 1", c.Runs)
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench peers: find the rolemine binary: %w", err)
	}
	rep, err := PeerBench(ctx, PeerOptions{Rolemine: bin, Peer: c.Peer, PeerName: "duckdb", Tiers: tl, Depths: dl,
		Runs: c.Runs, Dir: c.Dir, Logger: logger, Progress: func(tier string, r CooccurResult) {
			fmt.Fprintf(stderr, "tier %s: %s (cpu %.2fs)\n", tier, r.Line(), r.CPUSeconds)
		}})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-4s %5s %12s %8s %10s %10s %7s %10s %10s %7s\n", "tier", "depth", "rows", "equal", "rolemine", "duckdb", "ratio", "cpu", "duckdb cpu", "ratio")
	bad := false
	for _, pc := range rep.Cases {
		fmt.Fprintf(stdout, "%-4s %5d %12d %8v %9.2fs %9.2fs %6.1fx %9.2fs %9.2fs %6.1fx\n", pc.Tier, pc.Depth, pc.Rows, pc.Equal,
			pc.RolemineSeconds, pc.PeerSeconds, pc.Ratio, pc.RolemineCPUSeconds, pc.PeerCPUSeconds, pc.CPURatio)
		bad = bad || !pc.Equal
	}
	fmt.Fprintf(stdout, "medians of %d alternated runs; ratio = duckdb / rolemine, of wall seconds, then of CPU seconds (user+sys)\n", c.Runs)
	if c.JSON != "" {
		f, err := os.Create(c.JSON)
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

// DocCommand are the flags of `rolemine bench doc`: the JSON reports to render (Peers a
// comma list, merged) and the file whose section is rewritten ("-" prints it).
type DocCommand struct {
	Mine, Peers, File string
}

// RunDocCommand runs `rolemine bench doc`: BENCHMARKS.md's section from the JSON reports.
func RunDocCommand(c DocCommand, stdout io.Writer) error {
	var mine *MineReport
	var peers *PeerReport
	if c.Mine != "" {
		mine = new(MineReport)
		if err := readJSON(c.Mine, mine); err != nil {
			return err
		}
	}
	if c.Peers != "" {
		// Several reports (e.g. one per tier) are merged in order.
		for _, path := range strings.Split(c.Peers, ",") {
			var p PeerReport
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
	sec := Markdown(mine, peers)
	if c.File == "-" {
		_, err := io.WriteString(stdout, sec)
		return err
	}
	return UpdateFile(c.File, sec)
}

// CooccurCommand are the flags of `rolemine bench cooccur`.
type CooccurCommand struct {
	Data               string
	Depth, Workers     int
	PrintDims, Verbose bool
	// CPUProfile, when set, is the file a CPU profile of the run (loading included) goes to.
	CPUProfile string
	// Trace, when set, is the file a runtime execution trace of the run goes to.
	Trace string
	// Dims, when set, is the comma list of the attributes criteria use (as --print-dims
	// prints it); only those columns are read. Empty: every dimension Load would not skip.
	Dims string
	// PlanEarly plans the kernel's depth-2 calls while the assignments load, not when
	// counting after the load as mine does (cooccur.Options.EarlyPlan).
	PlanEarly bool
}

// RunCooccurCommand runs `rolemine bench cooccur`: the kernel's complete co-occurrence
// table of one data directory, printed as one result line (what the peers are timed
// against).
func RunCooccurCommand(ctx context.Context, c CooccurCommand, stdout io.Writer, logger *slog.Logger) error {
	if c.Data == "" {
		return uerr.New("bench cooccur: --data is required")
	}
	if c.Depth != 1 && c.Depth != 2 {
		return uerr.New("bench cooccur: --depth %d: expected 1 or 2", c.Depth)
	}
	stop, err := startProfiles(c)
	if err != nil {
		return err
	}
	defer stop()
	start, use0 := time.Now(), usageNow()
	opts := cooccur.Options{Depth: c.Depth, Workers: c.Workers, EarlyPlan: c.PlanEarly}
	var prep *cooccur.Prepared
	prepare := func(ctx context.Context, h *columnar.Holdings) (err error) {
		prep, err = cooccur.Prepare(ctx, h, opts)
		return err
	}
	if c.PrintDims {
		prepare = nil
	}
	h, lean, err := loadHoldings(ctx, c, logger, prepare)
	if err != nil {
		return err
	}
	if !lean { // read by Load: what OnIdentities may have prepared is not for these holdings
		prep = nil
	}
	if c.PrintDims {
		fmt.Fprintln(stdout, strings.Join(cooccur.DimNames(h), ","))
		return nil
	}
	loaded, use1 := time.Since(start), usageNow()
	// The load's garbage (the assignments' decoded columns, the decoder's buffers) is
	// collected before counting, so that the kernel's buffers reuse its memory instead of
	// faulting in fresh pages (a few microseconds each on a VM); it is inside the timing.
	runtime.GC()
	collected := time.Since(start) - loaded
	early := prep != nil
	if !early {
		if prep, err = cooccur.Prepare(ctx, h, opts); err != nil {
			return err
		}
	}
	res, err := prep.Compute(ctx, h)
	if err != nil {
		return err
	}
	r := CooccurResult{Program: "rolemine", Depth: c.Depth, Rows: res.Digest.Rows,
		Checksum: fmt.Sprintf("%016x", res.Digest.Sum), Seconds: time.Since(start).Seconds(), PeakRSS: PeakRSSSelf()}
	if c.Verbose {
		fmt.Fprintf(stdout, "  load %.3fs (%s)\n", loaded.Seconds(), use1.since(use0))
		fmt.Fprintf(stdout, "  collection %.3fs\n", collected.Seconds())
		for _, p := range res.Phases {
			during := ""
			if early && (p.Name == "supports" || p.Name == "kernel plan") {
				during = " (while loading)"
			}
			fmt.Fprintf(stdout, "  %s %.3fs%s\n", p.Name, p.Seconds, during)
		}
		fmt.Fprintf(stdout, "  after the load: %s\n", usageNow().since(use1))
	}
	fmt.Fprintln(stdout, r.Line())
	return nil
}

// startProfiles starts the CPU profile and the execution trace c asks for; stop ends them.
func startProfiles(c CooccurCommand) (stop func(), err error) {
	var files []*os.File
	stop = func() {
		if c.Trace != "" {
			trace.Stop()
		}
		if c.CPUProfile != "" {
			pprof.StopCPUProfile()
		}
		for _, f := range files {
			f.Close()
		}
	}
	open := func(flag, path string) (*os.File, error) {
		f, err := os.Create(path)
		if err != nil {
			stop()
			return nil, uerr.New("bench cooccur: --%s: %w", flag, err)
		}
		files = append(files, f)
		return f, nil
	}
	if c.CPUProfile != "" {
		f, err := open("cpuprofile", c.CPUProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			c.CPUProfile = ""
			stop()
			return nil, fmt.Errorf("bench cooccur: start CPU profile: %w", err)
		}
	}
	if c.Trace != "" {
		f, err := open("trace", c.Trace)
		if err != nil {
			return nil, err
		}
		if err := trace.Start(f); err != nil {
			c.Trace = ""
			stop()
			return nil, fmt.Errorf("bench cooccur: start trace: %w", err)
		}
	}
	return stop, nil
}

// usage is the process's CPU time and minor page faults at one moment, and the
// collector's cycles, its CPU time and the bytes allocated on the heap so far.
type usage struct {
	user, sys float64
	faults    int64
	gc        collector
}

func usageNow() usage {
	u, s, f := UsageSelf()
	return usage{u, s, f, collectorNow()}
}

// since renders the CPU time, page faults and the collector's work from u0 to u.
func (u usage) since(u0 usage) string {
	return fmt.Sprintf("cpu %.2fs user + %.2fs sys, %d minor faults; %s", u.user-u0.user, u.sys-u0.sys, u.faults-u0.faults, u.gc.since(u0.gc))
}

// collector is what runtime/metrics says of the collector at one moment: completed
// cycles, the CPU time of its work (the runtime's estimate: marking, assists and
// stop-the-world pauses, updated as each cycle ends) and the bytes allocated on the heap.
type collector struct {
	cycles, allocated uint64
	cpu               float64
}

// collectorMetrics are the runtime/metrics names read into a collector, in its order.
var collectorMetrics = [...]string{"/gc/cycles/total:gc-cycles", "/gc/heap/allocs:bytes", "/cpu/classes/gc/total:cpu-seconds"}

func collectorNow() collector {
	var s [len(collectorMetrics)]metrics.Sample
	for k, name := range collectorMetrics {
		s[k].Name = name
	}
	metrics.Read(s[:])
	var c collector
	if s[0].Value.Kind() == metrics.KindUint64 {
		c.cycles = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		c.allocated = s[1].Value.Uint64()
	}
	if s[2].Value.Kind() == metrics.KindFloat64 {
		c.cpu = s[2].Value.Float64()
	}
	return c
}

// since renders the collector's cycles, CPU time and allocated MiB from c0 to c.
func (c collector) since(c0 collector) string {
	return fmt.Sprintf("collector %d cycles, %.3fs cpu, %d MiB allocated", c.cycles-c0.cycles, c.cpu-c0.cpu, (c.allocated-c0.allocated)>>20)
}

// loadHoldings reads what the table needs of c.Data: the lean load (columnar.LoadHoldings)
// of the --dims columns, or of every attribute column with Load's skipping rule, calling
// onIdentities while it reads the assignments; inputs the lean load does not read (a
// universe) are loaded whole, with the dimensions outside --dims marked skipped (lean is
// false: whatever onIdentities was given was not these holdings' dimensions).
func loadHoldings(ctx context.Context, c CooccurCommand, logger *slog.Logger,
	onIdentities func(context.Context, *columnar.Holdings) error) (h *columnar.Holdings, lean bool, err error) {
	var dims []string
	if c.Dims != "" {
		dims = strings.Split(c.Dims, ",")
	}
	h, err = columnar.LoadHoldings(ctx, c.Data, columnar.HoldingsOptions{Dims: dims, Logger: logger, OnIdentities: onIdentities})
	if !errors.Is(err, columnar.ErrNotFlat) {
		return h, true, err
	}
	snap, err := columnar.Load(ctx, c.Data, columnar.LoadOptions{Logger: logger})
	if err != nil {
		return nil, false, err
	}
	h = columnar.HoldingsOf(snap)
	if dims != nil {
		for d := range h.Dims {
			h.Dims[d].Skipped = !slices.Contains(dims, h.Dims[d].Name)
		}
		for _, name := range dims {
			if !slices.ContainsFunc(h.Dims, func(d columnar.Dimension) bool { return d.Name == name }) {
				return nil, false, uerr.New("bench cooccur: --dims: %s is not an attribute of %s", name, c.Data)
			}
		}
	}
	return h, false, nil
}

// isExecutable reports whether path is a file with an execute bit, so that a wrong binary
// is a usage error before any run rather than a failure after the first side's runs.
func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
