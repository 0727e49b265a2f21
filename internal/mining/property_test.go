package mining

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
)

// Property tests (docs/development.md#tests): the real miner against referenceMine on many
// random small enterprises with random configurations. Every case is generated from one
// seed; a failure prints it, and ROLEMINE_PROP_SEED=<seed> go test ./internal/mining -run
// TestPropertyMiner reruns just that case.

// propAttrNames are the attribute pool; "kind" sorts between dept and loc, so code and
// name order interleave with the kind dimension.
var propAttrNames = [...]string{"app", "cc", "dept", "loc", "title"}

// propValues is the value pool (mixed case: byte order puts upper case first).
var propValues = [...]string{"Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "alpha", "Zulu", "echo"}

// propKinds are the identity kinds drawn.
var propKinds = [...]string{"human", "service_account", "api_key"}

// randomEnterprise draws an enterprise whose assignments mostly follow planted criteria,
// with noise, so that rules actually get emitted.
func randomEnterprise(rng *rand.Rand) tEnterprise {
	var e tEnterprise
	n := 20 + rng.IntN(101)
	attrs := slices.Clone(propAttrNames[:])
	rng.Shuffle(len(attrs), func(a, b int) { attrs[a], attrs[b] = attrs[b], attrs[a] })
	attrs = attrs[:2+rng.IntN(4)]
	vals := map[string][]string{}
	for _, a := range attrs {
		pool := slices.Clone(propValues[:])
		rng.Shuffle(len(pool), func(x, y int) { pool[x], pool[y] = pool[y], pool[x] })
		vals[a] = pool[:2+rng.IntN(5)]
	}
	multiAttr := ""
	if rng.IntN(5) == 0 {
		multiAttr = attrs[rng.IntN(len(attrs))]
	}
	highCard := rng.IntN(4) == 0 // an e-mail-like attribute
	kindWeights := [3]int{70, 20, 10}
	switch rng.IntN(5) {
	case 0:
		kindWeights = [3]int{100, 0, 0}
	case 1:
		kindWeights = [3]int{30, 40, 30}
	}
	for i := 0; i < n; i++ {
		id := tIdentity{ID: fmt.Sprintf("id%03d", i), Attrs: map[string]string{}}
		w := rng.IntN(100)
		switch {
		case w < kindWeights[0]:
			if rng.IntN(2) == 0 {
				id.Kind = "human"
			} // else "" -> human by default
		case w < kindWeights[0]+kindWeights[1]:
			id.Kind = "service_account"
		default:
			id.Kind = "api_key"
		}
		for _, a := range attrs {
			if rng.IntN(20) == 0 {
				continue // no value
			}
			// skewed: low values are more frequent, so criteria have support
			vs := vals[a]
			v := vs[min(rng.IntN(len(vs)), rng.IntN(len(vs)))]
			if a == multiAttr && rng.IntN(4) == 0 {
				v += "|" + vs[rng.IntN(len(vs))]
			}
			id.Attrs[a] = v
		}
		if highCard {
			id.Attrs["mail"] = fmt.Sprintf("m%d", rng.IntN(n*2/3+1))
		}
		e.Identities = append(e.Identities, id)
	}
	values := identityValues(e)

	nRoles := 5 + rng.IntN(26)
	cats := []string{"", "Fin", "IT"}
	for r := 0; r < nRoles; r++ {
		id := fmt.Sprintf("R%02d", r)
		if rng.IntN(15) != 0 { // else implicit: only in assignments
			e.Roles = append(e.Roles, tRole{ID: id, Category: cats[rng.IntN(3)], Validations: int8(rng.IntN(4))})
		}
		// planted: 1-2 criteria of 1-2 terms (kind included), ORed
		type term struct{ a, v string }
		var planted [][]term
		for p := 0; p < 1+rng.IntN(2); p++ {
			var c []term
			for k := 0; k < 1+rng.IntN(2); k++ {
				if rng.IntN(6) == 0 {
					c = append(c, term{columnar.KindDimension, propKinds[rng.IntN(3)]})
					continue
				}
				a := attrs[rng.IntN(len(attrs))]
				c = append(c, term{a, vals[a][rng.IntN(len(vals[a]))]})
			}
			planted = append(planted, c)
		}
		mode := rng.IntN(10)
		follow := []float64{1, 1, 0.9, 0.8}[rng.IntN(4)]
		noise := []float64{0, 0, 0.01, 0.05}[rng.IntN(4)]
		for i, vs := range values {
			match := false
			for _, c := range planted {
				all := true
				for _, t := range c {
					if !slices.Contains(vs[t.a], t.v) {
						all = false
					}
				}
				match = match || all
			}
			hold := false
			switch {
			case mode == 0: // unstructured
				hold = rng.Float64() < 0.15
			case mode == 1: // nobody
			default:
				hold = (match && rng.Float64() < follow) || rng.Float64() < noise
			}
			if hold {
				e.Assignments = append(e.Assignments, tAssign{e.Identities[i].ID, id})
				if rng.IntN(50) == 0 {
					e.Assignments = append(e.Assignments, tAssign{e.Identities[i].ID, id}) // duplicate
				}
			}
		}
		if rng.IntN(10) == 0 {
			e.Assignments = append(e.Assignments, tAssign{"ghost", id}) // orphan
		}
	}
	if rng.IntN(4) == 0 {
		// a role in the roles file nobody holds
		e.Roles = append(e.Roles, tRole{ID: "UNUSED", Category: "IT", Validations: 1})
	}
	if rng.IntN(8) == 0 {
		e.Excluded = map[string]string{attrs[0]: "excluded by user"}
	}
	return e
}

// randomConfig draws 1-3 mining rules.
func randomConfig(rng *rand.Rand, e tEnterprise) *Config {
	cfg := &Config{Path: "random.xml"}
	scopes := []string{"*", "*", "human", "nhi", "nhi", "service_account", "service_account,api_key", "api_key",
		" api_key , human", "human,nhi", "service_account, nhi"}
	pct := func(lo, hi int) float64 {
		v := float64(lo + rng.IntN(hi-lo+1))
		if rng.IntN(6) == 0 && v < float64(hi) {
			v += []float64{0.5, 0.3, 0.25}[rng.IntN(3)]
		}
		return v
	}
	var names []string
	for a := range e.Identities[0].Attrs {
		names = append(names, a)
	}
	names = append(names, columnar.KindDimension)
	slices.Sort(names)
	for k := 0; k < 1+rng.IntN(3); k++ {
		mr := DefaultMiningRule()
		mr.Index, mr.Line = k, k+2
		mr.Priority = rng.IntN(3)
		mr.EntityType = scopes[rng.IntN(len(scopes))]
		mr.Policy = "P" + strconv.Itoa(k)
		mr.RulePolicy = mr.Policy
		if rng.IntN(3) == 0 {
			mr.RulePolicy = "RP" + strconv.Itoa(k)
		}
		if rng.IntN(3) == 0 {
			c := []string{"Fin", "IT"}[rng.IntN(2)]
			mr.Category = &c
		}
		for v := range mr.IncludeValidations {
			mr.IncludeValidations[v] = rng.IntN(5) != 0
		}
		mr.ExcludeRole = rng.IntN(5) == 0
		mr.PrecisionMin = pct(80, 100)
		mr.FalsePositiveMax = pct(0, 30)
		mr.RuleType = RuleType(rng.IntN(3))
		mr.MinIdentities = 1 + rng.IntN(5)
		mr.MaxDimensions = 1 + rng.IntN(4)
		if rng.IntN(4) == 0 {
			for _, a := range names {
				if rng.IntN(2) == 0 {
					mr.Dimensions = append(mr.Dimensions, a)
				}
			}
			if mr.Dimensions == nil {
				mr.Dimensions = []string{names[0]}
			}
		}
		cfg.MiningRules = append(cfg.MiningRules, mr)
	}
	return cfg
}

// propStats counts what the property test actually compared, so that a generator drifting
// into trivial cases is noticed.
type propStats struct {
	roles, skipped, covered, rules, multiRule, excluded int
}

func TestPropertyMinerMatchesReference(t *testing.T) {
	cases := 500
	if testing.Short() {
		cases = 100
	}
	seeds := make([]uint64, cases)
	for k := range seeds {
		seeds[k] = uint64(k)*0x9e3779b97f4a7c15 + 1
	}
	if s := os.Getenv("ROLEMINE_PROP_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			t.Fatalf("ROLEMINE_PROP_SEED=%q: %v", s, err)
		}
		seeds = []uint64{seed}
	}
	var st propStats
	failures := 0
	for _, seed := range seeds {
		if err := propCase(seed, &st); err != nil {
			failures++
			t.Errorf("seed %#x (rerun: ROLEMINE_PROP_SEED=%#x go test ./internal/mining -run TestPropertyMiner -v):\n%v", seed, seed, err)
			if failures >= 5 {
				t.Fatalf("stopping after %d failing seeds", failures)
			}
		}
	}
	t.Logf("%d cases: %d roles compared (%d skipped: > %d useful candidates), %d covered, %d rules, %d roles with several rules, %d excluded",
		len(seeds), st.roles, st.skipped, refMaxCandidates, st.covered, st.rules, st.multiRule, st.excluded)
	if len(seeds) >= 50 {
		// The generator must exercise the interesting paths.
		if st.covered < st.roles/10 || st.multiRule == 0 || st.excluded == 0 || st.skipped > st.roles/2 {
			t.Errorf("generator too weak: %+v", st)
		}
	}
}

