package report

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/usage"
)

// Effective carries a run's effective privilege (docs/effective-privilege.md) to the
// writers. With it, and a snapshot with a Universe, assignments.parquet has one row per
// effective pair and summary.json its systems and effective totals.
type Effective struct {
	// Eff is nil when the data has no role grants (every pair is direct).
	Eff   *mining.Effective
	Class *mining.EffectiveClassification
	// Usage says when access is unused; nil unless the data has a last_used column
	// (docs/excess-privilege.md).
	Usage *usage.Params
	// UsedOnly is set when a mining rule mines used access only and the data has usage:
	// review.csv then says why each pair is unexplained (docs/excess-privilege.md#used-only).
	UsedOnly bool
	// States is the usage state of every direct pair (aligned with Snapshot.IdentIdx),
	// computed by the run's first pair walker when nil (initUsage) and read by every
	// walker after; a caller that already has them (mine under UsedOnly) sets it.
	States    []usage.State
	usageOnce sync.Once
	// tally counts the run's pairs by usage state once for every output that needs it.
	tallyMu sync.Mutex
	tally   *usageTally
	// ruleUsage counts the rules' matched holders by usage state once for rules.json and
	// report.html.
	ruleUsageMu sync.Mutex
	ruleUsage   *ruleUsageCounts
	// walk is the run's one walk over its pairs for the summary, review.csv and the
	// excess ranking (walkPairs).
	walkMu sync.Mutex
	walk   *pairWalk
	// written, set by ExpectWrite, is closed when WriteModelTo's walk has ended: until
	// then, walkPairs waits for that walk instead of walking the pairs itself.
	written chan struct{}
	// walks counts the walks over the pairs made with this Effective (tests).
	walks atomic.Int32
	// summary is the "effective" and "systems" objects of summary.json, computed once
	// for summary.json and report.html (effectiveSummaryOf).
	summaryMu sync.Mutex
	summary   *effectiveSummaries
	// owners index the run's owners once for every output that reads them (ownersOf).
	ownersMu sync.Mutex
	owners   *owners
	// ownRows are the ownership findings' rows, made once for ownership.csv and
	// report.html (sharedOwnershipRows); held under ownRowsMu while they are made.
	ownRowsMu sync.Mutex
	ownRows   *ownershipRowsOf
}

// ExpectWrite tells e that WriteModelTo is about to write assignments.parquet with e,
// walking the run's pairs on the way: until that walk ends, the outputs that read the
// walk (review.csv, the excess ranking, summary.json's counts) wait for it rather than
// walk the pairs a second time, so that they may be written at the same time as the
// model files. The call must be followed by WriteModelTo with e, which ends the wait
// whether it succeeds or fails.
func (e *Effective) ExpectWrite() {
	e.walkMu.Lock()
	defer e.walkMu.Unlock()
	if e.written == nil {
		e.written = make(chan struct{})
	}
}

// endWrite ends ExpectWrite's wait (no-op without one).
func (e *Effective) endWrite() {
	if e == nil {
		return
	}
	e.walkMu.Lock()
	defer e.walkMu.Unlock()
	if e.written != nil {
		close(e.written)
		e.written = nil
	}
}

// effectiveRow is one row of assignments.parquet for data with accounts or grants.
type effectiveRow struct {
	IdentityID string `parquet:"identity_id,dict"`
	RoleID     string `parquet:"role_id,dict"`
	Kind       string `parquet:"kind,dict"`
	Status     string `parquet:"status,dict"`
	RuleID     string `parquet:"rule_id,optional,dict"`
	System     string `parquet:"system,optional,dict"`
	AccountID  string `parquet:"account_id,optional,dict"`
	Inherited  bool   `parquet:"inherited"`
	Via        string `parquet:"via,optional,dict"`
	Redundant  bool   `parquet:"redundant"`
	// Hidden: inherited, and unexplained although the role has rules.
	Hidden bool `parquet:"hidden"`
}

// effectiveUsageRow is an effectiveRow with the pair's usage state, for data with a
// last_used column (null for orphans).
type effectiveUsageRow struct {
	IdentityID string `parquet:"identity_id,dict"`
	RoleID     string `parquet:"role_id,dict"`
	Kind       string `parquet:"kind,dict"`
	Status     string `parquet:"status,dict"`
	RuleID     string `parquet:"rule_id,optional,dict"`
	System     string `parquet:"system,optional,dict"`
	AccountID  string `parquet:"account_id,optional,dict"`
	Inherited  bool   `parquet:"inherited"`
	Via        string `parquet:"via,optional,dict"`
	Redundant  bool   `parquet:"redundant"`
	Hidden     bool   `parquet:"hidden"`
	Usage      string `parquet:"usage,optional,dict"`
}

