package effective

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Step is one role reachable from a granting role (the source) through grants.
type Step struct {
	Role int32
	// Dist is the number of grants from the source to Role (1: the source grants it).
	Dist int32
	// Parent is the role before Role on the chosen chain (the source when Dist is 1).
	Parent int32
}

// Closure holds, for every role that grants something, the roles reachable from it and the
// chain to each: the shortest, and among the shortest the lexically smallest list of roles.
type Closure struct {
	g     *Graph
	soff  []int64 // steps of source s: steps[soff[s]:soff[s+1]], ascending by Role
	steps []Step
	// stepSource is the source of each step: s for every step of soff[s]:soff[s+1].
	stepSource []int32
	// scanned counts the grants the searches read (a test's measure of the work).
	scanned int64
}

// NewClosure computes the closure of g with one breadth-first search per granting role.
// Each search marks roles as it reaches them, so a cycle is walked once and never again.
// Processing one layer's roles in chain order, and each role's grants in ascending order,
// makes the first parent found for a role the one on the lexically smallest shortest chain,
// so no sorting of chains is needed.
//
// Once a search has reached every role of a cycle (a strongly connected part), the grants
// between them lead only to roles already reached, so its members' grants out of the
// cycle are all it reads of them from then on. Reading every grant made a dense cycle of
// n roles cost n times its n^2 grants (2,000 roles all granting each other: 8 billion
// reads).
func NewClosure(ctx context.Context, g *Graph) (*Closure, error) {
	c := &Closure{g: g, soff: make([]int64, g.n+1)}
	b := &bfs{seen: make([]int32, g.n), cycles: newCycleIndex(g)}
	b.cycleSeen = make([]int32, len(b.cycles.size))
	b.cycleStamp = make([]int32, len(b.cycles.size))
	for s := int32(0); s < int32(g.n); s++ {
		c.soff[s] = int64(len(c.steps))
		if g.off[s] == g.off[s+1] {
			continue
		}
		if s%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		found := c.search(b, s)
		start := len(c.steps)
		if start+len(found) > math.MaxInt32 {
			// Pairs number steps with int32; a closure this large would not fit in memory.
			return nil, fmt.Errorf("role grants: the closure has more than %d steps", math.MaxInt32)
		}
		c.steps = append(c.steps, found...)
		slices.SortFunc(c.steps[start:], func(a, b Step) int { return int(a.Role - b.Role) })
	}
	c.soff[g.n] = int64(len(c.steps))
	c.stepSource = make([]int32, len(c.steps))
	for s := range int32(g.n) {
		for k := c.soff[s]; k < c.soff[s+1]; k++ {
			c.stepSource[k] = s
		}
	}
	return c, nil
}

// bfs is the scratch of the closure's searches.
type bfs struct {
	seen        []int32 // stamp: source+1 when reached from the current source
	layer, next []int32
	found       []Step
	cycles      cycleIndex
	// cycleSeen counts the roles of each cycle the current search has reached, valid
	// where cycleStamp is the search's stamp.
	cycleSeen, cycleStamp []int32
}

// search returns the roles reachable from s, in the order the breadth-first search
// reaches them (in b's scratch, valid until the next search).
func (c *Closure) search(b *bfs, s int32) []Step {
	stamp := s + 1
	b.mark(s, stamp)
	b.layer = append(b.layer[:0], s)
	b.found = b.found[:0]
	for dist := int32(1); len(b.layer) > 0; dist++ {
		b.next = b.next[:0]
		for _, u := range b.layer {
			grants := b.grantsOf(c.g, u, stamp)
			c.scanned += int64(len(grants))
			for _, w := range grants {
				if b.seen[w] == stamp {
					continue
				}
				b.mark(w, stamp)
				b.next = append(b.next, w)
				b.found = append(b.found, Step{Role: w, Dist: dist, Parent: u})
			}
		}
		b.layer, b.next = b.next, b.layer
	}
	return b.found
}

// mark records that the search of stamp has reached r.
func (b *bfs) mark(r, stamp int32) {
	b.seen[r] = stamp
	if cy := b.cycles.of[r]; cy >= 0 {
		if b.cycleStamp[cy] != stamp {
			b.cycleStamp[cy], b.cycleSeen[cy] = stamp, 0
		}
		b.cycleSeen[cy]++
	}
}

