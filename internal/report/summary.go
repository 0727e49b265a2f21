package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/metrics"
	"github.com/rolemine/rolemine/internal/mining"
)

// summary is summary.json. Every count names its unit; every percentage says its
// denominator in a sibling field or in this comment.
type summary struct {
	Format  string `json:"format"`
	Version string `json:"version"`
	// Config is the mining configuration's path, or "implicit".
	Config  string `json:"config"`
	Started string `json:"started,omitempty"`
	Backend string `json:"backend"`
	Workers int    `json:"workers"`

	Identities  identityCounts   `json:"identities"`
	Roles       roleCounts       `json:"roles"`
	Assignments assignmentCounts `json:"assignments"`
	// SkippedDimensions are the dimensions skipped at load (too many distinct values
	// overall, or excluded by the user); MiningRules[k].SkippedDimensions those skipped
	// within one mining rule's scope.
	SkippedDimensions []columnar.SkippedDimension `json:"skipped_dimensions"`
	Rules             ruleCounts                  `json:"rules"`
	Suggestions       int64                       `json:"suggestions"`
	MiningRules       []miningRuleSummary         `json:"mining_rules"`
	Phases            []phaseRecord               `json:"phases"`
	// DataFingerprint is DataFingerprint(Inputs): explain, report and drift check it.
	DataFingerprint string           `json:"data_fingerprint"`
	Inputs          []columnar.Input `json:"inputs"`
	// Effective and Systems are present only for data with accounts, grants, multi-valued
	// attributes or owners (docs/effective-privilege.md).
	Effective *effectiveSummary         `json:"effective,omitempty"`
	Systems   map[string]*systemSummary `json:"systems,omitempty"`
	// Usage is present only for data with a last_used column (docs/excess-privilege.md).
	Usage *usageSummary `json:"usage,omitempty"`
	// NHIOwnership is present only for data with an owner_id column
	// (docs/excess-privilege.md#ownership).
	NHIOwnership *ownershipSummary `json:"nhi_ownership,omitempty"`
	// Shards is the provenance of a merged model (`rolemine merge`): one record per shard.
	Shards []shardRecord `json:"shards,omitempty"`
}

// shardRecord is one shard run of a merged model.
type shardRecord struct {
	Index   int           `json:"index"`
	Count   int           `json:"count"`
	Backend string        `json:"backend"`
	Workers int           `json:"workers"`
	Phases  []phaseRecord `json:"phases"`
}

type identityCounts struct {
	Total  int64            `json:"total"`
	ByKind map[string]int64 `json:"by_kind"`
}

type roleCounts struct {
	Total int64 `json:"total"`
	// Implicit roles appear in assignments but not in the roles file.
	Implicit int64 `json:"implicit"`
	// Covered roles got rules; NotCovered = Total - Covered, of which Excluded were
	// withheld by an ExcludeRole mining rule.
	Covered    int64 `json:"covered"`
	NotCovered int64 `json:"not_covered"`
	Excluded   int64 `json:"excluded"`
}

// assignmentCounts counts distinct assignments. Total = Explained + Unexplained + Orphans;
// percentages are of Explained + Unexplained (assignments of known identities), as
// PctDenominator says.
type assignmentCounts struct {
	Total            int64   `json:"total"`
	Duplicates       int64   `json:"duplicates"`
	Orphans          int64   `json:"orphans"`
	OrphanIdentities int64   `json:"orphan_identities"`
	Known            int64   `json:"known"`
	Explained        int64   `json:"explained"`
	Unexplained      int64   `json:"unexplained"`
	ExplainedPct     float64 `json:"explained_pct"`
	UnexplainedPct   float64 `json:"unexplained_pct"`
	PctDenominator   string  `json:"pct_denominator"`
	// ByKind splits the known assignments by the kind of their identity.
	ByKind map[string]*kindAssignments `json:"by_kind"`
}

type kindAssignments struct {
	Total          int64   `json:"total"`
	Explained      int64   `json:"explained"`
	Unexplained    int64   `json:"unexplained"`
	ExplainedPct   float64 `json:"explained_pct"`
	UnexplainedPct float64 `json:"unexplained_pct"`
}

type ruleCounts struct {
	Total  int64            `json:"total"`
	ByType map[string]int64 `json:"by_type"`
}

type miningRuleSummary struct {
	Index             int      `json:"index"`
	Line              int      `json:"line"`
	Priority          int      `json:"priority"`
	EntityType        string   `json:"entity_type"`
	Policy            string   `json:"policy"`
	RulePolicy        string   `json:"rule_policy"`
	ExcludeRole       bool     `json:"exclude_role"`
	ScopeSize         int64    `json:"scope_size"`
	RolesCovered      int64    `json:"roles_covered"`
	Rules             int64    `json:"rules"`
	SkippedDimensions []string `json:"skipped_dimensions"`
	// UsedOnly is written only when set (docs/excess-privilege.md#used-only).
	UsedOnly bool `json:"used_only,omitempty"`
}

type phaseRecord struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// pct returns 100*a/b rounded to 4 decimals, 0 when b is 0.
func pct(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return round4(metrics.Pct(a, b))
}

func newSummary(snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, info RunInfo) *summary {
	s := &summary{
		Format:            SummaryFormat,
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

	s.countAssignments(snap, cls)
	s.countModel(snap, m)
	if snap.Universe != nil && info.Effective != nil {
		s.Effective, s.Systems = effectiveSummaryOf(snap, cls, info.Effective)
		s.Usage = usageSummaryOf(snap, cls, info.Effective)
		s.NHIOwnership = ownershipSummaryOf(snap)
	}
	return s
}

// countOrphanIdentities counts distinct identity ids among orphans (sorted by identity).
func countOrphanIdentities(orphans []columnar.Orphan) int64 {
	var n int64
	for k := range orphans {
		if k == 0 || orphans[k].IdentityID != orphans[k-1].IdentityID {
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
	return enc.Encode(newSummary(snap, m, cls, info))
}

// countAssignments fills the identity and assignment counts, by kind.
func (s *summary) countAssignments(snap *columnar.Snapshot, cls *mining.Classification) {
	// Identities and their assignments, by kind.
	kd := &snap.Dims[snap.KindDim]
	byKind := make([]kindAssignments, len(kd.Values))
	idents := make([]int64, len(kd.Values))
	for i := range snap.IdentityIDs {
		c := kd.Codes[i]
		idents[c]++
		ka := &byKind[c]
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			ka.Total++
			if cls.RuleOf[k] >= 0 {
				ka.Explained++
			}
		}
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
func (s *summary) countModel(snap *columnar.Snapshot, m *mining.Model) {
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
			Index:             k,
			Line:              mr.Line,
			Priority:          mr.Priority,
			EntityType:        mr.EntityType,
			Policy:            mr.Policy,
			RulePolicy:        mr.RulePolicy,
			ExcludeRole:       mr.ExcludeRole,
			UsedOnly:          mr.UsedOnly,
			RolesCovered:      covered[k],
			Rules:             rulesOf[k],
			SkippedDimensions: []string{},
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
