// Package drift holds a mined model against a new snapshot of the same enterprise
// (`rolemine drift`, docs/semantics.md section 8): the grants its rules now call for, the access
// its rules explained before and no longer explain because attributes changed (revoke
// candidates, naming the change), the access of identities that are gone (orphans), and
// each rule's quality on the new data against its mining rule's bounds. It also scores a
// remediation plan against the truth that `rolemine gen --evolve` writes, and reports rule
// churn between two models (stability, `rolemine mine --previous`).
//
// Every rule matches with its scope, exactly as in mining (docs/semantics.md#scope-rule).
package drift

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/usage"
)

// Action types of remediation.csv.
const (
	ActionGrant   = "grant"            // a Required rule matches, the role is missing
	ActionSuggest = "suggest"          // a Suggested or RequestedAutomatically rule matches
	ActionRevoke  = "revoke-candidate" // explained before, no rule explains it now
	ActionOrphan  = "orphan"           // the identity is gone, the access remains
)

// ActionTypes lists the action types in the order summaries show them.
var ActionTypes = []string{ActionGrant, ActionSuggest, ActionRevoke, ActionOrphan}

// ChangeUnknown is the change named on a revoke candidate when the previous snapshot's
// attributes are not available.
const ChangeUnknown = "unknown: attribute changes cannot be named without --previous-data"

// Action is one row of remediation.csv.
type Action struct {
	Type       string
	IdentityID string
	// Kind is the identity's kind ("" for an orphan whose previous kind is unknown).
	Kind   string
	RoleID string
	// RuleID, RuleType and Criterion name the rule that calls for a grant or suggestion,
	// or that explained a revoke candidate before; empty for orphans.
	RuleID, RuleType, Criterion string
	// Change names the attribute changes behind a revoke candidate ("department: Sales ->
	// Legal; title: Analyst -> Counsel"), or says why an orphan is one.
	Change string
}

// Baseline is what drift knows about the time the model was mined. With Previous, the
// previous snapshot's attributes and assignments are known, so attribute changes are
// named. Without it, PreviousAssignments (the model's assignments.parquet, when present)
// still tells which access was explained before.
type Baseline struct {
	Previous *columnar.Snapshot
	// PreviousAssignments is the path of the model's assignments.parquet ("" for none).
	PreviousAssignments string
}

// Options configure Compute.
type Options struct {
	// Config supplies each role's bounds by its mining rule index (roles.json's
	// mining_rule.index); nil means the implicit mining rule's bounds.
	Config *mining.Config
	// BoundsSource says where Config came from, for rules-health.json.
	BoundsSource string
	Workers      int
	Logger       *slog.Logger
	// Usage judges unused access (revoke-unused); nil: no such actions.
	Usage *usage.Params
}

// Result is the model held against a new snapshot.
type Result struct {
	Actions []Action
	Health  []RuleHealth
	Summary Summary
}

// chunk is the work of one block of identities.
type chunk struct {
	lo, hi  int
	actions []rawAction
	unexpl  []pair
}

type pair struct{ i, r int32 }

// rawAction is an action before strings are attached.
type rawAction struct {
	i, r, rule int32
	typ        uint8
	change     string
}

const (
	tGrant uint8 = iota
	tSuggest
	tRevoke
)

// counters are one worker's tallies.
type counters struct {
	support, tp []int64 // by rule
	roleTP      []int64 // by role
	roleFP      []int64
	roleHin     []int64 // holders in the role's scope
	// roleUnused: holders in the role's scope unused under UsedOnly (out of its n)
	roleUnused []int64
	explained  int64
	// unusedOnly counts matched direct pairs unexplained for being unused under UsedOnly.
	unusedOnly int64
	byKind     map[string]*kindTally
}

type kindTally struct {
	identities, assignments, explained int64
}

