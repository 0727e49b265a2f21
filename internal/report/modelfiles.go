package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/rolemine/rolemine/internal/discover"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/metrics"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/outdir"
	"github.com/rolemine/rolemine/internal/shard"
	"github.com/rolemine/rolemine/internal/uerr"
	"github.com/rolemine/rolemine/internal/usage"
)

// RuleRecord is one rule as rules.json holds it.
type RuleRecord = ruleRecord

// TermRecord is one `attribute = value` term of a RuleRecord's criterion.
type TermRecord = termRecord

// RoleRecord is one role as roles.json holds it.
type RoleRecord = roleRecord

// Summary is summary.json.
type Summary = summary

// Model is a mined model as people-facing outputs see it: the records of rules.json,
// roles.json and summary.json, whether read back from an output directory (ReadModel) or
// built from a model in memory (NewModel). Both give the same records, so report.html is
// the same whichever path built it.
type Model struct {
	Rules   []RuleRecord
	Roles   []RoleRecord
	Summary *Summary
	// RuleUsage holds, aligned with Rules, the usage of each rule's matched holders
	// (rules.json "usage"); nil for data without usage.
	RuleUsage []usage.Counts
	// Dir is the output directory ReadModel read the model from; empty for a model
	// built in memory (NewModel). Messages about its rules name Dir's rules.json.
	Dir string
}

// RulesFile is the name messages give the model's rules: its rules.json, with the
// directory when the model was read from one.
func (m *Model) RulesFile() string {
	if m.Dir == "" {
		return RulesJSONFile
	}
	return filepath.Join(m.Dir, RulesJSONFile)
}

// NewModel builds the records WriteModel writes for snap, m and cls.
func NewModel(snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, info RunInfo) (*Model, error) {
	if err := checkInputs(snap, m, cls); err != nil {
		return nil, err
	}
	mf := &Model{
		Rules:   make([]RuleRecord, len(m.Rules)),
		Roles:   make([]RoleRecord, len(m.Outcomes)),
		Summary: summaryOf(snap, m, cls, info),
	}
	for k := range m.Rules {
		mf.Rules[k] = newRuleRecord(snap, &m.Rules[k], nil)
	}
	if snap.Universe != nil && info.Effective != nil {
		mf.RuleUsage = ruleUsage(snap, m, cls, info.Effective)
	}
	for r := range m.Outcomes {
		mf.Roles[r] = newRoleRecord(snap, m, r)
	}
	return mf, nil
}

// ReadModel reads rules.json, roles.json and summary.json from an output directory of
// `rolemine mine`, all three from its committed set even while another run commits a new
// one (outdir.Resolve). A missing or malformed file is a user error naming the file.
func ReadModel(dir string) (*Model, error) {
	if fi, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, uerr.New("model %s: no such directory (expected the output directory of `rolemine mine`)", dir)
	} else if err == nil && !fi.IsDir() {
		return nil, uerr.New("model %s: a file, not a directory (expected the output directory of `rolemine mine`)", dir)
	}
	set := outdir.Resolve(dir)
	var rules struct {
		Format string `json:"format"`
		Rules  []struct {
			ruleRecord
			Usage *usage.Counts `json:"usage"`
		} `json:"rules"`
	}
	var roles struct {
		Format string       `json:"format"`
		Roles  []RoleRecord `json:"roles"`
	}
	sum := &Summary{}
	for _, f := range []struct {
		name, format string
		v            any
		got          *string
	}{
		{RulesJSONFile, model.RulesFormat, &rules, &rules.Format},
		{RolesJSONFile, model.RolesFormat, &roles, &roles.Format},
		{SummaryJSONFile, model.SummaryFormat, sum, &sum.Format},
	} {
		path := filepath.Join(dir, f.name)
		data, err := os.ReadFile(filepath.Join(set, f.name))
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Stat(filepath.Join(set, shard.File)); serr == nil {
				return nil, uerr.New("model %s: %s is missing: the directory holds one shard of a `rolemine mine --shard` run (%s), not a model; give the output of `rolemine merge` of every shard", dir, f.name, shard.File)
			}
			return nil, uerr.New("model %s: %s is missing (expected the output directory of `rolemine mine`)", dir, f.name)
		}
		if err != nil {
			return nil, readError(path, err)
		}
		// An editor on Windows may save a hand-edited file with a UTF-8 byte order mark,
		// which JSON does not allow; it says nothing about the document, so it is skipped.
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if err := json.Unmarshal(data, f.v); err != nil {
			return nil, uerr.New("%s: not a valid %s document: %v", path, f.format, err)
		}
		if *f.got != f.format {
			return nil, uerr.New("%s: format %q, expected %q", path, *f.got, f.format)
		}
	}
	mf := &Model{Rules: make([]RuleRecord, len(rules.Rules)), Roles: roles.Roles, Summary: sum, Dir: dir}
	for k, r := range rules.Rules {
		mf.Rules[k] = r.ruleRecord
		if r.Usage != nil {
			if mf.RuleUsage == nil {
				mf.RuleUsage = make([]usage.Counts, len(rules.Rules))
			}
			mf.RuleUsage[k] = *r.Usage
		}
	}
	return mf, nil
}

