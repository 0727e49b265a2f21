package drift

import (
	"fmt"
	"math"
	"strconv"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/metrics"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/report"
)

// Formats of drift's JSON outputs.
const (
	HealthFormat  = "rolemine.rules-health/v1"
	SummaryFormat = "rolemine.drift/v1"
)

// RuleHealth is one rule of rules-health.json: its counts on the new snapshot and its
// role's, against the bounds of the mining rule that produced it.
type RuleHealth struct {
	RuleID     string `json:"rule_id"`
	RoleID     string `json:"role_id"`
	Criterion  string `json:"criterion"`
	EntityType string `json:"entity_type"`
	// MiningRule is the index (document order) of the mining rule that covered the role,
	// or -1 when roles.json does not say.
	MiningRule int `json:"mining_rule"`
	// Rule counts on the new snapshot, within the rule's scope: support = identities
	// matched, tp = those holding the role, fp = support - tp; FalsePositivePct =
	// 100*fp/support. Mined holds the counts rules.json recorded at mining time.
	Support          int64     `json:"support"`
	TP               int64     `json:"tp"`
	FP               int64     `json:"fp"`
	FalsePositivePct float64   `json:"false_positive_pct"`
	Mined            ruleMined `json:"mined"`
	// Role is the rule's role measured with all its rules on the new snapshot
	// (DESIGN.md section 5: precision = 100*(TP+TN)/n over the scope, fp% =
	// 100*FP/(TP+FP)).
	Role   roleHealth `json:"role"`
	Bounds bounds     `json:"bounds"`
	// Degraded is true when a bound fails on the new data; Failures says which.
	Degraded bool     `json:"degraded"`
	Failures []string `json:"failures"`
}

type ruleMined struct {
	Support int64 `json:"support"`
	TP      int64 `json:"tp"`
	FP      int64 `json:"fp"`
}

type roleHealth struct {
	N                int64   `json:"n"`
	TP               int64   `json:"tp"`
	FP               int64   `json:"fp"`
	FN               int64   `json:"fn"`
	TN               int64   `json:"tn"`
	PrecisionPct     float64 `json:"precision_pct"`
	FalsePositivePct float64 `json:"false_positive_pct"`
}

