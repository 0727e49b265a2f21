package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/bench/gen"
	"github.com/rolemine/rolemine/internal/bench/harness"
	"github.com/rolemine/rolemine/internal/uerr"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestBenchCooccur(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := gen.Generate(ctx, gen.Options{Out: dir, Identities: 300, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := cmdBench(ctx, []string{"cooccur", "--data", dir, "--print-dims"}, &out, io.Discard, quiet); err != nil {
		t.Fatal(err)
	}
	if dims := strings.Split(strings.TrimSpace(out.String()), ","); !strings.Contains(out.String(), "kind") || len(dims) < 5 {
		t.Errorf("--print-dims = %q, want a comma list with kind", out.String())
	}
	for _, depth := range []string{"1", "2"} {
		out.Reset()
		if err := cmdBench(ctx, []string{"cooccur", "--data", dir, "--depth", depth, "--workers", "2"}, &out, io.Discard, quiet); err != nil {
			t.Fatal(err)
		}
		r, err := harness.ParseCooccur(&out)
		if err != nil {
			t.Fatal(err)
		}
		if r.Program != "rolemine" || r.Rows == 0 || len(r.Checksum) != 16 || r.Depth != int(depth[0]-'0') {
			t.Errorf("depth %s: result %+v", depth, r)
		}
	}
	// -v prints each step with the load's CPU time and faults; --cpuprofile and --trace
	// write their files.
	prof, tr := filepath.Join(t.TempDir(), "cpu.prof"), filepath.Join(t.TempDir(), "run.trace")
	out.Reset()
	if err := cmdBench(ctx, []string{"cooccur", "--data", dir, "--depth", "2", "-v", "--cpuprofile", prof, "--trace", tr}, &out, io.Discard, quiet); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"  load ", " sys, ", " minor faults; collector ", " MiB allocated)", "  collection ", "  supports ", "  count+hash ", "  after the load: cpu ", " cycles, ", "cooccur program=rolemine depth=2 "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-v printed %q, want a line with %q", out.String(), want)
		}
	}
	for _, f := range []string{prof, tr} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v, want a non-empty file", f, err)
		}
	}
	err := cmdBench(ctx, []string{"cooccur", "--data", dir, "--trace", filepath.Join(t.TempDir(), "no", "such", "dir")}, &out, io.Discard, quiet)
	if !uerr.Is(err) {
		t.Errorf("--trace into a missing directory: error %v, want a user error", err)
	}
}

// TestBenchCooccurDims: the table is the same whether every dimension is read (--dims
// empty) or only the listed ones, on flat inputs (the lean load), inputs with usage and a
// universe (Load).
func TestBenchCooccurDims(t *testing.T) {
	ctx := context.Background()
	for _, o := range []gen.Options{{Identities: 300, Seed: 4}, {Identities: 300, Seed: 5, Usage: true}, {Identities: 300, Seed: 6, Universe: true}} {
		o.Out = t.TempDir()
		if _, err := gen.Generate(ctx, o); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := cmdBench(ctx, []string{"cooccur", "--data", o.Out, "--print-dims"}, &out, io.Discard, quiet); err != nil {
			t.Fatal(err)
		}
		dims := strings.TrimSpace(out.String())
		for _, depth := range []string{"1", "2"} {
			var lines []string
			for _, extra := range [][]string{nil, {"--dims", dims}} {
				out.Reset()
				args := append([]string{"cooccur", "--data", o.Out, "--depth", depth}, extra...)
				if err := cmdBench(ctx, args, &out, io.Discard, quiet); err != nil {
					t.Fatal(err)
				}
				r, err := harness.ParseCooccur(&out)
				if err != nil || r.Rows == 0 {
					t.Fatalf("%v: %+v, %v", args, r, err)
				}
				lines = append(lines, fmt.Sprint(r.Rows, r.Checksum))
			}
			if lines[0] != lines[1] {
				t.Errorf("usage %v universe %v depth %s: every dimension %s, --dims %s", o.Usage, o.Universe, depth, lines[0], lines[1])
			}
		}
		out.Reset()
		if err := cmdBench(ctx, []string{"cooccur", "--data", o.Out, "--dims", "kind,nosuch"}, &out, io.Discard, quiet); err == nil || !uerr.Is(err) {
			t.Errorf("universe %v: --dims with an unknown attribute: error %v, want a user error", o.Universe, err)
		}
	}
}

