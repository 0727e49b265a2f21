package model

// The documents `rolemine drift` writes (docs/outputs.md), read back by the report's drift
// section: declared once here for both.

// File names and formats of a drift output directory.
const (
	DriftRemediationFile = "remediation.csv"
	DriftHealthFile      = "rules-health.json"
	DriftSummaryFile     = "summary.json"
	DriftHealthFormat    = "rolemine.rules-health/v1"
	DriftSummaryFormat   = "rolemine.drift/v1"
)

// DriftHealth is rules-health.json.
type DriftHealth struct {
	Format       string       `json:"format"`
	BoundsSource string       `json:"bounds_source"`
	Rules        []RuleHealth `json:"rules"`
}

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
	Mined            RuleMined `json:"mined"`
	// Role is the rule's role measured with all its rules on the new snapshot (precision
	// = 100*(TP+TN)/n over the scope, fp% = 100*FP/(TP+FP); docs/semantics.md).
	Role   RoleHealth   `json:"role"`
	Bounds HealthBounds `json:"bounds"`
	// Degraded is true when a bound fails on the new data; Failures says which.
	Degraded bool     `json:"degraded"`
	Failures []string `json:"failures"`
}

// RuleMined is what rules.json recorded of a rule at mining time.
type RuleMined struct {
	Support int64 `json:"support"`
	TP      int64 `json:"tp"`
	FP      int64 `json:"fp"`
}

// RoleHealth is a role's counts on the new snapshot.
type RoleHealth struct {
	N                int64   `json:"n"`
	TP               int64   `json:"tp"`
	FP               int64   `json:"fp"`
	FN               int64   `json:"fn"`
	TN               int64   `json:"tn"`
	PrecisionPct     float64 `json:"precision_pct"`
	FalsePositivePct float64 `json:"false_positive_pct"`
}

// HealthBounds are the bounds a rule was held to.
type HealthBounds struct {
	PrecisionMinPct     float64 `json:"precision_min_pct"`
	FalsePositiveMaxPct float64 `json:"false_positive_max_pct"`
	MinIdentities       int     `json:"min_identities"`
}

// DriftSummary is drift's summary.json. Every percentage names its denominator.
type DriftSummary struct {
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
	Actions map[string]*ActionCount `json:"actions"`
	// Assignments accounts for every assignment of the new snapshot.
	Assignments DriftAssignments `json:"assignments"`
	// NewUnexplained counts assignments no rule explains that were not held at mining
	// time (or whose identity is new); null when there is no baseline to tell.
	NewUnexplained *NewUnexplained `json:"new_unexplained"`
	Rules          struct {
		Total    int `json:"total"`
		Degraded int `json:"degraded"`
	} `json:"rules"`
	Phases []Phase `json:"phases"`
}

// ActionCount counts one action type of remediation.csv.
type ActionCount struct {
	Total  int64            `json:"total"`
	ByKind map[string]int64 `json:"by_kind"`
}

// DriftAssignments: Total = Explained + Unexplained + Orphans; Unexplained =
// RevokeCandidates + New + StillUnexplained + Unknown + Unused. NoActionPct =
// 100*NoAction/Total (NoAction = Explained: access a rule explains needs no action).
type DriftAssignments struct {
	Total            int64 `json:"total"`
	Explained        int64 `json:"explained"`
	Unexplained      int64 `json:"unexplained"`
	Orphans          int64 `json:"orphans"`
	RevokeCandidates int64 `json:"revoke_candidates"`
	New              int64 `json:"new_unexplained"`
	StillUnexplained int64 `json:"still_unexplained"`
	Unknown          int64 `json:"unexplained_no_baseline"`
	// Unused counts direct assignments a rule matches that are unexplained for being
	// unused, under a mining rule that mines used access only (docs/excess-privilege.md,
	// "Drift under UsedOnly"); written only when non-zero.
	Unused         int64   `json:"unused_under_used_only,omitempty"`
	NoAction       int64   `json:"no_action"`
	NoActionPct    float64 `json:"no_action_pct"`
	PctDenominator string  `json:"pct_denominator"`
	Basis          string  `json:"baseline"`
}

// NewUnexplained counts new unexplained assignments; Pct = 100*Total/assignments.unexplained.
type NewUnexplained struct {
	Total  int64            `json:"total"`
	ByKind map[string]int64 `json:"by_kind"`
	Pct    float64          `json:"pct_of_unexplained"`
}

// Phase is one timed step.
type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}
