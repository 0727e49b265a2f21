package effective

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestWorked runs the hand-checked examples in testdata. Commands:
//
//	grants
//	A B        (holding A grants B; one grant a line)
//	----
//	cycles and, per granting role, what it reaches: ROLE: TARGET(dist via CHAIN) ...
//
//	expand
//	u1: A D    (identity u1 holds A and D directly)
//	----
//	one line per effective pair: IDENTITY ROLE direct|redundant|inherited [via CHAIN]
//
// Role ids are the names used in the grants and expand inputs, sorted.
func TestWorked(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var w worked
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			switch td.Cmd {
			case "grants":
				w = worked{}
				for _, line := range lines(td.Input) {
					f := strings.Fields(line)
					if len(f) != 2 {
						td.Fatalf(t, "grant line %q: want `FROM TO`", line)
					}
					w.edges = append(w.edges, [2]string{f[0], f[1]})
				}
				return w.describeClosure(t)
			case "expand":
				return w.expand(t, td.Input)
			default:
				td.Fatalf(t, "unknown command %q", td.Cmd)
				return ""
			}
		})
	})
}

type worked struct {
	edges [][2]string
}

func lines(input string) []string {
	var out []string
	for _, l := range strings.Split(input, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// build indexes the role names of the grants and extra, sorted.
func (w *worked) build(t *testing.T, extra []string) (*Closure, []string, map[string]int32) {
	set := map[string]bool{}
	for _, e := range w.edges {
		set[e[0]], set[e[1]] = true, true
	}
	for _, r := range extra {
		set[r] = true
	}
	var ids []string
	for r := range set {
		ids = append(ids, r)
	}
	sort.Strings(ids)
	idx := map[string]int32{}
	for k, r := range ids {
		idx[r] = int32(k)
	}
	var es []Edge
	for _, e := range w.edges {
		es = append(es, Edge{idx[e[0]], idx[e[1]]})
	}
	c, err := NewClosure(context.Background(), NewGraph(len(ids), es))
	if err != nil {
		t.Fatal(err)
	}
	return c, ids, idx
}

func (w *worked) describeClosure(t *testing.T) string {
	c, ids, _ := w.build(t, nil)
	var b strings.Builder
	cycles := c.Graph().Cycles()
	if len(cycles) == 0 {
		b.WriteString("cycles: none\n")
	}
	for _, cy := range cycles {
		names := make([]string, len(cy))
		for k, r := range cy {
			names[k] = ids[r]
		}
		fmt.Fprintf(&b, "cycle: %s\n", strings.Join(names, " "))
	}
	for s := range ids {
		reach := c.Reach(int32(s))
		if len(reach) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s:", ids[s])
		for _, st := range reach {
			fmt.Fprintf(&b, " %s(%d via %s)", ids[st.Role], st.Dist, c.ViaString(int32(s), st.Role, ids))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (w *worked) expand(t *testing.T, input string) string {
	type ident struct {
		id    string
		roles []string
	}
	var idents []ident
	var extra []string
	for _, line := range lines(input) {
		id, roles, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("expand line %q: want `IDENTITY: ROLE ROLE ...`", line)
		}
		idents = append(idents, ident{strings.TrimSpace(id), strings.Fields(roles)})
		extra = append(extra, strings.Fields(roles)...)
	}
	c, ids, idx := w.build(t, extra)
	p, err := Expand(context.Background(), c, len(idents), func(i int) []int32 {
		var rs []int32
		for _, r := range idents[i].roles {
			rs = append(rs, idx[r])
		}
		slices.Sort(rs)
		return slices.Compact(rs)
	})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, id := range idents {
		lo, hi := p.Of(i)
		for k := lo; k < hi; k++ {
			r := p.Role[k]
			switch p.KindAt(k) {
			case Direct:
				fmt.Fprintf(&b, "%s %s direct\n", id.id, ids[r])
			case Redundant:
				fmt.Fprintf(&b, "%s %s redundant\n", id.id, ids[r])
			case Inherited:
				fmt.Fprintf(&b, "%s %s inherited via %s\n", id.id, ids[r], c.ViaString(p.SourceAt(k), r, ids))
			}
		}
	}
	return b.String()
}

// literalClosure is the reference: reachability by repeating "if a reaches b and b grants
// c, a reaches c" until nothing changes, and chains by enumerating every simple path.
func literalReach(n int, edges []Edge) [][]bool {
	reach := make([][]bool, n)
	for a := range reach {
		reach[a] = make([]bool, n)
	}
	for _, e := range edges {
		reach[e.From][e.To] = true
	}
	for changed := true; changed; {
		changed = false
		for a := 0; a < n; a++ {
			for _, e := range edges {
				if reach[a][e.From] && !reach[a][e.To] {
					reach[a][e.To] = true
					changed = true
				}
			}
		}
	}
	return reach
}

// literalBestChain returns the shortest, then lexically smallest, simple path from s to r
// by enumerating every simple path (small graphs only).
func literalBestChain(n int, edges []Edge, s, r int32) []int32 {
	var best []int32
	var walk func(path []int32, on []bool)
	walk = func(path []int32, on []bool) {
		last := path[len(path)-1]
		if last == r && len(path) > 1 {
			if best == nil || len(path) < len(best) || (len(path) == len(best) && slices.Compare(path, best) < 0) {
				best = slices.Clone(path)
			}
			return
		}
		for _, e := range edges {
			if e.From == last && (!on[e.To] || (e.To == r && e.To == s)) {
				if e.To == s && e.To != r {
					continue
				}
				on[e.To] = true
				walk(append(path, e.To), on)
				on[e.To] = e.To == s
			}
		}
	}
	on := make([]bool, n)
	on[s] = true
	walk([]int32{s}, on)
	return best
}

// TestClosureMatchesLiteral checks reachability, chains and cycles against the literal
// definitions on random small graphs, cyclic ones included.
func TestClosureMatchesLiteral(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		n := 1 + rng.IntN(8)
		edges := randomEdges(rng, n, rng.IntN(3*n))
		g := NewGraph(n, edges)
		c, err := NewClosure(context.Background(), g)
		if err != nil {
			t.Fatal(err)
		}
		reach := literalReach(n, edges)
		for s := int32(0); s < int32(n); s++ {
			got := map[int32]Step{}
			for _, st := range c.Reach(s) {
				got[st.Role] = st
			}
			for r := int32(0); r < int32(n); r++ {
				want := reach[s][r] && r != s
				if _, ok := got[r]; ok != want {
					t.Fatalf("seed %d: %d reaches %d: got %v, want %v (edges %v)", seed, s, r, ok, want, edges)
				}
				if !want {
					continue
				}
				if lit, fast := literalBestChain(n, edges, s, r), c.Via(s, r); !slices.Equal(lit, fast) {
					t.Fatalf("seed %d: chain %d to %d: got %v, want %v (edges %v)", seed, s, r, fast, lit, edges)
				}
			}
		}
		// A role is on a cycle exactly when it reaches itself.
		var want []int32
		for r := 0; r < n; r++ {
			if reach[r][r] {
				want = append(want, int32(r))
			}
		}
		var got []int32
		for _, cy := range g.Cycles() {
			got = append(got, cy...)
			for _, a := range cy {
				for _, b := range cy {
					if !reach[a][b] {
						t.Fatalf("seed %d: cycle %v holds %d and %d, which do not reach each other", seed, cy, a, b)
					}
				}
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: roles on cycles %v, want %v (edges %v)", seed, got, want, edges)
		}
	}
}

// TestInheritedByRole checks the identities holding each role only through grants
// against a literal listing, for chunks of 1 to 5 identities on 1 to 3 workers: every
// role counted, and listed when asked for (all roles, or a random half).
func TestInheritedByRole(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		rng := rand.New(rand.NewPCG(seed, 3))
		nr := 1 + rng.IntN(6)
		p := &Pairs{Off: []int64{0}}
		n := rng.IntN(12)
		for range n {
			for r := range int32(nr) {
				if rng.IntN(2) == 0 {
					p.Role = append(p.Role, r)
					p.Step = append(p.Step, [...]int32{stepDirect, stepRedundant, 0}[rng.IntN(3)])
				}
			}
			p.Off = append(p.Off, int64(len(p.Role)))
		}
		want := make([][]int32, nr)
		for i := range n {
			for k := p.Off[i]; k < p.Off[i+1]; k++ {
				if p.KindAt(k) == Inherited {
					want[p.Role[k]] = append(want[p.Role[k]], int32(i))
				}
			}
		}
		var list []bool
		if seed%2 == 1 {
			list = make([]bool, nr)
			for r := range list {
				list[r] = rng.IntN(2) == 0
			}
		}
		chunks, workers := 1+int(seed%5), 1+int(seed%3)
		b, err := p.inheritedByRole(context.Background(), nr, workers, chunks, list)
		if err != nil || len(b.Off) != nr+1 || b.Off[nr] != int64(len(b.Idx)) || len(b.Count) != nr {
			t.Fatalf("seed %d: %v, off %v, %d identities, %d counts", seed, err, b.Off, len(b.Idx), len(b.Count))
		}
		for r := range nr {
			wantList := want[r]
			if list != nil && !list[r] {
				wantList = nil
			}
			if got := b.Idx[b.Off[r]:b.Off[r+1]]; !slices.Equal(got, wantList) || b.Count[r] != int64(len(want[r])) {
				t.Fatalf("seed %d (%d chunks, %d workers, list %v): role %d: %v (count %d), want %v (count %d)",
					seed, chunks, workers, list, r, got, b.Count[r], wantList, len(want[r]))
			}
		}
	}
}

// TestExpandMatchesLiteral checks each identity's pairs against the definition: inherited
// when reachable from a direct role and not direct itself, with the source of the best
// chain; redundant when direct and reachable from another direct role.
func TestExpandMatchesLiteral(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		rng := rand.New(rand.NewPCG(seed, 2))
		n := 1 + rng.IntN(8)
		edges := randomEdges(rng, n, rng.IntN(2*n))
		c, _ := NewClosure(context.Background(), NewGraph(n, edges))
		var held [][]int32
		for i := 0; i < 6; i++ {
			var rs []int32
			for r := 0; r < n; r++ {
				if rng.IntN(3) == 0 {
					rs = append(rs, int32(r))
				}
			}
			held = append(held, rs)
		}
		rolesOf := func(i int) []int32 { return held[i] }
		p, _ := Expand(context.Background(), c, len(held), rolesOf)
		// Blocks of 1 to 4 identities on 1 to 3 workers join into the same pairs.
		block, workers := 1+int(seed%4), 1+int(seed%3)
		if q, _, err := expandBlocks(context.Background(), c, len(held), workers, block, nil, rolesOf); err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("seed %d: blocks of %d on %d workers: %v, %+v, want %+v", seed, block, workers, err, q, p)
		}
		var byKind [3]int64
		for k := range p.Step {
			byKind[p.KindAt(int64(k))]++
		}
		if byKind != p.ByKind {
			t.Fatalf("seed %d: pairs by kind %v, want %v", seed, p.ByKind, byKind)
		}
		for k := range p.Role {
			// A direct pair's step is -1 and a redundant one's -2, with no source; an
			// inherited pair's step reaches its role, and its source is the one role whose
			// steps hold it.
			src, step := p.SourceAt(int64(k)), p.Step[k]
			if kind := p.KindAt(int64(k)); kind != Inherited {
				if want := map[uint8]int32{Direct: -1, Redundant: -2}[kind]; step != want || src != -1 {
					t.Fatalf("seed %d: direct pair %d of kind %d: step %d, source %d, want %d and -1", seed, k, kind, step, src, want)
				}
				continue
			}
			if step < 0 || int(step) >= c.NumSteps() || c.First(src) > int64(step) || int64(step) >= c.First(src+1) ||
				c.StepIndex(src, p.Role[k]) != int64(step) {
				t.Fatalf("seed %d: pair %d (role %d): step %d, source %d", seed, k, p.Role[k], step, src)
			}
		}
		for i, direct := range held {
			want := map[int32]string{}
			for _, r := range direct {
				want[r] = "direct"
			}
			for r := int32(0); r < int32(n); r++ {
				var best []int32
				for _, s := range direct {
					if s == r {
						continue
					}
					ch := literalBestChain(n, edges, s, r)
					if ch != nil && (best == nil || len(ch) < len(best) || (len(ch) == len(best) && slices.Compare(ch, best) < 0)) {
						best = ch
					}
				}
				switch {
				case best == nil:
				case want[r] == "direct":
					want[r] = "redundant"
				default:
					want[r] = fmt.Sprintf("inherited %v", best)
				}
			}
			got := map[int32]string{}
			lo, hi := p.Of(i)
			for k := lo; k < hi; k++ {
				r := p.Role[k]
				if k > lo && p.Role[k-1] >= r {
					t.Fatalf("seed %d: identity %d: roles not ascending", seed, i)
				}
				switch p.KindAt(k) {
				case Direct:
					got[r] = "direct"
				case Redundant:
					got[r] = "redundant"
				default:
					got[r] = fmt.Sprintf("inherited %v", c.Via(p.SourceAt(k), r))
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("seed %d: identity %d holding %v: got %v, want %v (edges %v)", seed, i, direct, got, want, edges)
			}
		}
	}
}

// TestDeepChainNoRecursion walks a chain and a cycle of a million roles: an iterative
// search must neither overflow nor loop.
func TestDeepChainNoRecursion(t *testing.T) {
	const n = 1 << 20
	var edges []Edge
	for r := int32(0); r+1 < n; r++ {
		edges = append(edges, Edge{r, r + 1})
	}
	edges = append(edges, Edge{n - 1, 0})
	g := NewGraph(n, edges)
	cy := g.Cycles()
	if len(cy) != 1 || len(cy[0]) != n {
		t.Fatalf("got %d cycles, want one of %d roles", len(cy), n)
	}
}

// TestInheritedByRoleFromCounts checks the identities holding each role only through
// grants, listed from the counts the expansion keeps (listedFromCounts), against the
// listing that counts by chunk first, on random grants and holdings: the counts against
// the pairs, and the lists of a few roles for 1 to 5 chunks on 1 to 3 workers.
func TestInheritedByRoleFromCounts(t *testing.T) {
	used := 0
	for seed := uint64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 4))
		n := 2 + rng.IntN(10)
		edges := randomEdges(rng, n, rng.IntN(3*n))
		c, _ := NewClosure(context.Background(), NewGraph(n, edges))
		held := make([][]int32, 1+rng.IntN(20))
		for i := range held {
			for r := range int32(n) {
				if rng.IntN(4) == 0 {
					held[i] = append(held[i], r)
				}
			}
		}
		workers := 1 + int(seed%3)
		p, err := ExpandWorkers(context.Background(), c, len(held), workers, func(i int) []int32 { return held[i] })
		if err != nil {
			t.Fatal(err)
		}
		count := make([]int64, n)
		for k := range p.Step {
			if p.KindAt(int64(k)) == Inherited {
				count[p.Role[k]]++
			}
		}
		if !slices.Equal(p.inherited, count) {
			t.Fatalf("seed %d: inherited by role %v, want %v", seed, p.inherited, count)
		}
		list := make([]bool, n)
		for r := range list {
			list[r] = rng.IntN(6) == 0
		}
		chunks := 1 + int(seed%5)
		got, err := p.inheritedByRole(context.Background(), n, workers, chunks, list)
		if err != nil {
			t.Fatal(err)
		}
		counted := *p
		counted.inherited = nil
		want, _ := counted.inheritedByRole(context.Background(), n, workers, chunks, list)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: %+v, want %+v", seed, got, want)
		}
		if _, ok, _ := p.listedFromCounts(n, 1, list, nil, func(fn func(c, lo, hi int)) error {
			fn(0, 0, len(held))
			return nil
		}); ok {
			used++
		}
	}
	if used < 100 {
		t.Errorf("the counts listed the roles in %d of 300 rounds, want most", used)
	}
}

