package report

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/rolemine/rolemine/internal/effective"
)

// TestChainSystemsMatchesChains: the system chainSystems gives each closure step is the
// one the literal definition gives (docs/effective-privilege.md, "The system of a pair"):
// the application of the nearest role on the step's chain (Closure.Via), walking back from
// the role reached and stopping before the source, -1 when none has one. Random graphs
// with cycles, self-grants and roles without a system.
func TestChainSystemsMatchesChains(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 12))
	for round := range 300 {
		n := 2 + rng.IntN(12)
		var edges []effective.Edge
		for range rng.IntN(3 * n) {
			edges = append(edges, effective.Edge{From: int32(rng.IntN(n)), To: int32(rng.IntN(n))})
		}
		c, err := effective.NewClosure(context.Background(), effective.NewGraph(n, edges))
		if err != nil {
			t.Fatal(err)
		}
		roleSystem := make([]int32, n)
		for r := range roleSystem {
			roleSystem[r] = int32(rng.IntN(4)) - 2 // -2 and -1: no system
			if roleSystem[r] < 0 {
				roleSystem[r] = -1
			}
		}
		got := chainSystems(c, roleSystem)
		checked := 0
		for s := int32(0); s < int32(n); s++ {
			for _, st := range c.Reach(s) {
				chain := c.Via(s, st.Role)
				want := int32(-1)
				for k := len(chain) - 1; k > 0; k-- {
					if roleSystem[chain[k]] >= 0 {
						want = roleSystem[chain[k]]
						break
					}
				}
				if g := got[c.StepIndex(s, st.Role)]; g != want {
					t.Fatalf("round %d: step %d > %d (chain %v, systems %v): got %d, want %d", round, s, st.Role, chain, roleSystem, g, want)
				}
				checked++
			}
		}
		if checked != c.NumSteps() {
			t.Fatalf("round %d: %d steps checked of %d", round, checked, c.NumSteps())
		}
	}
}
