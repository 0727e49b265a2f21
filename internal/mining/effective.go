package mining

import (
	"context"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/kernels"
)

// Effective is the effective privilege of a snapshot with role grants
// (docs/effective-privilege.md): the closure of the grants, every identity's effective
// pairs, and per role the identities holding it only through grants, who are neutral for
// its counts.
type Effective struct {
	Closure *effective.Closure
	Pairs   *effective.Pairs
	// Cycles are the grant cycles (a finding), each a list of roles ascending.
	Cycles [][]int32
	// NeutralOff/NeutralIdx: CSR by role of the identities holding it only through
	// grants, ascending.
	NeutralOff []int64
	NeutralIdx []int32
}

// EffectiveOf computes the effective privilege of snap, or returns nil when snap has no
// role grants (every pair is direct, and mining and classification are those of flat
// inputs).
func EffectiveOf(ctx context.Context, snap *columnar.Snapshot) (*Effective, error) {
	return EffectiveOfWorkers(ctx, snap, 0)
}

// EffectiveOfWorkers is EffectiveOf expanding the identities' pairs on workers goroutines
// (<= 0: GOMAXPROCS); the result does not depend on workers.
func EffectiveOfWorkers(ctx context.Context, snap *columnar.Snapshot, workers int) (*Effective, error) {
	if snap.Universe == nil || len(snap.Universe.Grants) == 0 {
		return nil, nil
	}
	edges := make([]effective.Edge, len(snap.Universe.Grants))
	for k, g := range snap.Universe.Grants {
		edges[k] = effective.Edge{From: g.From, To: g.To}
	}
	g := effective.NewGraph(snap.NumRoles(), edges)
	c, err := effective.NewClosure(ctx, g)
	if err != nil {
		return nil, err
	}
	p, err := effective.ExpandWorkers(ctx, c, snap.NumIdentities(), workers, snap.RolesOf)
	if err != nil {
		return nil, err
	}
	e := &Effective{Closure: c, Pairs: p, Cycles: g.Cycles()}
	if e.NeutralOff, e.NeutralIdx, err = p.InheritedByRoleWorkers(ctx, snap.NumRoles(), workers); err != nil {
		return nil, err
	}
	return e, nil
}

// Neutral returns the identities holding role r only through grants (nil-safe).
func (e *Effective) Neutral(r int32) []int32 {
	if e == nil {
		return nil
	}
	return e.NeutralIdx[e.NeutralOff[r]:e.NeutralOff[r+1]]
}

// neutralMatrix is m with the neutral holders as the role CSR, so that a backend's
// Cooccur counts, per criterion, the neutral identities it matches.
func (e *Effective) neutralMatrix(m *kernels.Matrix) *kernels.Matrix {
	nm := *m
	nm.RoleOff, nm.RoleIdx = e.NeutralOff, e.NeutralIdx
	return &nm
}

// neutralInScope counts the neutral identities of r in a scope bitset.
func (e *Effective) neutralInScope(bits []uint64, r int32) int64 {
	var n int64
	for _, i := range e.Neutral(r) {
		if bits == nil || bits[i>>6]&(1<<(uint32(i)&63)) != 0 {
			n++
		}
	}
	return n
}
