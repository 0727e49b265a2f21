package discover

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Options tune Solve. The zero value is usable.
type Options struct {
	// Budget bounds the time spent improving covers beyond the first one found (per
	// Solve, shared by the components). Default 20 s.
	Budget time.Duration
	// Seed seeds the random tie-breaks; the same seed and input give the same roles
	// unless the budget runs out first.
	Seed uint64
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
}

// Result is an exact cover of a Matrix.
type Result struct {
	Roles []Role
	// LowerBound is a proven lower bound on the fewest roles of any exact cover.
	LowerBound int
	// Forced counts the roles the forced-biclique reduction chose (each in some minimum
	// cover); Components the connected parts left after it.
	Forced, Components int
}

// Optimal reports whether the role count is proven minimal.
func (r *Result) Optimal() bool { return len(r.Roles) == r.LowerBound }

// Solve returns an exact cover of m with as few roles as it can find (the basic role
// mining problem), its lower bound, and user-role and role-permission links lowered so
// that every role is needed by each of its users and every permission of a role by one of
// its users. The cover always reproduces m exactly.
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
	deadline := time.Now().Add(opts.Budget)
	rd := reduceMatrix(m)
	pr := newProb(rd.row, rd.col)
	res := &Result{}
	res.Forced = pr.reduce()
	res.LowerBound = res.Forced
	comps := pr.components()
	res.Components = len(comps)
	log.Info("reduced", "user_classes", len(rd.row), "permission_classes", len(rd.col),
		"forced_roles", res.Forced, "components", len(comps), "edges_left", pr.left)
	rng := rand.New(rand.NewPCG(opts.Seed, 0x726f6c656d696e65))
	for ci, c := range comps {
		sp := pr.sub(c)
		// Each remaining component gets an equal share of the time left.
		share := time.Until(deadline) / time.Duration(len(comps)-ci)
		cctx, cancel := context.WithTimeout(ctx, max(share, 50*time.Millisecond))
		bs, lb, err := sp.solveComponent(cctx, rng)
		cancel()
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for _, b := range bs {
			pr.roles = append(pr.roles, pr.lift(c, b))
		}
		res.LowerBound += lb
		log.Debug("component", "users", sp.nu, "perms", sp.np, "roles", len(bs), "lower_bound", lb)
	}
	bs := rd.lower(pr.roles)
	res.Roles = rd.expand(bs)
	if err := Verify(m, res.Roles); err != nil {
		// A bug, never the input's fault: refuse to hand out a wrong cover.
		return nil, err
	}
	res.LowerBound = min(res.LowerBound, len(res.Roles))
	return res, nil
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
// improving when the lower bound is reached or ctx is done.
func (pr *prob) solveComponent(ctx context.Context, rng *rand.Rand) ([]biclique, int, error) {
	lb := pr.lowerBound(3, rng)
	var best []biclique
	if pr.left <= greedyMaxEdges {
		g, err := pr.greedy(context.WithoutCancel(ctx), nil)
		if err != nil {
			return nil, 0, err
		}
		best = g
	}
	d := pr.clone()
	d.dominate()
	lb = max(lb, d.lowerBound(3, rng))
	g := d.newCGraph()
	if g == nil {
		if best == nil {
			b, err := pr.greedy(context.WithoutCancel(ctx), nil)
			if err != nil {
				return nil, 0, err
			}
			best = b
		}
		return best, min(lb, len(best)), nil
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
	return best, min(lb, len(best)), nil
}
