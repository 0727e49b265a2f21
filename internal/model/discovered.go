package model

// DiscoveredFormat is the format tag of discovered.json.
const DiscoveredFormat = "rolemine.discovered/v1"

// DiscoveredFile is discovered.json, written by `rolemine discover`.
const DiscoveredFile = "discovered.json"

// Discovered is the content of discovered.json.
type Discovered struct {
	Format string           `json:"format"`
	Mode   string           `json:"mode"`
	Roles  []DiscoveredRole `json:"roles"`
	Stats  DiscoveredStats  `json:"stats"`
	// DataFingerprint identifies the data directory discovered from (--data; absent for
	// --upa): report.html shows the discovery only beside a model of the same data.
	DataFingerprint string `json:"data_fingerprint,omitempty"`
}

// DiscoveredRole is one role of discovered.json. Criterion, precision and recall are absent
// (null) when the input has no attributes (--upa). Flag marks a criterion below the
// meaning threshold (discover.NoMeaningFlag).
type DiscoveredRole struct {
	RoleID             string   `json:"role_id"`
	Identities         []string `json:"identities"`
	Entitlements       []string `json:"entitlements"`
	Criterion          []Term   `json:"criterion"`
	CriterionPrecision *float64 `json:"criterion_precision"`
	CriterionRecall    *float64 `json:"criterion_recall"`
	Flag               string   `json:"flag,omitempty"`
}

// DiscoveredStats are the figures of a run. LowerBound is null in approximate mode. Assignments,
// CoveredAssignments and Exceptions describe coverage (exceptions: assignments no role
// covers, the unexplained access; always 0 in exact mode).
type DiscoveredStats struct {
	Roles                int     `json:"roles"`
	UserRoleLinks        int     `json:"user_role_links"`
	RoleEntitlementLinks int     `json:"role_entitlement_links"`
	WSC                  int     `json:"wsc"`
	LowerBound           *int    `json:"lower_bound"`
	Seconds              float64 `json:"seconds"`
	Optimal              bool    `json:"optimal"`
	Assignments          int     `json:"assignments"`
	CoveredAssignments   int     `json:"covered_assignments"`
	Exceptions           int     `json:"exceptions"`
	// Stopped says where the --budget cut the work short: in exact mode the search beyond
	// the improvement it bounds, and how the cover was finished (still exact, not
	// minimal); in approximate mode the validation of candidate roles. Absent when it did
	// not.
	Stopped string `json:"stopped,omitempty"`
}
