package drift

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/model"
)

// The churn.json document, declared in package model.
const (
	ChurnFormat = model.ChurnFormat
	ChurnFile   = model.ChurnFile
)

type (
	ChurnRule = model.ChurnRule
	Churn     = model.Churn
	RoleChurn = model.RoleChurn
)

func jaccard(kept, union int) float64 {
	if union == 0 {
		return 1
	}
	return round4(float64(kept) / float64(union))
}

// ComputeChurn compares cur with prev (nil prev: no previous model, all rules new).
func ComputeChurn(previousDir string, prev, cur []ChurnRule, grace float64) *Churn {
	ch := &Churn{Format: ChurnFormat, Previous: previousDir, Grace: grace, Roles: []RoleChurn{}}
	byRole := map[string]*RoleChurn{}
	role := func(id string) *RoleChurn {
		rc := byRole[id]
		if rc == nil {
			rc = &RoleChurn{RoleID: id, Added: []ChurnRule{}, Removed: []ChurnRule{}, Kept: []ChurnRule{}}
			byRole[id] = rc
		}
		return rc
	}
	now := map[string]bool{}
	for _, r := range cur {
		now[r.RuleID] = true
	}
	before := map[string]bool{}
	for _, r := range prev {
		before[r.RuleID] = true
		if now[r.RuleID] {
			role(r.RoleID).Kept = append(role(r.RoleID).Kept, r)
		} else {
			role(r.RoleID).Removed = append(role(r.RoleID).Removed, r)
		}
	}
	for _, r := range cur {
		if !before[r.RuleID] {
			role(r.RoleID).Added = append(role(r.RoleID).Added, r)
		}
	}
	o := &ch.Overall
	o.PreviousRules, o.Rules = len(prev), len(cur)
	ids := make([]string, 0, len(byRole))
	for id := range byRole {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	byCrit := func(a, b ChurnRule) int { return strings.Compare(a.Criterion, b.Criterion) }
	for _, id := range ids {
		rc := byRole[id]
		slices.SortFunc(rc.Added, byCrit)
		slices.SortFunc(rc.Removed, byCrit)
		slices.SortFunc(rc.Kept, byCrit)
		rc.Jaccard = jaccard(len(rc.Kept), len(rc.Kept)+len(rc.Added)+len(rc.Removed))
		o.Added += len(rc.Added)
		o.Removed += len(rc.Removed)
		o.Kept += len(rc.Kept)
		if len(rc.Added)+len(rc.Removed) > 0 {
			o.RolesChanged++
		}
		ch.Roles = append(ch.Roles, *rc)
	}
	o.Roles = len(ids)
	o.Jaccard = jaccard(o.Kept, o.Kept+o.Added+o.Removed)
	return ch
}

// WriteChurn writes ch as churn.json into dir, atomically.
func WriteChurn(dir string, ch *Churn) error {
	set, err := columnar.NewOutputSet(dir)
	if err != nil {
		return err
	}
	defer set.Abort()
	f, err := set.Create(ChurnFile)
	if err != nil {
		return err
	}
	if err := EncodeChurn(f, ch); err != nil {
		return fmt.Errorf("write %s: %w", ChurnFile, err)
	}
	return set.Commit()
}

// EncodeChurn writes ch as indented JSON.
func EncodeChurn(w io.Writer, ch *Churn) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(ch)
}