// Compute holds model against next. It never modifies its inputs.
func Compute(ctx context.Context, model *report.Model, next *columnar.Snapshot, base Baseline, opts Options) (*Result, error) {
	t0 := time.Now()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Rules are bound before the closure, so that a rule the data cannot hold is refused
	// first; binding is timed with match. The phases cover the whole of Compute.
	b, err := bind(next, model)
	if err != nil {
		return nil, err
	}
	var phases []Phase
	matching := time.Since(t0)
	t := time.Now()
	eff, err := effectiveHeld(ctx, next) // nil without role grants
	if err != nil {
		return nil, err
	}
	if eff != nil {
		phases = append(phases, Phase{Name: "effective", Seconds: time.Since(t).Seconds()})
		t = time.Now()
	}
	states := directUsage(next, opts.Usage)
	in := &tallyInput{model: model, next: next, b: b, eff: eff, unused: unusedOnlyPairs(model, next, states)}
	chunks, total, err := matchRules(ctx, in, workers)
	if err != nil {
		return nil, err
	}
	matching += time.Since(t)
	phases = append(phases, Phase{Name: "match", Seconds: matching.Seconds()})
	t = time.Now()
	phase := func(name string) {
		phases = append(phases, Phase{Name: name, Seconds: time.Since(t).Seconds()})
		t = time.Now()
	}
	log.Info("drift: rules matched", "identities", next.NumIdentities(), "rules", len(model.Rules), "elapsed", matching)

	var unexpl []pair
	for _, ch := range chunks {
		unexpl = append(unexpl, ch.unexpl...)
	}
	cls, err := classifyUnexplained(ctx, model, next, b, base, unexpl)
	if err != nil {
		return nil, err
	}
	warnRespeltNew(log, cls)
	res := &Result{Actions: actions(model, next, base, eff, chunks, cls, unusedActions(next, opts.Usage, states))}
	phase("classify")
	res.Health = health(model, next, b, total, opts, eff)
	res.Summary = summarize(model, next, base, res, total, cls, len(unexpl))
	res.Summary.BoundsSource = opts.BoundsSource
	phase("health")
	res.Summary.Phases = phases
	return res, nil
}

// newCounters returns zeroed counters for nk rules and nr roles.
func newCounters(nk, nr int) *counters {
	return &counters{
		support: make([]int64, nk), tp: make([]int64, nk),
		roleTP: make([]int64, nr), roleFP: make([]int64, nr), roleHin: make([]int64, nr),
		roleUnused: make([]int64, nr),
		byKind:     map[string]*kindTally{},
	}
}

// add adds the counts of c to t.
func (t *counters) add(c *counters) {
	for k := range t.support {
		t.support[k] += c.support[k]
		t.tp[k] += c.tp[k]
	}
	for r := range t.roleTP {
		t.roleTP[r] += c.roleTP[r]
		t.roleFP[r] += c.roleFP[r]
		t.roleHin[r] += c.roleHin[r]
		t.roleUnused[r] += c.roleUnused[r]
	}
	t.explained += c.explained
	t.unusedOnly += c.unusedOnly
	for kind, kt := range c.byKind {
		tk := t.byKind[kind]
		if tk == nil {
			tk = &kindTally{}
			t.byKind[kind] = tk
		}
		tk.identities += kt.identities
		tk.assignments += kt.assignments
		tk.explained += kt.explained
	}
}

