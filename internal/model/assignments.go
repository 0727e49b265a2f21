package model

// Assignment is one row of assignments.parquet: one (identity, role) assignment and how
// the model accounts for it. RuleID is null when no rule explains the assignment; Kind is
// "" for orphans (assignments whose identity is unknown).
type Assignment struct {
	IdentityID string `parquet:"identity_id,dict"`
	RoleID     string `parquet:"role_id,dict"`
	Kind       string `parquet:"kind,dict"`
	Status     string `parquet:"status,dict"`
	RuleID     string `parquet:"rule_id,optional,dict"`
}

// Suggestion is one row of suggestions.parquet: a role a rule would grant an identity
// that does not hold it.
type Suggestion struct {
	IdentityID string `parquet:"identity_id,dict"`
	RoleID     string `parquet:"role_id,dict"`
	RuleID     string `parquet:"rule_id,dict"`
	Kind       string `parquet:"kind,dict"`
}
