package gen

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/usage"
)

// readCSVRows reads a CSV file into its header's column names -> values, row by row.
func readCSVRows(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for k, name := range recs[0] {
			m[name] = rec[k]
		}
		out = append(out, m)
	}
	return out
}

// genUsage generates a small data set with usage (CSV) and its next snapshot.
func genUsage(t *testing.T, seed uint64) (dir, next string) {
	t.Helper()
	dir, next = filepath.Join(t.TempDir(), "d"), filepath.Join(t.TempDir(), "n")
	if _, err := Generate(context.Background(), Options{Out: dir, Identities: 4000, Seed: seed, Format: "csv", Usage: true}); err != nil {
		t.Fatal(err)
	}
	ev := DefaultEvolveOptions()
	ev.From, ev.Out, ev.Seed = dir, next, seed
	if _, err := Evolve(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	return dir, next
}

// TestUsageDeterministic: the same seed gives the same files, usage and evolution
// included; --usage leaves roles, planted rules and noise as they are without it.
func TestUsageDeterministic(t *testing.T) {
	a, an := genUsage(t, 7)
	b, bn := genUsage(t, 7)
	for _, d := range [][2]string{{a, b}, {an, bn}} {
		x, y := files(t, d[0]), files(t, d[1])
		if len(x) != len(y) {
			t.Errorf("%d files, then %d", len(x), len(y))
		}
		for name, content := range x {
			if !bytes.Equal(content, y[name]) {
				t.Errorf("%s differs between two runs with the same seed", name)
			}
		}
	}
	flat := t.TempDir()
	if _, err := Generate(context.Background(), Options{Out: flat, Identities: 4000, Seed: 7, Format: "csv"}); err != nil {
		t.Fatal(err)
	}
	x, y := files(t, a), files(t, flat)
	for _, name := range []string{"roles.csv", "truth/rules.json", "truth/noise.csv"} {
		if !bytes.Equal(x[name], y[name]) {
			t.Errorf("%s differs with and without --usage", name)
		}
	}
	u1, u2 := t.TempDir(), t.TempDir()
	for _, d := range []string{u1, u2} {
		if _, err := Generate(context.Background(), Options{Out: d, Identities: 4000, Seed: 7, Format: "csv", Usage: true, Universe: true}); err != nil {
			t.Fatal(err)
		}
	}
	x, y = files(t, u1), files(t, u2)
	for name, content := range x {
		if !bytes.Equal(content, y[name]) {
			t.Errorf("universe with usage: %s differs between two runs with the same seed", name)
		}
	}
}

// TestUsagePlanted reads the written files back and recomputes, as the specification
// says, every pair's usage state and every ownership finding: they equal the truth.
func TestUsagePlanted(t *testing.T) {
	dir, next := genUsage(t, 3)
	checkUsageFiles(t, dir, nil)
	checkUsageFiles(t, next, readCSVRows(t, filepath.Join(dir, "identities.csv")))
	var from, to truth.Usage
	for _, p := range []struct {
		dir string
		u   *truth.Usage
	}{{dir, &from}, {next, &to}} {
		b, err := os.ReadFile(filepath.Join(p.dir, "truth", truth.UsageFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, p.u); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := usage.Parse(from.AsOf)
	b, _ := usage.Parse(to.AsOf)
	if from.AsOf != usageAsOf || b.Sec-a.Sec != evolveStepDays*daySeconds {
		t.Errorf("as of %s, then %s: want %s and %d days later", from.AsOf, to.AsOf, usageAsOf, evolveStepDays)
	}
	if to.OwnersLeft == 0 || from.OwnersLeft != 0 {
		t.Errorf("owners left: %d in a new data set, %d in its next snapshot", from.OwnersLeft, to.OwnersLeft)
	}
}

// checkUsageFiles checks the usage truth of one data set against its files; prev are
// the previous snapshot's identities (nil for none).
func checkUsageFiles(t *testing.T, dir string, prev []map[string]string) {
	t.Helper()
	idents := readCSVRows(t, filepath.Join(dir, "identities.csv"))
	kind := map[string]string{}
	for _, r := range idents {
		kind[r["identity_id"]] = r["kind"]
	}
	app := map[string]string{}
	for _, r := range readCSVRows(t, filepath.Join(dir, "roles.csv")) {
		app[r["role_id"]] = r["application"]
		if app[r["role_id"]] == "" {
			app[r["role_id"]] = "(no system)"
		}
	}
	asg := readCSVRows(t, filepath.Join(dir, "assignments.csv"))
	planted, err := truth.Load(filepath.Join(dir, "truth"))
	if err != nil {
		t.Fatal(err)
	}
	ruleRole, noise := map[string]bool{}, map[[2]string]bool{}
	for _, r := range planted.Roles {
		ruleRole[r.RoleID] = r.Type == truth.TypeRule
	}
	for _, n := range planted.Noise {
		noise[[2]string{n.IdentityID, n.RoleID}] = n.Type != truth.NoiseMissing
	}
	asOf, dated := usage.Never.Sec, map[string]bool{}
	for _, r := range asg {
		if d := r["last_used"]; d != "" && kind[r["identity_id"]] != "" {
			at, err := usage.Parse(d)
			if err != nil {
				t.Fatal(err)
			}
			asOf, dated[app[r["role_id"]]] = max(asOf, at.Sec), true
		}
	}
	want := truth.Usage{ByKind: map[string]*usage.Counts{}, BySystem: map[string]*usage.Counts{}}
	wantUnused := map[[2]string]bool{}
	add := func(m map[string]*usage.Counts, k string, s usage.State) {
		if m[k] == nil {
			m[k] = &usage.Counts{}
		}
		m[k].Add(s)
	}
	for _, r := range asg {
		id, sys := r["identity_id"], app[r["role_id"]]
		if kind[id] == "" {
			continue // orphan access has no usage state
		}
		s := usage.Unknown
		if dated[sys] {
			s = usage.Used
			if at, _ := usage.Parse(r["last_used"]); r["last_used"] == "" || asOf-at.Sec > usage.DefaultUnusedDays*daySeconds {
				s = usage.Unused
				wantUnused[[2]string{id, r["role_id"]}] = true
				if ruleRole[r["role_id"]] && !noise[[2]string{id, r["role_id"]}] {
					want.UnusedRuleGranted++
				}
			}
		}
		want.Add(s)
		add(want.ByKind, kind[id], s)
		add(want.BySystem, sys, s)
	}
	got, err := truth.LoadUsage(filepath.Join(dir, "truth"))
	if err != nil {
		t.Fatal(err)
	}
	if got.UnusedRuleGranted != want.UnusedRuleGranted || got.UnusedRuleGranted == 0 {
		t.Errorf("%s: %d unused pairs granted by planted rules in the truth, %d recomputed", dir, got.UnusedRuleGranted, want.UnusedRuleGranted)
	}
	if got.AsOf != usage.Format(usage.Unix(asOf)) || got.Counts != want.Counts || !reflect.DeepEqual(got.ByKind, want.ByKind) || !reflect.DeepEqual(got.BySystem, want.BySystem) {
		t.Errorf("%s: usage truth %s %+v %v, recomputed %s %+v %v", dir, got.AsOf, got.Counts, got.ByKind, usage.Format(usage.Unix(asOf)), want.Counts, want.ByKind)
	}
	if !reflect.DeepEqual(got.UnusedPairs, wantUnused) {
		t.Errorf("%s: %d unused pairs in the truth, %d recomputed", dir, len(got.UnusedPairs), len(wantUnused))
	}
	if c := got.BySystem[unknownUsageSystem]; c == nil || c.Unknown == 0 || c.Used+c.Unused != 0 {
		t.Errorf("%s: system %s: %+v, want unknown usage only", dir, unknownUsageSystem, c)
	}
	nhi, human := got.ByKind["service_account"], got.ByKind["human"]
	if float64(nhi.Unused)/float64(nhi.Used+nhi.Unused) < 3*float64(human.Unused)/float64(human.Used+human.Unused) {
		t.Errorf("%s: unused access not concentrated on non-human identities: %+v vs humans %+v", dir, nhi, human)
	}
	checkOwners(t, dir, idents, kind, prev, got)
}

// checkOwners recomputes the ownership findings from identities.owner_id.
func checkOwners(t *testing.T, dir string, idents []map[string]string, kind map[string]string, prev []map[string]string, got *truth.Usage) {
	t.Helper()
	prevOwner, prevHuman := map[string]string{}, map[string]bool{}
	for _, r := range prev {
		prevOwner[r["identity_id"]] = r["owner_id"]
		prevHuman[r["identity_id"]] = r["kind"] == "human"
	}
	var o truth.Owners
	findings, left := map[string]string{}, map[string]bool{}
	for _, r := range idents {
		id, owner := r["identity_id"], r["owner_id"]
		if r["kind"] == "human" {
			continue
		}
		if p, ok := prevOwner[id]; ok && p != owner {
			t.Errorf("%s: %s changed owner from %q to %q", dir, id, p, owner)
		}
		o.NonHuman++
		switch {
		case owner == "":
			o.NoOwner++
			findings[id] = truth.FindingNoOwner
		case kind[owner] == "":
			o.OwnerUnknown++
			findings[id] = truth.FindingOwnerUnknown
			if prevHuman[owner] {
				left[id] = true
			}
		case kind[owner] != "human":
			o.OwnerNotHuman++
			findings[id] = truth.FindingOwnerNotHuman
		default:
			o.OwnedByHuman++
		}
	}
	if o != got.Owners || o.NoOwner == 0 || o.OwnerUnknown == 0 || o.OwnerNotHuman == 0 {
		t.Errorf("%s: owners %+v, truth %+v", dir, o, got.Owners)
	}
	if !reflect.DeepEqual(findings, got.Findings) || !reflect.DeepEqual(left, got.OwnerLeft) || int64(len(left)) != got.OwnersLeft {
		t.Errorf("%s: %d findings (%d owners left), truth %d (%d)", dir, len(findings), len(left), len(got.Findings), len(got.OwnerLeft))
	}
}