// randomEdges draws m grant edges between n roles, self-grants and repeats included.
func randomEdges(rng *rand.Rand, n, m int) []Edge {
	var edges []Edge
	for ; m > 0; m-- {
		edges = append(edges, Edge{int32(rng.IntN(n)), int32(rng.IntN(n))})
	}
	return edges
}

// TestExpandManyRoles checks the expansion on 70 to 330 roles, where the roles grants
// reach (the expansion's targets, numbered apart from the roles) span several words of its
// sets and rank across them: each identity's pairs against the definition with chains
// from the closure (TestClosureMatchesLiteral checks those), and blocks of 1 to 4
// identities on 1 to 3 workers against one worker.
func TestExpandManyRoles(t *testing.T) {
	for seed := uint64(0); seed < 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 70 + rng.IntN(260)
		// Grants among a third of the roles, so that many roles are no target.
		edges := randomEdges(rng, n/3, rng.IntN(n))
		for k := range edges {
			edges[k].From, edges[k].To = 3*edges[k].From+int32(seed%3), 3*edges[k].To+int32(seed%2)
		}
		c, _ := NewClosure(context.Background(), NewGraph(n, edges))
		held := make([][]int32, 12)
		for i := range held {
			for r := range int32(n) {
				if rng.IntN(1+i) == 0 {
					held[i] = append(held[i], r)
				}
			}
		}
		rolesOf := func(i int) []int32 { return held[i] }
		p, err := Expand(context.Background(), c, len(held), rolesOf)
		if err != nil {
			t.Fatal(err)
		}
		block, workers := 1+int(seed%4), 1+int(seed%3)
		if q, _, err := expandBlocks(context.Background(), c, len(held), workers, block, nil, rolesOf); err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("seed %d: blocks of %d on %d workers differ (%v)", seed, block, workers, err)
		}
		for i, direct := range held {
			if got, want := expandedOf(p, c, i), closureExpansion(c, n, direct); got != want {
				t.Fatalf("seed %d: identity %d holding %v:\ngot  %s\nwant %s", seed, i, direct, got, want)
			}
		}
	}
}