// readError is the error of reading the file at path, which exists: a user error (exit 2)
// when the path is the user's to fix (a directory, a link loop, no permission), saying a
// file was expected, and a runtime failure otherwise (uerr.WrapInput). It names path once
// (os.ReadFile's error names it too).
func readError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return uerr.WrapInput(fmt.Errorf("%s: %w; expected a file", path, err))
}

// Bound is a Model resolved against a snapshot: rule terms as dimension codes, roles as
// snapshot role indices. It matches rules against identities exactly as mining.Rule.Matches
// does (scope, then every term).
type Bound struct {
	Snap  *columnar.Snapshot
	Model *Model
	// RuleBinding is Model's rules bound to Snap.
	*model.RuleBinding
	// roleRec[r] is the index in Model.Roles of snapshot role r, or -1.
	roleRec []int32
	// Discovered, when set, adds a discovery section to the HTML report.
	Discovered *discover.Document
	// Drift, when set, adds a drift section to the HTML report.
	Drift *Drift
	// Effective, set for universe data (by mine, or LoadEffective), adds the excess
	// ranking and the ownership sections to the HTML report.
	Effective *Effective
	// unusedOnly marks the direct pairs (CSR by identity) that are unused and whose role
	// a UsedOnly mining rule covered (initUsedOnly); nil without UsedOnly.
	unusedOnly []bool
}

// Bind resolves m against snap. A rule naming an attribute that identities lack is a user
// error: the model was mined from other data.
func Bind(snap *columnar.Snapshot, m *Model) (*Bound, error) {
	rb, err := model.BindRules(snap, m.Rules, m.RulesFile())
	if err != nil {
		return nil, err
	}
	b := &Bound{Snap: snap, Model: m, RuleBinding: rb, roleRec: make([]int32, snap.NumRoles())}
	for r := range b.roleRec {
		b.roleRec[r] = -1
	}
	for k := range m.Roles {
		if r, ok := slices.BinarySearch(snap.Roles.IDs, m.Roles[k].RoleID); ok {
			b.roleRec[r] = int32(k)
		}
	}
	if err := b.initUsedOnly(); err != nil {
		return nil, err
	}
	return b, nil
}

// Classify returns, for every assignment in CSR-by-identity order, the index in
// Model.Rules of the first rule of its role matching the identity, or -1 (unexplained, or
// unused under a UsedOnly mining rule): mining.Classification.RuleOf recomputed from the
// model files.
func (b *Bound) Classify(ctx context.Context) ([]int32, error) {
	snap := b.Snap
	ruleOf := make([]int32, len(snap.IdentIdx))
	for i := range snap.NumIdentities() {
		if i&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			ruleOf[k] = -1
			for _, rk := range b.RulesOf(snap.IdentIdx[k]) {
				if b.Matches(rk, i) {
					ruleOf[k] = rk
					break
				}
			}
			if ruleOf[k] >= 0 && b.unusedAt(k) {
				ruleOf[k] = -1
			}
		}
	}
	return ruleOf, nil
}

// roleRecord returns the roles.json record of snapshot role r, or nil.
func (b *Bound) roleRecord(r int32) *RoleRecord {
	if k := b.roleRec[r]; k >= 0 {
		return &b.Model.Roles[k]
	}
	return nil
}

// criterionString renders a rule's criterion as "a=x & b=y".
func criterionString(rec *RuleRecord) string {
	parts := make([]string, len(rec.Criteria))
	for k, t := range rec.Criteria {
		parts[k] = t.Attribute + "=" + t.Value
	}
	return strings.Join(parts, " & ")
}

// ruleHitRate is the share of a rule's matches that hold the role, 100*tp/support
// (metrics.HitRate), rounded as the outputs print it. Outputs that predate the name call it
// the rule's precision; it is not the role's precision.
func ruleHitRate(rec *RuleRecord) float64 {
	return round4(metrics.HitRate(rec.TP, rec.Support))
}
