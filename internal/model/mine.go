package model

// The files of a mine output directory that carry the model (docs/outputs.md).
const (
	RulesJSONFile          = "rules.json"
	RulesParquetFile       = "rules.parquet"
	RulesXMLFile           = "rules.xml"
	RolesJSONFile          = "roles.json"
	AssignmentsParquetFile = "assignments.parquet"
	SuggestionsParquetFile = "suggestions.parquet"
	SummaryJSONFile        = "summary.json"
)

// Format tags of the mine output's JSON documents, in their "format" field
// (docs/outputs.md).
const (
	RulesFormat   = "rolemine.rules/v1"
	RolesFormat   = "rolemine.roles/v1"
	SummaryFormat = "rolemine.summary/v1"
)

// Rule is one rule as written to rules.json and rules.parquet (same fields, same order).
type Rule struct {
	RuleID             string `json:"rule_id" parquet:"rule_id"`
	RoleID             string `json:"role_id" parquet:"role_id,dict"`
	Policy             string `json:"policy" parquet:"policy,dict"`
	RuleType           string `json:"rule_type" parquet:"rule_type,dict"`
	EntityType         string `json:"entity_type" parquet:"entity_type,dict"`
	Criteria           []Term `json:"criteria" parquet:"criteria,list"`
	MiningRulePriority int64  `json:"mining_rule_priority" parquet:"mining_rule_priority"`
	Support            int64  `json:"support" parquet:"support"`
	TP                 int64  `json:"tp" parquet:"tp"`
	FP                 int64  `json:"fp" parquet:"fp"`
}

// Term is one `attribute = value` term of a rule's criterion.
type Term struct {
	Attribute string `json:"attribute" parquet:"attribute,dict"`
	Value     string `json:"value" parquet:"value,dict"`
}

// Role is one role of roles.json: its catalog fields, its outcome under the mining rules,
// and its counts.
type Role struct {
	RoleID      string `json:"role_id"`
	Category    string `json:"category"`
	Validations int    `json:"validations"`
	Application string `json:"application"`
	Implicit    bool   `json:"implicit"`
	Holders     int64  `json:"holders"`
	Covered     bool   `json:"covered"`
	// MiningRule is the mining rule that covered the role, or null.
	MiningRule *MiningRuleRef `json:"mining_rule"`
	// ExcludedBy is the ExcludeRole mining rule that withheld the role, or null.
	ExcludedBy *MiningRuleRef `json:"excluded_by"`
	Reason     string         `json:"reason"`
	Attempts   []Attempt      `json:"attempts"`
	N          int64          `json:"n"`
	TP         int64          `json:"tp"`
	FP         int64          `json:"fp"`
	FN         int64          `json:"fn"`
	TN         int64          `json:"tn"`
	// PrecisionPct is 100*(TP+TN)/N, FalsePositivePct 100*FP/(TP+FP), both rounded to 4
	// decimals (docs/semantics.md#metric-precision, #metric-role-fp).
	PrecisionPct     float64 `json:"precision_pct"`
	FalsePositivePct float64 `json:"false_positive_pct"`
	Rules            int     `json:"rules"`
	Candidates       int     `json:"candidates"`
	Exact            bool    `json:"exact"`
}

// MiningRuleRef names a mining rule: its index in document order, XML line (0 for the
// implicit rule), priority and policy.
type MiningRuleRef struct {
	Index    int    `json:"index"`
	Line     int    `json:"line"`
	Priority int    `json:"priority"`
	Policy   string `json:"policy"`
}

// Attempt is one mining rule's verdict on a role.
type Attempt struct {
	MiningRule int    `json:"mining_rule"`
	Covered    bool   `json:"covered"`
	Reason     string `json:"reason"`
}
