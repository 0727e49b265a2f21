package report

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/parallel"
)

// The types of summary.json, declared in package model.
type (
	effectiveSummary = model.EffectiveSummary
	hiddenGrant      = model.HiddenGrant
	pairCounts       = model.PairCounts
	kindPairs        = model.KindPairs
	systemSummary    = model.SystemSummary
)

// noSystem is the systems key of pairs whose system is unknown (no account, no role
// application).
const noSystem = "(no system)"

// effectiveSummaries are effectiveSummaryOf's results, and the walk and classification
// they were computed from.
type effectiveSummaries struct {
	walk    *pairWalk
	cls     *mining.Classification
	es      *effectiveSummary
	systems map[string]*systemSummary
}

// effectiveSummaryOf returns the "effective" and "systems" objects, computed once for
// the run's walk and classification (summary.json and report.html both read them; the
// caller must not change them).
func effectiveSummaryOf(snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) (*effectiveSummary, map[string]*systemSummary) {
	pw, _ := walkPairsFor(context.Background(), snap, cls, eff, true) // no context: never fails; counts ignore Unused
	eff.summaryMu.Lock()
	defer eff.summaryMu.Unlock()
	if c := eff.summary; c == nil || c.walk != pw || c.cls != cls {
		es, systems := effectiveSummaryFrom(snap, cls, eff, pw)
		eff.summary = &effectiveSummaries{walk: pw, cls: cls, es: es, systems: systems}
	}
	return eff.summary.es, eff.summary.systems
}

// effectiveSummaryFrom computes the "effective" and "systems" objects from the pair walk
// pw.
func effectiveSummaryFrom(snap *columnar.Snapshot, cls *mining.Classification, eff *Effective, pw *pairWalk) (*effectiveSummary, map[string]*systemSummary) {
	u := snap.Universe
	es := effectiveInputs(snap, eff)
	systems := map[string]*systemSummary{}
	sys := func(name string) *systemSummary {
		if name == "" {
			name = noSystem
		}
		s := systems[name]
		if s == nil {
			s = &systemSummary{}
			systems[name] = s
		}
		return s
	}
	if a := u.Accounts; a != nil {
		// Counted by system code, then named: one lookup a system, not an account.
		accounts, uncorrelated := make([]int64, len(a.Systems)), make([]int64, len(a.Systems))
		for k, code := range a.System {
			accounts[code]++
			if a.IdentityID(k) == "" {
				uncorrelated[code]++
			}
		}
		for code, n := range accounts {
			if n > 0 {
				s := sys(a.Systems[code])
				s.Accounts += n
				s.UncorrelatedAccounts += uncorrelated[code]
			}
		}
	}
	es.Direct, es.Effective = pw.direct, pw.effective
	kd := &snap.Dims[snap.KindDim]
	for code, seen := range pw.kindSeen {
		if seen {
			kp := pw.byKind[code]
			es.ByKind[kd.Values[code]] = &kp
		}
	}
	for x, c := range pw.bySystem {
		if c.assignments == 0 {
			continue
		}
		name := ""
		if x > 0 {
			name = pw.systemNames[x-1]
		}
		s := sys(name)
		s.Assignments += c.assignments
		s.Explained += c.explained
		s.DirectExplained += c.directExplained
		s.Unexplained += c.unexplained
		s.Inherited += c.inherited
		s.Hidden += c.hidden
	}
	// Orphans and suggestions without a system are counted under noSystem, as pairs
	// are, so that the systems add up to the totals.
	for j := range snap.Orphans {
		sys(orphanSystem(snap, &snap.Orphans[j])).Orphans++
	}
	for _, sg := range cls.Suggestions {
		sys(snap.Roles.Application[sg.Role]).Suggestions++
	}
	missingAccounts(snap, sys)
	flagIncomplete(systems)
	es.HiddenByGrant = hiddenByGrant(snap, eff, pw.review)
	es.PrivilegedOnlyInherited = privilegedOnlyInherited(snap, eff)
	return es, systems
}

