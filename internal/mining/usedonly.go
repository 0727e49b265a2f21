package mining

import (
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/usage"
)

// Used-only mining (docs/excess-privilege.md#used-only). A mining rule with UsedOnly
// counts, for role r, the direct holders whose access is used or of unknown usage as H;
// a direct holder whose access is unused is neutral for r, as an identity holding r only
// through grants is: out of r's scope for every count. Its access is then unexplained
// with the reason unused (ApplyUsedOnly).

// holderView is what a mining rule counts roles against: mat's role CSR lists the holders
// of each role (H), eff's neutral CSR the identities out of each role's scope, nmat is mat
// with the neutral CSR as its role CSR (nil when eff is nil).
type holderView struct {
	mat  *kernels.Matrix
	eff  *Effective
	nmat *kernels.Matrix
}

// usedOnlyView returns the view of a UsedOnly mining rule: base without the direct holders
// whose access is unused (states, aligned with snap.IdentIdx), who join the neutral
// identities. It returns base itself when no direct pair is unused.
func usedOnlyView(snap *columnar.Snapshot, base holderView, states []usage.State) holderView {
	nr := snap.NumRoles()
	// Unused direct holders per role (CSR, ascending: identities are walked in order).
	unusedOff := make([]int64, nr+1)
	found := false
	for k, s := range states {
		if s == usage.Unused {
			unusedOff[snap.IdentIdx[k]+1]++
			found = true
		}
	}
	if !found {
		return base
	}
	for r := range nr {
		unusedOff[r+1] += unusedOff[r]
	}
	unusedIdx := make([]int32, unusedOff[nr])
	next := append([]int64(nil), unusedOff[:nr]...)
	for i := range snap.NumIdentities() {
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			if states[k] == usage.Unused {
				r := snap.IdentIdx[k]
				unusedIdx[next[r]] = int32(i)
				next[r]++
			}
		}
	}
	var nOff []int64
	var nIdx []int32
	if base.eff != nil {
		nOff, nIdx = base.eff.NeutralOff, base.eff.NeutralIdx
	} else {
		nOff = make([]int64, nr+1)
	}
	holdOff := make([]int64, nr+1)
	holdIdx := make([]int32, 0, int64(len(snap.RoleIdx))-unusedOff[nr])
	neutOff := make([]int64, nr+1)
	neutIdx := make([]int32, 0, int64(len(nIdx))+unusedOff[nr])
	for r := range nr {
		unused := unusedIdx[unusedOff[r]:unusedOff[r+1]]
		holdIdx = appendWithout(holdIdx, snap.Holders(r), unused)
		neutIdx = appendMerged(neutIdx, nIdx[nOff[r]:nOff[r+1]], unused)
		holdOff[r+1], neutOff[r+1] = int64(len(holdIdx)), int64(len(neutIdx))
	}
	mat := *base.mat
	mat.RoleOff, mat.RoleIdx = holdOff, holdIdx
	eff := &Effective{NeutralOff: neutOff, NeutralIdx: neutIdx, NeutralCount: make([]int64, nr)}
	for r := range nr {
		eff.NeutralCount[r] = unusedOff[r+1] - unusedOff[r]
	}
	if base.eff != nil {
		eff.Closure, eff.Pairs, eff.Cycles, eff.Listed = base.eff.Closure, base.eff.Pairs, base.eff.Cycles, base.eff.Listed
		for r, n := range base.eff.NeutralCount {
			eff.NeutralCount[r] += n
		}
	}
	return holderView{mat: &mat, eff: eff, nmat: eff.neutralMatrix(&mat)}
}

// appendWithout appends to dst the elements of a (ascending) not in b (ascending, a
// subset of a).
func appendWithout(dst, a, b []int32) []int32 {
	j := 0
	for _, x := range a {
		if j < len(b) && b[j] == x {
			j++
			continue
		}
		dst = append(dst, x)
	}
	return dst
}

// appendMerged appends to dst the union of a and b (ascending, disjoint), ascending.
func appendMerged(dst, a, b []int32) []int32 {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j >= len(b) || (i < len(a) && a[i] < b[j]) {
			dst = append(dst, a[i])
			i++
		} else {
			dst = append(dst, b[j])
			j++
		}
	}
	return dst
}

// holders returns the holders of role r counted in the view (H before scope).
func (v *holderView) holders(r int32) []int32 {
	return v.mat.RoleIdx[v.mat.RoleOff[r]:v.mat.RoleOff[r+1]]
}

// UsedOnlyApplies reports whether some mining rule of cfg mines used access only.
func (cfg *Config) UsedOnlyApplies() bool {
	for k := range cfg.MiningRules {
		if cfg.MiningRules[k].UsedOnly {
			return true
		}
	}
	return false
}

// ApplyUsedOnly makes unexplained every direct pair that a rule mined by a UsedOnly mining
// rule explains although its access is unused (states aligned with snap.IdentIdx), and
// marks it in cls.Unused. It does nothing when no mining rule of m is UsedOnly or states
// is nil (no usage data), so that cls stays as Classify made it.
func ApplyUsedOnly(snap *columnar.Snapshot, m *Model, cls *Classification, states []usage.State) {
	if states == nil || m.Config == nil || !m.Config.UsedOnlyApplies() {
		return
	}
	usedOnly := func(j int32) bool {
		mr := m.Rules[j].MiningRule
		return mr >= 0 && mr < len(m.Config.MiningRules) && m.Config.MiningRules[mr].UsedOnly
	}
	for k, j := range cls.RuleOf {
		if j >= 0 && states[k] == usage.Unused && usedOnly(j) {
			if cls.Unused == nil {
				cls.Unused = make([]bool, len(cls.RuleOf))
			}
			cls.RuleOf[k] = -1
			cls.Unused[k] = true
		}
	}
}
