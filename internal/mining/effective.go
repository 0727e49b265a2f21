package mining

import (
	"context"
	"slices"

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
	// grants, ascending, for the roles with Listed set; the lists of the others are empty.
	// Only roles with direct holders are listed: mining reads no other role's list (a role
	// without holders gets no candidate), and the inherited pairs of the roles that only
	// come through grants (entitlements in business roles) are most of them.
	NeutralOff []int64
	NeutralIdx []int32
	// NeutralCount[r] is the number of identities holding role r only through grants
	// (listed or not).
	NeutralCount []int64
	// Listed[r] says whether role r's neutral identities are listed (nil: every role's).
	Listed []bool
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
	return EffectiveOfEstimated(ctx, snap, workers, nil)
}

// EffectiveOfEstimated is EffectiveOfWorkers calling estimated, when not nil, with the
// bounds of what the grants make of the direct assignments (EstimatePairs) once the
// closure is known and before any pair is expanded, so that a run can say how large it
// will be before it spends the memory.
func EffectiveOfEstimated(ctx context.Context, snap *columnar.Snapshot, workers int, estimated func(PairsEstimate)) (*Effective, error) {
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
	if estimated != nil {
		estimated(EstimatePairs(snap, c))
	}
	listed := make([]bool, snap.NumRoles())
	for r := range listed {
		listed[r] = snap.RoleOff[r+1] > snap.RoleOff[r]
	}
	// The neutral identities of the listed roles are collected by the expansion itself.
	p, b, err := effective.ExpandListing(ctx, c, snap.NumIdentities(), workers, snap.NumRoles(), listed, snap.RolesOf)
	if err != nil {
		return nil, err
	}
	e := &Effective{Closure: c, Pairs: p, Cycles: g.Cycles(), Listed: listed}
	e.NeutralOff, e.NeutralIdx, e.NeutralCount = b.Off, b.Idx, b.Count
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

// neutralInScope returns, by role, how many of its neutral identities are in the scope
// bits (nil: every identity), or nil when there are none. A listed role counts its list;
// the others are counted from the pairs of the identities in the scope.
func (e *Effective) neutralInScope(bits []uint64) []int64 {
	if e == nil {
		return nil
	}
	out := slices.Clone(e.NeutralCount)
	if bits == nil {
		return out
	}
	unlisted := false
	for r := range out {
		if e.Listed != nil && !e.Listed[r] {
			unlisted = unlisted || out[r] > 0
			out[r] = 0
			continue
		}
		out[r] = 0
		for _, i := range e.Neutral(int32(r)) {
			if bits[i>>6]&(1<<(uint32(i)&63)) != 0 {
				out[r]++
			}
		}
	}
	if !unlisted {
		return out
	}
	p := e.Pairs
	for i := range len(p.Off) - 1 {
		if bits[i>>6]&(1<<(uint(i)&63)) == 0 {
			continue
		}
		for k := p.Off[i]; k < p.Off[i+1]; k++ {
			if r := p.Role[k]; p.KindAt(k) == effective.Inherited && !e.Listed[r] {
				out[r]++
			}
		}
	}
	return out
}

// PairsEstimate bounds what role grants make of a snapshot's direct assignments
// (docs/effective-privilege.md#size): every direct pair of a known identity, and for
// each, one inherited pair a role its role reaches (a role reached twice, or also held
// directly, is one pair, so these are upper bounds).
type PairsEstimate struct {
	// Direct is the direct pairs of known identities; Pairs the bound on the effective
	// pairs, Direct included.
	Direct, Pairs int64
	// ViaBytes is the bound on the bytes of the via chains of the inherited pairs (role
	// ids and separators, from the mean role id's length), which review.csv writes for
	// each unexplained one.
	ViaBytes int64
	// Top is the role through which its direct holders get the most inherited pairs
	// (-1: none), TopHolders its direct holders and TopReach the roles it reaches.
	Top                  int32
	TopHolders, TopReach int64
}

// Large-run thresholds of PairsEstimate.Large.
const (
	largePairs      = 100_000_000 // effective pairs (16 bytes each in memory, about)
	largePairsRatio = 20          // times the direct pairs
	largeViaBytes   = 1 << 30     // bytes of via chains
)

// Large reports whether the estimate is worth a warning: over 100 million effective
// pairs and 20 times the direct ones, or via chains over 1 GiB.
func (e PairsEstimate) Large() bool {
	return (e.Pairs > largePairs && e.Pairs > largePairsRatio*e.Direct) || e.ViaBytes > largeViaBytes
}

// EstimatePairs returns the estimate of snap's effective pairs from the closure c of its
// grants, in one pass over the roles and the closure's steps.
func EstimatePairs(snap *columnar.Snapshot, c *effective.Closure) PairsEstimate {
	ids := snap.Roles.IDs
	var idBytes int64
	for _, id := range ids {
		idBytes += int64(len(id))
	}
	meanID := float64(idBytes) / float64(max(len(ids), 1))
	e := PairsEstimate{Top: -1}
	var topPairs int64
	for r := range int32(snap.NumRoles()) {
		holders := snap.RoleOff[r+1] - snap.RoleOff[r]
		e.Direct += holders
		e.Pairs += holders
		reach := c.Reach(r)
		if holders == 0 || len(reach) == 0 {
			continue
		}
		var chainRoles int64 // the role ids of r's chains together
		for _, st := range reach {
			chainRoles += int64(st.Dist) + 1
		}
		chainBytes := float64(chainRoles)*meanID + 3*float64(chainRoles-int64(len(reach)))
		e.Pairs += holders * int64(len(reach))
		e.ViaBytes += int64(float64(holders) * chainBytes)
		if x := holders * int64(len(reach)); x > topPairs {
			topPairs, e.Top, e.TopHolders, e.TopReach = x, r, holders, int64(len(reach))
		}
	}
	return e
}
