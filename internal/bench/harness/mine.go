package harness

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rolemine/rolemine/internal/bench/gen"
)

// MinePhases are the phases of `rolemine mine` the benchmark reports, in order. "mine" is
// mining.Run (counting and selection); "plugin" is 0 when no plugin ran, "effective" (the
// closure of role grants and the effective pairs) 0 on flat data.
var MinePhases = []string{"load", "plugin", "effective", "mine", "classify", "write", "report"}

// MineRun is one `rolemine mine` child process.
type MineRun struct {
	Phases map[string]float64 `json:"phases"`
	Wall   float64            `json:"wall_seconds"`
	// CPU is the child's user plus system CPU time: on a shared machine it moves less
	// with the load than the wall time does.
	CPU     float64 `json:"cpu_seconds"`
	PeakRSS int64   `json:"peak_rss_bytes"`
}

// MineTier is the summary of several runs on one tier: medians of each phase and of the
// wall time, the largest peak RSS, and throughput at the median wall time. With a baseline
// binary, Baseline summarizes its runs (alternated with these), Ratio gives new / baseline
// per phase, for "wall", "cpu" and "peak_rss", and Outputs compares the two runs' files.
type MineTier struct {
	Tier string `json:"tier"`
	// Backend is the --backend the runs used; empty when none was given (the default).
	Backend     string `json:"backend,omitempty"`
	Identities  int64  `json:"identities"`
	Roles       int64  `json:"roles"`
	Assignments int64  `json:"assignments"`
	// Pairs is the number of (identity, role) pairs the runs wrote to
	// assignments.parquet: the effective pairs of a universe, the assignments otherwise.
	Pairs int64 `json:"pairs"`
	// InputBytes is the size of the tier's input files (the data directory's files, not
	// its truth).
	InputBytes int64              `json:"input_bytes"`
	Runs       []MineRun          `json:"runs"`
	Median     map[string]float64 `json:"median_phase_seconds"`
	MedianWall float64            `json:"median_wall_seconds"`
	MedianCPU  float64            `json:"median_cpu_seconds"`
	PeakRSS    int64              `json:"peak_rss_bytes"`
	// PerSecond is assignments per second of median wall time.
	PerSecond float64 `json:"assignments_per_second"`

	Baseline *MineTier          `json:"baseline,omitempty"`
	Ratio    map[string]float64 `json:"ratio_new_over_baseline,omitempty"`
	Outputs  []OutputCompare    `json:"outputs,omitempty"`
}

// MineReport is the output of `rolemine bench --json`.
type MineReport struct {
	Machine Machine    `json:"machine"`
	Tiers   []MineTier `json:"tiers"`
	// Baseline is the previous binary the tiers were compared with, if any.
	Baseline string `json:"baseline,omitempty"`
	// Load is the machine's 1-minute load average when the benchmark started and ended.
	Load [2]float64 `json:"load_average"`
	// Universes compares each universe tier with its flat tier (FlatOf), where both were
	// measured in this run on the same backend.
	Universes []UniverseRatio `json:"universes,omitempty"`
	// WarmMiB is MineOptions.WarmMiB: the memory warmed before each run (0: none).
	WarmMiB int `json:"warm_mib,omitempty"`
}

// UniverseRatio is a universe tier's medians over its flat tier's, from one benchmark
// run whose runs took turns (MineBench).
type UniverseRatio struct {
	Universe string  `json:"universe"`
	Flat     string  `json:"flat"`
	Backend  string  `json:"backend,omitempty"`
	Wall     float64 `json:"wall_ratio"`
	CPU      float64 `json:"cpu_ratio"`
	// Parity prices the universe's run at the flat tier's cost per unit of work.
	Parity Parity `json:"parity"`
}

// Parity is what a universe's median run would take if each of its phases cost what its
// flat tier's costs per unit of work: the flat tier's load scaled by input bytes, its
// mining by assignments mined, its classification and its output (the longer of write and
// report, which overlap) by pairs written, the rest of its run as it is, plus the
// universe's effective phase as measured, which flat data has no counterpart of. The
// universe costs no more per unit than its flat tier when its median wall is at most
// Wall; Over says which phases cost more than their price, and by how much.
type Parity struct {
	Wall  float64 `json:"wall_seconds"`
	Ratio float64 `json:"ratio"` // Wall over the flat tier's median wall
	// Over is, by "load", "mine", "classify" and "output", the universe's median
	// seconds minus the price of that phase (negative: cheaper per unit than flat).
	Over map[string]float64 `json:"over_seconds"`
}