// propCase generates one enterprise and configuration from seed, mines them with the real
// miner (workers 1 and 3) and compares with the reference and a literal classification.
func propCase(seed uint64, st *propStats) (err error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	e := randomEnterprise(rng)
	cfg := randomConfig(rng, e)
	snap, err := buildSnapshot(e)
	if err != nil {
		return fmt.Errorf("build snapshot: %v", err)
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\nconfig:\n%s", err, describeConfig(cfg))
		}
	}()

	ctx := context.Background()
	m1, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Workers: 1})
	if err != nil {
		return fmt.Errorf("Run workers=1: %v", err)
	}
	// Three workers through a backend that does not say it emits concurrently: flat
	// inputs' roles go to the selectors through the queue instead of inside emit.
	m3, err := Run(ctx, snap, cfg, Options{Backend: queued{cpu.New()}, Workers: 3})
	if err != nil {
		return fmt.Errorf("Run workers=3: %v", err)
	}
	if !reflect.DeepEqual(m1, m3) {
		return fmt.Errorf("models differ between workers 1 and 3:\n%s", firstModelDiff(snap, m1, m3))
	}
	ref := referenceMine(snap, cfg)
	if err := compareModel(snap, cfg, ref, m1, st); err != nil {
		return err
	}
	return compareClassification(snap, e, m1)
}

