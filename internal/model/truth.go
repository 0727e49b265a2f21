package model

import "github.com/rolemine/rolemine/internal/usage"

// The truth of a generated data set: what `rolemine gen` planted, written into the data
// directory's truth/ folder and read back to score a run (docs/cli.md#quality,
// docs/effective-privilege.md, docs/excess-privilege.md#generated).

// TruthDir is the folder of a generated data directory that holds the truth.
const TruthDir = "truth"

// Files of truth/. Every one is written by the generator; which of them a data set has
// depends on its flags.
const (
	// TruthRulesFile holds the planted roles and their rules (Truth).
	TruthRulesFile = "rules.json"
	// NoiseFile lists the planted noise assignments (NoiseHeader).
	NoiseFile = "noise.csv"
	// UniverseTruthFile holds the planted universe's counts (UniverseTruth).
	UniverseTruthFile = "universe.json"
	// HiddenFile lists the planted hidden inherited pairs (HiddenHeader).
	HiddenFile = "hidden.csv"
	// UsageTruthFile holds the planted usage counts and ownership findings (UsageTruth).
	UsageTruthFile = "usage.json"
	// UnusedFile lists every planted unused direct pair of a known identity.
	UnusedFile = "unused.csv"
	// OwnersFile lists every non-human identity with an ownership finding.
	OwnersFile = "owners.csv"
	// OverPrivilegedFile lists the planted over-privileged identities.
	OverPrivilegedFile = "overprivileged.csv"
	// UnlabelledFile lists the non-human identities written without their labels.
	UnlabelledFile = "unlabelled.csv"
	// OrgTreeFile is the orgtree plugin's configuration for the planted divisions.
	OrgTreeFile = "orgtree.json"
	// TruthDataFile names the data the truth was generated with (TruthData).
	TruthDataFile = "data.json"
)

// Headers of truth/'s CSV files.
var (
	NoiseHeader          = []string{"identity_id", "role_id", "type"}
	HiddenHeader         = []string{"identity_id", "role_id", "via"}
	UnusedHeader         = []string{"identity_id", "role_id", "last_used"}
	OwnersHeader         = []string{"identity_id", "owner_id", "finding", "owner_left"}
	OverPrivilegedHeader = []string{"identity_id", "group", "reason"}
	UnlabelledHeader     = []string{"identity_id"}
)

// TruthFormat is the format tag of truth/rules.json.
const TruthFormat = "rolemine.truth/v1"

// TruthDataFormat is the format tag of truth/data.json.
const TruthDataFormat = "rolemine.truth-data/v1"

// TruthData is truth/data.json: the fingerprint of the tables gen wrote beside truth/,
// the same SHA-256 as a model's summary.json data_fingerprint (docs/outputs.md), so that
// mine --truth refuses the truth of other data (docs/cli.md#quality). It is its own file,
// not a field of rules.json, whose reader refuses unknown fields: builds from before it
// read the truth of newer data sets still. Data sets generated before it have none.
type TruthData struct {
	Format          string `json:"format"`
	DataFingerprint string `json:"data_fingerprint"`
}

// Types of a planted role (TruthRole.Type).
const (
	TruthTypeRule    = "rule"
	TruthTypeProject = "project"
)

// Types of planted noise (the type column of noise.csv).
const (
	NoiseExtra   = "extra"
	NoiseStale   = "stale"
	NoiseMissing = "missing"
)

// Truth is truth/rules.json, the planted roles of one generated data set, with the
// planted noise of noise.csv.
type Truth struct {
	Format string      `json:"format"`
	Seed   uint64      `json:"seed"`
	Tier   string      `json:"tier"`
	Roles  []TruthRole `json:"roles"`
	// Noise lists planted noise in file order (noise.csv, not part of rules.json).
	Noise []Noise `json:"-"`
}

// TruthRole is one planted role with its planted rules (an empty list for project roles).
type TruthRole struct {
	RoleID string      `json:"role_id"`
	Type   string      `json:"type"`
	Rules  []TruthRule `json:"rules"`
}

// TruthRule is a planted rule: the identities of EntityType (a mining.KindInScope scope)
// matching every criterion get the role.
type TruthRule struct {
	EntityType string           `json:"entity_type"`
	Criteria   []TruthCriterion `json:"criteria"`
}

// TruthCriterion is one attribute = value term of a planted rule.
type TruthCriterion struct {
	Attribute string `json:"attribute"`
	Value     string `json:"value"`
}

// Noise is one row of noise.csv: extra and stale noise is present in the assignments,
// missing noise is a planted assignment that was removed.
type Noise struct {
	IdentityID string
	RoleID     string
	Type       string
}

