// Package columnar loads identities, roles and assignments from Parquet or CSV into
// dictionary-coded columns (held as Apache Arrow arrays), builds the in-memory snapshot the
// miner works on (identity x dimension int32 codes, assignments as CSR by role and by
// identity), and names package outdir's output set (OutputSet), through which the
// commands write their files all or nothing.
package columnar

// KindDimension is the name of the identity kind column, which is also a dimension.
const KindDimension = "kind"

// HumanKind is the kind of an identity whose kind is empty or absent.
const HumanKind = "human"

// Snapshot is one enterprise in memory: identities with dictionary-coded attributes, roles,
// and the deduplicated assignments between them.
//
// Invariants (established by Load and relied on by kernels and mining):
//   - Dims is sorted by Name (byte order), and every Dimension's Values are sorted (byte
//     order), so comparing (dimension index, code) pairs compares (attribute, value) strings.
//   - "kind" is always one of the Dims (KindDim), and never has a missing value.
//   - Roles are sorted by ID; role index = position.
//   - Identities keep the order of the identities file.
//   - RoleIdx[RoleOff[r]:RoleOff[r+1]] are the identity indices holding role r, ascending,
//     without duplicates. IdentIdx[IdentOff[i]:IdentOff[i+1]] are the roles of identity i,
//     ascending. Both describe the same set of assignments (orphans excluded).
type Snapshot struct {
	IdentityIDs []string
	Dims        []Dimension
	KindDim     int

	Roles Roles

	RoleOff  []int64
	RoleIdx  []int32
	IdentOff []int64
	IdentIdx []int32

	// Orphans are assignments whose identity is absent from identities (or, with
	// accounts, granted to an account no known identity owns), sorted by (IdentityID,
	// System, AccountID, Role) and deduplicated.
	Orphans []Orphan

	Findings Findings
	// Universe holds what the optional inputs of effective privilege add (accounts, role
	// grants, multi-valued attributes, owners); nil for flat inputs.
	Universe *Universe
	// Inputs fingerprints each file read (for summary.json).
	Inputs []Input
	// RolesKept is set when LoadOptions.KeepRole dropped the assignments of the roles it
	// rejected: those roles have no holders, and the assignment counts of Findings
	// (orphans, duplicates) cover the kept roles alone. Such a snapshot mines the kept
	// roles exactly as the whole one would, and is good for nothing else.
	RolesKept bool
}

// Dimension is one attribute column of identities, dictionary coded.
type Dimension struct {
	Name string
	// Values is the dictionary: code -> value, sorted, without duplicates, never "".
	Values []string
	// Codes holds one code per identity; -1 means no value (empty or null).
	Codes []int32
	// Multi holds extra values for multi-valued attributes (plugins, hierarchies) as CSR:
	// identity i additionally has the codes MultiCodes[MultiOff[i]:MultiOff[i+1]]. Nil for
	// single-valued dimensions, which is every dimension read from files.
	MultiOff   []int32
	MultiCodes []int32
	// Skipped is set when the dimension can never make a rule (too many distinct values
	// or excluded by the user); SkipReason says why.
	Skipped    bool
	SkipReason string
	// ScopeRecount is set on a dimension skipped for its distinct values over all
	// identities: a mining rule whose scope is narrower counts them again within its scope
	// and may use it (a host name unique per human can be shared by service accounts).
	ScopeRecount bool
}

// Roles holds the role table, sorted by ID.
type Roles struct {
	IDs         []string
	Category    []string
	Validations []int8
	Application []string
	Description []string
	// Implicit marks roles that appear in assignments but not in the roles file.
	Implicit []bool
}

// Orphan is an assignment to an identity missing from the identities file.
type Orphan struct {
	IdentityID string
	Role       int32
	// System and AccountID name the account of orphan access granted to an account
	// (uncorrelated, unknown, or correlated to an unknown identity); empty otherwise.
	System    string
	AccountID string
}

// Findings are the non-fatal observations of loading (docs/inputs.md#input-findings).
type Findings struct {
	OrphanAssignments    int                `json:"orphan_assignments"`
	OrphanIdentities     []string           `json:"orphan_identities"`
	ImplicitRoles        int                `json:"implicit_roles"`
	DuplicateAssignments int                `json:"duplicate_assignments"`
	SkippedDimensions    []SkippedDimension `json:"skipped_dimensions"`
}

// SkippedDimension records a dimension that never makes rules, and why.
type SkippedDimension struct {
	Name     string `json:"name"`
	Distinct int    `json:"distinct_values"`
	Reason   string `json:"reason"`
}

// Input identifies one file read: its path, size and SHA-256.
type Input struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
	Rows   int64  `json:"rows"`
}

// NumIdentities returns the number of known identities.
func (s *Snapshot) NumIdentities() int { return len(s.IdentityIDs) }

// NumRoles returns the number of roles.
func (s *Snapshot) NumRoles() int { return len(s.Roles.IDs) }

// Holders returns the identities holding role r, ascending.
func (s *Snapshot) Holders(r int) []int32 { return s.RoleIdx[s.RoleOff[r]:s.RoleOff[r+1]] }

// RolesOf returns the roles of identity i, ascending.
func (s *Snapshot) RolesOf(i int) []int32 { return s.IdentIdx[s.IdentOff[i]:s.IdentOff[i+1]] }

// Kind returns the kind of identity i.
func (s *Snapshot) Kind(i int) string {
	d := &s.Dims[s.KindDim]
	return d.Values[d.Codes[i]]
}

// DimIndex returns the index of the dimension named name, or -1.
func (s *Snapshot) DimIndex(name string) int {
	for i := range s.Dims {
		if s.Dims[i].Name == name {
			return i
		}
	}
	return -1
}

// Has reports whether identity i has value code on dimension d (any of its values, for
// multi-valued dimensions).
func (d *Dimension) Has(i int, code int32) bool {
	if d.Codes[i] == code {
		return true
	}
	if d.MultiOff != nil {
		for _, c := range d.MultiCodes[d.MultiOff[i]:d.MultiOff[i+1]] {
			if c == code {
				return true
			}
		}
	}
	return false
}
