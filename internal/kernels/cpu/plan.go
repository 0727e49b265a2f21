package cpu

import (
	"context"
	"fmt"

	"github.com/rolemine/rolemine/internal/kernels"
)

// PairsPlan is the part of a two-term count (CooccurPairs) that reads the identities'
// attributes alone: the layout's table of their codes and the numbering of their patterns.
// PreparePairs builds it before the roles are known (bench cooccur builds it while the
// assignments are still being read, on the core their decoding leaves idle), and
// CooccurPlanned counts with it. The counts are CooccurPairs', whatever the plan holds.
type PairsPlan struct {
	q   kernels.Query
	lay *layout   // nil: the query does not go by the two-term path
	pat *patterns // nil: not counted by pattern
	n   int       // the identities of the matrix planned for
	pay bool      // the patterns were numbered by their rule (used where patternsPay)
}

// PreparePairs plans the two-term query q over m's identities and attributes; m's roles
// are not read and may be set later.
func (b *Backend) PreparePairs(ctx context.Context, m *kernels.Matrix, q kernels.Query) (*PairsPlan, error) {
	if q.MaxTerms != 2 {
		return nil, fmt.Errorf("cpu: PreparePairs: %d terms, expected 2", q.MaxTerms)
	}
	if q.MinTP < 1 {
		q.MinTP = 1
	}
	pl := &PairsPlan{q: q, n: m.N}
	lay := newLayout(m, &pl.q)
	if !usePairs(m, &pl.q, lay) || b.rows {
		return pl, nil
	}
	w := b.nworkers()
	if err := lay.buildTable(ctx, m, &pl.q, w, b.wide); err != nil {
		return nil, err
	}
	pl.lay = lay
	if b.patterns >= 0 {
		pat, err := newPatterns(ctx, lay, m.N, pl.q.InScope, w, b.patterns > 0, !b.noOrder)
		if err != nil {
			return nil, err
		}
		pl.pat, pl.pay = pat, b.patterns == 0
	}
	return pl, nil
}

// CooccurPlanned is CooccurPairs(ctx, m, q, roles, emit) for the q plan was prepared with,
// over m, whose identities and attributes must be those plan was prepared over (its roles
// may have been set since). Patterns numbered by their rule are used where patternsPay
// finds they pay for these roles, as CooccurPairs would.
func (b *Backend) CooccurPlanned(ctx context.Context, m *kernels.Matrix, plan *PairsPlan, roles []int32,
	emit func(role int32, pairs []Pair) error) error {
	if m.N != plan.n {
		return fmt.Errorf("cpu: CooccurPlanned: %d identities, planned for %d", m.N, plan.n)
	}
	if plan.lay == nil {
		return b.CooccurPairs(ctx, m, plan.q, roles, emit)
	}
	pat := plan.pat
	if plan.pay && !patternsPay(m, roles) {
		pat = nil
	}
	w := max(1, min(b.nworkers(), len(roles)))
	return b.countPairs(ctx, m, &plan.q, plan.lay, pat, roles, w, nil, emit)
}
