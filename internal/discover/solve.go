package discover

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Options tune Solve. The zero value is usable.
type Options struct {
	// Budget bounds the whole search (per Solve, shared by the components): the
	// reductions, bounds and first covers as well as the improvement of covers. Work cut
	// short by it is finished cheaply (Result.Stopped). Default 20 s.
	Budget time.Duration
	// Seed seeds the random tie-breaks; the same seed and input give the same roles
	// unless the budget runs out first.
	Seed uint64
	// MaxCells bounds identity classes x entitlement classes (0: MaxExactCells); larger
	// inputs are refused with a user error.
	MaxCells int
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
	// Progress, when set, is told each phase as it starts (a terminal's status line).
	Progress func(phase string)
}

// Result is an exact cover of a Matrix.
type Result struct {
	Roles []Role
	// LowerBound is a proven lower bound on the fewest roles of any exact cover.
	LowerBound int
	// Forced counts the roles the forced-biclique reduction chose (each in some minimum
	// cover); Components the connected parts left after it.
	Forced, Components int
	// Stopped says where the budget cut the search short beyond the improvement it is
	// meant to bound, and how the cover was finished; "" when it did not.
	Stopped string
}

// Optimal reports whether the role count is proven minimal.
func (r *Result) Optimal() bool { return len(r.Roles) == r.LowerBound }

// lowerGrace is the share of the budget the link-lowering pass may run past the deadline:
// it only improves an exact cover, and stops where it is when this is spent too.
const lowerGrace = 10

// Solve returns an exact cover of m with as few roles as it can find (the basic role
// mining problem), its lower bound, and user-role and role-permission links lowered so
// that every role is needed by each of its users and every permission of a role by one of
// its users. The cover always reproduces m exactly. Inputs above Options.MaxCells are
// refused; otherwise every phase whose cost grows faster than the input stops at the
// budget's deadline and the cover is finished with one role per entitlement class where
// needed (Result.Stopped).
func Solve(ctx context.Context, m *Matrix, opts Options) (*Result, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	if opts.Budget <= 0 {
		opts.Budget = 20 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(string) {}
	}
	deadline := time.Now().Add(opts.Budget)
	bctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	progress("discover: merging identical identities and entitlements")
	rd, err := reduceMatrixLimit(m, opts.MaxCells)
	if err != nil {
		return nil, err
	}
	progress(fmt.Sprintf("discover: forced roles over %d identity classes x %d entitlement classes", len(rd.row), len(rd.col)))
	pr := newProb(rd.row, rd.col)
	res := &Result{}
	var stops stopLog
	forced, cut := pr.reduce(bctx)
	if cut {
		stops.add("forced roles")
	}
	res.Forced = forced
	res.LowerBound = res.Forced
	comps := pr.components()
	res.Components = len(comps)
	log.Info("reduced", "user_classes", len(rd.row), "permission_classes", len(rd.col),
		"forced_roles", res.Forced, "components", len(comps), "edges_left", pr.left)
	rng := rand.New(rand.NewPCG(opts.Seed, 0x726f6c656d696e65))
	for ci, c := range comps {
		sp := pr.sub(c)
		progress(fmt.Sprintf("discover: component %d of %d (%d x %d classes, %d edges)", ci+1, len(comps), sp.nu, sp.np, sp.left))
		cctx, ccancel := componentContext(bctx, deadline, len(comps)-ci)
		bs, lb := sp.solveComponent(cctx, bctx, rng, &stops)
		ccancel()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, b := range bs {
			pr.roles = append(pr.roles, pr.lift(c, b))
		}
		res.LowerBound += lb
		log.Debug("component", "users", sp.nu, "perms", sp.np, "roles", len(bs), "lower_bound", lb)
	}
	progress(fmt.Sprintf("discover: lowering the links of %d roles", len(pr.roles)))
	lctx, lcancel := context.WithDeadline(ctx, deadline.Add(opts.Budget/lowerGrace))
	bs := rd.lower(lctx, pr.roles)
	lcancel()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.Roles = rd.expand(bs)
	if err := Verify(m, res.Roles); err != nil {
		// A bug, never the input's fault: refuse to hand out a wrong cover.
		return nil, err
	}
	res.LowerBound = min(res.LowerBound, len(res.Roles))
	res.Stopped = stops.reason(opts.Budget, len(comps))
	return res, nil
}

// componentContext gives one of the remaining components an equal share of the time
// left, at least 50 ms while the deadline has not passed, and never beyond it.
func componentContext(bctx context.Context, deadline time.Time, remaining int) (context.Context, context.CancelFunc) {
	share := max(time.Until(deadline)/time.Duration(remaining), 50*time.Millisecond)
	return context.WithTimeout(bctx, share)
}

// Tuning of solveComponent.
const (
	dsaturRestarts  = 8
	tabuIterations  = 400_000
	cliqueNodeLimit = 200_000
	greedyMaxEdges  = 20_000
)

// solveComponent covers the uncovered edges of a connected problem and returns the
// roles and a lower bound on their fewest number. It colours the conflict graph of the
// edges left after the domination reduction (DSATUR, then tabu search for fewer colours
// down to the lower bound), compares with the reduction-driven greedy cover, and stops
// improving when the lower bound is reached or ctx (its share of the budget) is done.
// The greedy cover, which is what remains when no colouring is available, runs until
// bctx (the whole budget) is done and is then finished with one role per permission.
// Cuts beyond the improvement search are recorded in stops.
func (pr *prob) solveComponent(ctx, bctx context.Context, rng *rand.Rand, stops *stopLog) ([]biclique, int) {
	lb, cut := pr.lowerBound(ctx, 3, rng)
	if cut {
		stops.add("lower bound")
	}
	var best []biclique
	greedy := func() []biclique {
		g, cut := pr.greedy(bctx, nil)
		if cut {
			stops.add("greedy cover")
			stops.trivial++
		}
		return g
	}
	if pr.left <= greedyMaxEdges {
		best = greedy()
	}
	d := pr.clone()
	if _, cut := d.dominate(ctx); cut && ctx.Err() != nil {
		stops.add("domination")
	}
	var g *cgraph
	if ctx.Err() == nil {
		dlb, cut := d.lowerBound(ctx, 3, rng)
		if cut {
			stops.add("lower bound")
		}
		lb = max(lb, dlb)
		g = d.newCGraph(ctx)
	}
	if g == nil {
		if best == nil {
			best = greedy()
		}
		return best, min(lb, len(best))
	}
	if c, _ := cliqueBound(ctx, g, lb, cliqueNodeLimit); c > lb {
		lb = c
	}
	var color []int32
	k := 0
	for i := 0; i < dsaturRestarts && (i == 0 || ctx.Err() == nil); i++ {
		var r *rand.Rand
		if i > 0 {
			r = rng
		}
		c, kk := dsatur(g, r)
		if color == nil || kk < k {
			color, k = c, kk
		}
		if k <= lb {
			break
		}
	}
	for k > lb && ctx.Err() == nil {
		next := tabucol(ctx, g, relabelSmallestLast(color, k), k-1, tabuIterations, rng)
		if next == nil {
			break
		}
		color, k = next, k-1
	}
	cb := d.classesToBicliques(g, color, k)
	if best == nil || len(cb) < len(best) {
		best = cb
	}
	return best, min(lb, len(best))
}
