package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/metrics"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
)

// The types of summary.json, declared in package model.
type (
	summary           = model.Summary
	shardRecord       = model.ShardRun
	identityCounts    = model.IdentityCounts
	roleCounts        = model.RoleCounts
	assignmentCounts  = model.AssignmentCounts
	kindAssignments   = model.KindAssignments
	ruleCounts        = model.RuleCounts
	miningRuleSummary = model.MiningRuleSummary
	phaseRecord       = model.Phase
)

// pct returns 100*a/b rounded to 4 decimals, 0 when b is 0.
func pct(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return round4(metrics.Pct(a, b))
}

func newSummary(snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, info RunInfo) *summary {
	s := &summary{
		Format:            model.SummaryFormat,
		Version:           info.Version,
		Config:            info.Config,
		Backend:           info.Backend,
		Workers:           info.Workers,
		SkippedDimensions: snap.Findings.SkippedDimensions,
		Suggestions:       int64(len(cls.Suggestions)),
		MiningRules:       []miningRuleSummary{},
		Phases:            make([]phaseRecord, len(info.Phases)),
		Inputs:            snap.Inputs,
		DataFingerprint:   DataFingerprint(snap.Inputs),
		Plugins:           info.Plugins,
	}
	if s.Plugins == nil {
		s.Plugins = []model.PluginRecord{}
	}
	if !info.Started.IsZero() {
		s.Started = info.Started.UTC().Format(time.RFC3339Nano)
	}
	if s.Backend == "" {
		s.Backend = m.Backend
	}
	if s.SkippedDimensions == nil {
		s.SkippedDimensions = []columnar.SkippedDimension{}
	}
	if s.Inputs == nil {
		s.Inputs = []columnar.Input{}
	}
	for k, p := range info.Phases {
		s.Phases[k] = phaseRecord{Name: p.Name, Seconds: p.Seconds}
	}
	for _, sr := range info.Shards {
		rec := shardRecord{Index: sr.Index, Count: sr.Count, Backend: sr.Backend, Workers: sr.Workers, Phases: []phaseRecord{}}
		for _, p := range sr.Phases {
			rec.Phases = append(rec.Phases, phaseRecord{Name: p.Name, Seconds: p.Seconds})
		}
		s.Shards = append(s.Shards, rec)
	}

	countAssignments(s, snap, cls)
	countModel(s, snap, m)
	if snap.Universe != nil && info.Effective != nil {
		s.Effective, s.Systems = effectiveSummaryOf(snap, cls, info.Effective)
		s.Usage = usageSummaryOf(snap, cls, info.Effective)
		s.NHIOwnership = ownershipSummaryOf(snap, info.Effective)
	}
	return s
}

// countOrphanIdentities counts distinct identity ids among orphans (sorted by identity).
// The access of an uncorrelated account names no identity (an empty id): it counts none.
func countOrphanIdentities(orphans []columnar.Orphan) int64 {
	var n int64
	for k := range orphans {
		if orphans[k].IdentityID != "" && (k == 0 || orphans[k].IdentityID != orphans[k-1].IdentityID) {
			n++
		}
	}
	return n
}

// writeSummaryJSON writes summary.json.
func writeSummaryJSON(w io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, info RunInfo) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(summaryOf(snap, m, cls, info))
}

