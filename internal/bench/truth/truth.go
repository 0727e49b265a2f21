// Package truth reads the planted truth that `rolemine gen` writes into a data set's
// truth/ folder (its format is declared in package model) and scores a run against it
// (docs/cli.md#quality): F1 of each planted rule-based role's match set, whether project
// roles wrongly got rules, and the precision and recall of unexplained access against
// planted noise; for a universe, the hidden inherited pairs, uncorrelated accounts,
// ownership findings and the incomplete system (docs/effective-privilege.md); with usage,
// the usage states and the over-privileged identities (docs/excess-privilege.md).
package truth

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/uerr"
)

// The truth's format is declared in package model; these are its names here.
const (
	// Format is the format tag of truth/rules.json.
	Format = model.TruthFormat
	// Role types.
	TypeRule    = model.TruthTypeRule
	TypeProject = model.TruthTypeProject
	// Noise types.
	NoiseExtra   = model.NoiseExtra
	NoiseStale   = model.NoiseStale
	NoiseMissing = model.NoiseMissing
)

type (
	// Truth is the planted truth of one generated data set.
	Truth = model.Truth
	// Role is one role with its planted rules (none for project roles).
	Role = model.TruthRole
	// Rule is a planted rule.
	Rule = model.TruthRule
	// Criterion is one attribute = value term.
	Criterion = model.TruthCriterion
	// Noise is one planted noise assignment.
	Noise = model.Noise
)

// Load reads dir/rules.json and dir/noise.csv (dir is a data directory's truth/ folder).
func Load(dir string) (*Truth, error) {
	path := filepath.Join(dir, "rules.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, uerr.WrapInput(fmt.Errorf("load truth %s: %w", path, err))
	}
	t := &Truth{}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(t); err != nil {
		return nil, uerr.New("load truth %s: %w", path, err)
	}
	if t.Format != Format {
		return nil, uerr.New("load truth %s: format %q: expected %q", path, t.Format, Format)
	}
	seen := make(map[string]bool, len(t.Roles))
	for k, r := range t.Roles {
		where := fmt.Sprintf("load truth %s: roles[%d] (%q)", path, k, r.RoleID)
		if r.RoleID == "" {
			return nil, uerr.New("%s: empty role_id", where)
		}
		if seen[r.RoleID] {
			return nil, uerr.New("%s: duplicate role_id", where)
		}
		seen[r.RoleID] = true
		switch r.Type {
		case TypeRule:
			if len(r.Rules) == 0 {
				return nil, uerr.New("%s: rule role without rules", where)
			}
		case TypeProject:
			if len(r.Rules) != 0 {
				return nil, uerr.New("%s: project role with rules", where)
			}
		default:
			return nil, uerr.New("%s: type %q: expected %q or %q", where, r.Type, TypeRule, TypeProject)
		}
		for j, p := range r.Rules {
			if p.EntityType == "" {
				return nil, uerr.New("%s: rules[%d]: empty entity_type", where, j)
			}
			if len(p.Criteria) == 0 {
				return nil, uerr.New("%s: rules[%d]: no criteria", where, j)
			}
			for _, c := range p.Criteria {
				if c.Attribute == "" || c.Value == "" {
					return nil, uerr.New("%s: rules[%d]: criterion %q=%q: expected a non-empty attribute and value", where, j, c.Attribute, c.Value)
				}
			}
		}
	}
	noise, err := loadNoise(filepath.Join(dir, "noise.csv"))
	if err != nil {
		return nil, err
	}
	t.Noise = noise
	return t, nil
}

func loadNoise(path string) ([]Noise, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, uerr.WrapInput(fmt.Errorf("load truth %s: %w", path, err))
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 3
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return nil, uerr.New("load truth %s: header: %w", path, err)
	}
	if head[0] != "identity_id" || head[1] != "role_id" || head[2] != "type" {
		return nil, uerr.New("load truth %s: header %q: expected identity_id,role_id,type", path, strings.Join(head, ","))
	}
	var out []Noise
	for row := 2; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, uerr.WrapInput(fmt.Errorf("load truth %s: %w", path, err))
		}
		var typ string
		switch rec[2] {
		case NoiseExtra:
			typ = NoiseExtra
		case NoiseStale:
			typ = NoiseStale
		case NoiseMissing:
			typ = NoiseMissing
		default:
			return nil, uerr.New("load truth %s: row %d, column type: %q: expected extra, stale or missing", path, row, rec[2])
		}
		if rec[0] == "" || rec[1] == "" {
			return nil, uerr.New("load truth %s: row %d: empty identity_id or role_id", path, row)
		}
		out = append(out, Noise{IdentityID: rec[0], RoleID: rec[1], Type: typ})
	}
}

// DataFingerprint returns the fingerprint of the data the truth in dir was generated with
// (truth/data.json, model.TruthData), or "" when dir has none: truth written before gen
// recorded it.
func DataFingerprint(dir string) (string, error) {
	path := filepath.Join(dir, model.TruthDataFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", uerr.WrapInput(fmt.Errorf("load truth %s: %w", path, err))
	}
	var d model.TruthData
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return "", uerr.New("load truth %s: %w", path, err)
	}
	if d.Format != model.TruthDataFormat || d.DataFingerprint == "" {
		return "", uerr.New("load truth %s: format %q with data_fingerprint %q: expected format %q and a fingerprint", path, d.Format, d.DataFingerprint, model.TruthDataFormat)
	}
	return d.DataFingerprint, nil
}
