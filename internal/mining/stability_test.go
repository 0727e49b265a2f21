package mining

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
)

// previousOf turns a model's rules into the stability input of a later run.
func previousOf(snap *columnar.Snapshot, m *Model, grace float64) *Previous {
	p := &Previous{Rules: map[string][]PreviousRule{}, Grace: grace}
	for _, r := range m.Rules {
		pr := PreviousRule{EntityType: r.EntityType}
		for _, t := range r.Criterion.Terms() {
			d := &snap.Dims[t.Dim]
			pr.Terms = append(pr.Terms, PreviousTerm{d.Name, d.Values[t.Val]})
		}
		id := snap.Roles.IDs[r.Role]
		p.Rules[id] = append(p.Rules[id], pr)
	}
	return p
}

// TestStabilitySameDataNoChurn: mining the same data with the previous model (of the same
// data) changes nothing, and two runs pointing at each other give the same rules.
func TestStabilitySameDataNoChurn(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 60; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0x57ab))
		e := randomEnterprise(rng)
		cfg := randomConfig(rng, e)
		snap := mustSnapshot(t, e)
		m1, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Workers: 2, Previous: previousOf(snap, m1, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m1, m2) {
			t.Fatalf("seed %d: a previous model of the same data changed the result:\n%s", seed, firstModelDiff(snap, m1, m2))
		}
		m3, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Workers: 1, Previous: previousOf(snap, m2, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m2, m3) {
			t.Fatalf("seed %d: runs pointing at each other differ:\n%s", seed, firstModelDiff(snap, m2, m3))
		}
	}
}

// hysteresisEnterprise: role R is held by i01-i11. department=X explains 10 holders, title=Y
// all 11 (the optimum); nobody else matches either. Thirty identities in all.
func hysteresisEnterprise() tEnterprise {
	var e tEnterprise
	for k := 1; k <= 30; k++ {
		id := fmt.Sprintf("i%02d", k)
		attrs := map[string]string{"department": "Q", "title": "W"}
		switch {
		case k <= 10:
			attrs = map[string]string{"department": "X", "title": "Y"}
		case k == 11:
			attrs = map[string]string{"department": "Z", "title": "Y"}
		}
		e.Identities = append(e.Identities, tIdentity{ID: id, Attrs: attrs})
		if k <= 11 {
			e.Assignments = append(e.Assignments, tAssign{id, "R"})
		}
	}
	e.Roles = []tRole{{ID: "R"}}
	return e
}

func TestStabilityHysteresis(t *testing.T) {
	snap := mustSnapshot(t, hysteresisEnterprise())
	mr := DefaultMiningRule()
	cfg := &Config{MiningRules: []MiningRule{mr}}
	prevRule := func(attr, val string) map[string][]PreviousRule {
		return map[string][]PreviousRule{"R": {{EntityType: "*", Terms: []PreviousTerm{{attr, val}}}}}
	}
	for _, tc := range []struct {
		name  string
		prev  map[string][]PreviousRule
		grace float64
		want  string // criterion of the single rule chosen
		tp    int64
	}{
		{"no previous rule for the role", map[string][]PreviousRule{"OTHER": {{EntityType: "*", Terms: []PreviousTerm{{"title", "Y"}}}}}, 50, "title=Y", 11},
		// title=Y makes one more correct decision than department=X (i11), 9.09% of R's 11 holders.
		{"within grace: kept (9.09% of the holders)", prevRule("department", "X"), 9.1, "department=X", 10},
		{"beyond grace: best alternative", prevRule("department", "X"), 9.0, "title=Y", 11},
		{"zero grace", prevRule("department", "X"), 0, "title=Y", 11},
		{"bound fails (no holder matched): replaced", prevRule("department", "Q"), 100, "title=Y", 11},
		{"value gone from the data: replaced", prevRule("department", "GONE"), 100, "title=Y", 11},
		{"failing rule dropped, the other kept", map[string][]PreviousRule{"R": {
			{EntityType: "*", Terms: []PreviousTerm{{"department", "Q"}}},
			{EntityType: "*", Terms: []PreviousTerm{{"department", "X"}}},
		}}, 10, "department=X", 10},
		{"other scope: ignored", map[string][]PreviousRule{"R": {{EntityType: "human,bot", Terms: []PreviousTerm{{"department", "X"}}}}}, 100, "title=Y", 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Run(context.Background(), snap, cfg, Options{Backend: cpu.New(), Workers: 1, Previous: &Previous{Rules: tc.prev, Grace: tc.grace}})
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Rules) != 1 {
				t.Fatalf("got %d rules, want 1", len(m.Rules))
			}
			r := m.Rules[0]
			if got := CriterionString(snap, r.Criterion); got != tc.want || r.TP != tc.tp {
				t.Fatalf("rule %s tp=%d, want %s tp=%d", got, r.TP, tc.want, tc.tp)
			}
			if r.ID != RuleID(snap, "R", r.Criterion) {
				t.Fatalf("rule id %s is not the stable id", r.ID)
			}
			o := m.Outcomes[0]
			if o.TP != tc.tp || o.FN != 11-tc.tp || o.TN != 30-11 || o.FP != 0 {
				t.Fatalf("outcome TP/FP/FN/TN = %d/%d/%d/%d", o.TP, o.FP, o.FN, o.TN)
			}
		})
	}
}
