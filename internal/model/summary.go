package model

import (
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/usage"
)

// Summary is summary.json, the run and model summary of a mine output directory. Every count names its unit; every percentage says its
// denominator in a sibling field or in this comment.
type Summary struct {
	Format  string `json:"format"`
	Version string `json:"version"`
	// Config is the mining configuration's path, or "implicit".
	Config  string `json:"config"`
	Started string `json:"started,omitempty"`
	Backend string `json:"backend"`
	Workers int    `json:"workers"`

	Identities  IdentityCounts   `json:"identities"`
	Roles       RoleCounts       `json:"roles"`
	Assignments AssignmentCounts `json:"assignments"`
	// SkippedDimensions are the dimensions skipped at load (too many distinct values
	// overall, or excluded by the user); MiningRules[k].SkippedDimensions those skipped
	// within one mining rule's scope.
	SkippedDimensions []columnar.SkippedDimension `json:"skipped_dimensions"`
	Rules             RuleCounts                  `json:"rules"`
	Suggestions       int64                       `json:"suggestions"`
	MiningRules       []MiningRuleSummary         `json:"mining_rules"`
	Phases            []Phase                     `json:"phases"`
	// DataFingerprint is DataFingerprint(Inputs): explain, report and drift check it.
	DataFingerprint string           `json:"data_fingerprint"`
	Inputs          []columnar.Input `json:"inputs"`
	// Plugins are the criterion plugins the model was mined with, in the order they ran;
	// [] when none ran, absent (nil when read back) in a model written before rolemine
	// recorded them. The commands that bind the model to data compare them with the
	// plugins they are given (docs/plugins.md#model-record).
	Plugins []PluginRecord `json:"plugins"`
	// Effective and Systems are present only for data with accounts, grants, multi-valued
	// attributes or owners (docs/effective-privilege.md).
	Effective *EffectiveSummary         `json:"effective,omitempty"`
	Systems   map[string]*SystemSummary `json:"systems,omitempty"`
	// Usage is present only for data with a last_used column (docs/excess-privilege.md).
	Usage *UsageSummary `json:"usage,omitempty"`
	// NHIOwnership is present only for data with an owner_id column
	// (docs/excess-privilege.md#ownership).
	NHIOwnership *OwnershipSummary `json:"nhi_ownership,omitempty"`
	// Shards is the provenance of a merged model (`rolemine merge`): one record per shard.
	Shards []ShardRun `json:"shards,omitempty"`
}

// PluginRecord is one criterion plugin a model was mined with: the module's file name
// (not its path, so that the model may move), the SHA-256 of its bytes, the name and
// version its manifest declares, the attributes it reads and those it derives (each in
// byte order), and the SHA-256 of its configuration file (omitted without one).
type PluginRecord struct {
	File         string   `json:"file"`
	SHA256       string   `json:"sha256"`
	Name         string   `json:"name"`
	Version      string   `json:"version"`
	Inputs       []string `json:"inputs"`
	Outputs      []string `json:"outputs"`
	ConfigSHA256 string   `json:"config_sha256,omitempty"`
}

// ShardRun is one shard run of a merged model.
type ShardRun struct {
	Index   int     `json:"index"`
	Count   int     `json:"count"`
	Backend string  `json:"backend"`
	Workers int     `json:"workers"`
	Phases  []Phase `json:"phases"`
}

// IdentityCounts counts the known identities, overall and by kind.
type IdentityCounts struct {
	Total  int64            `json:"total"`
	ByKind map[string]int64 `json:"by_kind"`
}

// RoleCounts counts the roles and how many the model covers.
type RoleCounts struct {
	Total int64 `json:"total"`
	// Implicit roles appear in assignments but not in the roles file.
	Implicit int64 `json:"implicit"`
	// Covered roles got rules; NotCovered = Total - Covered, of which Excluded were
	// withheld by an ExcludeRole mining rule.
	Covered    int64 `json:"covered"`
	NotCovered int64 `json:"not_covered"`
	Excluded   int64 `json:"excluded"`
}

// AssignmentCounts counts distinct assignments. Total = Explained + Unexplained + Orphans;
// percentages are of Explained + Unexplained (assignments of known identities), as
// PctDenominator says.
type AssignmentCounts struct {
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
	ByKind map[string]*KindAssignments `json:"by_kind"`
}

// KindAssignments is AssignmentCounts.ByKind's entry for one kind of identity.
type KindAssignments struct {
	Total          int64   `json:"total"`
	Explained      int64   `json:"explained"`
	Unexplained    int64   `json:"unexplained"`
	ExplainedPct   float64 `json:"explained_pct"`
	UnexplainedPct float64 `json:"unexplained_pct"`
}

// RuleCounts counts the rules, overall and by rule type.
type RuleCounts struct {
	Total  int64            `json:"total"`
	ByType map[string]int64 `json:"by_type"`
}

// MiningRuleSummary is one mining rule of the configuration and what it produced.
type MiningRuleSummary struct {
	Index       int    `json:"index"`
	Line        int    `json:"line"`
	Priority    int    `json:"priority"`
	EntityType  string `json:"entity_type"`
	Policy      string `json:"policy"`
	RulePolicy  string `json:"rule_policy"`
	ExcludeRole bool   `json:"exclude_role"`
	// PrecisionMinPct, FalsePositiveMaxPct and MinIdentities are the bounds the mining
	// rule ran with, which drift holds an implicit mining rule's rules to
	// (docs/semantics.md#drift-bounds); nil in a model written before they were recorded.
	PrecisionMinPct     *float64 `json:"precision_min_pct,omitempty"`
	FalsePositiveMaxPct *float64 `json:"false_positive_max_pct,omitempty"`
	MinIdentities       *int     `json:"min_identities,omitempty"`
	ScopeSize           int64    `json:"scope_size"`
	RolesCovered        int64    `json:"roles_covered"`
	Rules               int64    `json:"rules"`
	SkippedDimensions   []string `json:"skipped_dimensions"`
	// UsedOnly is written only when set (docs/excess-privilege.md#used-only).
	UsedOnly bool `json:"used_only,omitempty"`
}