func TestBenchMine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and mines tier S")
	}
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := harness.MineBench(context.Background(), harness.MineOptions{Bin: bin, Tiers: []string{"S"}, Runs: 1, Dir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	tr := rep.Tiers[0]
	if tr.Assignments == 0 || tr.Identities != 10000 || tr.MedianWall <= 0 || tr.MedianCPU <= 0 || tr.PerSecond <= 0 {
		t.Errorf("tier S: %+v", tr)
	}
	for _, p := range []string{"load", "mine", "classify", "write"} {
		if tr.Median[p] <= 0 {
			t.Errorf("phase %s: median %v, want > 0", p, tr.Median[p])
		}
	}
	if runtime.GOOS == "linux" && tr.PeakRSS < 1<<20 {
		t.Errorf("peak RSS %d bytes: not measured", tr.PeakRSS)
	}
}

// TestBenchUniverseAgainstFlat benchmarks tier S and its universe SU together: the runs
// take turns (S, SU, S, SU), the universe reports its effective phase, and the report and
// the table compare it with flat S, also at flat S's cost per unit.
func TestBenchUniverseAgainstFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, generates the tier S universe and mines four times")
	}
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	rep, err := harness.MineBench(context.Background(), harness.MineOptions{Bin: bin, Tiers: []string{"S", "SU"}, Runs: 2, Dir: t.TempDir(), Logger: quiet,
		Progress: func(tier, _ string, _ int, _ bool, _ harness.MineRun) { order = append(order, tier) }})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"S", "SU", "S", "SU"}; !slices.Equal(order, want) {
		t.Errorf("runs in order %v, want %v (the tiers taking turns)", order, want)
	}
	if len(rep.Tiers) != 2 || rep.Tiers[1].Tier != "SU" || rep.Tiers[1].Median["effective"] <= 0 || rep.Tiers[0].Median["effective"] != 0 {
		t.Fatalf("tiers %+v: want S without and SU with an effective phase", rep.Tiers)
	}
	if len(rep.Universes) != 1 || rep.Universes[0].Universe != "SU" || rep.Universes[0].Flat != "S" || rep.Universes[0].Wall <= 0 || rep.Universes[0].CPU <= 0 {
		t.Fatalf("universes %+v: want SU against S", rep.Universes)
	}
	// Flat S writes its assignments; the universe its effective pairs, inherited ones too.
	s, su := rep.Tiers[0], rep.Tiers[1]
	if s.Pairs != s.Assignments || su.Pairs <= su.Assignments || s.InputBytes <= 0 || su.InputBytes <= s.InputBytes {
		t.Errorf("S: %d pairs, %d assignments, %d input bytes; SU: %d, %d, %d: want flat pairs = assignments, more pairs than assignments and more input in the universe",
			s.Pairs, s.Assignments, s.InputBytes, su.Pairs, su.Assignments, su.InputBytes)
	}
	if p := rep.Universes[0].Parity; p.Wall <= su.Median["effective"] || p.Ratio <= 0 || len(p.Over) != 4 {
		t.Errorf("parity %+v: want a price above the expansion's %.3f s and four phases", p, su.Median["effective"])
	}
	var out bytes.Buffer
	harness.PrintMineBench(&out, rep, 2)
	for _, line := range []string{fmt.Sprintf("SU against S, same run: wall %.2fx", rep.Universes[0].Wall),
		fmt.Sprintf("SU at S's cost per unit (input bytes, assignments mined, pairs written): %.2f s, %.2fx", rep.Universes[0].Parity.Wall, rep.Universes[0].Parity.Ratio)} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("table lacks %q:\n%s", line, out.String())
		}
	}
}