// privilegedOnlyInherited lists the roles of 2 or more validations that nobody holds
// directly and some identities hold through grants (docs/effective-privilege.md, a broad
// group nested into a privileged role with no direct member), most identities first,
// ties by role id.
func privilegedOnlyInherited(snap *columnar.Snapshot, eff *Effective) []model.InheritedOnlyRole {
	out := []model.InheritedOnlyRole{}
	if eff.Eff == nil || snap.Universe == nil || len(eff.Eff.NeutralCount) != snap.NumRoles() {
		return out
	}
	byRole := map[int32]int{}
	for r := range snap.NumRoles() {
		n := eff.Eff.NeutralCount[r]
		if snap.Roles.Validations[r] < 2 || n == 0 || len(snap.Holders(r)) > 0 {
			continue
		}
		byRole[int32(r)] = len(out)
		out = append(out, model.InheritedOnlyRole{Role: snap.Roles.IDs[r], Validations: int(snap.Roles.Validations[r]),
			Identities: n, GrantedBy: []string{}})
	}
	for _, g := range snap.Universe.Grants {
		if x, ok := byRole[g.To]; ok && g.From != g.To {
			out[x].GrantedBy = append(out[x].GrantedBy, snap.Roles.IDs[g.From])
		}
	}
	for x := range out {
		slices.Sort(out[x].GrantedBy)
	}
	slices.SortFunc(out, func(a, b model.InheritedOnlyRole) int {
		return cmp.Or(cmp.Compare(b.Identities, a.Identities), strings.Compare(a.Role, b.Role))
	})
	return out
}

// effectiveInputs starts the "effective" object with what the inputs say before any pair
// is counted: the loader's findings, the role grants, the identities with an owner and
// the grant cycles.
func effectiveInputs(snap *columnar.Snapshot, eff *Effective) *effectiveSummary {
	u := snap.Universe
	es := &effectiveSummary{ByKind: map[string]*kindPairs{}, Cycles: [][]string{}, Findings: u.Findings, Grants: int64(len(u.Grants))}
	if es.Findings.UnknownAttributeIdentities == nil {
		es.Findings.UnknownAttributeIdentities = []string{}
	}
	for _, o := range u.Owners {
		if o != "" {
			es.Owners++
		}
	}
	if eff.Eff != nil {
		for _, cy := range eff.Eff.Cycles {
			ids := make([]string, len(cy))
			for k, r := range cy {
				ids[k] = snap.Roles.IDs[r]
			}
			es.Cycles = append(es.Cycles, ids)
		}
	}
	return es
}

// The thresholds of the possibly incomplete flag (docs/effective-privilege.md#incomplete).
const (
	// gapMinPercent: suggested grants at or under this share of a system's predicted
	// grants never flag it; gapMedianFactor: nor at or under this multiple of the median
	// share of the other systems; gapMinSuggestions: nor fewer suggested grants.
	gapMinPercent     = 2
	gapMedianFactor   = 2
	gapMinSuggestions = 10
)

// flagIncomplete sets SuggestedPercent, PossiblyIncomplete and Reason of every system.
func flagIncomplete(systems map[string]*systemSummary) {
	for _, s := range systems {
		if pred := s.DirectExplained + s.Suggestions; pred > 0 {
			s.SuggestedPercent = math.Round(10000*float64(s.Suggestions)/float64(pred)) / 100
		}
	}
	shares := systemShares(systems)
	for name, s := range systems {
		if name == noSystem {
			continue // not a system: nothing to flag
		}
		var why []string
		if med, ok := shares.medianOfOthers(name, s); ok && s.Suggestions >= gapMinSuggestions &&
			s.SuggestedPercent > gapMinPercent && s.SuggestedPercent > gapMedianFactor*med {
			why = append(why, fmt.Sprintf("the rules predict %d grants its data lacks, %.2f%% of the %d grants they make on its roles, against a median of %.2f%% on the other systems",
				s.Suggestions, s.SuggestedPercent, s.DirectExplained+s.Suggestions, med))
		}
		if correlated := s.Accounts - s.UncorrelatedAccounts; s.MissingAccounts*20 > correlated && s.MissingAccounts > 0 {
			why = append(why, fmt.Sprintf("%d identities lack an account most of their peers have, over 5%% of its %d correlated accounts", s.MissingAccounts, correlated))
		}
		s.PossiblyIncomplete = len(why) > 0
		s.Reason = strings.Join(why, "; ")
	}
}

// sharedSystems are the SuggestedPercent of every system on which the rules make grants
// (other than the pairs without a system), sorted, so that the median of all but one of
// them is read without sorting them again for each system: a run with 100,000 systems
// (one account each) spent minutes sorting them once a system.
type sharedSystems []float64

// systemShares returns the sorted shares medianOfOthers reads.
func systemShares(systems map[string]*systemSummary) sharedSystems {
	var ps sharedSystems
	for n, s := range systems {
		if n != noSystem && gradable(s) {
			ps = append(ps, s.SuggestedPercent)
		}
	}
	slices.Sort(ps)
	return ps
}

// gradable reports whether the rules make grants on s, so its share counts in the
// median of the other systems.
func gradable(s *systemSummary) bool { return s.DirectExplained+s.Suggestions > 0 }

