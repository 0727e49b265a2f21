// Package backend chooses the counting backend for a run (--backend auto|cpu|cuda) and
// checks a device against the CPU before it is used: beside the kernel interface
// (package kernels) and its two implementations, so the command only names the choice.
package backend

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/kernels/cuda"
	"github.com/rolemine/rolemine/internal/uerr"
)

// Select returns the counting backend for --backend auto|cpu|cuda:
//   - cpu: the CPU backend with workers goroutines;
//   - cuda: the CUDA backend, or a user error (exit 2) naming why it cannot run (the
//     driver library is missing, cuInit failed, e.g. CUDA_ERROR_NO_DEVICE, or this build
//     has no embedded PTX);
//   - auto: CUDA when it opens, else the CPU; one info line says which and why.
//
// An opened CUDA backend must first agree with the CPU on a small fixed matrix
// (SelfCheck); if it does not, auto falls back to the CPU with a warning and cuda fails.
//
// A CUDA backend holds device memory and a context: the caller closes it (it implements
// Close() error) when the run ends.
func Select(name string, workers int, logger *slog.Logger) (kernels.Backend, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	switch name {
	case "cpu":
		return cpu.NewWorkers(workers), nil
	case "cuda", "auto":
		b, err := openCUDA(logger)
		if err == nil {
			// The device must agree with the CPU before it counts anything real.
			if cerr := SelfCheck(context.Background(), b); cerr != nil {
				_ = b.Close()
				if name == "cuda" {
					return nil, fmt.Errorf("mine: --backend cuda: %w", cerr)
				}
				logger.Warn("counting backend: cpu (the CUDA backend failed its self-check)", "reason", cerr.Error())
				return cpu.NewWorkers(workers), nil
			}
			logger.Info("counting backend: cuda", "device", b.Device().Name, "requested", name)
			return b, nil
		}
		if name == "cuda" {
			return nil, uerr.New("mine: --backend cuda: no usable GPU: %w", err)
		}
		logger.Info("counting backend: cpu (CUDA unavailable)", "reason", err.Error(), "workers", workers)
		return cpu.NewWorkers(workers), nil
	}
	return nil, uerr.New("mine: --backend %q: expected auto, cpu or cuda", name)
}

// openCUDA checks availability first (cheap: no context), then opens device 0.
func openCUDA(logger *slog.Logger) (*cuda.Backend, error) {
	if ok, reason := cuda.Available(); !ok {
		return nil, unavailable(reason)
	}
	return cuda.New(cuda.Options{Logger: logger})
}

type unavailable string

func (u unavailable) Error() string { return string(u) }
