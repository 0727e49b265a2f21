package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/rolemine/rolemine/internal/bench/gen"
	"github.com/rolemine/rolemine/internal/pipeline"
)

// cmdGen runs `rolemine gen`: a synthetic enterprise with planted truth, or the next
// snapshot of one (--evolve).
func cmdGen(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("gen", stdout)
	var g gen.Options
	fs.StringVar(&g.Out, "out", "", "output directory for identities, roles, assignments and truth/")
	fs.StringVar(&g.Tier, "tier", "S", "size tier: S (10k identities), M (100k), L (1M), XL (5M)")
	fs.IntVar(&g.Identities, "identities", 0, "number of identities (default: the tier's)")
	fs.IntVar(&g.Roles, "roles", 0, "number of roles (default: the tier's)")
	fs.Uint64Var(&g.Seed, "seed", 1, "random seed (same seed, same files)")
	fs.StringVar(&g.Format, "format", "parquet", "file format: parquet or csv")
	fs.BoolVar(&g.DivisionRoles, "division-roles", false, "add one role per division (a group of departments), and truth/orgtree.json, the orgtree plugin's team -> department -> division map")
	fs.BoolVar(&g.TitleFamilyRoles, "title-family-roles", false, "add one role per title family (\"X\" and \"Senior X\"), granted on both titles (see the titlefamily plugin)")
	fs.Float64Var(&g.UnlabelledNHI, "nhi-unlabelled", 0, "percentage of non-human identities written without application and environment (only their names tell; see the nhiname plugin)")
	fs.BoolVar(&g.Universe, "universe", false, "write an effective-privilege universe: accounts in several systems (some uncorrelated), nested groups (a broad group nested into privileged roles), multi-valued project membership, owners of non-human identities, with truth/universe.json and truth/hidden.csv")
	fs.BoolVar(&g.Usage, "usage", false, "plant usage (assignments.last_used: unused access on non-human identities, movers' stale access and dormant identities; one system without usage data) and owners of non-human identities (identities.owner_id, with missing owners), with truth/usage.json, unused.csv, owners.csv and overprivileged.csv; --evolve of such data plants them again, keeping owners")
	ev := gen.DefaultEvolveOptions()
	fs.StringVar(&ev.From, "evolve", "", "write the next snapshot of the enterprise in this directory (a rolemine gen output) instead of a new one")
	fs.Float64Var(&ev.Movers, "movers", ev.Movers, "--evolve: percentage of humans who change department or team")
	fs.Float64Var(&ev.Joiners, "joiners", ev.Joiners, "--evolve: new humans, as a percentage of humans")
	fs.Float64Var(&ev.Leavers, "leavers", ev.Leavers, "--evolve: percentage of humans who leave")
	fs.Float64Var(&ev.Repurposed, "nhi-repurposed", ev.Repurposed, "--evolve: percentage of non-human identities moved to another application")
	fs.Float64Var(&ev.Retired, "nhi-retired", ev.Retired, "--evolve: percentage of non-human identities retired")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o := pipeline.GenOptions{Gen: g, Evolve: ev, Given: map[string]bool{}}
	fs.Visit(func(f *flag.Flag) { o.Given[f.Name] = true })
	return pipeline.Gen(ctx, o, pipeline.Env{Stdout: stdout, Stderr: stderr, Logger: logger})
}
