package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/bench/gen"
	"github.com/rolemine/rolemine/internal/crashpoint"
)

// killPoints are the named points of a mine run at which TestKillNine kills it: after each
// phase, while staging files, and at every step of the commit.
var killPoints = []string{
	"mine:loaded", "mine:mined", "mine:classified",
	"outdir:begin",
	"outdir:create:rules.json", "outdir:create:assignments.parquet", "outdir:create:report.html", "outdir:create:churn.json",
	"outdir:finished:rules.json", "outdir:finished:assignments.parquet", "outdir:finished:churn.json",
	"outdir:staged", "outdir:linked", "outdir:flip-linked", "outdir:committed",
}

// killData is the data TestKillNine runs on: the 3,000-identity enterprise, or the tier
// named by ROLEMINE_KILLTEST_TIER (scripts/killtest.sh runs tier M).
func killData(t *testing.T) string {
	tier := os.Getenv("ROLEMINE_KILLTEST_TIER")
	if tier == "" {
		return small(t)
	}
	dir := filepath.Join(os.TempDir(), "rolemine-killtest-"+tier)
	if _, err := os.Stat(filepath.Join(dir, "truth")); err != nil {
		if _, err := gen.Generate(context.Background(), gen.Options{Out: dir, Tier: tier, Seed: 1}); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// previousSet runs mine on data into a new directory (a run that must succeed) and returns
// the directory with its output set, the set a failed run must leave whole.
func previousSet(t *testing.T, data string) (string, map[string]string) {
	t.Helper()
	ref := t.TempDir()
	if _, stderr, code := runBin(t, "mine", "--data", data, "--out", ref); code != 0 {
		t.Fatalf("the previous run: exit %d, want 0: %s", code, stderr)
	}
	return ref, oneSet(t, ref)
}

// oneSet asserts that out holds exactly one complete, clean set (the lock, .current, one
// set, and a link per file) and returns the hashes of its files.
func oneSet(t *testing.T, out string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		n := e.Name()
		switch {
		case n == ".rolemine.lock" || n == ".current" || n == ".sets":
		case strings.HasPrefix(n, "."):
			t.Errorf("stale entry %s in %s", n, out)
		default:
			if target, err := os.Readlink(filepath.Join(out, n)); err != nil || target != ".current/"+n {
				t.Errorf("%s: not a link into .current (%q, %v)", n, target, err)
			}
		}
	}
	if sets, _ := os.ReadDir(filepath.Join(out, ".sets")); len(sets) != 1 {
		t.Errorf("%s/.sets holds %d sets, want 1", out, len(sets))
	}
	return dirHashes(t, out)
}

// sameSet reports whether got is the set want, summary.json aside (it records times);
// summary.json must be present and name the same configuration (the runs differ by it).
func sameSet(t *testing.T, got, want map[string]string, gotDir, wantDir string) bool {
	for n := range want {
		if _, ok := got[n]; !ok {
			return false
		}
	}
	for n, h := range got {
		if n != "summary.json" && want[n] != h {
			return false
		}
	}
	config := func(dir string) string {
		var s struct {
			Config string `json:"config"`
		}
		b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
		if err != nil || json.Unmarshal(b, &s) != nil {
			return "?"
		}
		return s.Config
	}
	return config(gotDir) == config(wantDir)
}

// TestKillNine kills `rolemine mine` with SIGKILL at each named point of a run (and at
// times spread over it) over a directory holding a previous set: afterwards the directory
// holds exactly one complete set, the previous one or the new one, and the next run
// starts clean and commits.
func TestKillNine(t *testing.T) {
	data := killData(t)
	cfgOld := filepath.Join(t.TempDir(), "old.xml")
	os.WriteFile(cfgOld, []byte(`<MiningRule PrecisionMinPercentage="60" MaxDimensions="1"/>`), 0o644)
	cfgNew := "../../examples/mining.xml"
	if os.Getenv("ROLEMINE_KILLTEST_TIER") != "" {
		// On a whole tier, mining the non-human identities only keeps each run to seconds
		// while every file stays full size (assignments, review.csv): the kills land in
		// loading and writing, and at the named points of mining.
		os.WriteFile(cfgOld, []byte(`<MiningRule EntityType="nhi" PrecisionMinPercentage="60" MaxDimensions="1"/>`), 0o644)
		cfgNew = filepath.Join(t.TempDir(), "new.xml")
		os.WriteFile(cfgNew, []byte(`<MiningRule EntityType="nhi" MaxDimensions="1"/>`), 0o644)
	}
	oldArgs := []string{"mine", "--data", data, "--config", cfgOld}
	newArgs := []string{"mine", "--data", data, "--config", cfgNew}
	refOld, refNew := t.TempDir(), t.TempDir()
	var runTime time.Duration
	for _, r := range []struct {
		dir  string
		args []string
	}{{refOld, oldArgs}, {refNew, newArgs}} {
		start := time.Now() // the second run's time: the first includes building the binary
		if _, stderr, code := runBin(t, append(r.args, "--out", r.dir)...); code != 0 {
			t.Fatalf("reference run: exit %d: %s", code, stderr)
		}
		runTime = time.Since(start)
	}
	oldSet, newSet := oneSet(t, refOld), oneSet(t, refNew)
	if sameSet(t, oldSet, newSet, refOld, refNew) {
		t.Fatal("the two configurations give the same outputs: the test could not tell them apart")
	}
	type point struct {
		name  string
		after time.Duration // > 0: kill after this long instead of at a named point
	}
	var points []point
	for _, p := range killPoints {
		points = append(points, point{name: p})
	}
	for _, f := range []float64{0.1, 0.3, 0.5, 0.7, 0.9} {
		points = append(points, point{name: fmt.Sprintf("after %.0f%% of a run", 100*f), after: time.Duration(f * float64(runTime))})
	}
	outcomes := map[string]int{}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			// The previous set: a copy of the reference run (links kept).
			out := t.TempDir()
			if b, err := exec.Command("cp", "-a", refOld+"/.", out).CombinedOutput(); err != nil {
				t.Fatalf("copy the previous set: %v: %s", err, b)
			}
			killed := killRun(t, append(newArgs, "--out", out), p.name, p.after)
			got := dirHashes(t, out) // what a reader sees right after the kill
			switch {
			case sameSet(t, got, oldSet, out, refOld):
				outcomes[fmt.Sprintf("killed=%v old", killed)]++
			case sameSet(t, got, newSet, out, refNew):
				outcomes[fmt.Sprintf("killed=%v new", killed)]++
			default:
				t.Fatalf("after a kill at %s the directory holds neither the old set nor the new one", p.name)
			}
			if p.after == 0 && !killed {
				t.Fatalf("the run was not killed at %s: the point is never reached", p.name)
			}
			if _, stderr, code := runBin(t, append(newArgs, "--out", out)...); code != 0 {
				t.Fatalf("the run after the kill: exit %d: %s", code, stderr)
			}
			if got := oneSet(t, out); !sameSet(t, got, newSet, out, refNew) {
				t.Fatal("the run after the kill did not commit the new set")
			}
		})
	}
	t.Logf("%d kill points on %s (a run takes %v): %v", len(points), data, runTime.Round(time.Millisecond), outcomes)
}

