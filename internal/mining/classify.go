package mining

// Status is the status of one assignment (docs/semantics.md, section 6).
type Status uint8

// Assignment statuses.
const (
	Explained Status = iota
	Unexplained
	Orphan
)

// String returns "explained", "unexplained" or "orphan".
func (s Status) String() string {
	switch s {
	case Explained:
		return "explained"
	case Unexplained:
		return "unexplained"
	}
	return "orphan"
}

// Suggestion is an (identity, role) pair a rule matches where the identity lacks the role.
type Suggestion struct {
	Identity int32
	Role     int32
	// Rule is the index in Model.Rules of the first matching rule of the role.
	Rule int32
}

// Classification accounts for every assignment of a snapshot under a model.
type Classification struct {
	// RuleOf[k] is, for the k-th assignment in CSR-by-identity order (snap.IdentIdx[k]),
	// the index in Model.Rules of the first rule of its role (rule order) that matches the
	// identity, or -1 when the assignment is unexplained. Orphans are all unclassified
	// (status orphan) and live in snap.Orphans.
	RuleOf []int32
	// Suggestions sorted by identity index, then role.
	Suggestions []Suggestion
	// Unused[k] marks an unexplained assignment that a rule of a UsedOnly mining rule
	// matches but whose access is unused (ApplyUsedOnly); nil when there is none.
	Unused []bool
}

// UnusedAt reports whether the k-th assignment is unexplained because it is unused under
// a UsedOnly mining rule.
func (c *Classification) UnusedAt(k int) bool { return c.Unused != nil && c.Unused[k] }

// Status returns the status of the k-th assignment in CSR-by-identity order.
func (c *Classification) Status(k int) Status {
	if c.RuleOf[k] < 0 {
		return Unexplained
	}
	return Explained
}
