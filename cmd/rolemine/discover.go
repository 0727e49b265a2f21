package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/rolemine/rolemine/internal/discover"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/uerr"
)

// cmdDiscover runs `rolemine discover`: bottom-up roles from access patterns
// (docs/semantics.md), written to OUT/discovered.json.
func cmdDiscover(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("discover", stderr)
	var out string
	var exclude multiFlag
	o := discover.RunOptions{Logger: logger}
	fs.StringVar(&o.Data, "data", "", "data directory (identities, assignments, optionally roles); entitlements are its roles")
	fs.StringVar(&o.UPA, "upa", "", `"user permission" pair file (HP Labs format), instead of --data`)
	fs.StringVar(&out, "out", "", "output directory for discovered.json (replaced atomically)")
	fs.IntVar(&o.MinMembers, "min-members", 0, "approximate mode: fewest identities per role (with --coverage)")
	fs.Float64Var(&o.Coverage, "coverage", 0, "approximate mode: percentage of assignments to cover (with --min-members)")
	fs.IntVar(&o.MaxDimensions, "max-dimensions", 2, "most terms in a role's describing criterion (1 or 2)")
	fs.DurationVar(&o.Budget, "budget", 20*time.Second, "exact mode: time spent improving the cover")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed of the exact search's tie-breaks")
	fs.Var(&exclude, "exclude-dimension", "attribute never used in criteria (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if out == "" || (o.Data == "") == (o.UPA == "") {
		return uerr.New("discover: --out and exactly one of --data or --upa are required")
	}
	if err := checkOutDir("discover", "out", out, "data", o.Data); err != nil {
		return err
	}
	o.ExcludeDimensions = exclude
	res, err := discover.Run(ctx, o)
	if err != nil {
		return err
	}
	if res.Snap != nil {
		res.Doc.DataFingerprint = report.DataFingerprint(res.Snap.Inputs)
	}
	if err := discover.Write(out, res.Doc); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	abs, _ := filepath.Abs(filepath.Join(out, discover.FileName))
	res.Print(stdout, abs)
	return nil
}
