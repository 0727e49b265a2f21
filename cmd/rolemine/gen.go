package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/rolemine/rolemine/internal/bench/gen"
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
	fs.BoolVar(&o.DivisionRoles, "division-roles", false, "add one role per division (a group of departments), and truth/orgtree.json, the orgtree plugin's team -> department -> division map")
	fs.BoolVar(&o.TitleFamilyRoles, "title-family-roles", false, "add one role per title family (\"X\" and \"Senior X\"), granted on both titles (see the titlefamily plugin)")
	fs.Float64Var(&o.UnlabelledNHI, "nhi-unlabelled", 0, "percentage of non-human identities written without application and environment (only their names tell; see the nhiname plugin)")
	fs.BoolVar(&o.Universe, "universe", false, "write an effective-privilege universe: accounts in several systems (some uncorrelated), nested groups (a broad group nested into privileged roles), multi-valued project membership, owners of non-human identities, with truth/universe.json and truth/hidden.csv")
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
	if o.Out == "" {
		return uerr.New("gen: --out is required")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if ev.From == "" {
		for _, name := range []string{"movers", "joiners", "leavers", "nhi-repurposed", "nhi-retired"} {
			if set[name] {
				return uerr.New("gen: --%s applies to --evolve only", name)
			}
		}
	} else {
		for _, name := range []string{"tier", "identities", "roles", "format"} {
			if set[name] {
				return uerr.New("gen: --%s cannot be combined with --evolve (the next snapshot keeps FROM's sizes and format)", name)
			}
		}
		if err := checkOutDir("gen", "out", o.Out, "evolve", ev.From); err != nil {
			return err
		}
		ev.Out, ev.Seed, ev.Logger = o.Out, o.Seed, logger
		st, err := gen.Evolve(ctx, ev)
		if err != nil {
			return err
		}
		abs, _ := filepath.Abs(o.Out)
		fmt.Fprintf(stdout, "evolved %s -> %s: %+v\n", ev.From, abs, *st)
		return nil
	}
	o.Logger = logger
	st, err := gen.Generate(ctx, o)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(o.Out)
	fmt.Fprintf(stdout, "generated %s: %+v\n", abs, *st)
	if st.Universe != nil {
		fmt.Fprintf(stdout, "universe: %+v\n", *st.Universe)
	}
	return nil
}
