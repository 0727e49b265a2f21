package gen

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
)

// Noise rates (docs/cli.md#quality scores the miner against them).
const (
	missingRate = 0.01  // planted assignments removed
	extraRate   = 0.015 // extra rule-role assignments per planted assignment
	// maxMissingShare caps the missing assignments of one planted group.
	maxMissingShare = 0.04
)

type noiseRow struct {
	IdentityID string `parquet:"identity_id"`
	RoleID     string `parquet:"role_id"`
	Type       string `parquet:"type"`
}

func (r *noiseRow) record(dst []string) []string {
	return append(dst[:0], r.IdentityID, r.RoleID, r.Type)
}

// ruleIndex finds the planted rules an identity may match: each rule is filed under its
// most selective term, so an identity only checks rules keyed on one of its own values.
type ruleIndex struct {
	by [numAttrs][][]ruleRef
}

type ruleRef struct {
	role int32
	rule *prule
}

func newRuleIndex(o *org, c *counts, roles []role) *ruleIndex {
	ix := &ruleIndex{}
	for a := range numAttrs {
		if a != aManager {
			ix.by[a] = make([][]ruleRef, len(o.dict[a]))
		}
	}
	for ri := range roles {
		for k := range roles[ri].rules {
			p := &roles[ri].rules[k]
			best := p.terms[0]
			for _, t := range p.terms[1:] {
				if c.single[t.attr][t.code] < c.single[best.attr][best.code] {
					best = t
				}
			}
			ix.by[best.attr][best.code] = append(ix.by[best.attr][best.code], ruleRef{int32(ri), p})
		}
	}
	return ix
}

// planted appends to buf[:0] the roles (ascending, distinct) whose planted rules match v.
func (ix *ruleIndex) planted(v *vec, buf []int32) []int32 {
	buf = buf[:0]
	for a := range numAttrs {
		x := v[a]
		if x < 0 || ix.by[a] == nil {
			continue
		}
		for _, ref := range ix.by[a][x] {
			if ref.rule.matches(v) {
				buf = append(buf, ref.role)
			}
		}
	}
	slices.Sort(buf)
	return slices.Compact(buf)
}

// holding is one (identity, role) pair of a project or tiny role.
type holding struct{ ident, role int32 }

type tagged struct {
	role int32
	typ  string // "" for a clean assignment, else the noise type
}

// assignments streams every identity's roles: planted roles on final attributes minus
// missing ones, stale roles of movers, extra access, and project and tiny roles.
func assignments(ctx context.Context, o *org, c *counts, roles []role, seed uint64,
	out *table[assignmentRow, *assignmentRow], noise *table[noiseRow, *noiseRow], st *Stats) error {
	a := newAssigner(o, c, roles, seed)
	rows := make([]assignmentRow, 0, 8192)
	nrows := make([]noiseRow, 0, 1024)
	flush := func(force bool) error {
		if len(rows) >= 8000 || (force && len(rows) > 0) {
			if err := out.write(rows); err != nil {
				return err
			}
			rows = rows[:0]
		}
		if len(nrows) >= 1000 || (force && len(nrows) > 0) {
			if err := noise.write(nrows); err != nil {
				return err
			}
			nrows = nrows[:0]
		}
		return nil
	}
	for i := 0; i < o.n; i++ {
		if i&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		id := o.ids[i]
		for _, t := range a.draw(i, st) {
			rid := roles[t.role].id
			switch t.typ {
			case "missing":
				st.Missing++
			case "stale":
				st.Stale++
			case "extra":
				st.Extra++
			}
			if t.typ != "" {
				nrows = append(nrows, noiseRow{id, rid, t.typ})
			}
			if t.typ != "missing" {
				rows = append(rows, assignmentRow{id, rid})
				st.Assignments++
			}
		}
		if err := flush(false); err != nil {
			return err
		}
	}
	return flush(true)
}

// assigner draws each identity's roles in identity order.
type assigner struct {
	o  *org
	ix *ruleIndex
	r  *rand.Rand
	// ruleRoles are the roles with planted rules; hold the holders of the other roles,
	// by identity and role.
	ruleRoles []int32
	hold      []holding
	// group is the planted group size per role, missed its members drawn missing so far.
	group, missed []int32
	// Scratch and positions: planted roles now and before a move, the set drawn, the next
	// mover and holding.
	cur, old []int32
	set      []tagged
	mv, hp   int
}

func newAssigner(o *org, c *counts, roles []role, seed uint64) *assigner {
	a := &assigner{o: o, ix: newRuleIndex(o, c, roles), group: make([]int32, len(roles)), missed: make([]int32, len(roles))}
	for ri := range roles {
		switch roles[ri].typ {
		case typeRule:
			a.ruleRoles = append(a.ruleRoles, int32(ri))
		default:
			for _, h := range roles[ri].holders {
				a.hold = append(a.hold, holding{h, int32(ri)})
			}
		}
	}
	slices.SortFunc(a.hold, func(x, y holding) int {
		if x.ident != y.ident {
			return int(x.ident - y.ident)
		}
		return int(x.role - y.role)
	})
	// Planted group size per role, so that missing access stays a small share of every
	// group: real access reviews see about 1% missing overall, but a group of 30 missing
	// 3 of its members is a broken provisioning rule, not noise.
	var buf []int32
	for i := 0; i < o.n; i++ {
		v := o.final(i)
		buf = a.ix.planted(&v, buf)
		for _, ro := range buf {
			a.group[ro]++
		}
	}
	a.r = rand.New(rand.NewPCG(seed, 0x6e6f697365))
	return a
}

// draw returns identity i's roles, ascending, each tagged with its noise type ("" for
// clean access): the planted roles (some drawn missing), a mover's stale roles, extra
// rule roles, and its project and tiny roles. It adds the planted count to st.
func (a *assigner) draw(i int, st *Stats) []tagged {
	o, r := a.o, a.r
	v := o.final(i)
	a.cur = a.ix.planted(&v, a.cur)
	st.Planted += int64(len(a.cur))
	a.set = a.set[:0]
	for _, ro := range a.cur {
		typ := ""
		if r.Float64() < missingRate && float64(a.missed[ro]+1) <= maxMissingShare*float64(a.group[ro]) {
			typ = "missing"
			a.missed[ro]++
		}
		a.set = append(a.set, tagged{ro, typ})
	}
	if a.mv < len(o.movers) && int(o.movers[a.mv]) == i {
		a.old = a.ix.planted(&o.moverOld[a.mv], a.old)
		for _, ro := range a.old {
			if _, found := slices.BinarySearch(a.cur, ro); !found {
				a.set = append(a.set, tagged{ro, "stale"})
			}
		}
		a.mv++
	}
	want := extraRate * float64(len(a.cur))
	extras := int(math.Floor(want))
	if r.Float64() < want-math.Floor(want) {
		extras++
	}
	for e := 0; e < extras && len(a.ruleRoles) > 0; e++ {
		for try := 0; try < 10; try++ {
			ro := a.ruleRoles[r.IntN(len(a.ruleRoles))]
			if !slices.ContainsFunc(a.set, func(t tagged) bool { return t.role == ro }) {
				a.set = append(a.set, tagged{ro, "extra"})
				break
			}
		}
	}
	for a.hp < len(a.hold) && int(a.hold[a.hp].ident) == i {
		a.set = append(a.set, tagged{a.hold[a.hp].role, ""})
		a.hp++
	}
	slices.SortFunc(a.set, func(x, y tagged) int { return int(x.role - y.role) })
	return a.set
}
