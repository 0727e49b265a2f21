package drift

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/report"
)

// referenceFromAssignments is the literal reading of classifyFromAssignments' contract,
// row by row through parquet-go's row reader and a map keyed by the pair's ids: a row
// names an unexplained pair when its identity and role ids are that pair's; the pair was
// held; a row of it whose status is "explained" with a rule id of the model's rules
// (the last of equal ids) makes it a revoke candidate of that rule, a later such row
// overriding an earlier one. The pairs are then tallied as classifyFromAssignments
// tallies them (tallyHeld): what it checks is the reading and the matching.
func referenceFromAssignments(t *testing.T, model *report.Model, next *columnar.Snapshot, path string, unexpl []pair) *unexplainedClasses {
	t.Helper()
	type key struct{ id, role string }
	want := make(map[key]int, len(unexpl))
	for n, p := range unexpl {
		want[key{next.IdentityIDs[p.i], next.Roles.IDs[p.r]}] = n
	}
	ruleIdx := map[string]int32{}
	for k := range model.Rules {
		ruleIdx[model.Rules[k].RuleID] = int32(k)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := parquet.NewGenericReader[prevAssignmentRow](f)
	defer r.Close()
	held, rule := make([]bool, len(unexpl)), make([]int32, len(unexpl))
	for k := range rule {
		rule[k] = -1
	}
	buf := make([]prevAssignmentRow, 100)
	for {
		n, err := r.Read(buf)
		for _, row := range buf[:n] {
			j, ok := want[key{row.IdentityID, row.RoleID}]
			if !ok {
				continue
			}
			held[j] = true
			if row.Status == "explained" && row.RuleID != nil {
				if k, ok := ruleIdx[*row.RuleID]; ok {
					rule[j] = k
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	out := &unexplainedClasses{newByKind: map[string]int64{}}
	tallyHeld(next, unexpl, held, rule, out)
	return out
}

// TestFromAssignmentsAgainstReference: on random model files over testdata/pair's
// snapshot (ids of known and unknown identities, roles and rules, orphans' empty ids,
// nulls, repeated pairs, several row groups) and random sets of unexplained pairs,
// classifyFromAssignments classifies exactly as referenceFromAssignments.
func TestFromAssignmentsAgainstReference(t *testing.T) {
	model, err := report.ReadModel(filepath.Join("testdata", "pair", "model"))
	if err != nil {
		t.Fatal(err)
	}
	next := load(t, filepath.Join("testdata", "pair", "next"))
	idents := append(append([]string(nil), next.IdentityIDs...), "gone1", "gone2", "")
	roles := append(append([]string(nil), next.Roles.IDs...), "OLD_ROLE", "")
	rules := []string{"r-unknown", ""}
	for k := range model.Rules {
		rules = append(rules, model.Rules[k].RuleID)
	}
	statuses := []string{"explained", "unexplained", "orphan", ""}
	var all []pair
	for i := range next.NumIdentities() {
		for r := range next.NumRoles() {
			all = append(all, pair{int32(i), int32(r)})
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	revokes := 0
	for trial := range 300 {
		rows := make([]prevAssignmentRow, rng.IntN(200))
		for k := range rows {
			rows[k] = prevAssignmentRow{IdentityID: idents[rng.IntN(len(idents))], RoleID: roles[rng.IntN(len(roles))],
				Status: statuses[rng.IntN(len(statuses))]}
			if rng.IntN(3) > 0 {
				id := rules[rng.IntN(len(rules))]
				rows[k].RuleID = &id
			}
		}
		path := filepath.Join(t.TempDir(), report.AssignmentsParquetFile)
		if err := parquet.WriteFile(path, rows, parquet.MaxRowsPerRowGroup(int64(1+rng.IntN(60)))); err != nil {
			t.Fatal(err)
		}
		unexpl := make([]pair, 0, len(all))
		for _, k := range rng.Perm(len(all))[:rng.IntN(len(all)+1)] {
			unexpl = append(unexpl, all[k])
		}
		want := referenceFromAssignments(t, model, next, path, unexpl)
		got := &unexplainedClasses{newByKind: map[string]int64{}}
		if err := classifyFromAssignments(context.Background(), model, next, path, unexpl, got); err != nil {
			t.Fatal(err)
		}
		got.baseIDs = nil // the model's identity values, which the reference does not read
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d (%d rows, %d unexplained pairs):\ngot  %+v\nwant %+v", trial, len(rows), len(unexpl), got, want)
		}
		revokes += len(want.revokes)
	}
	if revokes == 0 {
		t.Fatal("no trial had a revoke candidate: the comparison never saw one")
	}
	t.Logf("%d revoke candidates over the trials", revokes)
}
