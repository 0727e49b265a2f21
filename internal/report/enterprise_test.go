package report

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/mining"
)

// randomEnterprise builds a snapshot of n identities (dimensions department and kind),
// roles roles, about assignments distinct assignments and orphans orphan assignments,
// with one rule `department=D` for every even role, and classifies the assignments
// under those rules (suggestions are listed for the first 40 roles only). It respects the snapshot invariants.
func randomEnterprise(n, roles, assignments, orphans int) (*columnar.Snapshot, *mining.Model, *mining.Classification) {
	rng := rand.New(rand.NewPCG(1, 2))
	const depts = 20
	snap := &columnar.Snapshot{KindDim: 1}
	dept := columnar.Dimension{Name: "department", Codes: make([]int32, n)}
	for d := range depts {
		dept.Values = append(dept.Values, fmt.Sprintf("dept%02d", d))
	}
	kind := columnar.Dimension{Name: "kind", Values: []string{"api_key", "human", "service_account"}, Codes: make([]int32, n)}
	for i := range n {
		snap.IdentityIDs = append(snap.IdentityIDs, fmt.Sprintf("user%07d", i))
		dept.Codes[i] = int32(rng.IntN(depts))
		kind.Codes[i] = int32(rng.IntN(3))
	}
	snap.Dims = []columnar.Dimension{dept, kind}
	for r := range roles {
		snap.Roles.IDs = append(snap.Roles.IDs, fmt.Sprintf("ROLE_%05d", r))
		snap.Roles.Category = append(snap.Roles.Category, "")
		snap.Roles.Validations = append(snap.Roles.Validations, 0)
		snap.Roles.Application = append(snap.Roles.Application, "")
		snap.Roles.Implicit = append(snap.Roles.Implicit, false)
	}
	// Role r's preferred department is r % depts; a holder is in it 4 times in 5.
	perIdent := make([][]int32, n)
	for range assignments {
		r := int32(rng.IntN(roles))
		var i int
		for {
			i = rng.IntN(n)
			if rng.IntN(5) == 0 || dept.Codes[i] == r%depts {
				break
			}
		}
		perIdent[i] = append(perIdent[i], r)
	}
	byRole := make([][]int32, roles)
	snap.IdentOff = append(snap.IdentOff, 0)
	for i, rs := range perIdent {
		slices.Sort(rs)
		rs = slices.Compact(rs)
		snap.IdentIdx = append(snap.IdentIdx, rs...)
		snap.IdentOff = append(snap.IdentOff, int64(len(snap.IdentIdx)))
		for _, r := range rs {
			byRole[r] = append(byRole[r], int32(i))
		}
	}
	snap.RoleOff = append(snap.RoleOff, 0)
	for _, is := range byRole {
		snap.RoleIdx = append(snap.RoleIdx, is...)
		snap.RoleOff = append(snap.RoleOff, int64(len(snap.RoleIdx)))
	}
	for k := range orphans {
		snap.Orphans = append(snap.Orphans, columnar.Orphan{IdentityID: fmt.Sprintf("zz-orphan%05d", k), Role: int32(rng.IntN(roles))})
	}

	cfg := &mining.Config{MiningRules: []mining.MiningRule{mining.DefaultMiningRule()}}
	m := &mining.Model{Config: cfg, ScopeSizes: []int64{int64(n)}, SkippedDims: [][]string{nil}, Backend: "cpu"}
	ruleOfRole := make([]int32, roles)
	for r := range roles {
		ruleOfRole[r] = -1
		o := mining.Outcome{Role: int32(r), MiningRule: -1, ExcludedBy: -1, N: int64(n)}
		if r%2 == 0 {
			var c kernels.Criterion
			c.T[0], c.N = kernels.Term{Dim: 0, Val: int32(r % depts)}, 1
			ruleOfRole[r] = int32(len(m.Rules))
			m.Rules = append(m.Rules, mining.Rule{ID: fmt.Sprintf("rule-%05d", r), Role: int32(r), Criterion: c,
				Policy: "Default", EntityType: "*"})
			o.MiningRule, o.Rules = 0, 1
		}
		m.Outcomes = append(m.Outcomes, o)
	}
	cls := &mining.Classification{RuleOf: make([]int32, len(snap.IdentIdx))}
	for i := range n {
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			r := snap.IdentIdx[k]
			cls.RuleOf[k] = -1
			if ro := ruleOfRole[r]; ro >= 0 && dept.Codes[i] == r%depts {
				cls.RuleOf[k] = ro
			}
		}
		// Suggestions only from the first 2*depts roles, to keep them few.
		for r := 0; r < min(roles, 2*depts); r += 2 {
			if dept.Codes[i] == int32(r%depts) && !slices.Contains(perIdent[i], int32(r)) {
				cls.Suggestions = append(cls.Suggestions, mining.Suggestion{Identity: int32(i), Role: int32(r), Rule: ruleOfRole[r]})
			}
		}
	}
	return snap, m, cls
}

// BenchmarkAssignmentsParquet measures assignments.parquet at 2M rows with 1 and 2
// workers (tier L has 20M rows), with parquetenc and with the parquet-go writer it replaced.
func BenchmarkAssignmentsParquet(b *testing.B) {
	snap, m, cls := randomEnterprise(100_000, 10_000, 2_000_000, 1000)
	rows := int64(len(snap.IdentIdx) + len(snap.Orphans))
	writers := map[string]func(context.Context, io.Writer, *columnar.Snapshot, *mining.Model, *mining.Classification, string, int, int64) error{
		"parquetenc": writeAssignmentsParquet,
		"parquet-go": refWriteAssignmentsParquet, // the writer parquetenc replaced
	}
	for _, name := range []string{"parquetenc", "parquet-go"} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", name, workers), func(b *testing.B) {
				var size int
				for b.Loop() {
					var cw countingWriter
					if err := writers[name](context.Background(), &cw, snap, m, cls, "bench", workers, rowGroupRows); err != nil {
						b.Fatal(err)
					}
					size = cw.n
				}
				b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
				b.ReportMetric(float64(size)/float64(rows), "B/row")
			})
		}
	}
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)
