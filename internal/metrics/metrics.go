package metrics

import "fmt"

// Counts are the confusion counts of a role's rule set over a scope of N identities: TP
// holders the rules match, FP non-holders they match, FN holders they miss, TN the
// non-holders they leave alone (docs/semantics.md).
type Counts struct {
	N, TP, FP, FN, TN int64
}

// Of returns the counts over a scope of n identities, holders of whom hold the role, of a
// rule set matching tp of the holders and fp other identities.
func Of(n, holders, tp, fp int64) Counts {
	fn := holders - tp
	return Counts{N: n, TP: tp, FP: fp, FN: fn, TN: n - tp - fp - fn}
}

// Precision is the percentage of correct decisions over the scope, 100·(TP+TN)/N: the
// role-level precision of the specification. It is 0 for an empty scope.
func (c Counts) Precision() float64 {
	if c.N == 0 {
		return 0
	}
	return Pct(c.TP+c.TN, c.N)
}

// FalsePositivePct is the share of the matched identities that do not hold the role,
// 100·FP/(TP+FP); 0 when the rules match nobody.
func (c Counts) FalsePositivePct() float64 {
	if c.TP+c.FP == 0 {
		return 0
	}
	return Pct(c.FP, c.TP+c.FP)
}

// HitRate is a single rule's share of the identities it matches that hold the role,
// 100·tp/support (0 when it matches nobody). It is not the role's precision: a rule with a
// perfect hit rate may leave most holders unexplained.
func HitRate(tp, support int64) float64 {
	if support == 0 {
		return 0
	}
	return Pct(tp, support)
}

// Pct is 100·part/whole as a float64, computed in that order so that every caller gets
// the same bits for the same counts. The caller rules out whole == 0.
func Pct(part, whole int64) float64 {
	return 100 * float64(part) / float64(whole)
}

// Bounds are the thresholds a mining rule sets (docs/config.md): a rule must match at least
// MinIdentities in-scope identities with a false-positive share of at most
// FalsePositiveMax; the role's rule set must reach PrecisionMin with a false-positive share
// of at most FalsePositiveMax. Percentages are in percent.
type Bounds struct {
	PrecisionMin     float64
	FalsePositiveMax float64
	MinIdentities    int
}

// RuleFails returns why a rule matching support in-scope identities, tp of them holders,
// fails the per-rule bounds, or "" when it passes. A rule that explains no holder fails.
func (b Bounds) RuleFails(tp, support int64) string {
	switch {
	case tp == 0:
		return "explains no holder"
	case support < int64(b.MinIdentities):
		return fmt.Sprintf("support %d < %d", support, b.MinIdentities)
	case Pct(support-tp, support) > b.FalsePositiveMax:
		return fmt.Sprintf("fp%% %.2f > %g", Pct(support-tp, support), b.FalsePositiveMax)
	}
	return ""
}

// RuleCandidate reports whether a criterion matching support in-scope identities, fp of
// them non-holders, may become a rule: support of at least MinIdentities and a
// false-positive share within bound. (The miner considers only criteria matching holders,
// so it does not test tp here.)
func (b Bounds) RuleCandidate(fp, support int64) bool {
	return support >= int64(b.MinIdentities) && Pct(fp, support) <= b.FalsePositiveMax
}

// RoleFails returns why a role's rule set with counts c fails the role-level bounds, or ""
// when it passes. A rule set matching nobody fails.
func (b Bounds) RoleFails(c Counts) string {
	if ok, p := b.RoleMeets(c); !ok {
		if c.TP+c.FP == 0 {
			return "matches nobody"
		}
		if fp := Pct(c.FP, c.TP+c.FP); fp > b.FalsePositiveMax {
			return fmt.Sprintf("fp%% %.2f > %g", fp, b.FalsePositiveMax)
		}
		return fmt.Sprintf("precision %.2f%% < %g%%", p, b.PrecisionMin)
	}
	return ""
}

// RoleMeets reports whether counts c meet the role-level bounds (a rule set matching
// nobody does not), and returns the precision. It allocates nothing: the selection calls
// it for every subset it tries.
func (b Bounds) RoleMeets(c Counts) (bool, float64) {
	p := c.Precision()
	if c.TP+c.FP == 0 {
		return false, p
	}
	return Pct(c.FP, c.TP+c.FP) <= b.FalsePositiveMax && p >= b.PrecisionMin, p
}
