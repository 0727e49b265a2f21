package columnar

import "slices"

// keepRoleRows drops, from the decoded assignments table, every row whose role keep
// rejects (LoadOptions.KeepRole), before buildAssignments makes the per-role and
// per-identity views of them. asgRole maps the role column's codes to role indices; keep
// is asked once per distinct role id. The surviving codes are moved into slices of their
// own size so that the full-size ones become garbage at once. It returns the rows dropped.
func keepRoleRows(asg *table, asgRole []int32, roleIDs []string, keep func(roleID string) bool) int {
	ic, rc := asg.col("identity_id"), asg.col("role_id")
	kept := make([]bool, len(rc.vals))
	for code := range rc.vals {
		kept[code] = keep(roleIDs[asgRole[code]])
	}
	w := 0
	for k, code := range rc.codes {
		if kept[code] {
			rc.codes[w] = code
			ic.codes[w] = ic.codes[k]
			w++
		}
	}
	dropped := len(rc.codes) - w
	if dropped > 0 {
		ic.codes = slices.Clone(ic.codes[:w])
		rc.codes = slices.Clone(rc.codes[:w])
	}
	return dropped
}
