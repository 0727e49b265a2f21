package shard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/uerr"
)

// File is the name of the partial model a shard writes into its output directory.
const File = "shard.json"

// Format identifies the partial model document.
const Format = "rolemine.shard/v1"

// Partial is shard.json: the rules and outcomes of one shard's roles, and what the merge
// must find equal across shards. It holds no timing, host or backend, so a retried shard
// writes the same bytes.
type Partial struct {
	Format  string `json:"format"`
	Version string `json:"version"`
	Shard   Spec   `json:"shard"`
	// Fingerprint identifies the run's inputs; shards of one run agree on it.
	Fingerprint Fingerprint `json:"fingerprint"`
	// Args are the result-affecting flags of `rolemine mine` (local paths absolute); the
	// merge loads the data and the configuration through them.
	Args []string `json:"args"`
	// ScopeSizes and SkippedDimensions are per mining rule (document order); they depend
	// on the data only, so every shard has the same.
	ScopeSizes        []int64    `json:"scope_sizes"`
	SkippedDimensions [][]string `json:"skipped_dimensions"`
	// Roles are the outcomes of the shard's roles, in role order; Rules their rules, in
	// the model's order (role, then rule order).
	Roles []Outcome `json:"roles"`
	Rules []Rule    `json:"rules"`
}

// Fingerprint identifies what a shard's result depends on besides its role set.
type Fingerprint struct {
	// Data is the input files' fingerprint, summary.json's data_fingerprint
	// (report.DataFingerprint).
	Data string `json:"data"`
	// Dimensions is DimensionsFingerprint: the dimensions after plugins and exclusions.
	Dimensions string `json:"dimensions"`
	// Config is the SHA-256 of the mining configuration's text (the implicit rule's too).
	Config string `json:"config"`
	// Previous is the SHA-256 of the --previous model's rules and the grace, "" without.
	Previous string `json:"previous"`
}

// Outcome is mining.Outcome with the role named by its id.
type Outcome struct {
	RoleID           string    `json:"role_id"`
	MiningRule       int       `json:"mining_rule"`
	ExcludedBy       int       `json:"excluded_by"`
	Reason           string    `json:"reason"`
	Attempts         []Attempt `json:"attempts"`
	N                int64     `json:"n"`
	TP               int64     `json:"tp"`
	FP               int64     `json:"fp"`
	FN               int64     `json:"fn"`
	TN               int64     `json:"tn"`
	Precision        float64   `json:"precision"`
	FalsePositivePct float64   `json:"false_positive_pct"`
	Rules            int       `json:"rules"`
	Candidates       int       `json:"candidates"`
	Exact            bool      `json:"exact"`
}

// Attempt is mining.Attempt.
type Attempt struct {
	MiningRule int    `json:"mining_rule"`
	Covered    bool   `json:"covered"`
	Reason     string `json:"reason"`
}

// Rule is mining.Rule with the role and the criterion's terms named by strings.
type Rule struct {
	ID         string `json:"rule_id"`
	RoleID     string `json:"role_id"`
	Criteria   []Term `json:"criteria"`
	Type       int    `json:"rule_type"`
	Policy     string `json:"policy"`
	EntityType string `json:"entity_type"`
	MiningRule int    `json:"mining_rule"`
	Priority   int    `json:"priority"`
	Support    int64  `json:"support"`
	TP         int64  `json:"tp"`
	FP         int64  `json:"fp"`
}

// Term is one attribute=value term of a criterion.
type Term struct {
	Attribute string `json:"attribute"`
	Value     string `json:"value"`
}