// parity prices universe u at flat tier f's cost per unit (Parity).
func parity(u, f *MineTier) Parity {
	scale := func(x float64, num, den int64) float64 {
		if den <= 0 {
			return 0
		}
		return x * float64(num) / float64(den)
	}
	fm, um := f.Median, u.Median
	fOut, uOut := max(fm["write"], fm["report"]), max(um["write"], um["report"])
	price := map[string]float64{
		"load":     scale(fm["load"], u.InputBytes, f.InputBytes),
		"mine":     scale(fm["mine"], u.Assignments, f.Assignments),
		"classify": scale(fm["classify"], u.Pairs, f.Pairs),
		"output":   scale(fOut, u.Pairs, f.Pairs),
	}
	rest := f.MedianWall - (fm["load"] + fm["mine"] + fm["classify"] + fOut)
	p := Parity{Wall: price["load"] + price["mine"] + price["classify"] + price["output"] + rest + um["effective"],
		Over: map[string]float64{"load": um["load"] - price["load"], "mine": um["mine"] - price["mine"],
			"classify": um["classify"] - price["classify"], "output": uOut - price["output"]}}
	if f.MedianWall > 0 {
		p.Ratio = p.Wall / f.MedianWall
	}
	return p
}

// universeRatios returns, for each universe tier of tiers whose flat tier was measured
// too on the same backend, its median wall and CPU times over the flat tier's.
func universeRatios(tiers []MineTier) []UniverseRatio {
	var out []UniverseRatio
	for _, u := range tiers {
		flat := FlatOf(u.Tier)
		if flat == "" {
			continue
		}
		for _, f := range tiers {
			if f.Tier == flat && f.Backend == u.Backend && f.MedianWall > 0 && f.MedianCPU > 0 {
				out = append(out, UniverseRatio{Universe: u.Tier, Flat: flat, Backend: u.Backend,
					Wall: u.MedianWall / f.MedianWall, CPU: u.MedianCPU / f.MedianCPU, Parity: parity(&u, &f)})
			}
		}
	}
	return out
}

// MineOptions configure MineBench.
type MineOptions struct {
	// Bin is the rolemine binary run as a child (one fresh process per run).
	Bin   string
	Tiers []string
	Runs  int
	// Dir holds DIR/<tier> data directories, generated with seed 1 when missing.
	Dir    string
	Logger *slog.Logger
	// Backends, when set, are --backend values: each tier is mined with each of them in
	// turn (alternated run by run, so that the machine's drift hits them alike), and the
	// report holds one MineTier per tier and backend.
	Backends []string
	// Baseline, when set, is a previous rolemine binary run alternately with Bin on the
	// same data and backends (the order swapping from run to run).
	Baseline string
	// WarmMiB, when positive, is how much memory (MiB) is mapped, written and unmapped
	// right before each run (WarmMemory), so that every run starts on memory just
	// backed, whichever tier ran before it. On a virtual machine whose guest returns free
	// memory to the hypervisor (free page reporting) a run's first touch of memory the
	// host no longer backs costs several times a plain page fault, and without this a
	// tier run after a larger one starts on more backed memory than the tier after it.
	WarmMiB int
	// Progress, when set, is told of each finished run; baseline is true for the
	// baseline binary's runs.
	Progress func(tier, backend string, run int, baseline bool, r MineRun)
}

// Tiers returns the generator's options of a data set `rolemine bench` knows by name:
// the generated tiers S, M, L and XL, and universes (effective privilege: accounts,
// nested grants, multi-valued attributes) made by `rolemine gen --universe`. LU750 is the tier L universe at the size
// issue 12's cost target names (about 20M direct grants and as many inherited: 750,000
// identities and the tier's 50,000 roles; the generator's own tier L universe has 1M
// identities and 26.8M direct grants).
func Tiers(name string) (gen.Options, bool) {
	switch name {
	case "S", "M", "L", "XL":
		return gen.Options{Tier: name}, true
	case "SU", "MU":
		return gen.Options{Tier: name[:1], Universe: true}, true
	case "LU750":
		return gen.Options{Tier: "L", Identities: 750000, Roles: 50000, Universe: true}, true
	}
	return gen.Options{}, false
}

// tierNames are Tiers' names, in the order help and errors give them.
const tierNames = "S, M, L, XL, SU, MU, LU750"

// FlatOf names the flat tier a universe tier is compared with ("" for a flat tier): a
// universe is judged by its time against the flat tier of its size, in the same run.
func FlatOf(tier string) string {
	if o, ok := Tiers(tier); ok && o.Universe {
		return o.Tier
	}
	return ""
}