// describeConfig renders cfg for failure messages.
func describeConfig(cfg *Config) string {
	var b strings.Builder
	for _, m := range cfg.MiningRules {
		cat := "*"
		if m.Category != nil {
			cat = *m.Category
		}
		fmt.Fprintf(&b, "  #%d prio=%d scope=%q cat=%s valid=%v exclude=%v prec>=%g fp<=%g min=%d maxdims=%d dims=%v type=%v policy=%s/%s\n",
			m.Index, m.Priority, m.EntityType, cat, m.IncludeValidations, m.ExcludeRole, m.PrecisionMin,
			m.FalsePositiveMax, m.MinIdentities, m.MaxDimensions, m.Dimensions, m.RuleType, m.Policy, m.RulePolicy)
	}
	return b.String()
}

// firstModelDiff names the first differing part of two models.
// queued hides the CPU backend's kernels.ConcurrentEmitter.
type queued struct{ kernels.Backend }

func firstModelDiff(snap *columnar.Snapshot, a, b *Model) string {
	if len(a.Rules) != len(b.Rules) {
		return fmt.Sprintf("%d rules vs %d", len(a.Rules), len(b.Rules))
	}
	for k := range a.Rules {
		if !reflect.DeepEqual(a.Rules[k], b.Rules[k]) {
			return fmt.Sprintf("rule %d: %+v vs %+v", k, a.Rules[k], b.Rules[k])
		}
	}
	for r := range a.Outcomes {
		if r < len(b.Outcomes) && !reflect.DeepEqual(a.Outcomes[r], b.Outcomes[r]) {
			return fmt.Sprintf("outcome of %s: %+v vs %+v", snap.Roles.IDs[r], a.Outcomes[r], b.Outcomes[r])
		}
	}
	return "outcomes, scope sizes, skipped dimensions or backend differ"
}

