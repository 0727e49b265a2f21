// Package mining turns a snapshot and a mining configuration into single role rules with
// the exact semantics of docs/config.md and docs/semantics.md: candidate criteria up to
// MaxDimensions terms, rule selection per role, mining rules in priority order, and an
// outcome for every role. It also classifies every assignment as explained, unexplained
// or orphan and lists suggestions.
package mining

import (
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
)

// Rule is one emitted single role rule.
type Rule struct {
	// ID is a stable hash of role id and criterion (see RuleID).
	ID        string
	Role      int32
	Criterion kernels.Criterion
	Type      RuleType
	// Policy is the generating mining rule's RulePolicy.
	Policy string
	// EntityType is the scope of the mining rule that produced the rule, as written.
	EntityType string
	// MiningRule is the index (document order) of the generating mining rule.
	MiningRule int
	Priority   int
	Support    int64
	TP         int64
	FP         int64
}

// Outcome is what happened to one role.
type Outcome struct {
	Role int32
	// MiningRule is the index of the mining rule that covered the role (rules emitted),
	// or -1. ExcludedBy is the index of the ExcludeRole mining rule that withheld it, or -1.
	MiningRule int
	ExcludedBy int
	// Reason explains why no rule was emitted ("" when covered).
	Reason string
	// Attempts lists every mining rule that considered the role, in run order.
	Attempts []Attempt
	// Metrics of the emitted rule set (covered), or of the empty rule set over the scope of
	// the last mining rule that considered the role (all identities if none did).
	N, TP, FP, FN, TN int64
	Precision         float64 // percent: 100*(TP+TN)/N
	FalsePositivePct  float64 // percent: 100*FP/(TP+FP), 0 when TP+FP=0
	Rules             int
	// Candidates is the number of useful candidates of the covering (or last) attempt;
	// Exact reports whether the choice was proven optimal (false: greedy).
	Candidates int
	Exact      bool
}

// Attempt records one mining rule's verdict on a role.
type Attempt struct {
	MiningRule int
	Covered    bool
	Reason     string
}

// Model is the result of mining.
type Model struct {
	Config *Config
	// Rules are sorted by role, then rule order (criteria in Criterion.Compare order).
	Rules []Rule
	// Outcomes has one entry per role, in role order.
	Outcomes []Outcome
	// ScopeSizes[k] is the number of identities in scope of mining rule k.
	ScopeSizes []int64
	// SkippedDims[k] lists dimensions skipped for mining rule k (too many distinct values
	// within its scope, or excluded by the user).
	SkippedDims [][]string
	Backend     string
}

// RulesOf returns the rules of role r (a sub-slice of m.Rules).
func (m *Model) RulesOf(r int32) []Rule {
	lo, hi := 0, len(m.Rules)
	for lo < hi {
		mid := (lo + hi) / 2
		if m.Rules[mid].Role < r {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	end := lo
	for end < len(m.Rules) && m.Rules[end].Role == r {
		end++
	}
	return m.Rules[lo:end]
}

// Matches reports whether rule matches identity i of snap: the identity's kind is in the
// rule's scope and it has every term's value.
func (r *Rule) Matches(snap *columnar.Snapshot, i int) bool {
	return KindInScope(r.EntityType, snap.Kind(i)) && matchesCriterion(snap, &r.Criterion, i)
}
