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

	"github.com/rolemine/rolemine/bench/gen"
)

// MinePhases are the phases of `rolemine mine` the benchmark reports, in order. "mine" is
// mining.Run (counting and selection); "plugin" is 0 when no plugin ran.
var MinePhases = []string{"load", "plugin", "mine", "classify", "write", "report"}

// MineRun is one `rolemine mine` child process.
type MineRun struct {
	Phases  map[string]float64 `json:"phases"`
	Wall    float64            `json:"wall_seconds"`
	PeakRSS int64              `json:"peak_rss_bytes"`
}

// MineTier is the summary of several runs on one tier: medians of each phase and of the
// wall time, the largest peak RSS, and throughput at the median wall time.
type MineTier struct {
	Tier string `json:"tier"`
	// Backend is the --backend the runs used; empty when none was given (the default).
	Backend     string             `json:"backend,omitempty"`
	Identities  int64              `json:"identities"`
	Roles       int64              `json:"roles"`
	Assignments int64              `json:"assignments"`
	Runs        []MineRun          `json:"runs"`
	Median      map[string]float64 `json:"median_phase_seconds"`
	MedianWall  float64            `json:"median_wall_seconds"`
	PeakRSS     int64              `json:"peak_rss_bytes"`
	// PerSecond is assignments per second of median wall time.
	PerSecond float64 `json:"assignments_per_second"`
}

// MineReport is the output of `rolemine bench --json`.
type MineReport struct {
	Machine Machine    `json:"machine"`
	Tiers   []MineTier `json:"tiers"`
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
	// Progress, when set, is told of each finished run.
	Progress func(tier, backend string, run int, r MineRun)
}

// EnsureData returns dir/<tier>, generating the tier there (seed 1) unless its
// assignments file already exists.
func EnsureData(ctx context.Context, dir, tier string, logger *slog.Logger) (string, error) {
	d := filepath.Join(dir, tier)
	if _, err := os.Stat(filepath.Join(d, "assignments.parquet")); err == nil {
		return d, nil
	}
	if _, err := gen.Generate(ctx, gen.Options{Out: d, Tier: tier, Seed: 1, Logger: logger}); err != nil {
		return "", fmt.Errorf("generate tier %s in %s: %w", tier, d, err)
	}
	return d, nil
}

// MineBench times `rolemine mine` on each tier (and each backend of o.Backends).
func MineBench(ctx context.Context, o MineOptions) (*MineReport, error) {
	rep := &MineReport{Machine: ThisMachine()}
	backends := o.Backends
	if len(backends) == 0 {
		backends = []string{""}
	}
	for _, tier := range o.Tiers {
		data, err := EnsureData(ctx, o.Dir, tier, o.Logger)
		if err != nil {
			return nil, err
		}
		mts := make([]MineTier, len(backends))
		for k := 0; k < o.Runs; k++ {
			for b, be := range backends {
				// Each backend has its own output directory, so that a caller can compare
				// the last run's outputs of two backends.
				out, extra := filepath.Join(o.Dir, tier+".out"), []string(nil)
				if be != "" {
					out, extra = filepath.Join(o.Dir, tier+"."+be+".out"), []string{"--backend", be}
				}
				r, counts, err := RunMine(ctx, o.Bin, data, out, extra...)
				if err != nil {
					return nil, err
				}
				mt := &mts[b]
				mt.Tier, mt.Backend = tier, be
				mt.Identities, mt.Roles, mt.Assignments = counts[0], counts[1], counts[2]
				mt.Runs = append(mt.Runs, r)
				if o.Progress != nil {
					o.Progress(tier, be, k, r)
				}
			}
		}
		for b := range mts {
			summarizeTier(&mts[b])
		}
		rep.Tiers = append(rep.Tiers, mts...)
	}
	return rep, nil
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
	var walls []float64
	for _, r := range mt.Runs {
		walls = append(walls, r.Wall)
		mt.PeakRSS = max(mt.PeakRSS, r.PeakRSS)
	}
	mt.MedianWall = Median(walls)
	if mt.MedianWall > 0 {
		mt.PerSecond = float64(mt.Assignments) / mt.MedianWall
	}
}

var (
	phaseLine = regexp.MustCompile(`^\s+([a-z]+)\s+([0-9.]+)s$`)
	minedLine = regexp.MustCompile(`^mined (\d+) identities, (\d+) roles, (\d+) assignments`)
)

// RunMine runs `bin mine --data data --out out [extra...]` as a fresh process and parses
// the phase times it prints; counts are identities, roles and assignments.
func RunMine(ctx context.Context, bin, data, out string, extra ...string) (MineRun, [3]int64, error) {
	var counts [3]int64
	args := append([]string{"mine", "--data", data, "--out", out}, extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start).Seconds()
	if err != nil {
		return MineRun{}, counts, fmt.Errorf("%s mine --data %s: %w\n%s", bin, data, err, tail(stderr.String()))
	}
	r := MineRun{Phases: map[string]float64{}, Wall: wall, PeakRSS: PeakRSS(cmd.ProcessState)}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if m := phaseLine.FindStringSubmatch(sc.Text()); m != nil {
			r.Phases[m[1]], _ = strconv.ParseFloat(m[2], 64)
		} else if m := minedLine.FindStringSubmatch(sc.Text()); m != nil {
			for k := range counts {
				counts[k], _ = strconv.ParseInt(m[k+1], 10, 64)
			}
		}
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