type bounds struct {
	PrecisionMinPct     float64 `json:"precision_min_pct"`
	FalsePositiveMaxPct float64 `json:"false_positive_max_pct"`
	MinIdentities       int     `json:"min_identities"`
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func pct(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return round4(metrics.Pct(a, b))
}

func fmtPct(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// miningRuleOf returns the mining rule giving role's bounds: roles.json's covering mining
// rule in cfg, else the first in cfg, else the implicit rule.
func miningRuleOf(cfg *mining.Config, rec *report.RoleRecord) (mining.MiningRule, int) {
	if cfg != nil && rec != nil && rec.MiningRule != nil {
		for _, mr := range cfg.MiningRules {
			if mr.Index == rec.MiningRule.Index {
				return mr, mr.Index
			}
		}
	}
	idx := -1
	if rec != nil && rec.MiningRule != nil {
		idx = rec.MiningRule.Index
	}
	if cfg != nil && len(cfg.MiningRules) == 1 {
		return cfg.MiningRules[0], idx
	}
	return mining.DefaultMiningRule(), idx
}

// health measures every rule and its role on the new snapshot.
func health(model *report.Model, next *columnar.Snapshot, b *binding, c *counters, opts Options, eff *held) []RuleHealth {
	roleRec := map[string]*report.RoleRecord{}
	for k := range model.Roles {
		roleRec[model.Roles[k].RoleID] = &model.Roles[k]
	}
	// Scope sizes by kind mask.
	kd := &next.Dims[next.KindDim]
	perKind := make([]int64, len(kd.Values))
	for _, kc := range kd.Codes {
		perKind[kc]++
	}
	scopeN := func(kinds []bool) int64 {
		var n int64
		for kc, in := range kinds {
			if in {
				n += perKind[kc]
			}
		}
		return n
	}
	out := make([]RuleHealth, len(model.Rules))
	for k := range model.Rules {
		rec := &model.Rules[k]
		mr, idx := miningRuleOf(opts.Config, roleRec[rec.RoleID])
		h := RuleHealth{
			RuleID: rec.RuleID, RoleID: rec.RoleID, Criterion: criterionString(rec), EntityType: rec.EntityType,
			MiningRule: idx, Support: c.support[k], TP: c.tp[k], FP: c.support[k] - c.tp[k],
			Mined:  ruleMined{rec.Support, rec.TP, rec.FP},
			Bounds: bounds{mr.PrecisionMin, mr.FalsePositiveMax, mr.MinIdentities},
		}
		h.FalsePositivePct = pct(h.FP, h.Support)
		fail := func(format string, a ...any) { h.Failures = append(h.Failures, fmt.Sprintf(format, a...)) }
		r := b.role[k]
		if r < 0 {
			fail("role %s is no longer in the data", rec.RoleID)
		} else {
			n := scopeN(b.kinds[k]) - eff.neutralIn(next, r, b.kinds[k])
			counts := metrics.Of(n, c.roleHin[r], c.roleTP[r], c.roleFP[r])
			rh := roleHealth{N: n, TP: counts.TP, FP: counts.FP, FN: counts.FN, TN: counts.TN,
				PrecisionPct: round4(counts.Precision()), FalsePositivePct: round4(counts.FalsePositivePct())}
			h.Role = rh
			if h.Support < int64(mr.MinIdentities) {
				fail("support %d < MinIdentitiesCount %d", h.Support, mr.MinIdentities)
			}
			if h.TP == 0 {
				fail("matches no holder of the role")
			}
			if fp := metrics.Pct(h.FP, h.Support); h.Support > 0 && fp > mr.FalsePositiveMax {
				fail("rule fp%% %.2f > %s", fp, fmtPct(mr.FalsePositiveMax))
			}
			if fp := counts.FalsePositivePct(); fp > mr.FalsePositiveMax {
				fail("role fp%% %.2f > %s", fp, fmtPct(mr.FalsePositiveMax))
			}
			if p := counts.Precision(); n > 0 && p < mr.PrecisionMin {
				fail("role precision %.2f%% < %s%%", p, fmtPct(mr.PrecisionMin))
			}
		}
		h.Degraded = len(h.Failures) > 0
		if h.Failures == nil {
			h.Failures = []string{}
		}
		out[k] = h
	}
	return out
}

// Summary is drift's summary.json. Every percentage names its denominator.
type Summary struct {
	Format string `json:"format"`
	Model  string `json:"model"`
	Data   string `json:"data"`
	// PreviousData is the --previous-data directory, "" when not given.
	PreviousData string `json:"previous_data"`
	// ChangesNamed is false without --previous-data: revoke candidates then say
	// ChangeUnknown instead of guessing the attribute change. Note says so in words.
	ChangesNamed bool   `json:"attribute_changes_named"`
	Note         string `json:"note,omitempty"`
	BoundsSource string `json:"bounds_source"`

	Identities struct {
		Total  int64            `json:"total"`
		ByKind map[string]int64 `json:"by_kind"`
	} `json:"identities"`
	// Actions counts remediation.csv rows per action type, overall and by identity kind
	// (orphans whose kind is unknown count under "unknown").
	Actions map[string]*actionCount `json:"actions"`
	// Assignments accounts for every assignment of the new snapshot.
	Assignments assignmentSummary `json:"assignments"`
	// NewUnexplained counts assignments no rule explains that were not held at mining
	// time (or whose identity is new); null when there is no baseline to tell.
	NewUnexplained *newUnexplained `json:"new_unexplained"`
	Rules          struct {
		Total    int `json:"total"`
		Degraded int `json:"degraded"`
	} `json:"rules"`
	Phases []Phase `json:"phases"`
}

type actionCount struct {
	Total  int64            `json:"total"`
	ByKind map[string]int64 `json:"by_kind"`
}

// assignmentSummary: Total = Explained + Unexplained + Orphans; Unexplained =
// RevokeCandidates + New + StillUnexplained + Unknown. NoActionPct = 100*NoAction/Total
// (NoAction = Explained: access a rule explains needs no action).
type assignmentSummary struct {
	Total            int64   `json:"total"`
	Explained        int64   `json:"explained"`
	Unexplained      int64   `json:"unexplained"`
	Orphans          int64   `json:"orphans"`
	RevokeCandidates int64   `json:"revoke_candidates"`
	New              int64   `json:"new_unexplained"`
	StillUnexplained int64   `json:"still_unexplained"`
	Unknown          int64   `json:"unexplained_no_baseline"`
	NoAction         int64   `json:"no_action"`
	NoActionPct      float64 `json:"no_action_pct"`
	PctDenominator   string  `json:"pct_denominator"`
	Basis            string  `json:"baseline"`
}

type newUnexplained struct {
	Total  int64            `json:"total"`
	ByKind map[string]int64 `json:"by_kind"`
	// Pct = 100*Total/assignments.unexplained.
	Pct float64 `json:"pct_of_unexplained"`
}

// Phase is one timed step.
type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

func summarize(model *report.Model, next *columnar.Snapshot, base Baseline, res *Result, c *counters, cls *unexplainedClasses, unexplained int) Summary {
	s := Summary{Format: SummaryFormat, ChangesNamed: base.Previous != nil, Actions: map[string]*actionCount{}}
	if base.Previous == nil {
		s.Note = "no --previous-data: revoke candidates cannot name the attribute change behind them (their change column says so)"
	}
	s.Identities.ByKind = map[string]int64{}
	for kind, kt := range c.byKind {
		s.Identities.ByKind[kind] = kt.identities
		s.Identities.Total += kt.identities
	}
	for _, t := range ActionTypes {
		s.Actions[t] = &actionCount{ByKind: map[string]int64{}}
	}
	for _, a := range res.Actions {
		ac := s.Actions[a.Type]
		if ac == nil { // remove-redundant, with role grants only
			ac = &actionCount{ByKind: map[string]int64{}}
			s.Actions[a.Type] = ac
		}
		ac.Total++
		kind := a.Kind
		if kind == "" {
			kind = "unknown"
		}
		ac.ByKind[kind]++
	}
	as := &s.Assignments
	as.Explained = c.explained
	as.Unexplained = int64(unexplained)
	as.Orphans = int64(len(next.Orphans))
	as.Total = as.Explained + as.Unexplained + as.Orphans
	as.RevokeCandidates = int64(len(cls.revokes))
	as.New, as.StillUnexplained, as.Unknown = cls.newAccess, cls.still, cls.unknown
	as.NoAction = as.Explained
	as.NoActionPct = pct(as.NoAction, as.Total)
	as.PctDenominator = "all assignments of the new snapshot, orphans included"
	as.Basis = cls.basis
	if cls.unknown == 0 {
		s.NewUnexplained = &newUnexplained{Total: cls.newAccess, ByKind: cls.newByKind, Pct: pct(cls.newAccess, as.Unexplained)}
	}
	s.Rules.Total = len(res.Health)
	for _, h := range res.Health {
		if h.Degraded {
			s.Rules.Degraded++
		}
	}
	return s
}