// ruleTerms converts a miner rule's criterion to strings.
func ruleTerms(snap *columnar.Snapshot, r *Rule) []refTerm {
	var out []refTerm
	for _, t := range r.Criterion.Terms() {
		out = append(out, refTerm{snap.Dims[t.Dim].Name, snap.Dims[t.Dim].Values[t.Val]})
	}
	return out
}

// compareModel checks the miner's model against the reference, role by role.
func compareModel(snap *columnar.Snapshot, cfg *Config, ref refModel, m *Model, st *propStats) error {
	nr := snap.NumRoles()
	if len(m.Outcomes) != nr {
		return fmt.Errorf("%d outcomes for %d roles", len(m.Outcomes), nr)
	}
	if len(m.ScopeSizes) != len(cfg.MiningRules) {
		return fmt.Errorf("%d scope sizes for %d mining rules", len(m.ScopeSizes), len(cfg.MiningRules))
	}
	// Rules sorted by role, then criterion.
	for k := 1; k < len(m.Rules); k++ {
		a, b := m.Rules[k-1], m.Rules[k]
		if a.Role > b.Role || (a.Role == b.Role && a.Criterion.Compare(b.Criterion) >= 0) {
			return fmt.Errorf("rules %d and %d out of order", k-1, k)
		}
	}
	for r := 0; r < nr; r++ {
		rr := ref.Roles[r]
		if rr.Skip {
			st.skipped++
			continue
		}
		st.roles++
		if err := compareRole(snap, cfg, &rr, m, int32(r)); err != nil {
			return fmt.Errorf("role %s: %v", snap.Roles.IDs[r], err)
		}
		if rr.MiningRule >= 0 {
			st.covered++
			st.rules += len(rr.Rules)
			if len(rr.Rules) > 1 {
				st.multiRule++
			}
		}
		if rr.ExcludedBy >= 0 {
			st.excluded++
		}
	}
	// Per mining rule (checked last, so that role-level differences are reported first).
	for k := range cfg.MiningRules {
		if m.ScopeSizes[k] != int64(ref.ScopeSizes[k]) {
			return fmt.Errorf("mining rule %d: scope size %d, reference %d", k, m.ScopeSizes[k], ref.ScopeSizes[k])
		}
		// Skipped dimensions: at least those over the distinct-value limit and those the
		// user excluded, never one criteria may use.
		if !cfg.MiningRules[k].ExcludeRole && len(m.SkippedDims) == len(cfg.MiningRules) {
			got := m.SkippedDims[k]
			for _, d := range ref.Skipped[k] {
				if !slices.Contains(got, d) {
					return fmt.Errorf("mining rule %d: skipped dims %v lack %s (excluded, or too many distinct values in scope)", k, got, d)
				}
			}
			for _, d := range got {
				if slices.Contains(ref.Allowed[k], d) {
					return fmt.Errorf("mining rule %d: skipped dims %v include allowed %s", k, got, d)
				}
			}
		}
	}
	return nil
}

