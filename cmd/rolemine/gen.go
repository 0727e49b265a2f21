package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/rolemine/rolemine/bench/gen"
	"github.com/rolemine/rolemine/internal/uerr"
)

func cmdGen(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("gen", stderr)
	var o gen.Options
	fs.StringVar(&o.Out, "out", "", "output directory for identities, roles, assignments and truth/")
	fs.StringVar(&o.Tier, "tier", "S", "size tier: S (10k identities), M (100k), L (1M), XL (5M)")
	fs.IntVar(&o.Identities, "identities", 0, "number of identities (default: the tier's)")
	fs.IntVar(&o.Roles, "roles", 0, "number of roles (default: the tier's)")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed (same seed, same files)")
	fs.StringVar(&o.Format, "format", "parquet", "file format: parquet or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Out == "" {
		return uerr.New("gen: --out is required")
	}
	o.Logger = logger
	st, err := gen.Generate(ctx, o)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(o.Out)
	fmt.Fprintf(stdout, "generated %s: %+v\n", abs, *st)
	return nil
}