// grantsOf returns the grants of u the search of stamp still has to read, ascending: its
// grants out of its cycle once the search has reached the whole cycle, else all of them.
func (b *bfs) grantsOf(g *Graph, u, stamp int32) []int32 {
	if cy := b.cycles.of[u]; cy >= 0 && b.cycleStamp[cy] == stamp && b.cycleSeen[cy] == b.cycles.size[cy] {
		return b.cycles.exits[b.cycles.exitOff[u]:b.cycles.exitOff[u+1]]
	}
	return g.Grants(u)
}

// cycleIndex gives each role its cycle (Graph.Cycles), and each role of a cycle its
// grants to roles outside that cycle.
type cycleIndex struct {
	of   []int32 // cycle of each role, -1 for none
	size []int32 // roles of each cycle
	// The grants out of role r's cycle are exits[exitOff[r]:exitOff[r+1]], ascending;
	// none for a role on no cycle.
	exitOff []int64
	exits   []int32
}

// newCycleIndex indexes the cycles of g.
func newCycleIndex(g *Graph) cycleIndex {
	x := cycleIndex{of: make([]int32, g.n), exitOff: make([]int64, g.n+1)}
	for r := range x.of {
		x.of[r] = -1
	}
	for k, cy := range g.Cycles() {
		x.size = append(x.size, int32(len(cy)))
		for _, r := range cy {
			x.of[r] = int32(k)
		}
	}
	for r := range int32(g.n) {
		if cy := x.of[r]; cy >= 0 {
			for _, w := range g.Grants(r) {
				if x.of[w] != cy {
					x.exits = append(x.exits, w)
				}
			}
		}
		x.exitOff[r+1] = int64(len(x.exits))
	}
	return x
}

// Graph returns the grant graph the closure was computed from.
func (c *Closure) Graph() *Graph { return c.g }

// Reach returns the roles reachable from s through one or more grants, ascending by role.
// s itself is never among them: a chain that returns to s (a cycle) adds nothing.
func (c *Closure) Reach(s int32) []Step { return c.steps[c.soff[s]:c.soff[s+1]] }

// NumSteps returns the number of steps of all sources together; StepIndex numbers them,
// by source and then by role, so that Reach(s)[j] is step First(s)+j.
func (c *Closure) NumSteps() int { return len(c.steps) }

// First returns the index of the first step of source s (see NumSteps).
func (c *Closure) First(s int32) int64 { return c.soff[s] }

// SourceOf returns the source of step step (see NumSteps): the role s with
// First(s) <= step < First(s+1).
func (c *Closure) SourceOf(step int64) int32 { return c.stepSource[step] }

// StepIndex returns the index of the step of s's search reaching r (see NumSteps), or -1
// when r is not reachable from s.
func (c *Closure) StepIndex(s, r int32) int64 {
	steps := c.Reach(s)
	k, ok := slices.BinarySearchFunc(steps, r, func(st Step, r int32) int { return int(st.Role - r) })
	if !ok {
		return -1
	}
	return c.soff[s] + int64(k)
}

// step returns the step of s's search reaching r.
func (c *Closure) step(s, r int32) (Step, bool) {
	steps := c.Reach(s)
	k, ok := slices.BinarySearchFunc(steps, r, func(st Step, r int32) int { return int(st.Role - r) })
	if !ok {
		return Step{}, false
	}
	return steps[k], true
}

// Via returns the chain from s to r (both included): the shortest, ties broken by the
// lexically smallest list of roles. It returns nil when r is not reachable from s.
func (c *Closure) Via(s, r int32) []int32 {
	st, ok := c.step(s, r)
	if !ok {
		return nil
	}
	chain := make([]int32, st.Dist+1)
	for k := st.Dist; k > 0; k-- {
		chain[k] = st.Role
		if k > 1 {
			st, _ = c.step(s, st.Parent)
		}
	}
	chain[0] = s
	return chain
}

// ViaString renders the chain from s to r as role ids joined by " > ".
func (c *Closure) ViaString(s, r int32, ids []string) string {
	chain := c.Via(s, r)
	parts := make([]string, len(chain))
	for k, x := range chain {
		parts[k] = ids[x]
	}
	return strings.Join(parts, " > ")
}