// EnsureData returns dir/<tier>, generating the tier there (seed 1, Tiers' options)
// unless its assignments file already exists.
func EnsureData(ctx context.Context, dir, tier string, logger *slog.Logger) (string, error) {
	d := filepath.Join(dir, tier)
	if _, err := os.Stat(filepath.Join(d, "assignments.parquet")); err == nil {
		return d, nil
	}
	o, ok := Tiers(tier)
	if !ok {
		return "", fmt.Errorf("generate tier %s: unknown tier (expected one of %s)", tier, tierNames)
	}
	o.Out, o.Seed, o.Logger = d, 1, logger
	if _, err := gen.Generate(ctx, o); err != nil {
		return "", fmt.Errorf("generate tier %s in %s: %w", tier, d, err)
	}
	return d, nil
}

// MineBench times `rolemine mine` on each tier (and each backend of o.Backends), each
// run alternating with the baseline binary's when one is given. The tiers take turns run
// by run (run 1 of every tier, then run 2, ...), so that a universe and its flat tier
// are measured side by side, the machine's drift hitting them alike.
func MineBench(ctx context.Context, o MineOptions) (*MineReport, error) {
	rep := &MineReport{Machine: ThisMachine(), Baseline: o.Baseline, WarmMiB: o.WarmMiB}
	backends := o.Backends
	if len(backends) == 0 {
		backends = []string{""}
	}
	data := make([]string, len(o.Tiers))
	size := make([]int64, len(o.Tiers))
	for i, tier := range o.Tiers {
		var err error
		if data[i], err = EnsureData(ctx, o.Dir, tier, o.Logger); err != nil {
			return nil, err
		}
		if size[i], err = inputBytes(data[i]); err != nil {
			return nil, err
		}
	}
	rep.Load[0] = LoadAverage()
	mts := make([][]MineTier, len(o.Tiers)) // by tier, by backend
	bts := make([][]MineTier, len(o.Tiers))
	for i := range o.Tiers {
		mts[i], bts[i] = make([]MineTier, len(backends)), make([]MineTier, len(backends))
	}
	for k := 0; k < o.Runs; k++ {
		for i, tier := range o.Tiers {
			for b, be := range backends {
				if err := mineRuns(ctx, o, k, tier, data[i], be, &mts[i][b], &bts[i][b]); err != nil {
					return nil, err
				}
			}
		}
	}
	for i, tier := range o.Tiers {
		for b, be := range backends {
			mts[i][b].InputBytes, bts[i][b].InputBytes = size[i], size[i]
			summarizeTier(&mts[i][b])
			if o.Baseline == "" {
				continue
			}
			summarizeTier(&bts[i][b])
			mts[i][b].Baseline, mts[i][b].Ratio = &bts[i][b], ratios(&mts[i][b], &bts[i][b])
			var err error
			if mts[i][b].Outputs, err = CompareOutputs(outDir(o.Dir, tier, be, false), outDir(o.Dir, tier, be, true)); err != nil {
				return nil, err
			}
		}
		rep.Tiers = append(rep.Tiers, mts[i]...)
	}
	rep.Universes = universeRatios(rep.Tiers)
	rep.Load[1] = LoadAverage()
	return rep, nil
}

// inputBytes returns the size of the files directly in data, a tier's input files (its
// truth is in a directory below).
func inputBytes(data string) (int64, error) {
	entries, err := os.ReadDir(data)
	if err != nil {
		return 0, fmt.Errorf("size of the inputs in %s: %w", data, err)
	}
	var n int64
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return 0, fmt.Errorf("size of the inputs in %s: %w", data, err)
		}
		n += info.Size()
	}
	return n, nil
}

// mineRuns makes run k of one tier and backend: this binary's into mt and, with a
// baseline, the baseline's into bt, in runOrder.
func mineRuns(ctx context.Context, o MineOptions, k int, tier, data, be string, mt, bt *MineTier) error {
	for _, base := range runOrder(k, o.Baseline != "") {
		bin, t := o.Bin, mt
		if base {
			bin, t = o.Baseline, bt
		}
		if err := WarmMemory(o.WarmMiB); err != nil {
			return err
		}
		r, counts, err := RunMine(ctx, bin, data, outDir(o.Dir, tier, be, base), backendArgs(be)...)
		if err != nil {
			return err
		}
		t.Tier, t.Backend = tier, be
		t.Identities, t.Roles, t.Assignments, t.Pairs = counts.Identities, counts.Roles, counts.Assignments, counts.Pairs
		t.Runs = append(t.Runs, r)
		if o.Progress != nil {
			o.Progress(tier, be, k, base, r)
		}
	}
	return nil
}

// runOrder says which binaries run k runs, in order (true: the baseline). With a baseline
// the order swaps from run to run, so that neither binary always inherits a warm page
// cache or a quiet moment.
func runOrder(k int, baseline bool) []bool {
	switch {
	case !baseline:
		return []bool{false}
	case k%2 == 0:
		return []bool{false, true}
	}
	return []bool{true, false}
}

