package gen

import (
	"slices"
	"strings"
)

// familyRoles returns one role per title family of the catalogue: for every title
// "Senior X" where "X" is also a title, a role granted to both (two ORed planted rules on
// title, scope human). Free-text title normalisation (the titlefamily plugin) folds such a
// pair into one family, so with it one rule on title_family explains the role instead of
// two rules on title.
func familyRoles(o *org) []role {
	titles := o.dict[aTitle]
	var out []role
	for senior, t := range titles {
		base, ok := strings.CutPrefix(t, "Senior ")
		if !ok {
			continue
		}
		junior := slices.Index(titles, base)
		if junior < 0 {
			continue
		}
		out = append(out, role{
			id:          "FAMILY_" + upperSnake(base) + "_GUILD",
			category:    "business-app",
			application: "confluence",
			description: "guild space of every " + base + ", whatever the seniority",
			typ:         typeRule,
			rules: []prule{
				{maskHuman, "human", t1(aTitle, int32(junior))},
				{maskHuman, "human", t1(aTitle, int32(senior))},
			},
		})
	}
	return out
}
