// Package harness runs rolemine's end-to-end benchmarks (docs/development.md#performance-targets): it times
// `rolemine mine` phase by phase in fresh child processes, runs the co-occurrence kernel
// against peer programs (DuckDB) alternately, takes medians and ratios, and renders the
// results as the "Mining pipeline and counting kernel" section of BENCHMARKS.md.
package harness

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// CooccurResult is what one co-occurrence program run reports on its result line:
//
//	cooccur program=rolemine depth=1 rows=N checksum=HEX seconds=S peak_rss_mib=M
//
// rolemine and every peer print this line, so that the driver parses them alike.
type CooccurResult struct {
	Program  string  `json:"program"`
	Depth    int     `json:"depth"`
	Rows     int64   `json:"rows"`
	Checksum string  `json:"checksum"`
	Seconds  float64 `json:"seconds"`
	PeakRSS  int64   `json:"peak_rss_bytes"`
	// CPUSeconds is the user and system time of the whole process (the parent's view, set
	// by PeerBench; not on the result line). On a shared host a run's wall time moves
	// with whatever else runs beside it, its CPU time much less.
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
}

// Line renders the result line.
func (r CooccurResult) Line() string {
	return fmt.Sprintf("cooccur program=%s depth=%d rows=%d checksum=%s seconds=%.3f peak_rss_mib=%d",
		r.Program, r.Depth, r.Rows, r.Checksum, r.Seconds, r.PeakRSS>>20)
}

// ParseCooccur finds the result line in a program's output.
func ParseCooccur(out io.Reader) (CooccurResult, error) {
	var r CooccurResult
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	found := false
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "cooccur ") {
			continue
		}
		found = true
		for _, f := range strings.Fields(line)[1:] {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				return r, fmt.Errorf("result line %q: field %q: expected key=value", line, f)
			}
			var err error
			switch k {
			case "program":
				r.Program = v
			case "depth":
				r.Depth, err = strconv.Atoi(v)
			case "rows":
				r.Rows, err = strconv.ParseInt(v, 10, 64)
			case "checksum":
				r.Checksum = v
			case "seconds":
				r.Seconds, err = strconv.ParseFloat(v, 64)
			case "peak_rss_mib":
				var mib int64
				mib, err = strconv.ParseInt(v, 10, 64)
				r.PeakRSS = mib << 20
			}
			if err != nil {
				return r, fmt.Errorf("result line %q: field %s: %w", line, k, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return r, err
	}
	if !found {
		return r, fmt.Errorf("no result line (\"cooccur program=...\") in the output")
	}
	return r, nil
}
