package discover

import (
	"encoding/json"
	"fmt"

	"github.com/rolemine/rolemine/internal/columnar"
)

// Format is the format tag of discovered.json.
const Format = "rolemine.discovered/v1"

// FileName is the output file Write creates.
const FileName = "discovered.json"

// NoMeaningFlag marks a role whose best criterion is below MeaningThreshold.
const NoMeaningFlag = "access pattern without business meaning"

// Document is the content of discovered.json.
type Document struct {
	Format string       `json:"format"`
	Mode   string       `json:"mode"`
	Roles  []RoleOutput `json:"roles"`
	Stats  Stats        `json:"stats"`
	// DataFingerprint identifies the data directory discovered from (--data; absent for
	// --upa): report.html shows the discovery only beside a model of the same data.
	DataFingerprint string `json:"data_fingerprint,omitempty"`
}

// RoleOutput is one role of discovered.json. Criterion, precision and recall are absent
// (null) when the input has no attributes (--upa). Flag is set to NoMeaningFlag when the
// criterion does not reach MeaningThreshold.
type RoleOutput struct {
	RoleID             string   `json:"role_id"`
	Identities         []string `json:"identities"`
	Entitlements       []string `json:"entitlements"`
	Criterion          []Term   `json:"criterion"`
	CriterionPrecision *float64 `json:"criterion_precision"`
	CriterionRecall    *float64 `json:"criterion_recall"`
	Flag               string   `json:"flag,omitempty"`
}

// Stats are the figures of a run. LowerBound is null in approximate mode. Assignments,
// CoveredAssignments and Exceptions describe coverage (exceptions: assignments no role
// covers, the unexplained access; always 0 in exact mode).
type Stats struct {
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
}

// NewDocument builds the document for roles over m. descs, when not nil, holds one
// description per role. Role ids are DR0001, DR0002, ... in the order of roles.
func NewDocument(mode string, m *Matrix, roles []Role, descs []Description) *Document {
	doc := &Document{Format: Format, Mode: mode, Roles: make([]RoleOutput, len(roles))}
	for k, r := range roles {
		ro := RoleOutput{
			RoleID:       fmt.Sprintf("DR%04d", k+1),
			Identities:   make([]string, len(r.Users)),
			Entitlements: make([]string, len(r.Perms)),
			Criterion:    []Term{},
		}
		for i, u := range r.Users {
			ro.Identities[i] = m.Users[u]
		}
		for i, p := range r.Perms {
			ro.Entitlements[i] = m.Perms[p]
		}
		if descs != nil {
			d := descs[k]
			if d.Criterion != nil {
				ro.Criterion = d.Criterion
			}
			p, rc := d.Precision, d.Recall
			ro.CriterionPrecision, ro.CriterionRecall = &p, &rc
			if !d.Meaningful() {
				ro.Flag = NoMeaningFlag
			}
		}
		doc.Roles[k] = ro
		doc.Stats.UserRoleLinks += len(r.Users)
		doc.Stats.RoleEntitlementLinks += len(r.Perms)
	}
	doc.Stats.Roles = len(roles)
	doc.Stats.WSC = doc.Stats.Roles + doc.Stats.UserRoleLinks + doc.Stats.RoleEntitlementLinks
	doc.Stats.Assignments = m.Pairs()
	doc.Stats.CoveredAssignments = Covered(m, roles)
	doc.Stats.Exceptions = doc.Stats.Assignments - doc.Stats.CoveredAssignments
	return doc
}

// Write writes doc as DIR/discovered.json, atomically (columnar.OutputSet).
func Write(dir string, doc *Document) error {
	set, err := columnar.NewOutputSet(dir)
	if err != nil {
		return err
	}
	defer set.Abort()
	f, err := set.Create(FileName)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode %s: %w", FileName, err)
	}
	return set.Commit()
}
