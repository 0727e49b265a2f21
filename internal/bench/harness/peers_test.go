//go:build unix

package harness

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
)

// fakeProgram writes a shell script that prints --print-dims' line when asked, else
// spins a little (so that its CPU time is not zero) and prints a result line of program
// name and the given seconds.
func fakeProgram(t *testing.T, dir, name, seconds string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	script := `#!/bin/sh
for a in "$@"; do [ "$a" = --print-dims ] && { echo a,b; exit 0; }; done
i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done
echo "cooccur program=` + name + ` depth=2 rows=7 checksum=00000000000000ab seconds=` + seconds + ` peak_rss_mib=1"
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPeerBenchCPU checks that every run carries its process's CPU seconds and that each
// case has their medians and the peer / rolemine ratio of them beside the wall figures.
func TestPeerBenchCPU(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data", "T"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "T", "assignments.parquet"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := PeerBench(context.Background(), PeerOptions{Rolemine: fakeProgram(t, dir, "rolemine", "1.000"),
		Peer: fakeProgram(t, dir, "duckdb", "4.000"), PeerName: "duckdb", Tiers: []string{"T"}, Depths: []int{2}, Runs: 3,
		Dir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Cases[0]
	if !c.Equal || c.Ratio != 4 {
		t.Fatalf("equal %v ratio %v, expected true and 4", c.Equal, c.Ratio)
	}
	var rc, pc []float64
	for k := range 3 {
		rc, pc = append(rc, c.Rolemine[k].CPUSeconds), append(pc, c.Peer[k].CPUSeconds)
		if rc[k] <= 0 || pc[k] <= 0 {
			t.Fatalf("run %d: cpu seconds %v and %v, expected both above 0", k, rc[k], pc[k])
		}
	}
	if c.RolemineCPUSeconds != Median(rc) || c.PeerCPUSeconds != Median(pc) {
		t.Errorf("cpu medians %v, %v; expected %v, %v", c.RolemineCPUSeconds, c.PeerCPUSeconds, Median(rc), Median(pc))
	}
	if c.CPURatio != c.PeerCPUSeconds/c.RolemineCPUSeconds {
		t.Errorf("cpu ratio %v, expected %v", c.CPURatio, c.PeerCPUSeconds/c.RolemineCPUSeconds)
	}
}

func TestSummarize(t *testing.T) {
	sec, cpu, peak := summarize([]CooccurResult{{Seconds: 1, CPUSeconds: 3, PeakRSS: 5}, {Seconds: 3, CPUSeconds: 1, PeakRSS: 9}, {Seconds: 2, CPUSeconds: 2, PeakRSS: 7}})
	if sec != 2 || cpu != 2 || peak != 9 {
		t.Fatalf("summarize: %v s, %v cpu s, peak %v; expected 2, 2, 9", sec, cpu, peak)
	}
}

// TestCommandsRefuseMissingBinaries: a --baseline or --duckdb that is not an executable
// file is a usage error before any run (bench peers ran rolemine's side first and then
// failed with exit 1 on the peer).
func TestCommandsRefuseMissingBinaries(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "peer")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, path := range []string{filepath.Join(dir, "missing"), dir, notExec} {
		err := RunPeersCommand(ctx, PeersCommand{Peer: path, Tiers: "S", Depths: "1", Runs: 1, Dir: dir}, io.Discard, io.Discard, slog.New(slog.DiscardHandler))
		if !uerr.Is(err) || !strings.Contains(err.Error(), "--duckdb "+path+": expected an executable peer binary") {
			t.Errorf("bench peers --duckdb %s: err = %v, want a usage error naming it", path, err)
		}
		err = RunMineCommand(ctx, MineCommand{Tiers: "S", Runs: 1, Dir: dir, Baseline: path}, io.Discard, io.Discard, slog.New(slog.DiscardHandler))
		if !uerr.Is(err) || !strings.Contains(err.Error(), "--baseline "+path+": expected an executable rolemine binary") {
			t.Errorf("bench --baseline %s: err = %v, want a usage error naming it", path, err)
		}
	}
}