// killRun runs the binary with args and kills it with SIGKILL at the named point
// (crashpoint) or after the given time; it reports whether the process died of SIGKILL.
func killRun(t *testing.T, args []string, point string, after time.Duration) bool {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	if after == 0 {
		cmd.Env = append(os.Environ(), crashpoint.Env+"="+point)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if after > 0 {
		timer := time.AfterFunc(after, func() { cmd.Process.Kill() })
		defer timer.Stop()
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
		t.Fatalf("run ended with %v, not SIGKILL", err)
	}
	return false
}

// TestFullDisk runs mine over a previous set with a file size limit (RLIMIT_FSIZE, as a
// full disk would stop it): the run fails naming the file, the previous set stays whole,
// and the next run starts clean.
func TestFullDisk(t *testing.T) {
	data := small(t)
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, stderr, code := runBin(t, "mine", "--data", data, "--out", out, "--precision", "60"); code != 0 {
		t.Fatalf("previous run: exit %d: %s", code, stderr)
	}
	before := oneSet(t, out)
	for _, blocks := range []string{"0", "8", "64", "200"} {
		cmd := exec.Command("sh", "-c", `ulimit -f "$0" && exec "$@"`, blocks, bin, "mine", "--data", data, "--out", out)
		b, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("ulimit -f %s: the run succeeded; the limit no longer stops it", blocks)
		}
		if !strings.Contains(string(b), "file too large") {
			t.Errorf("ulimit -f %s: %v: %s", blocks, err, b)
		}
		if got := dirHashes(t, out); !equalMaps(got, before) {
			t.Fatalf("ulimit -f %s: the previous outputs changed", blocks)
		}
	}
	if _, stderr, code := runBin(t, "mine", "--data", data, "--out", out); code != 0 {
		t.Fatalf("the run after: exit %d: %s", code, stderr)
	}
	oneSet(t, out)
}