// pairView is one effective pair with what the outputs say about it.
type pairView struct {
	ident            int
	role             int32
	rule             int32 // -1: unexplained
	system           int32 // index into systemNames, -1: none
	acct             int32 // index of the account into Universe.Accounts, -1: none
	source           int32 // inherited: the directly held role the chain starts at; -1 direct
	step             int64 // inherited: the closure's StepIndex(source, role) (Pairs.Step); -1 direct
	inherited, redun bool
	hidden           bool
	usage            usage.State // Unknown without usage data
	// unusedOnly: unexplained because its access is unused under a UsedOnly mining rule
	// (for an inherited pair of a role without rules, its source's).
	unusedOnly bool
}

// pairWalker visits every effective pair of a snapshot in output order (identities in
// order, roles ascending), with each pair's system. A direct pair's system is that of the
// account granting it, else the role's application. An inherited pair's is the
// application of the nearest role on its chain, walking back from the role itself, that
// has one; else the system of the direct pair the chain starts at.
type pairWalker struct {
	snap        *columnar.Snapshot
	cls         *mining.Classification
	eff         *Effective
	systemNames []string
	systemOf    map[string]int32
	// acctSystem and roleSystem are systemOf of each account system code and of each
	// role's application (-1: none), so that the walk looks no string up.
	acctSystem, roleSystem []int32
	// states is Effective.States; nil without usage data.
	states []usage.State
	// chainSystem is chainSystems of the run's closure (nil without grants).
	chainSystem []int32
}

// orphanSystem returns the system of orphan access o, as for a direct pair: the system of
// the account it names, else (access named by an identity alone) its role's
// application; "" when neither.
func orphanSystem(snap *columnar.Snapshot, o *columnar.Orphan) string {
	if o.System != "" {
		return o.System
	}
	return snap.Roles.Application[o.Role]
}

func newPairWalker(snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) *pairWalker {
	w := &pairWalker{snap: snap, cls: cls, eff: eff, systemOf: map[string]int32{}}
	add := func(s string) {
		if _, ok := w.systemOf[s]; !ok && s != "" {
			w.systemOf[s] = int32(len(w.systemNames))
			w.systemNames = append(w.systemNames, s)
		}
	}
	if u := snap.Universe; u != nil && u.Accounts != nil {
		for _, s := range u.Accounts.Systems {
			add(s)
		}
	}
	for _, a := range snap.Roles.Application {
		add(a)
	}
	for j := range snap.Orphans {
		add(orphanSystem(snap, &snap.Orphans[j]))
	}
	index := func(names []string) []int32 {
		out := make([]int32, len(names))
		for k, s := range names {
			out[k] = -1
			if x, ok := w.systemOf[s]; ok {
				out[k] = x
			}
		}
		return out
	}
	if u := snap.Universe; u != nil && u.Accounts != nil {
		w.acctSystem = index(u.Accounts.Systems)
	}
	w.roleSystem = index(snap.Roles.Application)
	w.initUsage()
	if eff != nil && eff.Eff != nil {
		w.chainSystem = chainSystems(eff.Eff.Closure, w.roleSystem)
	}
	return w
}

// chainSystems returns, for each step of the closure c (by its StepIndex), the system of
// the nearest role on the step's chain that has one (roleSystem), walking back from the
// role reached and stopping before the source; -1 when none has. It is computed once per
// walker, so that an inherited pair's system costs one lookup, not a walk of its chain.
func chainSystems(c *effective.Closure, roleSystem []int32) []int32 {
	out, _ := chainSystemsCounted(c, roleSystem)
	return out
}

// chainSystemsCounted is chainSystems, also returning how many parent steps it looked up.
// A step whose role has no system takes its parent step's answer, each step's found once:
// walking each step's chain back anew cost a chain of n roles held at its head n^3/6
// lookups (2,000 roles: 30 of a run's 45 s).
func chainSystemsCounted(c *effective.Closure, roleSystem []int32) (out []int32, lookups int64) {
	const unknown = math.MinInt32
	out = make([]int32, c.NumSteps())
	for k := range out {
		out[k] = unknown
	}
	var path []int64 // steps waiting for the answer of the step they lead back to
	for s := int32(0); s < int32(c.Graph().NumRoles()); s++ {
		reach, first := c.Reach(s), c.First(s)
		for j := range reach {
			k, sys := first+int64(j), int32(unknown)
			path = path[:0]
			for sys == unknown {
				if sys = out[k]; sys != unknown {
					break
				}
				st := reach[k-first]
				if sys = roleSystem[st.Role]; sys < 0 && st.Dist > 1 {
					path = append(path, k)
					k = c.StepIndex(s, st.Parent)
					lookups++
					sys = unknown
					continue
				}
				out[k] = sys
			}
			for _, p := range path {
				out[p] = sys
			}
		}
	}
	return out, lookups
}

