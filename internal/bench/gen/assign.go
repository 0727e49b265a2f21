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

var noiseHeader = []string{"identity_id", "role_id", "type"}

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
	ix := newRuleIndex(o, c, roles)
	var ruleRoles []int32
	var hold []holding
	for ri := range roles {
		switch roles[ri].typ {
		case typeRule:
			ruleRoles = append(ruleRoles, int32(ri))
		default:
			for _, h := range roles[ri].holders {
				hold = append(hold, holding{h, int32(ri)})
			}
		}
	}
	slices.SortFunc(hold, func(a, b holding) int {
		if a.ident != b.ident {
			return int(a.ident - b.ident)
		}
		return int(a.role - b.role)
	})
	// Planted group size per role, so that missing access stays a small share of every
	// group: real access reviews see about 1% missing overall, but a group of 30 missing
	// 3 of its members is a broken provisioning rule, not noise.
	group := make([]int32, len(roles))
	missed := make([]int32, len(roles))
	{
		var buf []int32
		for i := 0; i < o.n; i++ {
			v := o.final(i)
			buf = ix.planted(&v, buf)
			for _, ro := range buf {
				group[ro]++
			}
		}
	}
	r := rand.New(rand.NewPCG(seed, 0x6e6f697365))
	var (
		cur, old []int32
		set      []tagged
		rows     = make([]assignmentRow, 0, 8192)
		nrows    = make([]noiseRow, 0, 1024)
		mv, hp   int
	)
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
		v := o.final(i)
		cur = ix.planted(&v, cur)
		st.Planted += int64(len(cur))
		set = set[:0]
		for _, ro := range cur {
			typ := ""
			if r.Float64() < missingRate && float64(missed[ro]+1) <= maxMissingShare*float64(group[ro]) {
				typ = "missing"
				missed[ro]++
			}
			set = append(set, tagged{ro, typ})
		}
		if mv < len(o.movers) && int(o.movers[mv]) == i {
			old = ix.planted(&o.moverOld[mv], old)
			for _, ro := range old {
				if _, found := slices.BinarySearch(cur, ro); !found {
					set = append(set, tagged{ro, "stale"})
				}
			}
			mv++
		}
		want := extraRate * float64(len(cur))
		extras := int(math.Floor(want))
		if r.Float64() < want-math.Floor(want) {
			extras++
		}
		for e := 0; e < extras && len(ruleRoles) > 0; e++ {
			for try := 0; try < 10; try++ {
				ro := ruleRoles[r.IntN(len(ruleRoles))]
				if !slices.ContainsFunc(set, func(t tagged) bool { return t.role == ro }) {
					set = append(set, tagged{ro, "extra"})
					break
				}
			}
		}
		for hp < len(hold) && int(hold[hp].ident) == i {
			set = append(set, tagged{hold[hp].role, ""})
			hp++
		}
		slices.SortFunc(set, func(a, b tagged) int { return int(a.role - b.role) })
		id := o.ids[i]
		for _, t := range set {
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
