package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
)

// TestExplainAndReportCommands mines the worked enterprise of internal/report/testdata/explain,
// then answers explain from the model files and regenerates report.html, which must equal
// the one mine wrote.
func TestExplainAndReportCommands(t *testing.T) {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	data := "../../internal/report/testdata/explain/data"
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := cmdMine(ctx, []string{"--data", data, "--config", "../../internal/report/testdata/explain/mining.xml", "--out", out}, &stdout, &stderr, logger); err != nil {
		t.Fatalf("mine: %v\n%s", err, stderr.String())
	}
	for _, f := range []string{"report.html", "review.csv", "suggestions.csv"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("mine did not write %s: %v", f, err)
		}
	}
	mined, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--identity", "u10"}, []string{"MIX   explained", "PREC  unexplained  nearest rule", "this identity has dept=Eng, title=Ops"}},
		{[]string{"--identity", "u06"}, []string{"suggestions (roles the model would grant, not held): 1", "ALM  by rule"}},
		{[]string{"--identity", "x99"}, []string{"ORPHAN"}},
		{[]string{"--identity", "u10", "--json"}, []string{`"status": "unexplained"`, `"want": "Sales"`}},
	} {
		stdout.Reset()
		args := append([]string{"--data", data, "--model", out}, tc.args...)
		if err := cmdExplain(ctx, args, &stdout, &stderr, logger); err != nil {
			t.Fatalf("explain %v: %v", tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(stdout.String(), w) {
				t.Errorf("explain %v: output lacks %q:\n%s", tc.args, w, stdout.String())
			}
		}
	}
	for _, args := range [][]string{
		{"--data", data, "--model", out, "--identity", "nobody"},
		{"--data", data, "--model", t.TempDir(), "--identity", "u10"},
		{"--data", data, "--model", out},
	} {
		if err := cmdExplain(ctx, args, io.Discard, io.Discard, logger); err == nil || !uerr.Is(err) {
			t.Errorf("explain %v = %v, want a user error (exit 2)", args, err)
		}
	}

	os.Remove(filepath.Join(out, "report.html"))
	if err := cmdReport(ctx, []string{"--data", data, "--model", out}, io.Discard, &stderr, logger); err != nil {
		t.Fatalf("report: %v", err)
	}
	regen, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mined, regen) {
		t.Error("report.html regenerated from the model files differs from the one mine wrote")
	}
	if err := cmdReport(ctx, []string{"--data", data}, io.Discard, io.Discard, logger); err == nil || !uerr.Is(err) {
		t.Errorf("report without --model = %v, want a user error", err)
	}
}