// TestBenchBaseline benchmarks the built binary on tier S against a baseline twice:
// the same binary (every output identical, ratios reported) and a wrapper that appends a
// byte to rules.json (the comparison names the file). The harness runs the binary, not
// cmdBench: inside the test, os.Executable is the test binary.
func TestBenchBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and mines tier S four times")
	}
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx := context.Background()
	rep, err := harness.MineBench(ctx, harness.MineOptions{Bin: bin, Baseline: bin, Tiers: []string{"S"}, Runs: 1, Dir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	tr := rep.Tiers[0]
	if tr.Baseline == nil || len(tr.Baseline.Runs) != 1 || len(tr.Runs) != 1 || tr.Ratio["wall"] <= 0 || tr.Ratio["cpu"] <= 0 || tr.Ratio["mine"] <= 0 {
		t.Fatalf("tier S against itself: %+v", tr)
	}
	files := map[string]bool{}
	for _, c := range tr.Outputs {
		files[c.File] = c.Identical
	}
	for _, f := range []string{"rules.json", "rules.xml", "roles.json", "assignments.parquet", "review.csv", "suggestions.parquet", "suggestions.csv"} {
		if same, ok := files[f]; !ok || !same {
			t.Errorf("%s: compared %v, identical %v; want identical", f, ok, same)
		}
	}
	if _, ok := files["summary.json"]; ok {
		t.Error("summary.json (phase times) was compared")
	}

	wrapper := filepath.Join(dir, "altered.sh")
	script := "#!/bin/sh\nset -e\n'" + bin + "' \"$@\"\nwhile [ $# -gt 0 ]; do if [ \"$1\" = --out ]; then echo >> \"$2/rules.json\"; fi; shift; done\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	rep, err = harness.MineBench(ctx, harness.MineOptions{Bin: bin, Baseline: wrapper, Tiers: []string{"S"}, Runs: 1, Dir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	harness.PrintMineBench(&out, rep, 1)
	if !strings.Contains(out.String(), "outputs DIFFERENT: rules.json") || !strings.Contains(out.String(), "new/base") {
		t.Errorf("altered baseline: table lacks the difference or the ratios:\n%s", out.String())
	}
}

func TestBenchDoc(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mine := write("mine.json", harness.MineReport{Tiers: []harness.MineTier{{Tier: "M", Assignments: 10, MedianWall: 1, Median: map[string]float64{"load": 0.25}}}})
	p1 := write("p1.json", harness.PeerReport{Peer: "duckdb", Cases: []harness.PeerCase{{Tier: "M", Depth: 1, Rows: 7, Equal: true, Ratio: 6}}})
	p2 := write("p2.json", harness.PeerReport{Peer: "duckdb", Cases: []harness.PeerCase{{Tier: "L", Depth: 2, Rows: 8, Equal: true, Ratio: 3}}})
	doc := filepath.Join(dir, "BENCHMARKS.md")
	other := "# Benchmarks\n\n## Discovery\n\nkept as is\n"
	if err := os.WriteFile(doc, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmdBench(context.Background(), []string{"doc", "--mine", mine, "--peers", p1 + "," + p2, "--file", doc}, io.Discard, io.Discard, quiet); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{other, harness.SectionTitle, "| M | 1 | 7 | yes |", "| L | 2 | 8 | yes |", "| M | 0 | 0 | 10 | 0 | 0.25 |"} {
		if !strings.Contains(got, want) {
			t.Errorf("BENCHMARKS.md lacks %q:\n%s", want, got)
		}
	}
}

func TestBenchUsageErrors(t *testing.T) {
	tests := [][]string{
		{"--tiers", "Q"},
		{"--runs", "0"},
		{"--warm-memory", "-1"},
		{"--baseline", "/nonexistent/rolemine"},
		{"--bogus"},
		{"cooccur"},
		{"cooccur", "--data", "x", "--depth", "3"},
		{"peers"},
		{"peers", "--duckdb", "d", "--depths", "4"},
		{"doc"},
		{"doc", "--mine", "/nonexistent/mine.json"},
	}
	for _, args := range tests {
		err := cmdBench(context.Background(), args, io.Discard, io.Discard, quiet)
		if err == nil || !uerr.Is(err) {
			t.Errorf("%v: error %v, want a user error (exit 2)", args, err)
		}
	}
}
