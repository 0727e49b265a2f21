package harness

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// timedOutputs are the output files that record, or recorded, when and how fast a run
// went: summary.json (phase times, start time), and report.html, which named the start
// time until 2026-11-28 and is left out so that a baseline older than that (8031fa9)
// still compares (scripts/compare-outputs.sh compares it). Every other file of
// `rolemine mine --out` must be byte-identical between two binaries that agree.
var timedOutputs = map[string]bool{"summary.json": true, "report.html": true}

// OutputCompare says whether one output file is byte-identical in two output directories.
type OutputCompare struct {
	File      string `json:"file"`
	Identical bool   `json:"identical"`
	// Detail says how the files differ (sizes, or the first differing byte) or which
	// side lacks the file; empty when identical.
	Detail string `json:"detail,omitempty"`
}

// CompareOutputs compares, byte for byte, every file of two `rolemine mine` output
// directories except the timed ones (summary.json, report.html) and hidden entries, in
// name order, following links. A file present on one side only is a difference.
func CompareOutputs(dirA, dirB string) ([]OutputCompare, error) {
	names := map[string]bool{}
	for _, dir := range []string{dirA, dirB} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("compare outputs: %w", err)
		}
		for _, e := range ents {
			if timedOutputs[e.Name()] || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			// Output files may be links into the committed output set: follow them.
			if st, err := os.Stat(filepath.Join(dir, e.Name())); err == nil && st.Mode().IsRegular() {
				names[e.Name()] = true
			}
		}
	}
	var out []OutputCompare
	for _, name := range slices.Sorted(maps.Keys(names)) {
		c, err := compareFile(filepath.Join(dirA, name), filepath.Join(dirB, name))
		if err != nil {
			return nil, fmt.Errorf("compare outputs: %w", err)
		}
		c.File = name
		out = append(out, c)
	}
	return out, nil
}

// compareFile compares two files; a missing file is a difference, not an error.
func compareFile(a, b string) (OutputCompare, error) {
	da, errA := os.ReadFile(a)
	db, errB := os.ReadFile(b)
	switch {
	case os.IsNotExist(errA) && os.IsNotExist(errB):
		return OutputCompare{Identical: true}, nil
	case os.IsNotExist(errA):
		return OutputCompare{Detail: "only in " + filepath.Dir(b)}, nil
	case os.IsNotExist(errB):
		return OutputCompare{Detail: "only in " + filepath.Dir(a)}, nil
	case errA != nil:
		return OutputCompare{}, errA
	case errB != nil:
		return OutputCompare{}, errB
	}
	if bytes.Equal(da, db) {
		return OutputCompare{Identical: true}, nil
	}
	if len(da) != len(db) {
		return OutputCompare{Detail: fmt.Sprintf("%d bytes against %d", len(da), len(db))}, nil
	}
	k := 0
	for k < len(da) && da[k] == db[k] {
		k++
	}
	return OutputCompare{Detail: "first difference at byte " + strconv.Itoa(k)}, nil
}

// LoadAverage returns the 1-minute load average (0 where /proc/loadavg is unreadable): a
// benchmark on a shared machine states the load it ran under.
func LoadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
