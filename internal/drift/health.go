package drift

import (
	"fmt"
	"math"
	"strconv"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/metrics"
	"github.com/rolemine/rolemine/internal/mining"
	ondisk "github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/report"
)

// Formats of drift's JSON outputs (declared in package model).
const (
	HealthFormat  = ondisk.DriftHealthFormat
	SummaryFormat = ondisk.DriftSummaryFormat
)

// RuleHealth is one rule of rules-health.json (ondisk.RuleHealth).
type RuleHealth = ondisk.RuleHealth

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func pct(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return round4(metrics.Pct(a, b))
}

func fmtPct(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// miningRuleOf returns the mining rule giving role's bounds (docs/semantics.md#drift-bounds):
// roles.json's covering mining rule in cfg; else, when cfg has exactly one mining rule,
// that one; else the implicit rule.
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
			Mined:  ondisk.RuleMined{Support: rec.Support, TP: rec.TP, FP: rec.FP},
			Bounds: ondisk.HealthBounds{PrecisionMinPct: mr.PrecisionMin, FalsePositiveMaxPct: mr.FalsePositiveMax, MinIdentities: mr.MinIdentities},
		}
		h.FalsePositivePct = pct(h.FP, h.Support)
		fail := func(format string, a ...any) { h.Failures = append(h.Failures, fmt.Sprintf(format, a...)) }
		r := b.Role(int32(k))
		if r < 0 {
			fail("role %s is no longer in the data", rec.RoleID)
		} else {
			n := scopeN(b.InKind(int32(k))) - eff.neutralIn(next, r, b.InKind(int32(k))) - c.roleUnused[r]
			counts := metrics.Of(n, c.roleHin[r], c.roleTP[r], c.roleFP[r])
			rh := ondisk.RoleHealth{N: n, TP: counts.TP, FP: counts.FP, FN: counts.FN, TN: counts.TN,
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

// Summary is drift's summary.json (ondisk.DriftSummary).
type Summary = ondisk.DriftSummary

// Phase is one timed step.
type Phase = ondisk.Phase

func summarize(model *report.Model, next *columnar.Snapshot, base Baseline, res *Result, c *counters, cls *unexplainedClasses, unexplained int) Summary {
	s := Summary{Format: SummaryFormat, ChangesNamed: base.Previous != nil, Actions: map[string]*ondisk.ActionCount{}}
	if base.Previous == nil {
		s.Note = "no --previous-data: revoke candidates cannot name the attribute change behind them (their change column says so)"
	}
	s.Identities.ByKind = map[string]int64{}
	for kind, kt := range c.byKind {
		s.Identities.ByKind[kind] = kt.identities
		s.Identities.Total += kt.identities
	}
	for _, t := range ActionTypes {
		s.Actions[t] = &ondisk.ActionCount{ByKind: map[string]int64{}}
	}
	for _, a := range res.Actions {
		ac := s.Actions[a.Type]
		if ac == nil { // remove-redundant, with role grants only
			ac = &ondisk.ActionCount{ByKind: map[string]int64{}}
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
	as.Unexplained = int64(unexplained) + c.unusedOnly
	as.Unused = c.unusedOnly
	as.Orphans = int64(len(next.Orphans))
	as.Total = as.Explained + as.Unexplained + as.Orphans
	as.RevokeCandidates = int64(len(cls.revokes))
	as.New, as.StillUnexplained, as.Unknown = cls.newAccess, cls.still, cls.unknown
	as.NoAction = as.Explained
	as.NoActionPct = pct(as.NoAction, as.Total)
	as.PctDenominator = "all assignments of the new snapshot, orphans included"
	as.Basis = cls.basis
	if cls.unknown == 0 {
		s.NewUnexplained = &ondisk.NewUnexplained{Total: cls.newAccess, ByKind: cls.newByKind, Pct: pct(cls.newAccess, as.Unexplained)}
	}
	s.Rules.Total = len(res.Health)
	for _, h := range res.Health {
		if h.Degraded {
			s.Rules.Degraded++
		}
	}
	return s
}