// medianOfOthers returns the median SuggestedPercent of the systems other than name,
// system s (and other than the pairs without a system), on which the rules make grants;
// false when there is none. Leaving out s's own share is leaving out one copy of its
// value from the sorted shares, whichever copy.
func (ps sharedSystems) medianOfOthers(name string, s *systemSummary) (float64, bool) {
	skip := len(ps) // the position left out; none when s is not among the shares
	if name != noSystem && gradable(s) {
		skip, _ = slices.BinarySearch(ps, s.SuggestedPercent)
	}
	m := len(ps)
	if skip < len(ps) {
		m--
	}
	if m == 0 {
		return 0, false
	}
	at := func(k int) float64 { // the k-th share of the others
		if k >= skip {
			k++
		}
		return ps[k]
	}
	if m%2 == 1 {
		return at(m / 2), true
	}
	return (at(m/2-1) + at(m/2)) / 2, true
}

// missingAccounts counts, per system, identities without an account in it whose peer
// group (same kind, department and title; 5 or more identities) mostly (over 80%) has one.
//
// The accounts are taken system by system (a counting sort by system), and each system's
// count is read from the peer groups its accounts touch: in group g, with[g] identities
// have an account, so size[g] - with[g] lack one. The work is linear in the accounts,
// systems, identities and groups together; counting each system's identities one by one
// made it systems times identities (100,000 systems of one account each over a million
// identities: 10^11 steps).
func missingAccounts(snap *columnar.Snapshot, sys func(string) *systemSummary) {
	a := snap.Universe.Accounts
	if a == nil {
		return
	}
	group, size := accountPeerGroups(snap, peerDims(snap))
	first, order := accountsBySystem(a)
	seen := make([]int32, snap.NumIdentities()) // 1 + the last system an identity was counted in
	with := make([]int64, len(size))
	var touched []int32
	for s := range a.Systems {
		touched = touched[:0]
		for _, k := range order[first[s]:first[s+1]] {
			i := a.Identity[k]
			if i < 0 || seen[i] == int32(s)+1 {
				continue
			}
			seen[i] = int32(s) + 1
			g := group[i]
			if with[g] == 0 {
				touched = append(touched, g)
			}
			with[g]++
		}
		st := sys(a.Systems[s])
		for _, g := range touched {
			if size[g] >= 5 && with[g]*5 > size[g]*4 {
				st.MissingAccounts += size[g] - with[g]
			}
			with[g] = 0
		}
	}
}

// accountsBySystem returns the accounts ordered by system, each system's in file order:
// system s's are order[first[s]:first[s+1]].
func accountsBySystem(a *columnar.Accounts) (first []int, order []int32) {
	first = make([]int, len(a.Systems)+1)
	for _, s := range a.System {
		first[s+1]++
	}
	for s := range a.Systems {
		first[s+1] += first[s]
	}
	order = make([]int32, len(a.System))
	next := slices.Clone(first[:len(a.Systems)])
	for k, s := range a.System {
		order[next[s]] = int32(k)
		next[s]++
	}
	return first, order
}

// accountPeerGroups returns each identity's peer group (same kind and codes of dims, at most
// two), numbered in order of first appearance, and each group's size. The groups are
// found in a table indexed by the codes when it has at most maxPeerSlots slots, else in
// a map of the codes (a lookup an identity: a million at the tier L universe).
func accountPeerGroups(snap *columnar.Snapshot, dims []int) (group []int32, size []int64) {
	n := snap.NumIdentities()
	group = make([]int32, n)
	kinds := snap.Dims[snap.KindDim].Codes
	// The codes shifted by one (a missing value's code is -1), each dimension's place.
	slots, stride := len(snap.Dims[snap.KindDim].Values)+1, [2]int{}
	for k, d := range dims {
		if slots > maxPeerSlots {
			break
		}
		stride[k] = slots
		slots *= len(snap.Dims[d].Values) + 1
	}
	if slots > maxPeerSlots {
		return accountPeerGroupsByMap(snap, dims)
	}
	at := make([]int32, slots) // 1 + the group of a slot; 0: none yet
	for i := 0; i < n; i++ {
		s := int(kinds[i]) + 1
		for k, d := range dims {
			s += (int(snap.Dims[d].Codes[i]) + 1) * stride[k]
		}
		if at[s] == 0 {
			size = append(size, 0)
			at[s] = int32(len(size))
		}
		group[i] = at[s] - 1
		size[group[i]]++
	}
	return group, size
}

// maxPeerSlots bounds accountPeerGroups' table (4 MB).
const maxPeerSlots = 1 << 20

