package mining

import "github.com/rolemine/rolemine/internal/metrics"

import "strconv"

// RuleType is the type of generated single role rules (Netwrix RuleType attribute).
type RuleType int

// Rule types, with Netwrix's numeric values.
const (
	Required               RuleType = 0
	RequestedAutomatically RuleType = 1
	Suggested              RuleType = 2
)

// String returns the name used in outputs: "required", "requested_automatically", "suggested".
func (t RuleType) String() string {
	switch t {
	case Required:
		return "required"
	case RequestedAutomatically:
		return "requested_automatically"
	case Suggested:
		return "suggested"
	}
	return "unknown"
}

// Config is a parsed mining configuration: mining rules in document order, plus
// criterion plugins declared in the file.
type Config struct {
	// Path is the file the configuration came from ("" for the implicit default).
	Path        string
	MiningRules []MiningRule
	Plugins     []PluginRef
	// ExcludedDimensions are the attributes of <Dimension Identifier=".."
	// IsExcludedFromRoleMining="true"/> elements, in document order without repeats:
	// never used in criteria, as --exclude-dimension (docs/config.md#config-file).
	ExcludedDimensions []string
}

// PluginRef is a <CriterionPlugin Path=".." Config=".."/> element.
type PluginRef struct {
	Path   string
	Config string
	Line   int
}

// MiningRule is one <MiningRule/> element with Netwrix defaults applied (docs/config.md).
type MiningRule struct {
	// Index is the position in document order (0-based); Line the XML line (0 if implicit).
	Index int
	Line  int
	// Identifier is the Netwrix Identifier attribute, if given (descriptive only).
	Identifier string

	Priority int
	// EntityType is the scope as written ("*", "nhi", "human", "service_account,api_key").
	EntityType string
	Policy     string
	RulePolicy string
	// Category restricts to roles of this category; nil means all categories.
	Category *string
	// IncludeValidations[v] keeps roles needing v validations (0..3).
	IncludeValidations [4]bool
	ExcludeRole        bool
	PrecisionMin       float64 // percent
	FalsePositiveMax   float64 // percent
	RuleType           RuleType
	MinIdentities      int
	MaxDimensions      int
	// Dimensions restricts criteria to these attributes; nil means all.
	Dimensions []string
	// UsedOnly (rolemine extension UsedOnly="true") mines and explains used access only:
	// a direct holder whose access is unused is neutral for the role's counts, and its
	// access is unexplained (docs/excess-privilege.md#used-only).
	UsedOnly bool
}

// Bounds returns the thresholds the mining rule sets on its rules and roles.
func (m *MiningRule) Bounds() metrics.Bounds {
	return metrics.Bounds{PrecisionMin: m.PrecisionMin, FalsePositiveMax: m.FalsePositiveMax, MinIdentities: m.MinIdentities}
}

// InScope reports whether an identity of the given kind is in the mining rule's scope.
func (m *MiningRule) InScope(kind string) bool { return KindInScope(m.EntityType, kind) }

// Name is a short label for messages and outputs, e.g. "MiningRule#2 (line 7, priority 10)".
func (m *MiningRule) Name() string {
	if m.Line == 0 {
		return "implicit mining rule"
	}
	id := ""
	if m.Identifier != "" {
		id = " " + m.Identifier
	}
	return "MiningRule#" + strconv.Itoa(m.Index+1) + id + " (line " + strconv.Itoa(m.Line) + ", priority " + strconv.Itoa(m.Priority) + ")"
}

// DefaultMiningRule is the implicit mining rule used without a configuration file.
func DefaultMiningRule() MiningRule {
	return MiningRule{
		EntityType:         "*",
		Policy:             "Default",
		RulePolicy:         "Default",
		IncludeValidations: [4]bool{true, true, true, true},
		PrecisionMin:       95,
		FalsePositiveMax:   5,
		RuleType:           Required,
		MinIdentities:      3,
		MaxDimensions:      2,
	}
}