// countAssignments fills the identity and assignment counts, by kind.
func countAssignments(s *summary, snap *columnar.Snapshot, cls *mining.Classification) {
	// Identities and their assignments, by kind.
	kd := &snap.Dims[snap.KindDim]
	byKind := make([]kindAssignments, len(kd.Values))
	idents := make([]int64, len(kd.Values))
	for i := range snap.IdentityIDs {
		c := kd.Codes[i]
		idents[c]++
		ka := &byKind[c]
		// The identity's assignments counted in a register, the explained ones from the
		// sign bit (RuleOf is -1 for none): a branch and two stores through ka an
		// assignment cost 0.09 CPU s at the tier L universe.
		lo, hi := snap.IdentOff[i], snap.IdentOff[i+1]
		unexplained := int64(0)
		for _, r := range cls.RuleOf[lo:hi] {
			unexplained += int64(uint32(r) >> 31)
		}
		ka.Total += hi - lo
		ka.Explained += hi - lo - unexplained
	}
	s.Identities = identityCounts{Total: int64(snap.NumIdentities()), ByKind: map[string]int64{}}
	a := &s.Assignments
	a.ByKind = map[string]*kindAssignments{}
	for c, kind := range kd.Values {
		if idents[c] == 0 {
			continue
		}
		s.Identities.ByKind[kind] = idents[c]
		ka := &byKind[c]
		ka.Unexplained = ka.Total - ka.Explained
		ka.ExplainedPct = pct(ka.Explained, ka.Total)
		ka.UnexplainedPct = pct(ka.Unexplained, ka.Total)
		a.ByKind[kind] = ka
		a.Explained += ka.Explained
	}
	a.Known = int64(len(snap.IdentIdx))
	a.Unexplained = a.Known - a.Explained
	a.Orphans = int64(len(snap.Orphans))
	a.Total = a.Known + a.Orphans
	a.Duplicates = int64(snap.Findings.DuplicateAssignments)
	a.OrphanIdentities = int64(len(snap.Findings.OrphanIdentities))
	if a.OrphanIdentities == 0 {
		a.OrphanIdentities = countOrphanIdentities(snap.Orphans)
	}
	a.ExplainedPct = pct(a.Explained, a.Known)
	a.UnexplainedPct = pct(a.Unexplained, a.Known)
	a.PctDenominator = "known (explained + unexplained; orphans excluded)"
}

// countModel fills the role, rule and mining-rule counts of the model.
func countModel(s *summary, snap *columnar.Snapshot, m *mining.Model) {
	// Roles.
	r := &s.Roles
	r.Total = int64(snap.NumRoles())
	for _, imp := range snap.Roles.Implicit {
		if imp {
			r.Implicit++
		}
	}
	nmr := 0
	if m.Config != nil {
		nmr = len(m.Config.MiningRules)
	}
	covered := make([]int64, nmr)
	for k := range m.Outcomes {
		o := &m.Outcomes[k]
		switch {
		case o.MiningRule >= 0:
			r.Covered++
			if o.MiningRule < nmr {
				covered[o.MiningRule]++
			}
		case o.ExcludedBy >= 0:
			r.Excluded++
		}
	}
	r.NotCovered = r.Total - r.Covered

	// Rules.
	rulesOf := make([]int64, nmr)
	s.Rules = ruleCounts{Total: int64(len(m.Rules)), ByType: map[string]int64{}}
	for _, t := range []mining.RuleType{mining.Required, mining.RequestedAutomatically, mining.Suggested} {
		s.Rules.ByType[t.String()] = 0
	}
	for k := range m.Rules {
		s.Rules.ByType[m.Rules[k].Type.String()]++
		if mr := m.Rules[k].MiningRule; mr >= 0 && mr < nmr {
			rulesOf[mr]++
		}
	}

	// Mining rules.
	for k := 0; k < nmr; k++ {
		mr := &m.Config.MiningRules[k]
		ms := miningRuleSummary{
			Index:               k,
			Line:                mr.Line,
			Priority:            mr.Priority,
			EntityType:          mr.EntityType,
			Policy:              mr.Policy,
			RulePolicy:          mr.RulePolicy,
			ExcludeRole:         mr.ExcludeRole,
			PrecisionMinPct:     new(mr.PrecisionMin),
			FalsePositiveMaxPct: new(mr.FalsePositiveMax),
			MinIdentities:       new(mr.MinIdentities),
			UsedOnly:            mr.UsedOnly,
			RolesCovered:        covered[k],
			Rules:               rulesOf[k],
			SkippedDimensions:   []string{},
		}
		if k < len(m.ScopeSizes) {
			ms.ScopeSize = m.ScopeSizes[k]
		}
		if k < len(m.SkippedDims) && m.SkippedDims[k] != nil {
			ms.SkippedDimensions = m.SkippedDims[k]
		}
		s.MiningRules = append(s.MiningRules, ms)
	}
}
