package harness

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
)

// PeerOptions configure PeerBench.
type PeerOptions struct {
	// Rolemine and Peer are the two programs; Peer is run with --data, --depth and --dims.
	Rolemine, Peer string
	// PeerName labels the peer in reports ("duckdb").
	PeerName string
	Tiers    []string
	Depths   []int
	Runs     int
	Dir      string
	Logger   *slog.Logger
	// Progress, when set, is told of each finished program run.
	Progress func(tier string, r CooccurResult)
}

// PeerCase is one (tier, depth) comparison: every run of both programs, alternated.
type PeerCase struct {
	Tier     string          `json:"tier"`
	Depth    int             `json:"depth"`
	Rolemine []CooccurResult `json:"rolemine"`
	Peer     []CooccurResult `json:"peer"`
	// Medians of seconds; Ratio is peer / rolemine (above 1: rolemine is faster).
	RolemineSeconds float64 `json:"rolemine_median_seconds"`
	PeerSeconds     float64 `json:"peer_median_seconds"`
	Ratio           float64 `json:"ratio"`
	// Medians of each program's CPU seconds (user and system, whole process) and their
	// ratio, peer / rolemine: the same comparison with the wall time others take away.
	RolemineCPUSeconds float64 `json:"rolemine_median_cpu_seconds,omitempty"`
	PeerCPUSeconds     float64 `json:"peer_median_cpu_seconds,omitempty"`
	CPURatio           float64 `json:"cpu_ratio,omitempty"`
	RoleminePeakRSS    int64   `json:"rolemine_peak_rss_bytes"`
	PeerPeakRSS        int64   `json:"peer_peak_rss_bytes"`
	Rows               int64   `json:"rows"`
	Checksum           string  `json:"checksum"`
	// Equal is true when every run of both programs gave the same rows and checksum.
	Equal bool `json:"equal"`
}

// PeerReport is the output of `rolemine bench peers --json`.
type PeerReport struct {
	Machine Machine    `json:"machine"`
	Peer    string     `json:"peer"`
	Cases   []PeerCase `json:"cases"`
}

// PeerBench runs rolemine's co-occurrence table and the peer's on each tier and depth,
// alternating the programs run by run, and compares their medians and digests. Peak RSS
// is each child's rusage maximum.
func PeerBench(ctx context.Context, o PeerOptions) (*PeerReport, error) {
	rep := &PeerReport{Machine: ThisMachine(), Peer: o.PeerName}
	for _, tier := range o.Tiers {
		data, err := EnsureData(ctx, o.Dir, tier, o.Logger)
		if err != nil {
			return nil, err
		}
		dimsOut, err := runChild(ctx, o.Rolemine, "bench", "cooccur", "--data", data, "--print-dims")
		if err != nil {
			return nil, err
		}
		dims := strings.TrimSpace(dimsOut.stdout)
		for _, depth := range o.Depths {
			c := PeerCase{Tier: tier, Depth: depth, Equal: true}
			for k := 0; k < o.Runs; k++ {
				for _, prog := range []string{"rolemine", "peer"} {
					var ch childResult
					if prog == "rolemine" {
						ch, err = runChild(ctx, o.Rolemine, "bench", "cooccur", "--data", data, "--depth", fmt.Sprint(depth), "--dims", dims)
					} else {
						ch, err = runChild(ctx, o.Peer, "--data", data, "--depth", fmt.Sprint(depth), "--dims", dims)
					}
					if err != nil {
						return nil, err
					}
					r, err := ParseCooccur(strings.NewReader(ch.stdout))
					if err != nil {
						return nil, fmt.Errorf("%s on tier %s depth %d: %w", prog, tier, depth, err)
					}
					if ch.peakRSS > 0 {
						r.PeakRSS = ch.peakRSS
					}
					r.CPUSeconds = ch.cpu
					if prog == "rolemine" {
						c.Rolemine = append(c.Rolemine, r)
					} else {
						c.Peer = append(c.Peer, r)
					}
					if c.Checksum == "" {
						c.Rows, c.Checksum = r.Rows, r.Checksum
					} else if r.Rows != c.Rows || r.Checksum != c.Checksum {
						c.Equal = false
					}
					if o.Progress != nil {
						o.Progress(tier, r)
					}
				}
			}
			c.RolemineSeconds, c.RolemineCPUSeconds, c.RoleminePeakRSS = summarize(c.Rolemine)
			c.PeerSeconds, c.PeerCPUSeconds, c.PeerPeakRSS = summarize(c.Peer)
			if c.RolemineSeconds > 0 {
				c.Ratio = c.PeerSeconds / c.RolemineSeconds
			}
			if c.RolemineCPUSeconds > 0 {
				c.CPURatio = c.PeerCPUSeconds / c.RolemineCPUSeconds
			}
			rep.Cases = append(rep.Cases, c)
		}
	}
	return rep, nil
}

// summarize returns the medians of the runs' seconds and CPU seconds and their largest
// peak RSS.
func summarize(rs []CooccurResult) (median, cpu float64, peak int64) {
	var xs, cs []float64
	for _, r := range rs {
		xs = append(xs, r.Seconds)
		cs = append(cs, r.CPUSeconds)
		peak = max(peak, r.PeakRSS)
	}
	return Median(xs), Median(cs), peak
}

type childResult struct {
	stdout  string
	peakRSS int64
	// cpu is the child's user and system seconds.
	cpu float64
}

func runChild(ctx context.Context, bin string, args ...string) (childResult, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ResetPeakRSS()
	if err := cmd.Run(); err != nil {
		return childResult{}, fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(args, " "), err, tail(stderr.String()))
	}
	ps := cmd.ProcessState
	return childResult{stdout: stdout.String(), peakRSS: PeakRSS(ps), cpu: (ps.UserTime() + ps.SystemTime()).Seconds()}, nil
}
