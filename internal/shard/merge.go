package shard

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/uerr"
)

// Named is a partial model with the place it was read from (used in messages).
type Named struct {
	Name    string
	Partial *Partial
}

// Check verifies that parts are every shard of one run, each once: the same rolemine
// version, shard count, data, configuration, previous model and other flags (usage's
// --as-of and --unused-days). It returns them sorted by shard index. Every error is a
// user error naming the shards concerned.
func Check(parts []Named) ([]Named, error) {
	if len(parts) == 0 {
		return nil, uerr.New("merge: no shard directories given")
	}
	ref := parts[0]
	rp := ref.Partial
	for _, x := range parts[1:] {
		p := x.Partial
		switch {
		case p.Shard.Count != rp.Shard.Count:
			return nil, uerr.New("merge: %s is shard %s but %s is shard %s: the shards of one run share their count",
				ref.Name, rp.Shard, x.Name, p.Shard)
		case p.Version != rp.Version:
			return nil, uerr.New("merge: %s was mined by rolemine %s but %s by rolemine %s", ref.Name, rp.Version, x.Name, p.Version)
		case p.Fingerprint.Data != rp.Fingerprint.Data:
			return nil, uerr.New("merge: %s and %s were mined from different data (fingerprints %.12s and %.12s)",
				ref.Name, x.Name, rp.Fingerprint.Data, p.Fingerprint.Data)
		case p.Fingerprint.Dimensions != rp.Fingerprint.Dimensions:
			return nil, uerr.New("merge: %s and %s derived different attributes from the data (other plugins or --exclude-dimension; fingerprints %.12s and %.12s)",
				ref.Name, x.Name, rp.Fingerprint.Dimensions, p.Fingerprint.Dimensions)
		case p.Fingerprint.Config != rp.Fingerprint.Config:
			return nil, uerr.New("merge: %s and %s were mined with different mining configurations (fingerprints %.12s and %.12s)",
				ref.Name, x.Name, rp.Fingerprint.Config, p.Fingerprint.Config)
		case p.Fingerprint.Previous != rp.Fingerprint.Previous:
			return nil, uerr.New("merge: %s and %s were mined against different --previous models or --grace (%s and %s)",
				ref.Name, x.Name, orNone(rp.Fingerprint.Previous), orNone(p.Fingerprint.Previous))
		case !slices.Equal(checkedArgs(p.Args), checkedArgs(rp.Args)):
			return nil, uerr.New("merge: %s and %s were mined with different flags (%s and %s)",
				ref.Name, x.Name, argsOrNone(checkedArgs(rp.Args)), argsOrNone(checkedArgs(p.Args)))
		case !slices.Equal(p.ScopeSizes, rp.ScopeSizes) || !slices.EqualFunc(p.SkippedDimensions, rp.SkippedDimensions, slices.Equal):
			return nil, uerr.New("merge: %s and %s disagree on the mining rules' scopes or skipped dimensions although their fingerprints agree",
				ref.Name, x.Name)
		}
	}
	sorted := slices.Clone(parts)
	slices.SortStableFunc(sorted, func(a, b Named) int { return cmp.Compare(a.Partial.Shard.Index, b.Partial.Shard.Index) })
	for k := 1; k < len(sorted); k++ {
		if a, b := sorted[k-1], sorted[k]; a.Partial.Shard.Index == b.Partial.Shard.Index {
			return nil, uerr.New("merge: shard %s is given twice: %s and %s", a.Partial.Shard, a.Name, b.Name)
		}
	}
	if n := rp.Shard.Count; len(sorted) != n {
		var missing []string
		have := make([]bool, n)
		for _, x := range sorted {
			have[x.Partial.Shard.Index] = true
		}
		for i, ok := range have {
			if !ok {
				missing = append(missing, fmt.Sprint(i))
			}
		}
		return nil, uerr.New("merge: shard %s of %d missing (have %d of %d): every shard of the run is needed",
			strings.Join(missing, ", "), n, len(sorted), n)
	}
	return sorted, nil
}

// fingerprintedFlags are recorded flags of `rolemine mine` whose effect a fingerprint
// already compares (where the data, configuration, previous model and plugins are, the
// implicit rule, the exclusions and the grace) or that change no result (the plugins'
// limits): shards may spell them differently.
var fingerprintedFlags = []string{"data", "config", "previous", "grace", "plugin", "plugin-memory", "plugin-timeout",
	"exclude-dimension", "precision", "fp-max", "min-identities", "max-dimensions", "rule-type", "entity-type", "used-only"}

