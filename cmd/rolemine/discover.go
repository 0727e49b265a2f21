package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/discover"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/uerr"
)

// cmdDiscover runs `rolemine discover`: bottom-up roles from access patterns (DESIGN.md
// section 7), written to OUT/discovered.json.
func cmdDiscover(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("discover", stderr)
	var (
		data, upa, out string
		minMembers     int
		coverage       float64
		maxDims        int
		budget         time.Duration
		seed           uint64
		exclude        multiFlag
	)
	fs.StringVar(&data, "data", "", "data directory (identities, assignments, optionally roles); entitlements are its roles")
	fs.StringVar(&upa, "upa", "", `"user permission" pair file (HP Labs format), instead of --data`)
	fs.StringVar(&out, "out", "", "output directory for discovered.json (replaced atomically)")
	fs.IntVar(&minMembers, "min-members", 0, "approximate mode: fewest identities per role (with --coverage)")
	fs.Float64Var(&coverage, "coverage", 0, "approximate mode: percentage of assignments to cover (with --min-members)")
	fs.IntVar(&maxDims, "max-dimensions", 2, "most terms in a role's describing criterion (1 or 2)")
	fs.DurationVar(&budget, "budget", 20*time.Second, "exact mode: time spent improving the cover")
	fs.Uint64Var(&seed, "seed", 1, "random seed of the exact search's tie-breaks")
	fs.Var(&exclude, "exclude-dimension", "attribute never used in criteria (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if out == "" || (data == "") == (upa == "") {
		return uerr.New("discover: --out and exactly one of --data or --upa are required")
	}
	if err := checkOutDir("discover", "out", out, "data", data); err != nil {
		return err
	}
	approx := minMembers != 0 || coverage != 0
	if approx && (minMembers < 1 || coverage <= 0 || coverage > 100) {
		return uerr.New("discover: approximate mode needs --min-members >= 1 and --coverage in (0,100], got %d and %g", minMembers, coverage)
	}
	if maxDims < 1 || maxDims > 2 {
		return uerr.New("discover: --max-dimensions must be 1 or 2, got %d", maxDims)
	}
	if budget <= 0 {
		return uerr.New("discover: --budget must be positive, got %v", budget)
	}
	start := time.Now()
	var (
		m    *discover.Matrix
		snap *columnar.Snapshot
	)
	if upa != "" {
		f, err := os.Open(upa)
		if err != nil {
			return uerr.New("discover: --upa: %w", err)
		}
		m, err = discover.ReadUPA(ctx, f, filepath.Base(upa))
		f.Close()
		if err != nil {
			return err
		}
	} else {
		var err error
		snap, err = columnar.Load(ctx, data, columnar.LoadOptions{ExcludeDimensions: exclude, Logger: logger})
		if err != nil {
			return err
		}
		m = discover.FromSnapshot(snap)
	}
	var (
		roles []discover.Role
		lb    *int
		opt   bool
		mode  = "exact"
	)
	if approx {
		mode = "approximate"
		var err error
		roles, err = discover.Approximate(ctx, m, discover.ApproxOptions{MinMembers: minMembers, Coverage: coverage})
		if err != nil {
			return err
		}
		if snap != nil {
			// Business validation splits roles that mix groups before coverage is counted.
			if roles, _, err = discover.Refine(ctx, snap, roles, maxDims, minMembers); err != nil {
				return err
			}
		}
		roles = discover.TakeCoverage(m, roles, minMembers, coverage)
	} else {
		res, err := discover.Solve(ctx, m, discover.Options{Budget: budget, Seed: seed, Logger: logger})
		if err != nil {
			return err
		}
		roles = res.Roles
		lb, opt = &res.LowerBound, res.Optimal()
	}
	discover.SortRoles(roles)
	var descs []discover.Description
	if snap != nil {
		members := make([][]int32, len(roles))
		for k, r := range roles {
			members[k] = r.Users
		}
		var err error
		descs, err = discover.Describe(ctx, snap, members, maxDims)
		if err != nil {
			return err
		}
	}
	doc := discover.NewDocument(mode, m, roles, descs)
	doc.Stats.LowerBound, doc.Stats.Optimal = lb, opt
	doc.Stats.Seconds = time.Since(start).Seconds()
	if snap != nil {
		doc.DataFingerprint = report.DataFingerprint(snap.Inputs)
	}
	if err := discover.Write(out, doc); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	st := doc.Stats
	fmt.Fprintf(stdout, "discovered %d roles (%s) over %d identities, %d entitlements, %d assignments in %.2fs\n",
		st.Roles, mode, len(m.Users), len(m.Perms), st.Assignments, st.Seconds)
	fmt.Fprintf(stdout, "  user-role links %d, role-entitlement links %d, WSC %d\n", st.UserRoleLinks, st.RoleEntitlementLinks, st.WSC)
	if lb != nil {
		fmt.Fprintf(stdout, "  lower bound %d%s\n", *lb, map[bool]string{true: " (optimal)", false: ""}[opt])
	}
	fmt.Fprintf(stdout, "  covered %d of %d assignments (%.1f%%), %d exceptions\n", st.CoveredAssignments, st.Assignments,
		100*float64(st.CoveredAssignments)/float64(max(st.Assignments, 1)), st.Exceptions)
	if descs != nil {
		good := 0
		for _, d := range descs {
			if d.Meaningful() {
				good++
			}
		}
		fmt.Fprintf(stdout, "  %d of %d roles have a criterion with precision and recall >= %.2f\n", good, len(descs), discover.MeaningThreshold)
	}
	abs, _ := filepath.Abs(filepath.Join(out, discover.FileName))
	fmt.Fprintf(stdout, "output: %s\n", abs)
	return nil
}
