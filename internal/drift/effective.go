package drift

import (
	"context"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/effective"
)

// ActionRemoveRedundant is the remediation action for a direct grant that a chain of role
// grants also hands out (docs/effective-privilege.md): removing it changes no access. It
// appears only for data with role grants.
const ActionRemoveRedundant = "remove-redundant"

// held is the effective access of a snapshot with role grants: drift holds a model against
// what identities effectively hold, so a mover who keeps a nested group keeps what it
// grants, and a role held through a chain is never a grant action.
type held struct {
	c *effective.Closure
	p *effective.Pairs
	// neutralOff/neutralIdx: per role, the identities holding it only through grants.
	neutralOff []int64
	neutralIdx []int32
}

// effectiveHeld returns the effective access of next, or nil without role grants.
func effectiveHeld(ctx context.Context, next *columnar.Snapshot) (*held, error) {
	u := next.Universe
	if u == nil || len(u.Grants) == 0 {
		return nil, nil
	}
	edges := make([]effective.Edge, len(u.Grants))
	for k, g := range u.Grants {
		edges[k] = effective.Edge{From: g.From, To: g.To}
	}
	c, err := effective.NewClosure(ctx, effective.NewGraph(next.NumRoles(), edges))
	if err != nil {
		return nil, err
	}
	p, err := effective.Expand(ctx, c, next.NumIdentities(), next.RolesOf)
	if err != nil {
		return nil, err
	}
	h := &held{c: c, p: p}
	h.neutralOff, h.neutralIdx = p.InheritedByRole(next.NumRoles())
	return h, nil
}

// neutralIn counts the identities holding role r only through grants whose kind is in
// kinds (by kind code): they are out of the role's scope in the health counts (nil-safe).
func (h *held) neutralIn(next *columnar.Snapshot, r int32, kinds []bool) int64 {
	if h == nil {
		return 0
	}
	kd := &next.Dims[next.KindDim]
	var n int64
	for _, i := range h.neutralIdx[h.neutralOff[r]:h.neutralOff[r+1]] {
		if kinds[kd.Codes[i]] {
			n++
		}
	}
	return n
}

// inherits reports whether identity i holds role r only through grants (nil-safe).
func (h *held) inherits(i int, r int32) bool {
	if h == nil {
		return false
	}
	lo, hi := h.p.Of(i)
	k, ok := slices.BinarySearch(h.p.Role[lo:hi], r)
	return ok && h.p.KindAt(lo+int64(k)) == effective.Inherited
}

// redundantActions lists a remove-redundant action for every redundant direct grant,
// naming the chain that also hands the role out (the shortest from another directly held
// role, ties to the smallest).
func (h *held) redundantActions(next *columnar.Snapshot) []Action {
	if h == nil {
		return nil
	}
	var out []Action
	for i := range next.IdentityIDs {
		lo, hi := h.p.Of(i)
		for k := lo; k < hi; k++ {
			if h.p.KindAt(k) != effective.Redundant {
				continue
			}
			r := h.p.Role[k]
			var best []int32
			for _, s := range next.RolesOf(i) {
				if s == r {
					continue
				}
				if ch := h.c.Via(s, r); ch != nil && (best == nil || len(ch) < len(best)) {
					best = ch
				}
			}
			names := make([]string, len(best))
			for x, role := range best {
				names[x] = next.Roles.IDs[role]
			}
			out = append(out, Action{Type: ActionRemoveRedundant, IdentityID: next.IdentityIDs[i], Kind: next.Kind(i),
				RoleID: next.Roles.IDs[r], Change: "also granted through " + strings.Join(names, " > ") + accountNote(next, int32(i), r)})
		}
	}
	return out
}

// withoutHandedOut drops from raw (sorted by identity, then role) each grant or suggest
// action whose role another grant or suggest action of the same identity hands out
// through role grants (docs/semantics.md#drift-grant): granting both would make the
// direct grant redundant at once. The kept action's change names the roles it hands out
// ("also hands out CRM"). Revoke actions are kept as they are; nil-safe.
func (h *held) withoutHandedOut(raw []rawAction, roleIDs []string) []rawAction {
	if h == nil {
		return raw
	}
	out := make([]rawAction, 0, len(raw))
	for lo := 0; lo < len(raw); {
		hi := lo + 1
		for hi < len(raw) && raw[hi].i == raw[lo].i {
			hi++
		}
		group := raw[lo:hi]
		for x, a := range group {
			var hands []string
			covered := false
			for y, b := range group {
				if y == x {
					continue
				}
				covered = covered || h.covers(b, a)
				if h.covers(a, b) {
					hands = append(hands, roleIDs[b.r])
				}
			}
			if covered {
				continue
			}
			if len(hands) > 0 {
				a.change = "also hands out " + strings.Join(hands, ", ")
			}
			out = append(out, a)
		}
		lo = hi
	}
	return out
}

// covers reports whether proposing g to an identity makes proposing r to it needless: both
// grant or suggest a role, g's role hands out r's through role grants, and g is at least
// as strong (a grant covers a suggestion, not the reverse). Of two equal actions whose
// roles hand out each other (a cycle), the one of the smaller role covers the other.
func (h *held) covers(g, r rawAction) bool {
	if g.typ == tRevoke || r.typ == tRevoke || g.r == r.r || h.c.StepIndex(g.r, r.r) < 0 {
		return false
	}
	if g.typ != r.typ {
		return g.typ == tGrant
	}
	return g.r < r.r || h.c.StepIndex(r.r, g.r) < 0
}
