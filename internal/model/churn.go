package model

// ChurnFormat is the format tag of churn.json.
const ChurnFormat = "rolemine.churn/v1"

// ChurnFile is churn.json, written beside the model by `rolemine mine`.
const ChurnFile = "churn.json"

// ChurnRule names one rule for churn: its stable id, role and criterion.
type ChurnRule struct {
	RuleID    string `json:"rule_id"`
	RoleID    string `json:"-"`
	Criterion string `json:"criterion"`
}

// Churn compares a model's rules with the previous run's. Jaccard is |kept| / |previous ∪
// current| over rule ids (1 when both are empty).
type Churn struct {
	Format string `json:"format"`
	// Previous is the previous output directory, "" when there was none (every rule is
	// then new).
	Previous string  `json:"previous"`
	Grace    float64 `json:"grace_pct_points"`
	Overall  struct {
		PreviousRules int     `json:"previous_rules"`
		Rules         int     `json:"rules"`
		Added         int     `json:"added"`
		Removed       int     `json:"removed"`
		Kept          int     `json:"kept"`
		Jaccard       float64 `json:"jaccard"`
		RolesChanged  int     `json:"roles_changed"`
		Roles         int     `json:"roles"`
	} `json:"overall"`
	// Roles lists every role with a rule in either model, by role id.
	Roles []RoleChurn `json:"roles"`
}

// RoleChurn is one role's rule churn.
type RoleChurn struct {
	RoleID  string      `json:"role_id"`
	Added   []ChurnRule `json:"added"`
	Removed []ChurnRule `json:"removed"`
	Kept    []ChurnRule `json:"kept"`
	Jaccard float64     `json:"jaccard"`
}