// NewPartial records the shard spec's roles of m, mined from snap.
func NewPartial(snap *columnar.Snapshot, m *mining.Model, spec Spec, fp Fingerprint, args []string, version string) *Partial {
	p := &Partial{Format: Format, Version: version, Shard: spec, Fingerprint: fp, Args: args,
		ScopeSizes: m.ScopeSizes, SkippedDimensions: m.SkippedDims, Roles: []Outcome{}, Rules: []Rule{}}
	for r := range m.Outcomes {
		id := snap.Roles.IDs[r]
		if Of(id, spec.Count) != spec.Index {
			continue
		}
		o := &m.Outcomes[r]
		po := Outcome{RoleID: id, MiningRule: o.MiningRule, ExcludedBy: o.ExcludedBy, Reason: o.Reason,
			Attempts: make([]Attempt, len(o.Attempts)), N: o.N, TP: o.TP, FP: o.FP, FN: o.FN, TN: o.TN,
			Precision: o.Precision, FalsePositivePct: o.FalsePositivePct, Rules: o.Rules,
			Candidates: o.Candidates, Exact: o.Exact}
		for k, a := range o.Attempts {
			po.Attempts[k] = Attempt(a)
		}
		p.Roles = append(p.Roles, po)
	}
	for k := range m.Rules {
		r := &m.Rules[k]
		id := snap.Roles.IDs[r.Role]
		if Of(id, spec.Count) != spec.Index {
			continue
		}
		pr := Rule{ID: r.ID, RoleID: id, Criteria: []Term{}, Type: int(r.Type), Policy: r.Policy,
			EntityType: r.EntityType, MiningRule: r.MiningRule, Priority: r.Priority,
			Support: r.Support, TP: r.TP, FP: r.FP}
		for _, t := range r.Criterion.Terms() {
			d := &snap.Dims[t.Dim]
			pr.Criteria = append(pr.Criteria, Term{Attribute: d.Name, Value: d.Values[t.Val]})
		}
		p.Rules = append(p.Rules, pr)
	}
	return p
}

// Encode writes p as one line of JSON; the same partial always gives the same bytes.
func (p *Partial) Encode(w io.Writer) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode %s: %w", File, err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Decode reads a partial model; name (its path) is used in errors, which are user errors.
func Decode(name string, data []byte) (*Partial, error) {
	var head struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, uerr.New("%s: not a shard's partial model (%s): %v", name, Format, err)
	}
	if head.Format != Format {
		return nil, uerr.New("%s: format %q, expected %q (written by `rolemine mine --shard`)", name, head.Format, Format)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	p := &Partial{}
	if err := dec.Decode(p); err != nil {
		return nil, uerr.New("%s: malformed %s document: %v", name, Format, err)
	}
	if p.Shard.Count < 1 || p.Shard.Index < 0 || p.Shard.Index >= p.Shard.Count {
		return nil, uerr.New("%s: shard %s: expected an index from 0 below a count of at least 1", name, p.Shard)
	}
	return p, nil
}

// criterion resolves named terms against snap's dictionaries.
func criterion(snap *columnar.Snapshot, terms []Term) (kernels.Criterion, error) {
	var c kernels.Criterion
	if len(terms) > kernels.MaxTerms {
		return c, fmt.Errorf("%d terms, at most %d expected", len(terms), kernels.MaxTerms)
	}
	for k, t := range terms {
		d := snap.DimIndex(t.Attribute)
		if d < 0 {
			return c, fmt.Errorf("attribute %q is not in the data", t.Attribute)
		}
		v, ok := slices.BinarySearch(snap.Dims[d].Values, t.Value)
		if !ok {
			return c, fmt.Errorf("value %q of attribute %q is not in the data", t.Value, t.Attribute)
		}
		c.T[k] = kernels.Term{Dim: int32(d), Val: int32(v)}
	}
	c.N = uint8(len(terms))
	return c, nil
}

// RunFile is the record of how a shard ran (backend, workers, phase times), written
// beside File. Unlike File it differs between retries; merge copies it into summary.json.
const RunFile = "shard-run.json"

// RunFormat identifies RunFile.
const RunFormat = "rolemine.shard-run/v1"

// Run is RunFile.
type Run struct {
	Format  string  `json:"format"`
	Shard   Spec    `json:"shard"`
	Backend string  `json:"backend"`
	Workers int     `json:"workers"`
	Phases  []Phase `json:"phases"`
}

// Phase is one timed phase of a shard run.
type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}