// outDir is the output directory of one tier, backend and binary: each has its own, so
// that a caller can compare the last run's outputs of two backends or binaries.
func outDir(dir, tier, backend string, baseline bool) string {
	name := tier
	if backend != "" {
		name += "." + backend
	}
	if baseline {
		name += ".baseline"
	}
	return filepath.Join(dir, name+".out")
}

func backendArgs(backend string) []string {
	if backend == "" {
		return nil
	}
	return []string{"--backend", backend}
}

// summarizeTier fills mt's medians, peak RSS and throughput from its runs.
func summarizeTier(mt *MineTier) {
	mt.Median = map[string]float64{}
	for _, p := range MinePhases {
		var xs []float64
		for _, r := range mt.Runs {
			xs = append(xs, r.Phases[p])
		}
		mt.Median[p] = Median(xs)
	}
	var walls, cpus []float64
	for _, r := range mt.Runs {
		walls = append(walls, r.Wall)
		cpus = append(cpus, r.CPU)
		mt.PeakRSS = max(mt.PeakRSS, r.PeakRSS)
	}
	mt.MedianWall = Median(walls)
	mt.MedianCPU = Median(cpus)
	if mt.MedianWall > 0 {
		mt.PerSecond = float64(mt.Assignments) / mt.MedianWall
	}
}

// ratios returns new / baseline for each phase with a baseline time, the wall time
// ("wall"), the CPU time ("cpu") and the peak RSS ("peak_rss").
func ratios(mt, bt *MineTier) map[string]float64 {
	out := map[string]float64{}
	for _, p := range MinePhases {
		if bt.Median[p] > 0 {
			out[p] = mt.Median[p] / bt.Median[p]
		}
	}
	if bt.MedianWall > 0 {
		out["wall"] = mt.MedianWall / bt.MedianWall
	}
	if bt.MedianCPU > 0 {
		out["cpu"] = mt.MedianCPU / bt.MedianCPU
	}
	if bt.PeakRSS > 0 {
		out["peak_rss"] = float64(mt.PeakRSS) / float64(bt.PeakRSS)
	}
	return out
}

var (
	phaseLine     = regexp.MustCompile(`^\s+([a-z]+)\s+([0-9.]+)s$`)
	minedLine     = regexp.MustCompile(`^mined (\d+) identities, (\d+) roles, (\d+) assignments`)
	effectiveLine = regexp.MustCompile(`^\s+effective: (\d+) pairs`)
)

// MineCounts are what a run of `rolemine mine` says it read and wrote: identities, roles
// and assignments read, and the pairs written to assignments.parquet (the effective pairs
// with role grants, else the assignments).
type MineCounts struct {
	Identities, Roles, Assignments, Pairs int64
}

// RunMine runs `bin mine --data data --out out [extra...]` as a fresh process and parses
// the phase times and the counts it prints.
func RunMine(ctx context.Context, bin, data, out string, extra ...string) (MineRun, MineCounts, error) {
	var counts MineCounts
	args := append([]string{"mine", "--data", data, "--out", out}, extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ResetPeakRSS()
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start).Seconds()
	if err != nil {
		return MineRun{}, counts, fmt.Errorf("%s mine --data %s: %w\n%s", bin, data, err, tail(stderr.String()))
	}
	ps := cmd.ProcessState
	r := MineRun{Phases: map[string]float64{}, Wall: wall, CPU: (ps.UserTime() + ps.SystemTime()).Seconds(), PeakRSS: PeakRSS(ps)}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if m := phaseLine.FindStringSubmatch(sc.Text()); m != nil {
			r.Phases[m[1]], _ = strconv.ParseFloat(m[2], 64)
		} else if m := minedLine.FindStringSubmatch(sc.Text()); m != nil {
			counts.Identities, _ = strconv.ParseInt(m[1], 10, 64)
			counts.Roles, _ = strconv.ParseInt(m[2], 10, 64)
			counts.Assignments, _ = strconv.ParseInt(m[3], 10, 64)
		} else if m := effectiveLine.FindStringSubmatch(sc.Text()); m != nil {
			counts.Pairs, _ = strconv.ParseInt(m[1], 10, 64)
		}
	}
	if counts.Pairs == 0 {
		counts.Pairs = counts.Assignments
	}
	for _, p := range []string{"load", "mine", "classify", "write"} {
		if _, ok := r.Phases[p]; !ok {
			return r, counts, fmt.Errorf("%s mine --data %s: no %q phase time in its output:\n%s", bin, data, p, tail(stdout.String()))
		}
	}
	return r, counts, nil
}

func tail(s string) string {
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	return strings.TrimSpace(s)
}

// Median returns the median of xs (the mean of the middle two for an even count; 0 for
// none).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
