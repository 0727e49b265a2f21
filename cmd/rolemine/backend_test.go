package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels/backend"
	"github.com/rolemine/rolemine/internal/kernels/cuda"
	"github.com/rolemine/rolemine/internal/uerr"
)

// TestSelectBackendCUDA checks --backend on this machine: cpu is the CPU; auto is CUDA
// when a device is usable and otherwise the CPU with one info line giving the reason;
// cuda without a device is a user error naming the reason.
func TestSelectBackendCUDA(t *testing.T) {
	ok, reason := cuda.Available()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))

	b, err := backend.Select("cpu", 2, logger)
	if err != nil || b.Name() != "cpu" {
		t.Fatalf("cpu: %v, %v", b, err)
	}
	b, err = backend.Select("auto", 2, logger)
	if err != nil {
		t.Fatalf("auto: %v", err)
	}
	want := "cpu"
	if ok {
		want = "cuda"
	}
	if b.Name() != want {
		t.Fatalf("auto chose %s, want %s (Available: %v, %s)", b.Name(), want, ok, reason)
	}
	if c, isCUDA := b.(*cuda.Backend); isCUDA {
		_ = c.Close()
	}
	if !ok && (strings.Count(logs.String(), "\n") != 1 || !strings.Contains(logs.String(), "CUDA unavailable") ||
		!strings.Contains(logs.String(), reason)) {
		t.Fatalf("auto without CUDA logged %q, want one line with the reason %q", logs.String(), reason)
	}
	b, err = backend.Select("cuda", 2, logger)
	if ok {
		if err != nil || b.Name() != "cuda" {
			t.Fatalf("cuda on a GPU node: %v, %v", b, err)
		}
		_ = b.(*cuda.Backend).Close()
	} else if err == nil || !uerr.Is(err) || !strings.Contains(err.Error(), reason) {
		t.Fatalf("cuda without a GPU: %v, want a user error containing %q", err, reason)
	}
	if _, err := backend.Select("gpu", 2, logger); err == nil || !uerr.Is(err) {
		t.Fatalf("unknown backend: %v", err)
	}
}

// TestCUDAOutputsIdentical: on a GPU node, `mine --backend cuda` writes the same bytes as
// `--backend cpu` on tier S. Skipped without a usable GPU.
func TestCUDAOutputsIdentical(t *testing.T) {
	if ok, reason := cuda.Available(); !ok {
		t.Skipf("no usable CUDA device (%s)", reason)
	}
	data := generated(t, "S")
	outs := map[string]string{}
	for _, be := range []string{"cpu", "cuda"} {
		out := t.TempDir()
		if _, stderr, code := runBin(t, "mine", "--data", data, "--out", out, "--backend", be); code != 0 {
			t.Fatalf("--backend %s: exit %d: %s", be, code, stderr)
		}
		outs[be] = out
	}
	for _, f := range []string{"rules.json", "rules.xml", "rules.parquet", "roles.json", "assignments.parquet", "suggestions.parquet"} {
		a, err := os.ReadFile(filepath.Join(outs["cpu"], f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(outs["cuda"], f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between --backend cpu and --backend cuda", f)
		}
	}
}
