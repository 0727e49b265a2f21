package report

import (
	"context"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/mining"
)

// explainInherited adds identity i's inherited roles to ex (with role grants; nothing
// otherwise) and marks its redundant direct roles. held are its direct roles; it returns
// every role it holds effectively, ascending, so that none of them is suggested.
func (b *Bound) explainInherited(ex *Explanation, i int, held []int32) []int32 {
	u := b.Snap.Universe
	if u == nil || len(u.Grants) == 0 {
		return held
	}
	edges := make([]effective.Edge, len(u.Grants))
	for k, g := range u.Grants {
		edges[k] = effective.Edge{From: g.From, To: g.To}
	}
	c, err := effective.NewClosure(context.Background(), effective.NewGraph(b.Snap.NumRoles(), edges))
	if err != nil {
		return held
	}
	p, err := effective.Expand(context.Background(), c, 1, func(int) []int32 { return held })
	if err != nil {
		return held
	}
	direct := map[int32]int{} // role -> index in ex.Roles
	for k, r := range held {
		direct[r] = k
	}
	var all []int32
	for k := range p.Role {
		r := p.Role[k]
		all = append(all, r)
		switch p.KindAt(int64(k)) {
		case effective.Redundant:
			h := &ex.Roles[direct[r]]
			h.Redundant, h.RedundantVia = true, b.redundantChain(c, held, r)
			continue
		case effective.Direct:
			continue
		}
		h := b.heldRole(r, "unexplained")
		h.Inherited, h.Via = true, c.ViaString(p.SourceAt(int64(k)), r, b.Snap.Roles.IDs)
		h.Usage = ex.Roles[direct[p.SourceAt(int64(k))]].Usage
		for _, j := range b.RulesOf(r) {
			if b.Matches(j, i) {
				ref := b.ruleRef(int(j))
				h.Status, h.Rule = "explained", &ref
				break
			}
		}
		switch {
		case h.Rule != nil:
		case len(b.RulesOf(r)) > 0:
			h.Hidden = true
			h.Nearest = b.nearest(r, i)
		default:
			src := ex.Roles[direct[p.SourceAt(int64(k))]]
			h.Status, h.Rule, h.chainRule = src.Status, src.Rule, src.Rule != nil
		}
		if h.Status == "explained" {
			ex.Explained++
		} else {
			ex.Unexplained++
		}
		ex.Roles = append(ex.Roles, h)
	}
	slices.SortStableFunc(ex.Roles, func(a, b HeldRole) int {
		switch {
		case a.RoleID < b.RoleID:
			return -1
		case a.RoleID > b.RoleID:
			return 1
		}
		return 0
	})
	return all
}

// redundantChain returns the chain by which another of the directly held roles held also
// hands out the directly held role r, as via names one: the shortest, ties to the
// lexically smallest list of role ids.
func (b *Bound) redundantChain(c *effective.Closure, held []int32, r int32) string {
	var best []string
	for _, s := range held {
		ch := c.Via(s, r)
		if s == r || ch == nil {
			continue
		}
		names := make([]string, len(ch))
		for k, x := range ch {
			names[k] = b.Snap.Roles.IDs[x]
		}
		if best == nil || len(names) < len(best) || len(names) == len(best) && slices.Compare(names, best) < 0 {
			best = names
		}
	}
	return strings.Join(best, " > ")
}

// roleReason says why role r has no rule, for an identity of kind kind: the reason of the
// last mining rule that considered r with kind in its scope (roles.json's attempts), so
// that a holder is not told "no holders in scope" by a later mining rule over other
// kinds. A role withheld by ExcludeRole, or one no mining rule of its kind considered,
// keeps roles.json's reason (the last mining rule's verdict).
func (b *Bound) roleReason(r int32, kind string) string {
	rec := b.roleRecord(r)
	if rec == nil {
		return ""
	}
	s := b.Model.Summary
	if rec.ExcludedBy != nil || s == nil {
		return rec.Reason
	}
	for k := len(rec.Attempts) - 1; k >= 0; k-- {
		a := rec.Attempts[k]
		for _, mr := range s.MiningRules {
			if mr.Index == a.MiningRule && mining.KindInScope(mr.EntityType, kind) {
				return a.Reason
			}
		}
	}
	return rec.Reason
}