// accountPeerGroupsByMap is accountPeerGroups through a map of the codes.
func accountPeerGroupsByMap(snap *columnar.Snapshot, dims []int) (group []int32, size []int64) {
	n := snap.NumIdentities()
	group = make([]int32, n)
	ids := map[[3]int32]int32{}
	for i := 0; i < n; i++ {
		key := [3]int32{snap.Dims[snap.KindDim].Codes[i], -1, -1}
		for k, d := range dims {
			key[k+1] = snap.Dims[d].Codes[i]
		}
		g, ok := ids[key]
		if !ok {
			g = int32(len(size))
			ids[key] = g
			size = append(size, 0)
		}
		group[i] = g
		size[g]++
	}
	return group, size
}

// hiddenByGrant groups hidden inherited pairs by the last grant of their chain, from
// review, the walk's review rows: a hidden pair is unexplained, so it has a row, and the
// 2.27M rows of the tier L universe are read instead of its 54M pairs. Parts of the rows
// are counted on every core, each by edge and kind code, and added up; the result's
// order is the sort's (a total order: each grant's string is its own). A worker's panic
// (a bug) is raised again on the caller's goroutine (parallel.Must).
func hiddenByGrant(snap *columnar.Snapshot, eff *Effective, review []effectiveReviewRow) []hiddenGrant {
	out := []hiddenGrant{}
	if eff.Eff == nil {
		return out
	}
	kd := &snap.Dims[snap.KindDim]
	kinds := len(kd.Values)
	const block = 1 << 18 // rows
	parts := make([]edgeKinds, (len(review)+block-1)/block)
	parallel.Must(parallel.Each(context.Background(), len(parts), runtime.GOMAXPROCS(0), func(_, b int) error {
		parts[b] = hiddenEdges(snap, eff, review[b*block:min(len(review), (b+1)*block)], kinds)
		return nil
	}))
	at := map[[2]int32]int{}
	var counts [][]int64 // per grant of out: hidden pairs by kind code
	for _, part := range parts {
		for e, edge := range part.edges {
			x, ok := at[edge]
			if !ok {
				x = len(out)
				at[edge] = x
				out = append(out, hiddenGrant{Grant: snap.Roles.IDs[edge[0]] + " > " + snap.Roles.IDs[edge[1]],
					Role: snap.Roles.IDs[edge[1]], Validations: int(snap.Roles.Validations[edge[1]]), ByKind: map[string]int64{}})
				counts = append(counts, make([]int64, kinds))
			}
			for code, n := range part.counts[e*kinds : (e+1)*kinds] {
				counts[x][code] += n
			}
		}
	}
	for x := range out {
		for code, n := range counts[x] {
			if n > 0 {
				out[x].Identities += n
				out[x].ByKind[kd.Values[code]] += n
			}
		}
	}
	slices.SortFunc(out, func(a, b hiddenGrant) int {
		return cmp.Or(cmp.Compare(b.Identities, a.Identities), strings.Compare(a.Grant, b.Grant))
	})
	return out
}

// edgeKinds counts hidden pairs by grant edge (last grant, role) and kind code: counts
// holds kinds counts an edge, in the order of edges.
type edgeKinds struct {
	edges  [][2]int32
	counts []int64
}

// hiddenEdges counts the hidden pairs among review rows (hiddenByGrant).
func hiddenEdges(snap *columnar.Snapshot, eff *Effective, rows []effectiveReviewRow, kinds int) edgeKinds {
	codes := snap.Dims[snap.KindDim].Codes
	var ek edgeKinds
	at := map[[2]int32]int{}
	for k := range rows {
		r := &rows[k]
		if !r.hidden() {
			continue
		}
		edge := [2]int32{lastGrant(eff.Eff.Closure, r.source, int64(r.step)), r.role}
		x, ok := at[edge]
		if !ok {
			x = len(ek.edges)
			at[edge] = x
			ek.edges = append(ek.edges, edge)
			ek.counts = append(ek.counts, make([]int64, kinds)...)
		}
		ek.counts[x*kinds+int(codes[r.ident])]++
	}
	return ek
}

// lastGrant returns the role that grants the role reached by the closure step of
// source: the one before it on the chain (Closure.Via), source itself for one grant.
func lastGrant(c *effective.Closure, source int32, step int64) int32 {
	return c.Reach(source)[step-c.First(source)].Parent
}

// SystemSummaries returns summary.json's systems, with the ones flagged as possibly
// incomplete (nil for data without accounts or grants).
func SystemSummaries(snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) map[string]*model.SystemSummary {
	if snap.Universe == nil || eff == nil {
		return nil
	}
	_, systems := effectiveSummaryOf(snap, cls, eff)
	return systems
}
