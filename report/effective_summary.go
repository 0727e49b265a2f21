package report

import (
	"github.com/rolemine/rolemine/columnar"
	"github.com/rolemine/rolemine/mining"
)

// noSystem is the systems key of pairs whose system is unknown (no account, no role
// application).
const noSystem = "(no system)"

// effectiveSummary is summary.json's "effective" object, present for data with accounts,
// grants, attributes or owners. Direct counts the direct pairs of known identities (the
// "assignments" object counts the same); Effective adds the inherited ones.
type effectiveSummary struct {
	Direct    pairCounts                `json:"direct"`
	Effective pairCounts                `json:"effective"`
	ByKind    map[string]*kindPairs     `json:"by_kind"`
	Cycles    [][]string                `json:"grant_cycles"`
	Grants    int64                     `json:"role_grants"`
	Owners    int64                     `json:"identities_with_owner"`
	Findings  columnar.UniverseFindings `json:"findings"`
}

// pairCounts counts (identity, role) pairs. Inherited pairs are held only through grants;
// Hidden ones are inherited and unexplained although their role has rules; Redundant ones
// are direct and also inherited.
type pairCounts struct {
	Total       int64 `json:"total"`
	Explained   int64 `json:"explained"`
	Unexplained int64 `json:"unexplained"`
	Inherited   int64 `json:"inherited"`
	Hidden      int64 `json:"hidden_inherited"`
	Redundant   int64 `json:"redundant"`
}

type kindPairs struct {
	Direct    pairCounts `json:"direct"`
	Effective pairCounts `json:"effective"`
}

// systemSummary is one entry of summary.json's "systems", keyed by system name. Pairs
// count effective pairs attributed to the system (see pairWalker); Orphans count orphan
// access through the system's accounts.
type systemSummary struct {
	Accounts             int64 `json:"accounts"`
	UncorrelatedAccounts int64 `json:"uncorrelated_accounts"`
	Assignments          int64 `json:"assignments"`
	Explained            int64 `json:"explained"`
	Unexplained          int64 `json:"unexplained"`
	Inherited            int64 `json:"inherited"`
	Hidden               int64 `json:"hidden_inherited"`
	Orphans              int64 `json:"orphans"`
}

func (c *pairCounts) add(v *pairView) {
	c.Total++
	if v.rule >= 0 {
		c.Explained++
	} else {
		c.Unexplained++
	}
	if v.inherited {
		c.Inherited++
	}
	if v.hidden {
		c.Hidden++
	}
	if v.redun {
		c.Redundant++
	}
}

// effectiveSummaryOf computes the "effective" and "systems" objects.
func effectiveSummaryOf(snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) (*effectiveSummary, map[string]*systemSummary) {
	u := snap.Universe
	es := &effectiveSummary{ByKind: map[string]*kindPairs{}, Cycles: [][]string{}, Findings: u.Findings, Grants: int64(len(u.Grants))}
	if es.Findings.UnknownAttributeIdentities == nil {
		es.Findings.UnknownAttributeIdentities = []string{}
	}
	for _, o := range u.Owners {
		if o != "" {
			es.Owners++
		}
	}
	if eff.Eff != nil {
		for _, cy := range eff.Eff.Cycles {
			ids := make([]string, len(cy))
			for k, r := range cy {
				ids[k] = snap.Roles.IDs[r]
			}
			es.Cycles = append(es.Cycles, ids)
		}
	}
	systems := map[string]*systemSummary{}
	sys := func(name string) *systemSummary {
		if name == "" {
			name = noSystem
		}
		s := systems[name]
		if s == nil {
			s = &systemSummary{}
			systems[name] = s
		}
		return s
	}
	if a := u.Accounts; a != nil {
		for k := range a.ID {
			s := sys(a.Systems[a.System[k]])
			s.Accounts++
			if a.IdentityID[k] == "" {
				s.UncorrelatedAccounts++
			}
		}
	}
	w := newPairWalker(snap, cls, eff)
	kd := &snap.Dims[snap.KindDim]
	for i := range snap.IdentityIDs {
		kind := kd.Values[kd.Codes[i]]
		kp := es.ByKind[kind]
		if kp == nil {
			kp = &kindPairs{}
			es.ByKind[kind] = kp
		}
		w.each(i, func(v *pairView) {
			if !v.inherited {
				es.Direct.add(v)
				kp.Direct.add(v)
			}
			es.Effective.add(v)
			kp.Effective.add(v)
			name := ""
			if v.system >= 0 {
				name = w.systemNames[v.system]
			}
			s := sys(name)
			s.Assignments++
			if v.rule >= 0 {
				s.Explained++
			} else {
				s.Unexplained++
			}
			if v.inherited {
				s.Inherited++
			}
			if v.hidden {
				s.Hidden++
			}
		})
	}
	for _, o := range snap.Orphans {
		if o.System != "" {
			sys(o.System).Orphans++
		}
	}
	return es, systems
}