// checkedArgs returns the recorded flags (--name=value) that no fingerprint covers, such
// as usage's --as-of and --unused-days: the shards of one run must have given the same.
func checkedArgs(args []string) []string {
	var out []string
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !slices.Contains(fingerprintedFlags, name) {
			out = append(out, a)
		}
	}
	return out
}

// argsOrNone renders flags for a message.
func argsOrNone(args []string) string {
	if len(args) == 0 {
		return "none"
	}
	return strings.Join(args, " ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return fmt.Sprintf("%.12s", s)
}

// Assemble builds the model of a single run from the checked partial models of every
// shard (Check), against the snapshot they were mined from. Each role must have its
// outcome in exactly the shard its id hashes to.
func Assemble(snap *columnar.Snapshot, cfg *mining.Config, parts []Named) (*mining.Model, error) {
	n := len(parts)
	if n == 0 {
		return nil, uerr.New("merge: no shards")
	}
	nr := snap.NumRoles()
	first := parts[0].Partial
	m := &mining.Model{Config: cfg, Outcomes: make([]mining.Outcome, nr),
		ScopeSizes: first.ScopeSizes, SkippedDims: first.SkippedDimensions}
	if len(m.ScopeSizes) != len(cfg.MiningRules) || len(m.SkippedDims) != len(cfg.MiningRules) {
		return nil, uerr.New("merge: %s records %d mining rules, the configuration has %d", parts[0].Name, len(m.ScopeSizes), len(cfg.MiningRules))
	}
	seen := make([]bool, nr)
	for _, x := range parts {
		if err := addOutcomes(snap, m, seen, x); err != nil {
			return nil, err
		}
	}
	for r, ok := range seen {
		if !ok {
			id := snap.Roles.IDs[r]
			return nil, uerr.New("merge: role %q has no outcome in shard %d/%d: the shards were mined from other data", id, Of(id, n), n)
		}
	}
	for _, x := range parts {
		for k := range x.Partial.Rules {
			rule, err := ruleOf(snap, &x.Partial.Rules[k])
			if err != nil {
				return nil, uerr.New("merge: %s: rule %s: %w", x.Name, x.Partial.Rules[k].ID, err)
			}
			m.Rules = append(m.Rules, rule)
		}
	}
	// Each shard lists its roles' rules in model order; roles never span shards.
	slices.SortStableFunc(m.Rules, func(a, b mining.Rule) int { return cmp.Compare(a.Role, b.Role) })
	return m, nil
}

// addOutcomes places the outcomes of one shard's roles into m.
func addOutcomes(snap *columnar.Snapshot, m *mining.Model, seen []bool, x Named) error {
	p := x.Partial
	for k := range p.Roles {
		o := &p.Roles[k]
		r, ok := slices.BinarySearch(snap.Roles.IDs, o.RoleID)
		if !ok {
			return uerr.New("merge: %s: role %q is not in the data: the shard was mined from other data", x.Name, o.RoleID)
		}
		if s := Of(o.RoleID, p.Shard.Count); s != p.Shard.Index {
			return uerr.New("merge: %s (shard %s) holds role %q, which belongs to shard %d", x.Name, p.Shard, o.RoleID, s)
		}
		if seen[r] {
			return uerr.New("merge: %s: role %q listed twice", x.Name, o.RoleID)
		}
		seen[r] = true
		mo := mining.Outcome{Role: int32(r), MiningRule: o.MiningRule, ExcludedBy: o.ExcludedBy, Reason: o.Reason,
			N: o.N, TP: o.TP, FP: o.FP, FN: o.FN, TN: o.TN, Precision: o.Precision,
			FalsePositivePct: o.FalsePositivePct, Rules: o.Rules, Candidates: o.Candidates, Exact: o.Exact}
		for _, a := range o.Attempts {
			mo.Attempts = append(mo.Attempts, mining.Attempt(a))
		}
		m.Outcomes[r] = mo
	}
	return nil
}

// ruleOf resolves a recorded rule against snap.
func ruleOf(snap *columnar.Snapshot, pr *Rule) (mining.Rule, error) {
	r, ok := slices.BinarySearch(snap.Roles.IDs, pr.RoleID)
	if !ok {
		return mining.Rule{}, fmt.Errorf("role %q is not in the data", pr.RoleID)
	}
	c, err := criterion(snap, pr.Criteria)
	if err != nil {
		return mining.Rule{}, err
	}
	return mining.Rule{ID: pr.ID, Role: int32(r), Criterion: c, Type: mining.RuleType(pr.Type), Policy: pr.Policy,
		EntityType: pr.EntityType, MiningRule: pr.MiningRule, Priority: pr.Priority,
		Support: pr.Support, TP: pr.TP, FP: pr.FP}, nil
}
