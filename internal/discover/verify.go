package discover

import (
	"fmt"
	"slices"
)

// Role is one discovered role: the users assigned to it and the permissions it grants,
// as indices into the Matrix, ascending.
type Role struct {
	Users []int32
	Perms []int32
}

// Verify checks that roles reproduce m exactly: for every user, the union of the
// permissions of the roles it is assigned equals its permissions in m. It also checks
// that indices are in range and that no role is empty. The first few differences are
// named in the error.
//
// It works one user at a time over two scratch sets, so its memory is the user-role
// links, not a permission set per user (which at a million identities and 50k
// entitlements would be gigabytes).
func Verify(m *Matrix, roles []Role) error {
	rolesOf := make([][]int32, len(m.Users))
	for k, r := range roles {
		if len(r.Users) == 0 || len(r.Perms) == 0 {
			return fmt.Errorf("role %d: empty (%d users, %d permissions)", k, len(r.Users), len(r.Perms))
		}
		for _, p := range r.Perms {
			if p < 0 || int(p) >= len(m.Perms) {
				return fmt.Errorf("role %d: permission index %d out of range", k, p)
			}
		}
		for _, u := range r.Users {
			if u < 0 || int(u) >= len(m.Users) {
				return fmt.Errorf("role %d: user index %d out of range", k, u)
			}
			rolesOf[u] = append(rolesOf[u], int32(k))
		}
	}
	var errs []string
	want, got := newBitset(len(m.Perms)), newBitset(len(m.Perms))
	for u, row := range m.Rows {
		for _, p := range row {
			want.set(p)
		}
		for _, k := range rolesOf[u] {
			for _, p := range roles[k].Perms {
				got.set(p)
			}
		}
		if !got.equal(want) {
			extra := got.clone()
			extra.andNotWith(want)
			missing := want.clone()
			missing.andNotWith(got)
			errs = append(errs, fmt.Sprintf("user %q: %d permissions granted by its roles but not held %v, %d held but not granted %v",
				m.Users[u], extra.count(), names(m.Perms, extra.members(), 5), missing.count(), names(m.Perms, missing.members(), 5)))
			if len(errs) == 5 {
				break
			}
		}
		// Clear only what was set: a user holds few of the permissions.
		for _, p := range row {
			want.clear(p)
		}
		for _, k := range rolesOf[u] {
			for _, p := range roles[k].Perms {
				got.clear(p)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("cover is not exact: %s", joinLines(errs))
	}
	return nil
}

func names(ids []string, idx []int32, max int) []string {
	var out []string
	for k, i := range idx {
		if k == max {
			out = append(out, "...")
			break
		}
		out = append(out, ids[i])
	}
	return out
}

func joinLines(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += "; "
		}
		out += x
	}
	return out
}

// expand turns bicliques over classes of rd into roles over the original matrix.
func (rd *reduced) expand(bs []biclique) []Role {
	roles := make([]Role, 0, len(bs))
	for _, b := range bs {
		var r Role
		b.users.forEach(func(c int32) { r.Users = append(r.Users, rd.userClass[c]...) })
		b.perms.forEach(func(c int32) { r.Perms = append(r.Perms, rd.permClass[c]...) })
		slices.Sort(r.Users)
		slices.Sort(r.Perms)
		roles = append(roles, r)
	}
	return roles
}
