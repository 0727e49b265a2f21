package harness

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestCooccurLineRoundTrip(t *testing.T) {
	r := CooccurResult{Program: "duckdb", Depth: 2, Rows: 2507725, Checksum: "3f357e674c31f0a8", Seconds: 46.41, PeakRSS: 1202 << 20}
	got, err := ParseCooccur(strings.NewReader("noise\n" + r.Line() + "\nmore\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got != r {
		t.Errorf("round trip: got %+v, want %+v", got, r)
	}
}

func TestParseCooccurErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no line", "hello\n", "no result line"},
		{"bad field", "cooccur program=x depth\n", `field "depth"`},
		{"bad number", "cooccur rows=ten\n", "field rows"},
	}
	for _, tc := range tests {
		_, err := ParseCooccur(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}}
	for _, tc := range tests {
		if got := Median(tc.in); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestReplaceSection(t *testing.T) {
	sec := SectionTitle + "\n\nnew\n"
	tests := []struct{ name, doc, want string }{
		{"empty file", "", "# Benchmarks\n\n" + sec},
		{"appended", "# B\n\n## Discovery\n\nx\n", "# B\n\n## Discovery\n\nx\n\n" + sec},
		{"replaced in the middle", "# B\n\n" + SectionTitle + "\n\nold\n| t |\n\n## Discovery\n\nx\n",
			"# B\n\n" + sec + "## Discovery\n\nx\n"},
		{"replaced at the end", "# B\n\n## Discovery\nx\n" + SectionTitle + "\nold\n", "# B\n\n## Discovery\nx\n" + sec},
	}
	for _, tc := range tests {
		if got := ReplaceSection(tc.doc, sec); got != tc.want {
			t.Errorf("%s:\ngot  %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestMarkdownGolden pins the section's format (testdata/section.md; -update rewrites it).
func TestMarkdownGolden(t *testing.T) {
	m := Machine{CPU: "Test CPU", CPUs: 2, MemoryGiB: 24, OS: "linux/amd64", Go: "go1.26", Date: "2026-11-22"}
	mine := &MineReport{Machine: m, Tiers: []MineTier{
		{Tier: "M", Identities: 100000, Roles: 5000, Assignments: 2202164, Runs: make([]MineRun, 3),
			Median: map[string]float64{"load": 0.8, "mine": 5.3, "classify": 0.16, "write": 0.85}, MedianWall: 7.2, PeakRSS: 900 << 20, PerSecond: 305856},
		{Tier: "L", Identities: 1000000, Roles: 50000, Assignments: 22843882, Runs: make([]MineRun, 3),
			Median: map[string]float64{"load": 8, "mine": 40, "classify": 2, "write": 7}, MedianWall: 58, PeakRSS: 5000 << 20, PerSecond: 393860,
			Baseline: &MineTier{Tier: "L", MedianWall: 116, Median: map[string]float64{"load": 16, "mine": 80}, PeakRSS: 6000 << 20},
			Ratio:    map[string]float64{"load": 0.5, "mine": 0.5, "wall": 0.5, "peak_rss": 0.83},
			Outputs:  []OutputCompare{{File: "assignments.parquet", Identical: true}, {File: "rules.json", Identical: true}}},
	}, Load: [2]float64{3.5, 4.25}}
	peers := &PeerReport{Machine: m, Peer: "duckdb", Cases: []PeerCase{
		{Tier: "M", Depth: 1, Rolemine: make([]CooccurResult, 3), Rows: 911813, Equal: true, RolemineSeconds: 2, PeerSeconds: 10, Ratio: 5, RoleminePeakRSS: 100 << 20, PeerPeakRSS: 330 << 20},
		{Tier: "L", Depth: 2, Rolemine: make([]CooccurResult, 3), Rows: 2507725, Equal: false, RolemineSeconds: 3, PeerSeconds: 45, Ratio: 15, RoleminePeakRSS: 120 << 20, PeerPeakRSS: 1200 << 20},
	}}
	got := Markdown(mine, peers)
	path := filepath.Join("testdata", "section.md")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("Markdown differs from %s (go test -update rewrites it):\n%s", path, got)
	}
}

// TestCollectorSince: the collector's figures come from runtime/metrics (a misspelt name
// reads as zero), count the cycles and allocations between two moments, and render them.
func TestCollectorSince(t *testing.T) {
	c0 := collectorNow()
	sink := make([][]byte, 0, 64)
	for range 64 {
		sink = append(sink, make([]byte, 1<<20))
	}
	runtime.GC()
	runtime.GC()
	c1 := collectorNow()
	if len(sink) != 64 || c1.cycles < c0.cycles+2 || c1.allocated < c0.allocated+64<<20 || c1.cpu <= 0 {
		t.Fatalf("collector %+v then %+v: want 2 more cycles, 64 MiB more allocated and some CPU", c0, c1)
	}
	got := collector{cycles: 7, allocated: 300 << 20, cpu: 1.5}.since(collector{cycles: 4, allocated: 100 << 20, cpu: 1.25})
	if want := "collector 3 cycles, 0.250s cpu, 200 MiB allocated"; got != want {
		t.Errorf("since = %q, want %q", got, want)
	}
}

// TestTierList: tiers are read in any case, universes included; an unknown tier or one
// given twice is a usage error naming it.
func TestTierList(t *testing.T) {
	got, err := tierList("l, lu750,SU")
	if err != nil || !slices.Equal(got, []string{"L", "LU750", "SU"}) {
		t.Errorf("tierList(l, lu750,SU) = %v, %v; want [L LU750 SU]", got, err)
	}
	for _, bad := range []string{"XXL", "L,l", ""} {
		if _, err := tierList(bad); err == nil || !uerr.Is(err) {
			t.Errorf("tierList(%q): error %v, want a usage error", bad, err)
		}
	}
}

// TestUniverseRatios: a universe is compared with its flat tier of the same backend when
// both were measured, and with nothing else.
func TestUniverseRatios(t *testing.T) {
	if FlatOf("LU750") != "L" || FlatOf("SU") != "S" || FlatOf("L") != "" || FlatOf("nosuch") != "" {
		t.Fatalf("FlatOf: LU750 %q, SU %q, L %q", FlatOf("LU750"), FlatOf("SU"), FlatOf("L"))
	}
	// Flat L: load 1 s for 100 input bytes, mine 4 s for 20 assignments, classify 0.5 s and
	// its output (write 2 s, report 1.5 s: the longer counts) for 20 pairs, 0.5 s besides.
	flat := MineTier{Tier: "L", MedianWall: 8, MedianCPU: 10, InputBytes: 100, Assignments: 20, Pairs: 20,
		Median: map[string]float64{"load": 1, "mine": 4, "classify": 0.5, "write": 2, "report": 1.5}}
	// The universe: twice the bytes, half the assignments, twice the pairs, 1 s expanding.
	uni := MineTier{Tier: "LU750", MedianWall: 12, MedianCPU: 16, InputBytes: 200, Assignments: 10, Pairs: 40,
		Median: map[string]float64{"load": 2.5, "effective": 1, "mine": 2.5, "classify": 1, "write": 3, "report": 4.5}}
	tiers := []MineTier{
		flat,
		{Tier: "L", Backend: "cuda", MedianWall: 3, MedianCPU: 5},
		uni,
		{Tier: "MU", MedianWall: 2, MedianCPU: 3}, // its flat tier M was not measured
	}
	got := universeRatios(tiers)
	// Priced at flat's cost per unit: load 2, mine 2, classify 1, output 4, the rest 0.5,
	// the expansion 1: 10.5 s, 1.3125x flat's 8 s. Measured over that: load 0.5, mine 0.5,
	// classify 0, output 4.5 - 4.
	want := []UniverseRatio{{Universe: "LU750", Flat: "L", Wall: 1.5, CPU: 1.6,
		Parity: Parity{Wall: 10.5, Ratio: 1.3125, Over: map[string]float64{"load": 0.5, "mine": 0.5, "classify": 0, "output": 0.5}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("universeRatios = %+v, want %+v", got, want)
	}
}