// expandedOf renders identity i's pairs of p: each role with its kind and, for an
// inherited one, its chain.
func expandedOf(p *Pairs, c *Closure, i int) string {
	var b strings.Builder
	lo, hi := p.Of(i)
	for k := lo; k < hi; k++ {
		switch p.KindAt(k) {
		case Direct:
			fmt.Fprintf(&b, "%d direct; ", p.Role[k])
		case Redundant:
			fmt.Fprintf(&b, "%d redundant; ", p.Role[k])
		default:
			fmt.Fprintf(&b, "%d inherited %v; ", p.Role[k], c.Via(p.SourceAt(k), p.Role[k]))
		}
	}
	return b.String()
}

// closureExpansion renders, as expandedOf does, the pairs of an identity holding direct
// among n roles by the definition, with the closure's chains: a direct role reached from
// another direct role is redundant; a role reached only is inherited through the shortest
// chain from a direct role, ties to the lexically smallest.
func closureExpansion(c *Closure, n int, direct []int32) string {
	var b strings.Builder
	for r := range int32(n) {
		var best []int32
		for _, s := range direct {
			if ch := c.Via(s, r); s != r && ch != nil && (best == nil || len(ch) < len(best) || len(ch) == len(best) && slices.Compare(ch, best) < 0) {
				best = ch
			}
		}
		switch {
		case slices.Contains(direct, r) && best != nil:
			fmt.Fprintf(&b, "%d redundant; ", r)
		case slices.Contains(direct, r):
			fmt.Fprintf(&b, "%d direct; ", r)
		case best != nil:
			fmt.Fprintf(&b, "%d inherited %v; ", r, best)
		}
	}
	return b.String()
}