// EffectiveSummary is summary.json's "effective" object, present for data with accounts,
// grants, attributes or owners. Direct counts the direct pairs of known identities (the
// "assignments" object counts the same); Effective adds the inherited ones.
type EffectiveSummary struct {
	Direct    PairCounts                `json:"direct"`
	Effective PairCounts                `json:"effective"`
	ByKind    map[string]*KindPairs     `json:"by_kind"`
	Cycles    [][]string                `json:"grant_cycles"`
	Grants    int64                     `json:"role_grants"`
	Owners    int64                     `json:"identities_with_owner"`
	Findings  columnar.UniverseFindings `json:"findings"`
	// HiddenByGrant groups the hidden inherited pairs by the grant that hands the role
	// out (the last link of their via chain), most identities first.
	HiddenByGrant []HiddenGrant `json:"hidden_by_grant"`
	// PrivilegedOnlyInherited lists the privileged roles (2 or more validations) that no
	// identity holds directly and some hold through grants: no holder to learn a rule
	// from, so their pairs take the status of the grant's source and no rule of theirs
	// can call one hidden. Most identities first.
	PrivilegedOnlyInherited []InheritedOnlyRole `json:"privileged_only_inherited"`
}

// InheritedOnlyRole is a privileged role held only through grants.
type InheritedOnlyRole struct {
	Role        string `json:"role_id"`
	Validations int    `json:"validations"`
	// Identities hold the role, each only through grants.
	Identities int64 `json:"identities"`
	// GrantedBy are the roles that grant it directly (role_grants), in byte order.
	GrantedBy []string `json:"granted_by"`
}

// HiddenGrant is one grant edge handing out access its role's rules do not explain.
type HiddenGrant struct {
	Grant       string           `json:"grant"`
	Role        string           `json:"role_id"`
	Validations int              `json:"validations"`
	Identities  int64            `json:"identities"`
	ByKind      map[string]int64 `json:"by_kind"`
}

// PairCounts counts (identity, role) pairs. Inherited pairs are held only through grants;
// Hidden ones are inherited and unexplained although their role has rules; Redundant ones
// are direct and also inherited.
type PairCounts struct {
	Total       int64 `json:"total"`
	Explained   int64 `json:"explained"`
	Unexplained int64 `json:"unexplained"`
	Inherited   int64 `json:"inherited"`
	Hidden      int64 `json:"hidden_inherited"`
	Redundant   int64 `json:"redundant"`
}

// KindPairs is EffectiveSummary.ByKind's entry for one kind of identity.
type KindPairs struct {
	Direct    PairCounts `json:"direct"`
	Effective PairCounts `json:"effective"`
}

// SystemSummary is one entry of summary.json's "systems", keyed by system name. Pairs
// count the effective pairs attributed to the system (docs/effective-privilege.md#decisions,
// "The system of a pair"); Orphans count orphan access on the system: through its
// accounts, or named by an unknown identity on one of its roles. Orphans and suggestions
// without a system are counted under "(no system)", as pairs are.
type SystemSummary struct {
	Accounts             int64 `json:"accounts"`
	UncorrelatedAccounts int64 `json:"uncorrelated_accounts"`
	Assignments          int64 `json:"assignments"`
	Explained            int64 `json:"explained"`
	Unexplained          int64 `json:"unexplained"`
	Inherited            int64 `json:"inherited"`
	Hidden               int64 `json:"hidden_inherited"`
	Orphans              int64 `json:"orphans"`
	// Suggestions are grants the rules would make on the system's roles that the data
	// lacks; MissingAccounts counts identities without an account in the system although
	// most of their peers (same kind, department and title, 5 or more) have one.
	Suggestions     int64 `json:"suggestions"`
	MissingAccounts int64 `json:"missing_accounts"`
	// DirectExplained counts the system's direct pairs a rule explains; SuggestedPercent
	// is Suggestions as a percentage of all the grants the rules make on the system
	// (DirectExplained + Suggestions), rounded to two decimals.
	DirectExplained  int64   `json:"direct_explained"`
	SuggestedPercent float64 `json:"suggested_pct"`
	// PossiblyIncomplete flags a system whose data may be missing grants or accounts
	// (docs/effective-privilege.md#incomplete): a SuggestedPercent above 2 and above
	// twice the median of the other systems', or missing accounts above 5% of its
	// correlated accounts. Reason says which.
	PossiblyIncomplete bool   `json:"possibly_incomplete"`
	Reason             string `json:"incomplete_reason"`
}

// UsageSummary is summary.json's "usage" object, present for data with a last_used
// column: the effective pairs of known identities by usage state, overall, by kind and
// by system (pairs without one under "(no system)").
type UsageSummary struct {
	AsOf       string `json:"as_of"`
	UnusedDays int    `json:"unused_days"`
	usage.Counts
	ByKind   map[string]*usage.Counts `json:"by_kind"`
	BySystem map[string]*usage.Counts `json:"by_system"`
}

// OwnershipSummary is summary.json's "nhi_ownership", present with an owner_id column:
// the non-human identities, those owned by a human, and the count of each finding.
type OwnershipSummary struct {
	NonHuman      int64 `json:"non_human"`
	OwnedByHuman  int64 `json:"owned_by_human"`
	NoOwner       int64 `json:"no_owner"`
	OwnerUnknown  int64 `json:"owner_unknown"`
	OwnerNotHuman int64 `json:"owner_not_human"`
}