// UniverseTruth is truth/universe.json, the planted counts of an effective-privilege
// universe (`rolemine gen --universe`), with the hidden pairs of hidden.csv.
type UniverseTruth struct {
	Systems map[string]*SystemTruth `json:"systems"`
	// Grants are the planted role grants (role id, granted role id).
	Grants [][2]string `json:"role_grants"`
	// HiddenInherited counts the planted hidden inherited pairs; Redundant the direct
	// grants that a group also hands out; InheritedOnly the direct grants moved to groups.
	HiddenInherited int64 `json:"hidden_inherited"`
	Redundant       int64 `json:"redundant_direct_grants"`
	InheritedOnly   int64 `json:"moved_to_groups"`
	// Owners counts the planted ownership findings of the non-human identities
	// (docs/excess-privilege.md#ownership); nil in truth written before they were planted.
	Owners *OwnershipSummary `json:"owners"`
	// Incomplete is the system whose export was planted without some accounts; nil when
	// none was.
	Incomplete *IncompleteSystem `json:"incomplete_system,omitempty"`
	// GrantGap is the system whose export was planted without some grants; nil when none
	// was (docs/effective-privilege.md#incomplete).
	GrantGap *GrantGapSystem `json:"incomplete_grants_system,omitempty"`
	// Entitlements counts the planted entitlements held only through roles, and
	// EntitlementGrants the grants from roles to them (in role_grants, not in Grants).
	Entitlements      int `json:"entitlements,omitempty"`
	EntitlementGrants int `json:"entitlement_grants,omitempty"`
	// Hidden are the planted hidden inherited pairs with the chain that hands them out.
	Hidden []HiddenPair `json:"-"`
}

// SystemTruth is one system's planted accounts in universe.json.
type SystemTruth struct {
	Accounts             int `json:"accounts"`
	UncorrelatedAccounts int `json:"uncorrelated_accounts"`
	OrphanAssignments    int `json:"orphan_assignments"`
}

// IncompleteSystem is a system whose accounts export lacks the accounts of some of its
// holders (their grants name the identity).
type IncompleteSystem struct {
	System             string   `json:"system"`
	Roles              []string `json:"roles"`
	IdentitiesWithheld int      `json:"identities_withheld"`
}

// GrantGapSystem is a system whose grants export lacks some grants of holders it has
// accounts for: the rules predict them.
type GrantGapSystem struct {
	System         string   `json:"system"`
	Roles          []string `json:"roles"`
	GrantsWithheld int      `json:"grants_withheld"`
}

// HiddenPair is one row of hidden.csv: a planted hidden inherited (identity, role) pair
// and the chain of groups that hands it out.
type HiddenPair struct{ IdentityID, RoleID, Via string }

// Ownership findings of owners.csv (docs/excess-privilege.md#ownership).
const (
	FindingNoOwner       = "no_owner"
	FindingOwnerUnknown  = "owner_unknown"
	FindingOwnerNotHuman = "owner_not_human"
)

// Reasons of overprivileged.csv.
const (
	// ReasonDormant: none of the identity's access is used.
	ReasonDormant = "dormant"
	// ReasonStale: the identity moved and kept access it no longer uses (planted stale
	// noise, unexplained and unused).
	ReasonStale = "stale"
	// ReasonHidden (universes): the identity holds planted hidden inherited access (a
	// nested grant hands it a role no rule explains; HiddenFile).
	ReasonHidden = "hidden"
)

// Groups of overprivileged.csv, as in excess.csv.
const (
	GroupHuman    = "human"
	GroupNonHuman = "non_human"
)

// UsageTruth is truth/usage.json (`rolemine gen --usage`) plus the lists of unused.csv,
// owners.csv and overprivileged.csv.
type UsageTruth struct {
	// AsOf and UnusedDays are the judgement the counts hold for: the newest planted
	// last_used (the default --as-of) and the default --unused-days.
	AsOf       string `json:"as_of"`
	UnusedDays int    `json:"unused_days"`
	// UnknownSystems have no last_used at all.
	UnknownSystems []string `json:"unknown_systems"`
	// Counts are the effective pairs of known identities by planted state, overall, by
	// kind and by system (as summary.json's usage).
	usage.Counts
	ByKind   map[string]*usage.Counts `json:"by_kind"`
	BySystem map[string]*usage.Counts `json:"by_system"`
	// UnusedRuleGranted counts the unused pairs that planted rules grant (neither planted
	// noise nor project roles): the access that mining used access only (UsedOnly) should
	// turn from explained into unexplained.
	UnusedRuleGranted int64 `json:"unused_rule_granted"`
	// Owners counts the non-human identities by ownership finding; OwnersLeft those
	// whose owner was a human of the previous snapshot and is gone (gen --evolve).
	Owners     OwnershipSummary `json:"owners"`
	OwnersLeft int64            `json:"owners_left"`
	// OverPrivileged counts the planted over-privileged identities by group.
	OverPrivileged map[string]int `json:"over_privileged"`

	// UnusedPairs are the planted unused direct pairs (identity id, role id).
	UnusedPairs map[[2]string]bool `json:"-"`
	// Findings maps each non-human identity with a finding to it; OwnerLeft holds those
	// whose owner left since the previous snapshot.
	Findings  map[string]string `json:"-"`
	OwnerLeft map[string]bool   `json:"-"`
	// Planted maps each planted over-privileged identity to its reason.
	Planted map[string]string `json:"-"`
}