// TestExpandListing checks the inherited pairs of listed roles as the expansion lists
// them (expandBlocks with a list, ExpandListing) against a pass over the pairs (listedOf)
// and against InheritedByRoleWorkers, on random grants, holdings and lists, blocks of 1
// to 4 identities on 1 to 3 workers: the pairs are those expanded without a list, the
// listed pairs come in identity order, and a block listing more than listedShare allows
// drops them all.
func TestExpandListing(t *testing.T) {
	kept, dropped := 0, 0
	for seed := uint64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 5))
		n := 2 + rng.IntN(10)
		c, _ := NewClosure(context.Background(), NewGraph(n, randomEdges(rng, n, rng.IntN(3*n))))
		held := make([][]int32, 1+rng.IntN(20))
		for i := range held {
			for r := range int32(n) {
				if rng.IntN(4) == 0 {
					held[i] = append(held[i], r)
				}
			}
		}
		rolesOf := func(i int) []int32 { return held[i] }
		list := make([]bool, n)
		share := 2 + rng.IntN(6) // dense lists in some rounds, sparse in others
		for r := range list {
			list[r] = rng.IntN(share) == 0
		}
		workers, block := 1+int(seed%3), 1+rng.IntN(4)
		p, listed, err := expandBlocks(context.Background(), c, len(held), workers, block, list, rolesOf)
		if err != nil {
			t.Fatal(err)
		}
		want, _, _ := expandBlocks(context.Background(), c, len(held), workers, block, nil, rolesOf)
		if !reflect.DeepEqual(p, want) {
			t.Fatalf("seed %d: the pairs differ with a list", seed)
		}
		scanned, _ := p.listedOf(1, list, 0, func(fn func(c, lo, hi int)) error {
			fn(0, 0, len(held))
			return nil
		})
		switch {
		case listed == nil:
			dropped++
			if !tooManyListed(p, scanned[0], block) {
				t.Fatalf("seed %d: listed pairs dropped, though no block has too many", seed)
			}
		case !slices.Equal(slices.Concat(listed...), scanned[0]):
			t.Fatalf("seed %d: listed %v, want %v", seed, slices.Concat(listed...), scanned[0])
		case tooManyListed(p, scanned[0], block):
			t.Fatalf("seed %d: a block listed too many pairs, but they were kept", seed)
		default:
			kept++
		}
		_, b, err := ExpandListing(context.Background(), c, len(held), workers, n, list, rolesOf)
		if err != nil {
			t.Fatal(err)
		}
		wantB, _ := want.InheritedByRoleWorkers(context.Background(), n, workers, list)
		if !reflect.DeepEqual(b, wantB) {
			t.Fatalf("seed %d: by role %+v, want %+v", seed, b, wantB)
		}
	}
	if kept < 100 || dropped == 0 {
		t.Errorf("listed pairs kept in %d rounds and dropped in %d of 300, want both", kept, dropped)
	}
}

// tooManyListed reports whether some block of block identities has more listed pairs
// (all of them, in identity order) than listedShare allows for its pairs.
func tooManyListed(p *Pairs, all []listedPair, block int) bool {
	n := len(p.Off) - 1
	for lo := 0; lo < n; lo += block {
		hi := min(n, lo+block)
		k := 0
		for _, e := range all {
			if int(e.ident) >= lo && int(e.ident) < hi {
				k++
			}
		}
		if int64(k)*listedShare > p.Off[hi]-p.Off[lo] {
			return true
		}
	}
	return false
}