// matchRules matches every rule against every identity of next in chunks of identities on
// workers, each chunk collecting its actions and unexplained pairs, and returns the chunks
// in identity order with the counts of all of them.
func matchRules(ctx context.Context, in *tallyInput, workers int) ([]*chunk, *counters, error) {
	next, b := in.next, in.b
	nr, nk := next.NumRoles(), len(in.model.Rules)
	// Each role's scope is its rules' (one mining rule covers a role).
	in.roleScope = make([][]bool, nr)
	for r := range nr {
		if ks := b.RulesOf(int32(r)); len(ks) > 0 {
			in.roleScope[r] = b.InKind(ks[0])
		}
	}
	n := next.NumIdentities()
	size := max(4096, (n+workers*8-1)/(workers*8))
	var chunks []*chunk
	for lo := 0; lo < n; lo += size {
		chunks = append(chunks, &chunk{lo: lo, hi: min(n, lo+size)})
	}
	tallies := make([]*counters, workers)
	bufs := make([][]int32, workers)
	for w := range workers {
		tallies[w] = newCounters(nk, nr)
	}
	err := parallel.Each(ctx, len(chunks), workers, func(w, j int) error {
		bufs[w] = tallies[w].tally(chunks[j], in, bufs[w])
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	total := newCounters(nk, nr)
	for _, c := range tallies {
		total.add(c)
	}
	return chunks, total, nil
}

// actions lists the remediation plan: the grant, suggest and revoke actions of known
// identities in identity order, then role; then redundant direct grants, unused access,
// owners to reassign, and orphans last.
func actions(model *report.Model, next *columnar.Snapshot, base Baseline, eff *held, chunks []*chunk, cls *unexplainedClasses, unused []Action) []Action {
	var raw []rawAction
	for _, ch := range chunks {
		raw = append(raw, ch.actions...)
	}
	raw = append(raw, cls.revokes...)
	slices.SortFunc(raw, func(a, b rawAction) int {
		if a.i != b.i {
			return int(a.i - b.i)
		}
		return int(a.r - b.r)
	})
	raw = eff.withoutHandedOut(raw, next.Roles.IDs)
	typeName := [...]string{ActionGrant, ActionSuggest, ActionRevoke}
	out := make([]Action, 0, len(raw)+len(next.Orphans))
	for _, a := range raw {
		rec := &model.Rules[a.rule]
		change := a.change
		if a.typ == tRevoke {
			change += accountNote(next, a.i, a.r)
		}
		out = append(out, Action{
			Type: typeName[a.typ], IdentityID: next.IdentityIDs[a.i], Kind: next.Kind(int(a.i)),
			RoleID: next.Roles.IDs[a.r], RuleID: rec.RuleID, RuleType: rec.RuleType,
			Criterion: criterionString(rec), Change: change,
		})
	}
	out = append(out, eff.redundantActions(next)...)
	out = append(out, unused...)
	out = append(out, ownerActions(next, base)...)
	return append(out, orphanActions(next, base)...)
}

// roleMatched reports whether some rule in buf (the identity's matching rules) is of role
// r.
func roleMatched(b *binding, buf []int32, r int32) bool {
	lo, hi := 0, len(buf)
	for lo < hi {
		m := (lo + hi) / 2
		if b.Role(buf[m]) < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(buf) && b.Role(buf[lo]) == r
}

// criterionString renders a rule's criterion as "a=x & b=y".
func criterionString(rec *report.RuleRecord) string {
	parts := make([]string, len(rec.Criteria))
	for k, t := range rec.Criteria {
		parts[k] = t.Attribute + "=" + t.Value
	}
	return strings.Join(parts, " & ")
}

// orphanActions lists the orphan assignments of next, naming what the previous snapshot
// knew of the identity when it is given, and the account of access granted to one
// (docs/effective-privilege.md: orphan access names its account).
func orphanActions(next *columnar.Snapshot, base Baseline) []Action {
	var prevIdx map[string]int32
	if base.Previous != nil {
		prevIdx = identityIndex(base.Previous)
	}
	out := make([]Action, 0, len(next.Orphans))
	for _, o := range next.Orphans {
		a := Action{Type: ActionOrphan, IdentityID: o.IdentityID, RoleID: next.Roles.IDs[o.Role],
			Change: "identity absent from identities"}
		switch {
		case o.IdentityID == "":
			a.Change = "uncorrelated account: no identity"
		case prevIdx != nil:
			if pi, ok := prevIdx[o.IdentityID]; ok {
				a.Kind = base.Previous.Kind(int(pi))
				a.Change = "identity removed since the previous snapshot"
			} else {
				a.Change = "identity absent from identities, already in the previous snapshot"
			}
		}
		if o.AccountID != "" {
			a.Change += "; account " + o.System + "/" + o.AccountID
		}
		out = append(out, a)
	}
	return out
}

// accountNote names the account through which identity i directly holds role r in next
// ("; account SYSTEM/ID", as orphan actions name theirs), so that a reviewer knows where
// to revoke the grant; "" for a grant on the identity alone or a role not held directly.
func accountNote(next *columnar.Snapshot, i, r int32) string {
	u := next.Universe
	if u == nil || u.PairAccount == nil || u.Accounts == nil {
		return ""
	}
	roles := next.RolesOf(int(i))
	j, ok := slices.BinarySearch(roles, r)
	if !ok {
		return ""
	}
	return accountNoteAt(next, next.IdentOff[i]+int64(j))
}

// accountNoteAt is accountNote for the direct pair at CSR position k.
func accountNoteAt(next *columnar.Snapshot, k int64) string {
	u := next.Universe
	if u == nil || u.PairAccount == nil || u.Accounts == nil {
		return ""
	}
	x := u.PairAccount[k]
	if x < 0 {
		return ""
	}
	a := u.Accounts
	return "; account " + a.Systems[a.System[x]] + "/" + a.ID[x]
}

func identityIndex(s *columnar.Snapshot) map[string]int32 {
	m := make(map[string]int32, s.NumIdentities())
	for i, id := range s.IdentityIDs {
		m[id] = int32(i)
	}
	return m
}

// unexplainedClasses sorts the access no rule explains now.
type unexplainedClasses struct {
	revokes []rawAction
	// newAccess: not held before (or the identity is new); still: held before and
	// unexplained then too; unknown: no baseline to tell.
	newAccess, still, unknown int64
	newByKind                 map[string]int64
	basis                     string
	// baseIDs are the identity ids of the baseline (the previous snapshot's, or those of
	// the model's assignments.parquet) and newIDs those of the identities of next with
	// new access, once each: respeltNew compares them.
	baseIDs, newIDs []string
	newSeen         map[int32]bool
}

// countNew counts the unexplained pair p as new access.
func (c *unexplainedClasses) countNew(next *columnar.Snapshot, p pair) {
	c.newAccess++
	c.newByKind[next.Kind(int(p.i))]++
	if c.newSeen == nil {
		c.newSeen = map[int32]bool{}
	}
	if !c.newSeen[p.i] {
		c.newSeen[p.i] = true
		c.newIDs = append(c.newIDs, next.IdentityIDs[p.i])
	}
}

// warnRespeltNew warns when identities with new access are absent from the baseline but
// name one of its identities but for letter case, padding or leading zeros: ids are
// exact, so their access counts as new, while an export that respelt the ids is the
// likelier cause (docs/inputs.md#input-ids).
func warnRespeltNew(log *slog.Logger, c *unexplainedClasses) {
	if len(c.newIDs) == 0 || len(c.baseIDs) == 0 {
		return
	}
	if n, ex := columnar.LookalikesOf(c.baseIDs, c.newIDs); n > 0 {
		log.Warn("ids are exact: these identities of the data, whose unexplained access counts as new, are absent from the baseline but name one of its identities but for letter case, surrounding white space or leading zeros",
			"baseline", c.basis, "count", n, "examples", ex)
	}
}

// classifyUnexplained decides, for every assignment no rule explains now, whether the
// model explained it before (a revoke candidate), whether it is new, or whether it was
// already unexplained.
func classifyUnexplained(ctx context.Context, model *report.Model, next *columnar.Snapshot, b *binding, base Baseline, unexpl []pair) (*unexplainedClasses, error) {
	out := &unexplainedClasses{newByKind: map[string]int64{}}
	switch {
	case base.Previous != nil:
		out.basis = "previous snapshot (--previous-data)"
		prev := base.Previous
		out.baseIDs = prev.IdentityIDs
		pb, err := bind(prev, model)
		if err != nil {
			return nil, fmt.Errorf("previous snapshot: %w", err)
		}
		// Roles held through grants then count as held then (semantics.md section 8), as
		// the inherited rows of the model's assignments.parquet do without --previous-data.
		peff, err := effectiveHeld(ctx, prev)
		if err != nil {
			return nil, err
		}
		minedUnused, err := minedUnusedPairs(model, prev)
		if err != nil {
			return nil, err
		}
		prevIdx := identityIndex(prev)
		roleMap := make([]int32, next.NumRoles())
		for r, id := range next.Roles.IDs {
			roleMap[r] = -1
			if pr, ok := slices.BinarySearch(prev.Roles.IDs, id); ok {
				roleMap[r] = int32(pr)
			}
		}
		dimMap := make([]int, len(next.Dims))
		for d := range next.Dims {
			dimMap[d] = prev.DimIndex(next.Dims[d].Name)
		}
		for n, p := range unexpl {
			if n&0xffff == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			pi, ok := prevIdx[next.IdentityIDs[p.i]]
			pr := roleMap[p.r]
			held, unusedThen := false, false
			if ok && pr >= 0 {
				var at int
				at, held = slices.BinarySearch(prev.RolesOf(int(pi)), pr)
				unusedThen = held && minedUnused != nil && minedUnused[prev.IdentOff[pi]+int64(at)]
				held = held || peff.inherits(int(pi), pr)
			}
			if !held {
				out.countNew(next, p)
				continue
			}
			k := pb.firstMatch(pr, int(pi))
			if k < 0 || unusedThen {
				// No rule explained it then: unexplained then, or unused under UsedOnly.
				out.still++
				continue
			}
			out.revokes = append(out.revokes, rawAction{i: p.i, r: p.r, rule: k, typ: tRevoke,
				change: changeOf(next, int(p.i), prev, int(pi), b, k, dimMap)})
		}
	case base.PreviousAssignments != "":
		out.basis = "model's " + report.AssignmentsParquetFile + " (attribute changes not named: no --previous-data)"
		if err := classifyFromAssignments(ctx, model, next, base.PreviousAssignments, unexpl, out); err != nil {
			return nil, err
		}
	default:
		out.basis = "none: without --previous-data or the model's " + report.AssignmentsParquetFile + ", access explained before cannot be told from new access"
		out.unknown = int64(len(unexpl))
	}
	return out, nil
}

// changeOf names the attribute changes of identity i (next) / pi (prev) that break rule k:
// its scope's kind and its terms, "attribute: old -> new" joined by "; ". When none of
// those changed (the rule's value vanished from the data), every changed attribute is
// named.
func changeOf(next *columnar.Snapshot, i int, prev *columnar.Snapshot, pi int, b *binding, k int32, dimMap []int) string {
	val := func(s *columnar.Snapshot, d, i int) string {
		if d < 0 {
			return ""
		}
		dim := &s.Dims[d]
		var vs []string
		if c := dim.Codes[i]; c >= 0 {
			vs = append(vs, dim.Values[c])
		}
		if dim.MultiOff != nil {
			for _, c := range dim.MultiCodes[dim.MultiOff[i]:dim.MultiOff[i+1]] {
				vs = append(vs, dim.Values[c])
			}
		}
		return strings.Join(vs, "|")
	}
	show := func(v string) string {
		if v == "" {
			return "(none)"
		}
		return v
	}
	var parts []string
	add := func(d int) {
		o, n := val(prev, dimMap[d], pi), val(next, d, i)
		if o != n {
			parts = append(parts, next.Dims[d].Name+": "+show(o)+" -> "+show(n))
		}
	}
	ruleDims, _ := b.Terms(k)
	dims := append([]int32{int32(next.KindDim)}, ruleDims...)
	seen := map[int32]bool{}
	for _, d := range dims {
		if !seen[d] {
			seen[d] = true
			add(int(d))
		}
	}
	if len(parts) == 0 {
		for d := range next.Dims {
			add(d)
		}
	}
	if len(parts) == 0 {
		return "no attribute changed; the rule's value is gone from the data"
	}
	return strings.Join(parts, "; ")
}

// tallyInput is what tally reads: the model, the new snapshot, the model bound to it, the
// effective holdings (nil without role grants) and each role's scope by kind code.
type tallyInput struct {
	model     *report.Model
	next      *columnar.Snapshot
	b         *binding
	eff       *held
	roleScope [][]bool
	// unused marks the direct pairs (CSR positions of next) that are unused under a
	// UsedOnly mining rule of their role: neutral for the counts (nil: none).
	unused []bool
}

// unusedAt reports whether the direct pair at CSR position k is unused under UsedOnly.
func (in *tallyInput) unusedAt(k int64) bool { return in.unused != nil && in.unused[k] }

// tally counts the identities of chunk ch into c (rule supports and true positives, role
// counts, per-kind tallies) and appends the chunk's actions and unexplained assignments
// to ch. buf is a reusable buffer of matching rules, returned for the next call.
func (c *counters) tally(ch *chunk, in *tallyInput, buf []int32) []int32 {
	model, next, b, eff, roleScope := in.model, in.next, in.b, in.eff, in.roleScope
	kd := &next.Dims[next.KindDim]
	for i := ch.lo; i < ch.hi; i++ {
		buf = b.matching(i, buf)
		held := next.RolesOf(i)
		kc := kd.Codes[i]
		kt := c.byKind[kd.Values[kc]]
		if kt == nil {
			kt = &kindTally{}
			c.byKind[kd.Values[kc]] = kt
		}
		kt.identities++
		kt.assignments += int64(len(held))
		off := next.IdentOff[i]
		// Matched rules, grouped by role (rules are in role order).
		for x := 0; x < len(buf); {
			r := b.Role(buf[x])
			y := x
			p, has := slices.BinarySearch(held, r)
			if !has && eff.inherits(i, r) || has && in.unusedAt(off+int64(p)) {
				// Held through grants, or held unused under UsedOnly: neutral for the
				// counts, nothing to grant.
				for y < len(buf) && b.Role(buf[y]) == r {
					y++
				}
				x = y
				continue
			}
			for y < len(buf) && b.Role(buf[y]) == r {
				c.support[buf[y]]++
				if has {
					c.tp[buf[y]]++
				}
				y++
			}
			if has {
				c.roleTP[r]++
			} else {
				c.roleFP[r]++
				typ := tGrant
				if model.Rules[buf[x]].RuleType != mining.Required.String() {
					typ = tSuggest
				}
				ch.actions = append(ch.actions, rawAction{i: int32(i), r: r, rule: buf[x], typ: typ})
			}
			x = y
		}
		for p, r := range held {
			matched := roleMatched(b, buf, r)
			if in.unusedAt(off + int64(p)) {
				// Neutral for the counts; unexplained, as mine leaves it.
				if sc := roleScope[r]; sc != nil && sc[kc] {
					c.roleUnused[r]++
				}
				if matched {
					c.unusedOnly++
				} else {
					ch.unexpl = append(ch.unexpl, pair{int32(i), r})
				}
				continue
			}
			if sc := roleScope[r]; sc != nil && sc[kc] {
				c.roleHin[r]++
			}
			if matched {
				c.explained++
				kt.explained++
			} else {
				ch.unexpl = append(ch.unexpl, pair{int32(i), r})
			}
		}
	}
	return buf
}
