package discover

import "slices"

func sortInt32(s []int32) { slices.Sort(s) }

// sortByKey sorts idx stably by key ascending.
func sortByKey(idx []int, key func(int) int) {
	slices.SortStableFunc(idx, func(a, b int) int { return key(a) - key(b) })
}

// SortRoles orders roles by most users, then most permissions, then by their first
// user and permission, so that output order does not depend on search order.
func SortRoles(roles []Role) {
	slices.SortStableFunc(roles, func(a, b Role) int {
		if len(a.Users) != len(b.Users) {
			return len(b.Users) - len(a.Users)
		}
		if len(a.Perms) != len(b.Perms) {
			return len(b.Perms) - len(a.Perms)
		}
		if c := slices.Compare(a.Users, b.Users); c != 0 {
			return c
		}
		return slices.Compare(a.Perms, b.Perms)
	})
}
