package discover

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/model"
)

// The discovered.json document, declared in package model.
const (
	Format   = model.DiscoveredFormat
	FileName = model.DiscoveredFile
)

// NoMeaningFlag marks a role whose best criterion is below MeaningThreshold.
const NoMeaningFlag = "access pattern without business meaning"

type (
	Document   = model.Discovered
	RoleOutput = model.DiscoveredRole
	Stats      = model.DiscoveredStats
)

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
func Write(ctx context.Context, dir string, doc *Document) error {
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
	if err := ctx.Err(); err != nil {
		return err // interrupted: dir is left as it was
	}
	return set.Commit()
}
