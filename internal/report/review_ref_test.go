package report

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/safecsv"
)

// This file keeps review.csv as it was written before its rows were packed for ranking
// and its cells escaped once per role, rule and peer group: one struct of risk factors
// per row, sorted with a comparison of each factor, and each line written through
// safecsv.Writer (encoding/csv). It is the reference for the bytes of WriteReviewCSV.

// refReviewRow is one unexplained assignment in review.csv.
type refReviewRow struct {
	ident, role    int32
	validations    int
	nonHuman       bool
	peers, without int64
}

// refWriteReviewCSV writes review.csv as WriteReviewCSV does.
func (b *Bound) refWriteReviewCSV(w io.Writer, ruleOf []int32) error {
	snap := b.Snap
	rows := b.refReviewRows(ruleOf)
	dims := peerDims(snap)
	cw := safecsv.NewWriter(w)
	cw.Write([]string{"rank", "identity_id", "kind", "non_human", "role_id", "category", "application", "validations",
		"peer_group", "peers", "peers_without_role", "peers_without_role_pct", "nearest_rule_id", "nearest_criterion", "identity_fails", "role_reason"})
	rec := make([]string, 16)
	for k, row := range rows {
		i := int(row.ident)
		peer := []string{"kind=" + snap.Kind(i)}
		for _, d := range dims {
			if v := b.values(i, d); v != "" {
				peer = append(peer, snap.Dims[d].Name+"="+v)
			}
		}
		rec[0] = strconv.Itoa(k + 1)
		rec[1] = snap.IdentityIDs[i]
		rec[2] = snap.Kind(i)
		rec[3] = strconv.FormatBool(row.nonHuman)
		rec[4] = snap.Roles.IDs[row.role]
		rec[5] = str(snap.Roles.Category, int(row.role))
		rec[6] = str(snap.Roles.Application, int(row.role))
		rec[7] = strconv.Itoa(row.validations)
		rec[8] = strings.Join(peer, " & ")
		rec[9] = strconv.FormatInt(row.peers, 10)
		rec[10] = strconv.FormatInt(row.without, 10)
		rec[11] = strconv.FormatFloat(pct(row.without, row.peers), 'f', -1, 64)
		rec[12], rec[13], rec[14], rec[15] = "", "", "", ""
		if nm := b.nearest(row.role, i); nm != nil {
			rec[12], rec[13] = nm.Rule.RuleID, nm.Rule.Criterion
			fails := make([]string, len(nm.Fails))
			for f, fl := range nm.Fails {
				fails[f] = refFailureString(fl)
			}
			rec[14] = strings.Join(fails, ", ")
		} else if rr := b.roleRecord(row.role); rr != nil {
			rec[15] = rr.Reason
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// refReviewRows lists the unexplained assignments ranked: most validations first, then
// non-human identities, then the larger share and number of peers (same kind, department
// and title) lacking the role, then identity and role.
func (b *Bound) refReviewRows(ruleOf []int32) []refReviewRow {
	snap := b.Snap
	kd := &snap.Dims[snap.KindDim]
	dims := peerDims(snap)
	groupOf := map[[3]int32][]int32{}
	key := func(i int) [3]int32 {
		k := [3]int32{kd.Codes[i]}
		for t, d := range dims {
			k[t+1] = snap.Dims[d].Codes[i]
		}
		return k
	}
	for i := range snap.NumIdentities() {
		groupOf[key(i)] = append(groupOf[key(i)], int32(i))
	}
	var rows []refReviewRow
	for i := range snap.NumIdentities() {
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			if ruleOf[k] >= 0 {
				continue
			}
			r := snap.IdentIdx[k]
			row := refReviewRow{ident: int32(i), role: r, nonHuman: snap.Kind(i) != columnar.HumanKind}
			if int(r) < len(snap.Roles.Validations) {
				row.validations = int(snap.Roles.Validations[r])
			}
			peers := groupOf[key(i)]
			row.peers = int64(len(peers)) - 1
			for _, p := range peers {
				if _, held := slices.BinarySearch(snap.RolesOf(int(p)), r); !held {
					row.without++
				}
			}
			rows = append(rows, row)
		}
	}
	slices.SortFunc(rows, func(a, b refReviewRow) int {
		return cmp.Or(
			cmp.Compare(b.validations, a.validations),
			boolCmp(b.nonHuman, a.nonHuman),
			cmp.Compare(pct(b.without, b.peers), pct(a.without, a.peers)),
			cmp.Compare(b.without, a.without),
			cmp.Compare(a.ident, b.ident),
			cmp.Compare(a.role, b.role))
	})
	return rows
}

// refFailureString is Failure.String as first written, with fmt.
func refFailureString(f Failure) string {
	switch {
	case f.Scope:
		return fmt.Sprintf("kind=%s (outside the rule's scope %s)", f.Has, f.Want)
	case f.Has == "":
		return "no " + f.Attribute
	}
	return f.Attribute + "=" + f.Has
}

// reviewEnterprise is a random enterprise for review.csv: with odd, ids a spreadsheet
// would read as formulas or that need quotes; with every validations value the loader
// accepts (0 to 3); with a title beside the department (some identities without one),
// and with multi, a department that some identities hold several values of.
func reviewEnterprise(t testing.TB, odd, multi bool) (*Bound, *mining.Classification) {
	snap, m, cls := randomEnterprise(2000, 60, 20000, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	oddIDs := []string{"=cmd", "+1", "-x", "@a", "a,b", "say \"hi\"", " lead", "\u00a0nbsp", "line\nbreak", "\\.", "ü"}
	if odd {
		for i := range snap.IdentityIDs {
			if i%4 == 0 {
				snap.IdentityIDs[i] = oddIDs[i%len(oddIDs)] + snap.IdentityIDs[i]
			}
		}
		for r := range snap.Roles.IDs {
			snap.Roles.IDs[r] = oddIDs[r%len(oddIDs)] + snap.Roles.IDs[r]
			snap.Roles.Category[r] = oddIDs[(r+3)%len(oddIDs)]
		}
	}
	for r := range snap.Roles.Validations {
		snap.Roles.Validations[r] = int8(r % 4)
	}
	title := columnar.Dimension{Name: "title", Values: []string{"Dev", "Mgr", "=Ops", "a,b"}, Codes: make([]int32, len(snap.IdentityIDs))}
	for i := range title.Codes {
		title.Codes[i] = int32(rng.IntN(5)) - 1 // -1: no title
	}
	snap.Dims = append(snap.Dims, title)
	if multi {
		dept := &snap.Dims[0]
		dept.MultiOff = []int32{0}
		for i := range dept.Codes {
			if i%7 == 0 {
				dept.MultiCodes = append(dept.MultiCodes, (dept.Codes[i]+1)%int32(len(dept.Values)))
			}
			dept.MultiOff = append(dept.MultiOff, int32(len(dept.MultiCodes)))
		}
	}
	mf, err := NewModel(snap, m, cls, RunInfo{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	mf.Rules = append(moreRules(mf.Rules), mf.Rules...)
	b, err := Bind(snap, mf)
	if err != nil {
		t.Fatal(err)
	}
	return b, cls
}

// moreRules makes more rules for the roles of rules, to be put before them so that the
// nearest rule is chosen among several and first on ties: scoped to non-human or human
// identities, with a value the snapshot lacks, and for every fifth rule one of five
// terms.
func moreRules(rules []RuleRecord) []RuleRecord {
	var more []RuleRecord
	for k, base := range rules {
		add := func(suffix, entity string, terms ...TermRecord) {
			r := base
			r.RuleID, r.EntityType, r.Criteria = base.RuleID+suffix, entity, terms
			more = append(more, r)
		}
		dept := base.Criteria[0]
		add("-b", "nhi", TermRecord{Attribute: "department", Value: fmt.Sprintf("dept%02d", k%20)}, TermRecord{Attribute: "title", Value: "Dev"})
		add("-c", "human", TermRecord{Attribute: "title", Value: "Mgr"})
		add("-d", "*", dept, TermRecord{Attribute: "title", Value: "Nope"})
		if k%5 == 0 {
			add("-e", "service_account", dept, TermRecord{Attribute: "department", Value: "dept03"},
				TermRecord{Attribute: "title", Value: "Dev"}, TermRecord{Attribute: "title", Value: "=Ops"}, TermRecord{Attribute: "kind", Value: "human"})
		}
	}
	return more
}

// TestReviewCSVMatchesReference writes review.csv of random enterprises (reviewEnterprise)
// with WriteReviewCSV and with the reference above, and compares bytes.
func TestReviewCSVMatchesReference(t *testing.T) {
	for _, c := range []struct{ odd, multi bool }{{false, false}, {true, false}, {true, true}} {
		b, cls := reviewEnterprise(t, c.odd, c.multi)
		ruleOf := cls.RuleOf
		var got, want bytes.Buffer
		if err := b.WriteReviewCSV(context.Background(), &got, ruleOf); err != nil {
			t.Fatal(err)
		}
		if err := b.refWriteReviewCSV(&want, ruleOf); err != nil {
			t.Fatal(err)
		}
		g, w := strings.Split(got.String(), "\n"), strings.Split(want.String(), "\n")
		if len(w) < 1000 {
			t.Fatalf("only %d review rows", len(w))
		}
		for k := range min(len(g), len(w)) {
			if g[k] != w[k] {
				t.Fatalf("%+v, line %d:\n got %q\nwant %q", c, k+1, g[k], w[k])
			}
		}
		if len(g) != len(w) {
			t.Fatalf("%+v: %d lines, want %d", c, len(g), len(w))
		}
	}
}

// TestReviewKeyOrder: reviewKey ranks by validations (most first), then non-human
// identities, then the share of peers lacking the role (largest first), then their number
// (largest first), at the ends of each field's range too, and gives the factors back.
func TestReviewKeyOrder(t *testing.T) {
	type factors struct {
		v              int8
		nonHuman       bool
		without, peers int64
	}
	// In rank order.
	ranked := []factors{
		{127, true, 0, 0}, {127, false, 1 << 30, 1 << 30}, {3, true, keyWithoutMax, keyWithoutMax},
		{3, true, 2, 2}, {3, true, 1, 1}, {3, true, 2, 3}, {3, true, 1, 3}, {3, true, 0, keyWithoutMax},
		{3, false, 5, 5}, {3, false, 0, 0}, {0, true, 1, 1}, {0, false, 3, 3}, {-128, true, 1, 1}, {-128, false, 0, 1},
	}
	for k, f := range ranked {
		row := reviewRow{key: reviewKey(f.v, f.nonHuman, f.without, f.peers)}
		if row.validations() != int64(f.v) || row.nonHuman() != f.nonHuman || row.without() != f.without ||
			row.withoutPct() != pct(f.without, f.peers) {
			t.Errorf("%+v: key gives back %d %v %d %v", f, row.validations(), row.nonHuman(), row.without(), row.withoutPct())
		}
		if k > 0 {
			if prev := reviewKey(ranked[k-1].v, ranked[k-1].nonHuman, ranked[k-1].without, ranked[k-1].peers); prev >= row.key {
				t.Errorf("%+v ranks before %+v", f, ranked[k-1])
			}
		}
	}
}

// refWriteSuggestionsCSV writes suggestions.csv as WriteSuggestionsCSV does.
func (b *Bound) refWriteSuggestionsCSV(w io.Writer, sugg []mining.Suggestion) error {
	snap := b.Snap
	cw := safecsv.NewWriter(w)
	cw.Write([]string{"identity_id", "kind", "role_id", "category", "application", "rule_id", "criterion", "rule_type", "policy", "rule_precision_pct"})
	rec := make([]string, 10)
	for k, s := range sugg {
		if s.Identity < 0 || int(s.Identity) >= snap.NumIdentities() || s.Role < 0 || int(s.Role) >= snap.NumRoles() ||
			s.Rule < 0 || int(s.Rule) >= len(b.Model.Rules) {
			return fmt.Errorf("suggestion %d (identity %d, role %d, rule %d) is outside the snapshot or model", k, s.Identity, s.Role, s.Rule)
		}
		rr := &b.Model.Rules[s.Rule]
		rec[0] = snap.IdentityIDs[s.Identity]
		rec[1] = snap.Kind(int(s.Identity))
		rec[2] = snap.Roles.IDs[s.Role]
		rec[3] = str(snap.Roles.Category, int(s.Role))
		rec[4] = str(snap.Roles.Application, int(s.Role))
		rec[5] = rr.RuleID
		rec[6] = criterionString(rr)
		rec[7] = rr.RuleType
		rec[8] = rr.Policy
		rec[9] = strconv.FormatFloat(ruleHitRate(rr), 'f', -1, 64)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// TestSuggestionsCSVMatchesReference writes suggestions.csv of random enterprises with
// odd ids (reviewEnterprise), each suggestion repeated so that the file spans several of
// writeChunks' chunks, with WriteSuggestionsCSV and with the reference above, and
// compares bytes; then the same error for a suggestion outside the snapshot.
func TestSuggestionsCSVMatchesReference(t *testing.T) {
	for _, odd := range []bool{false, true} {
		b, cls := reviewEnterprise(t, odd, false)
		if len(cls.Suggestions) == 0 {
			t.Fatal("no suggestions")
		}
		var sugg []mining.Suggestion
		for len(sugg) < 40_000 {
			sugg = append(sugg, cls.Suggestions...)
		}
		var got, want bytes.Buffer
		if err := b.WriteSuggestionsCSV(context.Background(), &got, sugg); err != nil {
			t.Fatal(err)
		}
		if err := b.refWriteSuggestionsCSV(&want, sugg); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			g, w := strings.Split(got.String(), "\n"), strings.Split(want.String(), "\n")
			for k := range min(len(g), len(w)) {
				if g[k] != w[k] {
					t.Fatalf("odd ids %v, line %d:\n got %q\nwant %q", odd, k+1, g[k], w[k])
				}
			}
			t.Fatalf("odd ids %v: %d lines, want %d", odd, len(g), len(w))
		}
		sugg[len(sugg)-3].Rule = int32(len(b.Model.Rules))
		gotErr := b.WriteSuggestionsCSV(context.Background(), io.Discard, sugg)
		wantErr := b.refWriteSuggestionsCSV(io.Discard, sugg)
		if gotErr == nil || wantErr == nil || gotErr.Error() != wantErr.Error() {
			t.Fatalf("error %v, want %v", gotErr, wantErr)
		}
	}
}

// TestNearRulesMatchNearestRule: the packed nearest-rule search gives Bound.nearestRule's
// answer for every identity and role of a random enterprise with a multi-valued
// department, packed and with every role left to nearestRule (no term packed), with the
// dimension of the first failed term.
func TestNearRulesMatchNearestRule(t *testing.T) {
	b, _ := reviewEnterprise(t, false, true)
	snap := b.Snap
	for _, maxTerms := range []int{nearTerms, 0} {
		nr := b.newNearRules(maxTerms)
		packed := 0
		for r := range int32(snap.NumRoles()) {
			if nr.packed[r] && len(b.RulesOf(r)) > 0 {
				packed++
			}
			for i := range snap.NumIdentities() {
				best, kind, terms, first := nr.nearest(b, r, i, snap.Dims[snap.KindDim].Codes[i])
				wBest, wKind, wTerms := b.nearestRule(r, i)
				wFirst := int32(-1)
				if wTerms != 0 {
					dims, _ := b.Terms(int32(wBest))
					wFirst = dims[bits.TrailingZeros32(wTerms)]
				}
				if best != wBest || kind != wKind || terms != wTerms || first != wFirst {
					t.Fatalf("max %d terms, role %d, identity %d: %d %v %b %d, want %d %v %b %d",
						maxTerms, r, i, best, kind, terms, first, wBest, wKind, wTerms, wFirst)
				}
			}
		}
		if (maxTerms == nearTerms) != (packed > 0) {
			t.Fatalf("max %d terms: %d roles with rules packed", maxTerms, packed)
		}
		t.Logf("max %d terms: %d of %d roles with rules packed", maxTerms, packed, snap.NumRoles())
	}
}

// bindForTest binds the model of a random enterprise to its snapshot, as mine does.
func bindForTest(t testing.TB, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification) *Bound {
	t.Helper()
	mf, err := NewModel(snap, m, cls, RunInfo{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Bind(snap, mf)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkWriteReviewCSV writes review.csv of a random enterprise (about 100,000
// unexplained assignments) with WriteReviewCSV and with the reference above.
func BenchmarkWriteReviewCSV(b *testing.B) {
	snap, m, cls := randomEnterprise(100_000, 2_000, 1_000_000, 0)
	bd := bindForTest(b, snap, m, cls)
	for name, write := range map[string]func(io.Writer, []int32) error{
		"WriteReviewCSV": func(w io.Writer, ruleOf []int32) error { return bd.WriteReviewCSV(context.Background(), w, ruleOf) },
		"reference":      bd.refWriteReviewCSV,
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := write(io.Discard, cls.RuleOf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
