package discover

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/uerr"
)

// RunOptions are the inputs of `rolemine discover`: exactly one of Data (a data directory)
// or UPA (an HP Labs "user permission" file), and the mode: approximate when MinMembers
// or Coverage is set, exact otherwise.
type RunOptions struct {
	Data, UPA         string
	ExcludeDimensions []string
	MinMembers        int
	Coverage          float64 // percent
	MaxDimensions     int
	Budget            time.Duration
	Seed              uint64
	Logger            *slog.Logger
	// Progress, when set, is told each phase as it starts (a terminal's status line).
	Progress func(phase string)
}

// RunResult is a discovery run: the document to write, the snapshot it was read from (nil
// for a UPA file), and the figures the command prints.
type RunResult struct {
	Doc          *Document
	Snap         *columnar.Snapshot
	Mode         string
	Users, Perms int
	LowerBound   *int
	Optimal      bool
	Stopped      string
	Descriptions []Description
}

// validate checks the options; every problem is a user error.
func (o *RunOptions) validate() error {
	if (o.Data == "") == (o.UPA == "") {
		return uerr.New("discover: --out and exactly one of --data or --upa are required")
	}
	if o.approx() && (o.MinMembers < 1 || o.Coverage <= 0 || o.Coverage > 100) {
		return uerr.New("discover: approximate mode needs --min-members >= 1 and --coverage in (0,100], got %d and %g", o.MinMembers, o.Coverage)
	}
	if o.MaxDimensions < 1 || o.MaxDimensions > 2 {
		return uerr.New("discover: --max-dimensions must be 1 or 2, got %d", o.MaxDimensions)
	}
	if o.Budget <= 0 {
		return uerr.New("discover: --budget must be positive, got %v", o.Budget)
	}
	return nil
}

func (o *RunOptions) approx() bool { return o.MinMembers != 0 || o.Coverage != 0 }

// Run reads the input, discovers roles (exact cover, or approximate with business
// refinement on a snapshot), describes them by attribute criteria when a snapshot is at
// hand, and returns the document (written by Write).
func Run(ctx context.Context, o RunOptions) (*RunResult, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	progress("discover: reading the input")
	m, snap, err := readInput(ctx, &o)
	if err != nil {
		return nil, err
	}
	res := &RunResult{Snap: snap, Mode: "exact", Users: len(m.Users), Perms: len(m.Perms)}
	var roles []Role
	if o.approx() {
		res.Mode = "approximate"
		if roles, err = Approximate(ctx, m, ApproxOptions{MinMembers: o.MinMembers, Coverage: o.Coverage}); err != nil {
			return nil, err
		}
		if snap != nil {
			// Business validation splits roles that mix groups before coverage is counted.
			progress(fmt.Sprintf("discover: validating %d candidate roles", len(roles)))
			bctx, cancel := context.WithTimeout(ctx, o.Budget)
			var cut bool
			roles, _, cut, err = RefineWithin(ctx, bctx, snap, roles, o.MaxDimensions, o.MinMembers)
			cancel()
			if err != nil {
				return nil, err
			}
			if cut {
				res.Stopped = fmt.Sprintf("the %v budget ran out validating candidate roles against the attributes; "+
					"the roles not reached are kept whole, not split by business function", o.Budget)
			}
		}
		roles = TakeCoverage(m, roles, o.MinMembers, o.Coverage)
	} else {
		sol, err := Solve(ctx, m, Options{Budget: o.Budget, Seed: o.Seed, Logger: o.Logger, Progress: progress})
		if err != nil {
			return nil, err
		}
		roles = sol.Roles
		res.LowerBound, res.Optimal, res.Stopped = &sol.LowerBound, sol.Optimal(), sol.Stopped
	}
	SortRoles(roles)
	if snap != nil {
		progress(fmt.Sprintf("discover: describing %d roles", len(roles)))
		members := make([][]int32, len(roles))
		for k, r := range roles {
			members[k] = r.Users
		}
		if res.Descriptions, err = Describe(ctx, snap, members, o.MaxDimensions); err != nil {
			return nil, err
		}
	}
	res.Doc = NewDocument(res.Mode, m, roles, res.Descriptions)
	res.Doc.Stats.LowerBound, res.Doc.Stats.Optimal, res.Doc.Stats.Stopped = res.LowerBound, res.Optimal, res.Stopped
	res.Doc.Stats.Seconds = time.Since(start).Seconds()
	return res, nil
}

// readInput reads the UPA file or loads the data directory.
func readInput(ctx context.Context, o *RunOptions) (*Matrix, *columnar.Snapshot, error) {
	if o.UPA != "" {
		f, err := os.Open(o.UPA)
		if err != nil {
			return nil, nil, uerr.New("discover: --upa: %w", err)
		}
		defer f.Close()
		m, err := ReadUPA(ctx, f, filepath.Base(o.UPA))
		return m, nil, err
	}
	snap, err := columnar.Load(ctx, o.Data, columnar.LoadOptions{ExcludeDimensions: o.ExcludeDimensions, Logger: o.Logger})
	if err != nil {
		return nil, nil, err
	}
	return FromSnapshot(snap), snap, nil
}

// Print writes the run's summary lines; path is the written document.
func (r *RunResult) Print(w io.Writer, path string) {
	st := r.Doc.Stats
	fmt.Fprintf(w, "discovered %d roles (%s) over %d identities, %d entitlements, %d assignments in %.2fs\n",
		st.Roles, r.Mode, r.Users, r.Perms, st.Assignments, st.Seconds)
	fmt.Fprintf(w, "  user-role links %d, role-entitlement links %d, WSC %d\n", st.UserRoleLinks, st.RoleEntitlementLinks, st.WSC)
	if r.LowerBound != nil {
		fmt.Fprintf(w, "  lower bound %d%s\n", *r.LowerBound, map[bool]string{true: " (optimal)", false: ""}[r.Optimal])
	}
	if r.Stopped != "" {
		fmt.Fprintf(w, "  stopped early: %s\n", r.Stopped)
	}
	fmt.Fprintf(w, "  covered %d of %d assignments (%.1f%%), %d exceptions\n", st.CoveredAssignments, st.Assignments,
		100*float64(st.CoveredAssignments)/float64(max(st.Assignments, 1)), st.Exceptions)
	if r.Descriptions != nil {
		good := 0
		for _, d := range r.Descriptions {
			if d.Meaningful() {
				good++
			}
		}
		fmt.Fprintf(w, "  %d of %d roles have a criterion with precision and recall >= %.2f\n", good, len(r.Descriptions), MeaningThreshold)
	}
	fmt.Fprintf(w, "output: %s\n", path)
}