// directView describes identity i's direct pair at CSR position k.
func (w *pairWalker) directView(i int, k int64) pairView {
	snap := w.snap
	r := snap.IdentIdx[k]
	v := pairView{ident: i, role: r, rule: w.cls.RuleOf[k], system: -1, acct: -1, source: -1, step: -1, unusedOnly: w.cls.UnusedAt(int(k))}
	v.system = w.systemAt(k)
	if u := snap.Universe; u != nil && u.PairAccount != nil && u.PairAccount[k] >= 0 {
		v.acct = u.PairAccount[k]
	}
	v.usage = w.usageOf(k)
	return v
}

// systemAt returns the system of the direct pair at CSR position k (directView's).
func (w *pairWalker) systemAt(k int64) int32 {
	sys, _ := w.directAt(k)
	return sys
}

// directAt returns the system of the direct pair at CSR position k and the account that
// grants it (an index into Universe.Accounts, -1 for none): the account's system, else
// the role's application.
func (w *pairWalker) directAt(k int64) (sys, acct int32) {
	if u := w.snap.Universe; u != nil && u.PairAccount != nil {
		if a := u.PairAccount[k]; a >= 0 {
			return w.acctSystem[u.Accounts.System[a]], a
		}
	}
	return w.roleSystem[w.snap.IdentIdx[k]], -1
}

// accountOf returns the account id of v ("" for none).
func (v *pairView) accountOf(snap *columnar.Snapshot) string { return accountID(snap, v.acct) }

// accountID returns the id of account acct (an index into Universe.Accounts; "" for -1,
// none).
func accountID(snap *columnar.Snapshot, acct int32) string {
	if acct < 0 {
		return ""
	}
	return snap.Universe.Accounts.ID[acct]
}

// rowOff returns where each identity's effective pairs start in output order (the
// rows of assignments.parquet before the orphans): n+1 offsets for n identities.
func (w *pairWalker) rowOff() []int64 {
	if w.eff == nil || w.eff.Eff == nil {
		return w.snap.IdentOff
	}
	return w.eff.Eff.Pairs.Off
}

// each calls fn for every effective pair of identity i.
func (w *pairWalker) each(i int, fn func(v *pairView)) {
	off := w.rowOff()
	w.eachIn(i, off[i], off[i+1], fn)
}

// eachIn calls fn for the effective pairs of identity i whose rows (rowOff) are in
// [from, to).
func (w *pairWalker) eachIn(i int, from, to int64, fn func(v *pairView)) {
	snap := w.snap
	var v pairView // one for the identity: fn's pointer makes it escape
	if w.eff == nil || w.eff.Eff == nil {
		for k := max(from, snap.IdentOff[i]); k < min(to, snap.IdentOff[i+1]); k++ {
			v = w.directView(i, k)
			fn(&v)
		}
		return
	}
	p, ec := w.eff.Eff.Pairs, w.eff.Class
	plo, phi := p.Of(i)
	lo, hi := max(from, plo), min(to, phi)
	d := snap.IdentOff[i] // the direct pairs appear in p in the same (ascending) order
	for k := plo; k < lo; k++ {
		if p.KindAt(k) != effective.Inherited {
			d++
		}
	}
	for k := lo; k < hi; k++ {
		if p.KindAt(k) == effective.Inherited {
			v = pairView{ident: i, role: p.Role[k], system: -1, acct: -1, source: p.SourceAt(k), inherited: true, hidden: ec.HiddenAt(k)}
			v.step = int64(p.Step[k])
			v.system, v.usage = w.inherited(i, v.source, v.step)
		} else {
			v = w.directView(i, d)
			v.redun = p.KindAt(k) == effective.Redundant
			d++
		}
		v.rule = ec.RuleOf[k]
		v.unusedOnly = ec.UnusedAt(int(k))
		fn(&v)
	}
}

// eachRole calls fn with the role and rule (-1: unexplained) of every effective pair of
// identity i, in pairWalker.each's order: the part of each's view that needs no lookup.
func eachRole(snap *columnar.Snapshot, cls *mining.Classification, eff *Effective, i int, fn func(role, rule int32)) {
	if eff == nil || eff.Eff == nil {
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			fn(snap.IdentIdx[k], cls.RuleOf[k])
		}
		return
	}
	p, ec := eff.Eff.Pairs, eff.Class
	lo, hi := p.Of(i)
	for k := lo; k < hi; k++ {
		fn(p.Role[k], ec.RuleOf[k])
	}
}

// inherited returns the system of identity i's inherited pair whose chain (closure step
// step) starts at the directly held role source, and its usage: that of the direct pair
// the chain starts at (docs/excess-privilege.md). The direct pair is looked up only when
// needed: for its usage, or for its system when no role on the chain has one.
func (w *pairWalker) inherited(i int, source int32, step int64) (int32, usage.State) {
	sys := w.chainSystem[step]
	if sys >= 0 && w.states == nil {
		return sys, usage.Unknown
	}
	roles := w.snap.RolesOf(i)
	p, _ := slices.BinarySearch(roles, source)
	k := w.snap.IdentOff[i] + int64(p)
	if sys < 0 {
		sys = w.systemAt(k)
	}
	return sys, w.usageOf(k)
}