func compareRole(snap *columnar.Snapshot, cfg *Config, rr *refRole, m *Model, r int32) error {
	out := &m.Outcomes[r]
	var want []string
	for _, rule := range rr.Rules {
		want = append(want, rule.String())
	}
	rules := m.RulesOf(r)
	var got []string
	for k := range rules {
		got = append(got, refRule{Terms: ruleTerms(snap, &rules[k]), Support: int(rules[k].Support),
			TP: int(rules[k].TP), FP: int(rules[k].FP)}.String())
	}
	context := fmt.Sprintf("\n  miner:     mining rule %d, excluded by %d, rules %q, reason %q\n  reference: mining rule %d, excluded by %d, rules %q, attempts %+v",
		out.MiningRule, out.ExcludedBy, got, out.Reason, rr.MiningRule, rr.ExcludedBy, want, rr.Attempts)
	if out.Role != r {
		return fmt.Errorf("outcome %d is for role %d", r, out.Role)
	}
	if out.MiningRule != rr.MiningRule || out.ExcludedBy != rr.ExcludedBy {
		return fmt.Errorf("covering/excluding mining rule differs%s", context)
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("rules differ%s", context)
	}
	if rr.MiningRule >= 0 {
		mr := &cfg.MiningRules[rr.MiningRule]
		for k := range rules {
			ru := &rules[k]
			if ru.Role != r || ru.Type != mr.RuleType || ru.Policy != mr.RulePolicy || ru.EntityType != mr.EntityType ||
				ru.MiningRule != rr.MiningRule || ru.Priority != mr.Priority || ru.ID == "" {
				return fmt.Errorf("rule %d fields: role %d type %v policy %q entity_type %q mining rule %d priority %d id %q; want type %v policy %q entity_type %q mining rule %d priority %d",
					k, ru.Role, ru.Type, ru.Policy, ru.EntityType, ru.MiningRule, ru.Priority, ru.ID,
					mr.RuleType, mr.RulePolicy, mr.EntityType, rr.MiningRule, mr.Priority)
			}
			if k > 0 && rules[k-1].ID == ru.ID {
				return fmt.Errorf("rules %d and %d share id %s", k-1, k, ru.ID)
			}
		}
		if out.Rules != len(rr.Rules) || out.Reason != "" || out.Candidates != rr.Candidates || !out.Exact {
			return fmt.Errorf("covered outcome: rules=%d reason=%q candidates=%d exact=%v; want rules=%d reason \"\" candidates=%d exact=true",
				out.Rules, out.Reason, out.Candidates, out.Exact, len(rr.Rules), rr.Candidates)
		}
	} else if out.Rules != 0 || out.Reason == "" {
		return fmt.Errorf("uncovered outcome: rules=%d reason=%q; want 0 rules and a reason", out.Rules, out.Reason)
	} else if out.ExcludedBy >= 0 && (out.Candidates != 0 || out.Exact) {
		return fmt.Errorf("withheld outcome: candidates=%d exact=%v; want 0 and false (the ExcludeRole entry weighs none)",
			out.Candidates, out.Exact)
	}
	gotM := [5]int64{out.N, out.TP, out.FP, out.FN, out.TN}
	wantM := [5]int64{int64(rr.N), int64(rr.TP), int64(rr.FP), int64(rr.FN), int64(rr.TN)}
	if gotM != wantM {
		return fmt.Errorf("N/TP/FP/FN/TN %v, reference %v (uncovered roles: empty set over the scope of the last mining rule that considered the role, an ExcludeRole entry included)%s",
			gotM, wantM, context)
	}
	if math.Abs(out.Precision-rr.Precision) > 1e-9 || math.Abs(out.FalsePositivePct-rr.FPPct) > 1e-9 {
		return fmt.Errorf("precision %v%% fp %v%%, reference %v%% %v%%", out.Precision, out.FalsePositivePct, rr.Precision, rr.FPPct)
	}

	// Attempts: the non-ExcludeRole mining rules that considered the role, in run order.
	var atts []Attempt
	for _, a := range out.Attempts {
		if !cfg.MiningRules[a.MiningRule].ExcludeRole {
			atts = append(atts, a)
		}
	}
	if len(atts) != len(rr.Attempts) {
		return fmt.Errorf("attempts %+v, reference %+v", out.Attempts, rr.Attempts)
	}
	for k, a := range atts {
		w := rr.Attempts[k]
		if a.MiningRule != w.MiningRule || a.Covered != w.Covered {
			return fmt.Errorf("attempt %d: %+v, reference %+v", k, a, w)
		}
		exactReason := w.Reason == reasonNoHolders || strings.HasPrefix(w.Reason, "no used holders")
		if (exactReason || w.Reason == reasonNoCandidates) && !strings.Contains(a.Reason, w.Reason) {
			return fmt.Errorf("attempt %d reason %q, want it to contain %q", k, a.Reason, w.Reason)
		}
	}
	if rr.MiningRule < 0 {
		switch {
		case rr.ExcludedBy >= 0:
			if !strings.Contains(out.Reason, "excluded by") {
				return fmt.Errorf("reason %q, want \"excluded by ...\"", out.Reason)
			}
		case len(rr.Attempts) == 0:
			if !strings.Contains(out.Reason, "not selected by any mining rule") {
				return fmt.Errorf("reason %q, want \"not selected by any mining rule\"", out.Reason)
			}
		}
	}
	return nil
}

// literalMatches reports whether rule matches identity i, from the description's strings:
// the identity's kind is in the rule's scope and it has every term's value.
func literalMatches(snap *columnar.Snapshot, vals map[string][]string, r *Rule) bool {
	if !refInScope(r.EntityType, vals[columnar.KindDimension][0]) {
		return false
	}
	for _, t := range ruleTerms(snap, r) {
		if !slices.Contains(vals[t.Attr], t.Value) {
			return false
		}
	}
	return true
}

