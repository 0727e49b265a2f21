package main

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/rolemine/rolemine/internal/discover"
	"github.com/rolemine/rolemine/internal/pipeline"
)

// cmdDiscover runs `rolemine discover`: bottom-up roles from access patterns
// (docs/semantics.md), written to OUT/discovered.json.
func cmdDiscover(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("discover", stdout)
	var out string
	var exclude multiFlag
	var o discover.RunOptions
	fs.StringVar(&o.Data, "data", "", "data directory (identities, assignments, optionally roles); entitlements are its roles")
	fs.StringVar(&o.UPA, "upa", "", `"user permission" pair file (HP Labs format), instead of --data`)
	fs.StringVar(&out, "out", "", "output directory for discovered.json (replaced atomically)")
	fs.IntVar(&o.MinMembers, "min-members", 0, "approximate mode: fewest identities per role (with --coverage)")
	fs.Float64Var(&o.Coverage, "coverage", 0, "approximate mode: percentage of assignments to cover (with --min-members)")
	fs.IntVar(&o.MaxDimensions, "max-dimensions", 2, "most terms in a role's describing criterion (1 or 2)")
	fs.DurationVar(&o.Budget, "budget", 20*time.Second, "time bound of the exact search, or of the validation of candidate roles in approximate mode with --data")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed of the exact search's tie-breaks")
	fs.Var(&exclude, "exclude-dimension", "attribute never used in criteria (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o.ExcludeDimensions = exclude
	return pipeline.Discover(ctx, o, out, pipeline.Env{Stdout: stdout, Stderr: stderr, Logger: logger})
}