// TestSIGTERM interrupts mine with SIGTERM in loading and in writing: the run exits 1
// saying it was interrupted by the signal, and the previous output set is left whole.
func TestSIGTERM(t *testing.T) {
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	data := small(t)
	ref, prev := previousSet(t, data)
	for _, point := range []string{"mine:loaded", "outdir:create:rules.json"} {
		out := copySet(t, ref)
		stderr := mineExits1(t, bin, data, out, crashpoint.TermPrefix+point)
		if want := "rolemine: interrupted (terminated signal received)\n"; stderr != want {
			t.Errorf("SIGTERM at %s: stderr %q, want %q", point, stderr, want)
		}
		if got := oneSet(t, out); !sameSet(t, got, prev, out, ref) {
			t.Errorf("SIGTERM at %s changed the previous output set", point)
		}
	}
}

// TestSecondSignalEndsRun: a run that has not yet noticed a first SIGTERM (here one kept
// busy in writing) ends at once on a second, killed by the signal as a crash would be;
// the previous output set is left whole and the next run starts clean.
func TestSecondSignalEndsRun(t *testing.T) {
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	data := small(t)
	ref, prev := previousSet(t, data)
	out := copySet(t, ref)
	cmd := exec.Command(bin, "mine", "--data", data, "--out", out, "--precision", "60")
	cmd.Env = append(os.Environ(), crashpoint.Env+"="+crashpoint.Term2Prefix+"outdir:create:rules.json")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	err = cmd.Wait()
	var ee *exec.ExitError
	ws, ok := syscall.WaitStatus(0), false
	if errors.As(err, &ee) {
		ws, ok = ee.Sys().(syscall.WaitStatus)
	}
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("second SIGTERM: the run ended with %v, want killed by SIGTERM", err)
	}
	if got := dirHashes(t, out); !equalMaps(got, prev) {
		t.Error("second SIGTERM: the previous outputs changed")
	}
	if _, stderr, code := runBin(t, "mine", "--data", data, "--out", out); code != 0 {
		t.Fatalf("the run after: exit %d: %s", code, stderr)
	}
	oneSet(t, out)
}

// TestSIGTERMDriftDiscover: drift and discover, sent SIGTERM while their output set is
// being written, exit 1 saying so and leave the previous set byte for byte (found by the
// audit: both committed the new set and exited 0).
func TestSIGTERMDriftDiscover(t *testing.T) {
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	data, model := small(t), t.TempDir()
	if _, stderr, code := runBin(t, "mine", "--data", data, "--out", model); code != 0 {
		t.Fatalf("mine: exit %d: %s", code, stderr)
	}
	for _, tc := range []struct {
		name      string
		ref, next []string // the previous run, and the interrupted one (different outputs)
	}{
		{"drift", []string{"drift", "--model", model, "--data", data}, []string{"drift", "--model", model, "--data", data, "--previous-data", data}},
		{"discover", []string{"discover", "--data", data, "--min-members", "3", "--coverage", "50"}, []string{"discover", "--data", data, "--min-members", "3", "--coverage", "60"}},
	} {
		ref, out := t.TempDir(), t.TempDir()
		if _, stderr, code := runBin(t, append(tc.ref, "--out", ref)...); code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.name, code, stderr)
		}
		prev := oneSet(t, ref)
		if b, err := exec.Command("cp", "-a", ref+"/.", out).CombinedOutput(); err != nil {
			t.Fatalf("copy the previous set: %v: %s", err, b)
		}
		cmd := exec.Command(bin, append(tc.next, "--out", out)...)
		cmd.Env = append(os.Environ(), crashpoint.Env+"="+crashpoint.TermPrefix+"outdir:begin")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "interrupted (terminated signal received)") {
			t.Errorf("%s: SIGTERM while writing: %v, stderr %q; want exit 1, interrupted", tc.name, err, stderr.String())
		}
		if got := oneSet(t, out); !equalMaps(got, prev) {
			t.Errorf("%s: SIGTERM while writing changed the previous output set", tc.name)
		}
	}
}