// compareClassification checks Classify against a literal classification of the model.
func compareClassification(snap *columnar.Snapshot, e tEnterprise, m *Model) error {
	vals := identityValues(e)
	c := Classify(snap, m)
	if c == nil {
		return fmt.Errorf("Classify returned nil")
	}
	if len(c.RuleOf) != len(snap.IdentIdx) {
		return fmt.Errorf("Classify: %d RuleOf entries for %d assignments", len(c.RuleOf), len(snap.IdentIdx))
	}
	var sugg []Suggestion
	k := 0
	for i := range snap.IdentityIDs {
		held := map[int32]bool{}
		for _, r := range snap.RolesOf(i) {
			held[r] = true
			want := int32(-1)
			for j := range m.Rules {
				if m.Rules[j].Role == r && literalMatches(snap, vals[i], &m.Rules[j]) {
					want = int32(j)
					break
				}
			}
			if c.RuleOf[k] != want {
				return fmt.Errorf("Classify: assignment (%s, %s): rule %d, literal %d", snap.IdentityIDs[i], snap.Roles.IDs[r], c.RuleOf[k], want)
			}
			wantStatus := Unexplained
			if want >= 0 {
				wantStatus = Explained
			}
			if c.Status(k) != wantStatus {
				return fmt.Errorf("Classify: assignment (%s, %s): status %v, want %v", snap.IdentityIDs[i], snap.Roles.IDs[r], c.Status(k), wantStatus)
			}
			k++
		}
		for r := int32(0); r < int32(snap.NumRoles()); r++ {
			if held[r] {
				continue
			}
			for j := range m.Rules {
				if m.Rules[j].Role == r && literalMatches(snap, vals[i], &m.Rules[j]) {
					sugg = append(sugg, Suggestion{Identity: int32(i), Role: r, Rule: int32(j)})
					break
				}
			}
		}
	}
	if len(sugg) != len(c.Suggestions) {
		return fmt.Errorf("Classify: %d suggestions, literal %d", len(c.Suggestions), len(sugg))
	}
	for j := range sugg {
		if sugg[j] != c.Suggestions[j] {
			return fmt.Errorf("Classify: suggestion %d is %+v, literal %+v", j, c.Suggestions[j], sugg[j])
		}
	}
	return compareClassifyPaths(snap, m, c)
}

// compareClassifyPaths checks that the paths of classification that small enterprises do
// not take give Classify's result c: rules checked one by one instead of packed
// (compiledRules.explain without packedRule), and every eligible pair of dimensions
// indexed for suggestions (ruleIndex, whatever the entries it saves).
func compareClassifyPaths(snap *columnar.Snapshot, m *Model, c *Classification) error {
	cr := compileRules(snap, m)
	cr.pairMin = 0
	for _, packed := range []bool{false, true} {
		var p []packedRule
		if packed {
			p = cr.pack(len(snap.Dims))
		}
		got, err := cr.classify(context.Background(), snap, 2, p)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, c) {
			return fmt.Errorf("classification with packed rules %v and every pair indexed differs from Classify's", packed)
		}
	}
	return nil
}

// TestPercentBoundaries pins the floating-point behaviour the reference relies on: the
// formula 100·a/b lands exactly on integer (and exactly representable decimal) thresholds,
// so a set sitting on a bound is accepted; the reordering a/b·100 does not.
func TestPercentBoundaries(t *testing.T) {
	tests := []struct {
		a, b  int
		bound float64
	}{
		{1, 20, 5}, {7, 100, 7}, {1, 8, 12.5}, {29, 100, 29}, {57, 100, 57}, {95, 100, 95}, {1, 3, 100.0 / 3},
	}
	for _, tt := range tests {
		if got := refPct(tt.a, tt.b); got != tt.bound {
			t.Errorf("refPct(%d, %d) = %v, want exactly %v", tt.a, tt.b, got, tt.bound)
		}
	}
	// The trap a miner must avoid: the reordering a/b*100 misses such bounds.
	if a, b := 7.0, 100.0; a/b*100 == 7 {
		t.Errorf("expected 7/100*100 to be inexact in float64")
	}
}
