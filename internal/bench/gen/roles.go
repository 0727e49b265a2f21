package gen

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// minGroup is the fewest identities a planted rule may select.
const minGroup = 10

// Role mix: shares of the requested role count.
const (
	ruleShare    = 0.80
	projectShare = 0.16 // the rest (about 4%) are roles held by one or two identities
	broadCap     = 0.55 // share of rule roles for department, title, location... roles
	nhiCap       = 0.18 // share of rule roles for application roles of non-human identities
	threeCap     = 0.02 // share of rule roles whose planted rule needs three terms
	orSecond     = 0.15 // probability that a rule role gets a second ORed rule
	orThird      = 0.04 // ... and a third
)

type term struct {
	attr int
	code int32
}

// prule is a planted rule: a kind scope (bit k set when kind code k is in scope, with the
// scope text written to the truth) and a criterion.
type prule struct {
	mask  uint8
	scope string
	terms []term
}

func (p *prule) matches(v *vec) bool {
	if p.mask&(1<<uint(v[aKind])) == 0 {
		return false
	}
	for _, t := range p.terms {
		if v[t.attr] != t.code {
			return false
		}
	}
	return true
}

const (
	maskAll   = 0b1111
	maskHuman = 0b0001
	maskNHI   = 0b1110
)

type roleType uint8

const (
	typeRule roleType = iota
	typeProject
	typeTiny
)

type role struct {
	id          string
	category    string
	validations int
	application string
	description string
	typ         roleType
	rules       []prule
	holders     []int32 // project and tiny roles
}

// group is a set of identities that a family of roles can be planted on.
type group struct {
	rule     prule
	size     int
	suffixes []string // one role per suffix, in order, as the budget allows
	prefix   string
	category string
	app      string
	what     string // description of the group
	// sibling draws another group of the same kind for an ORed rule (nil: none).
	sibling func(r *rand.Rand) (prule, bool)
	// variant adapts the rule for the k-th role of the group (nil: same rule).
	variant func(k int, r *rand.Rand) prule
}

// counts holds population sizes of the cells planted rules are drawn from, on final
// attributes.
type counts struct {
	single             [numAttrs][]int
	deptTitle, deptLoc []int
	teamEmp, appEnv    []int
	kindAppEnv         []int
	kindEnv            []int
	deptTitleLoc       []int
	nt, nl, ne, nenv   int
}

func countCells(o *org) *counts {
	c := &counts{nt: len(o.dict[aTitle]), nl: len(locations), ne: len(employmentTypes), nenv: len(environments)}
	for a := range numAttrs {
		size := len(o.dict[a])
		if a == aManager {
			size = o.n
		}
		c.single[a] = make([]int, size)
	}
	nd := len(departments)
	c.deptTitle = make([]int, nd*c.nt)
	c.deptLoc = make([]int, nd*c.nl)
	c.teamEmp = make([]int, len(o.dict[aTeam])*c.ne)
	c.appEnv = make([]int, o.apps*c.nenv)
	c.kindAppEnv = make([]int, 4*o.apps*c.nenv)
	c.kindEnv = make([]int, 4*c.nenv)
	c.deptTitleLoc = make([]int, nd*c.nt*c.nl)
	for i := 0; i < o.n; i++ {
		for a := range numAttrs {
			if x := o.codes[a][i]; x >= 0 {
				c.single[a][x]++
			}
		}
		if i < o.humans {
			d, t, l, e := o.codes[aDepartment][i], o.codes[aTitle][i], o.codes[aLocation][i], o.codes[aEmployment][i]
			c.deptTitle[int(d)*c.nt+int(t)]++
			c.deptLoc[int(d)*c.nl+int(l)]++
			c.teamEmp[int(o.codes[aTeam][i])*c.ne+int(e)]++
			c.deptTitleLoc[(int(d)*c.nt+int(t))*c.nl+int(l)]++
		} else {
			k, a, e := int(o.codes[aKind][i]), int(o.codes[aApplication][i]), int(o.codes[aEnvironment][i])
			c.appEnv[a*c.nenv+e]++
			c.kindAppEnv[(k*o.apps+a)*c.nenv+e]++
			c.kindEnv[k*c.nenv+e]++
		}
	}
	return c
}

func t1(a int, c int32) []term                 { return []term{{a, c}} }
func t2(a int, c int32, b int, d int32) []term { return []term{{a, c}, {b, d}} }

// catalog builds the role table: planted rule roles in three pools (broad human groups,
// teams and cost centres, non-human applications), project roles and tiny roles.
func catalog(o *org, c *counts, nRoles int, r *rand.Rand) []role {
	nRule := int(math.Round(float64(nRoles) * ruleShare))
	nProject := int(math.Round(float64(nRoles) * projectShare))
	nTiny := max(nRoles-nRule-nProject, 0)

	broad := broadGroups(o, c)
	teams := teamGroups(o, c, r)
	nhis := nhiGroups(o, c, r)
	desire := func(gs []group) int {
		s := 0
		for _, g := range gs {
			s += len(g.suffixes)
		}
		return s
	}
	cb := &roleBuilder{o: o, r: r, seen: map[string]bool{}}
	made := cb.allocate(broad, min(desire(broad), int(broadCap*float64(nRule))), int(threeCap*float64(nRule)), true)
	made += cb.allocate(nhis, min(desire(nhis), int(nhiCap*float64(nRule))), -1, true)
	cb.allocate(teams, max(nRule-made, 0), -1, false)
	cb.projects(c, nProject)
	cb.tiny(nTiny)
	slices.SortFunc(cb.roles, func(a, b role) int { return strings.Compare(a.id, b.id) })
	return cb.roles
}

type roleBuilder struct {
	o     *org
	r     *rand.Rand
	seen  map[string]bool
	roles []role
}

func (b *roleBuilder) uniqueID(id string) string {
	if !b.seen[id] {
		b.seen[id] = true
		return id
	}
	for k := 2; ; k++ {
		s := id + "_" + strconv.Itoa(k)
		if !b.seen[s] {
			b.seen[s] = true
			return s
		}
	}
}

// allocate creates budget roles from groups. With bySize, the k-th role of a group ranks
// by size/(k+1)^1.5, so big groups get several roles before small groups get one;
// otherwise roles are made in passes (pass k makes the k-th role of every group, in the
// groups' order). threeMax bounds roles whose rule has three terms (-1: no bound). It
// returns the number of roles made.
func (b *roleBuilder) allocate(gs []group, budget, threeMax int, bySize bool) int {
	type slot struct {
		g, k int
		key  float64
	}
	var slots []slot
	for gi := range gs {
		for k := range gs[gi].suffixes {
			key := float64(k)
			if bySize {
				key = -float64(gs[gi].size) / math.Pow(float64(k+1), 1.5)
			}
			slots = append(slots, slot{gi, k, key})
		}
	}
	slices.SortStableFunc(slots, func(a, b slot) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return 0
	})
	three, made := 0, 0
	for _, sl := range slots {
		if made == budget {
			break
		}
		g := &gs[sl.g]
		rule := g.rule
		if g.variant != nil {
			rule = g.variant(sl.k, b.r)
		}
		if len(rule.terms) >= 3 && threeMax >= 0 {
			if three >= threeMax {
				continue
			}
			three++
		}
		rules := []prule{rule}
		if g.sibling != nil && b.r.Float64() < orSecond {
			extra := 1
			if b.r.Float64() < orThird/orSecond {
				extra = 2
			}
			for range extra {
				if s, ok := g.sibling(b.r); ok && !sameRule(rules, s) {
					rules = append(rules, s)
				}
			}
		}
		suffix := g.suffixes[sl.k]
		b.roles = append(b.roles, role{
			id:          b.uniqueID(g.prefix + "_" + suffix),
			category:    g.category,
			validations: validationsFor(suffix),
			application: g.app,
			description: strings.ReplaceAll(strings.ToLower(suffix), "_", " ") + " for " + g.what,
			typ:         typeRule,
			rules:       rules,
		})
		made++
	}
	return made
}

func sameRule(rs []prule, s prule) bool {
	for _, x := range rs {
		if x.mask == s.mask && slices.Equal(x.terms, s.terms) {
			return true
		}
	}
	return false
}

// validationsFor derives approvals from how sensitive a permission sounds.
func validationsFor(suffix string) int {
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(suffix, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("ADMIN", "BANK", "M_AND_A", "FORENSICS"):
		return 3
	case has("APPROVE", "SECRETS", "DEPLOY", "PAM", "EDISCOVERY", "LEGAL_HOLD", "ELEVATED", "POST", "PAYROLL"):
		return 2
	case has("WRITE", "EDIT", "PUBLISH", "SUBMIT"):
		return 1
	}
	return 0
}

// broadGroups: birthright roles, locations, departments, shared titles, department x
// title, department x location, and a few department x title x location groups.
func broadGroups(o *org, c *counts) []group {
	gs := birthrightGroups(c)
	dtG, dlG, dtlG := crossGroups(o, c)
	bySize := func(gs []group) []group {
		slices.SortStableFunc(gs, func(a, b group) int { return b.size - a.size })
		return gs
	}
	gs = append(gs, bySize(departmentGroups(c))...)
	gs = append(gs, bySize(locationGroups(c))...)
	gs = append(gs, bySize(sharedTitleGroups(o, c))...)
	gs = append(gs, bySize(dtG)...)
	gs = append(gs, bySize(dlG)...)
	gs = append(gs, bySize(dtlG)...)
	return gs
}

// birthrightGroups: every person, and each employment type.
func birthrightGroups(c *counts) []group {
	var gs []group
	human := c.single[aKind][kindHuman]
	emp := func(e int) int { return c.single[aEmployment][e] }
	if human >= minGroup {
		gs = append(gs, group{rule: prule{maskAll, "*", t1(aKind, kindHuman)}, size: human,
			suffixes: []string{"INTRANET", "EMAIL", "TRAINING"}, prefix: "ALL_STAFF", category: "corporate", app: "m365", what: "every person"})
	}
	for e, name := range []string{"EMPLOYEE", "CONTRACTOR", "INTERN", "TEMP"} {
		if emp(e) < minGroup {
			continue
		}
		suffixes := []string{"PORTAL"}
		if e == 0 {
			suffixes = []string{"BENEFITS", "VPN", "EXPENSES"}
		}
		gs = append(gs, group{rule: prule{maskHuman, "human", t1(aEmployment, int32(e))}, size: emp(e),
			suffixes: suffixes, prefix: name, category: "corporate", app: "workday", what: employmentTypes[e].name + "s"})
	}
	return gs
}

// departmentGroups: each department large enough.
func departmentGroups(c *counts) []group {
	nd := len(departments)
	var deptG []group
	for d := range nd {
		dep := &departments[d]
		if s := c.single[aDepartment][d]; s >= minGroup {
			dd := int32(d)
			deptG = append(deptG, group{rule: prule{maskAll, "*", t1(aDepartment, dd)}, size: s,
				suffixes: dep.roles, prefix: dep.code, category: dep.category, app: businessApps[dep.category], what: "department " + dep.name,
				sibling: func(r *rand.Rand) (prule, bool) {
					x := int32(r.IntN(nd))
					return prule{maskAll, "*", t1(aDepartment, x)}, x != dd && c.single[aDepartment][x] >= minGroup
				}})
		}
	}
	return deptG
}

// locationGroups: the humans of each site large enough.
func locationGroups(c *counts) []group {
	var locG []group
	for l, loc := range locations {
		if s := c.single[aLocation][l]; s >= minGroup {
			ll := int32(l)
			locG = append(locG, group{rule: prule{maskHuman, "human", t1(aLocation, ll)}, size: s,
				suffixes: []string{"BADGE", "PRINT", "WIFI"}, prefix: "SITE_" + upperSnake(loc.name), category: "facilities", app: "badge-system", what: "site " + loc.name,
				sibling: func(r *rand.Rand) (prule, bool) {
					x := int32(r.IntN(len(locations)))
					return prule{maskHuman, "human", t1(aLocation, x)}, x != ll && c.single[aLocation][x] >= minGroup
				}})
		}
	}
	return locG
}

// sharedTitleGroups: titles held in several departments (Manager, Director, Analyst...).
func sharedTitleGroups(o *org, c *counts) []group {
	var titleG []group
	for t, name := range o.dict[aTitle] {
		depts := 0
		for d := range len(departments) {
			if c.deptTitle[d*c.nt+t] > 0 {
				depts++
			}
		}
		if s := c.single[aTitle][t]; depts >= 2 && s >= minGroup {
			titleG = append(titleG, group{rule: prule{maskAll, "*", t1(aTitle, int32(t))}, size: s,
				suffixes: []string{"PORTAL", "TRAINING"}, prefix: "TITLE_" + upperSnake(name), category: "corporate", app: "workday", what: "title " + name})
		}
	}
	return titleG
}

// crossGroups: department x title, department x location (30 or more) and department x
// title x location (15 or more) groups.
func crossGroups(o *org, c *counts) (dtG, dlG, dtlG []group) {
	nd := len(departments)
	for d := range nd {
		dep := &departments[d]
		for t, name := range o.dict[aTitle] {
			s := c.deptTitle[d*c.nt+t]
			if s < minGroup {
				continue
			}
			tt := int32(t)
			dtG = append(dtG, group{rule: prule{maskAll, "*", t2(aDepartment, int32(d), aTitle, tt)}, size: s,
				suffixes: []string{"TOOLS", "REPORTS", "ELEVATED"}, prefix: dep.code + "_" + upperSnake(name), category: dep.category,
				app: businessApps[dep.category], what: name + "s of " + dep.name,
				sibling: func(r *rand.Rand) (prule, bool) {
					x := r.IntN(nd)
					return prule{maskAll, "*", t2(aDepartment, int32(x), aTitle, tt)}, x != d && c.deptTitle[x*c.nt+t] >= minGroup
				}})
		}
		for l, loc := range locations {
			if s := c.deptLoc[d*c.nl+l]; s >= max(minGroup, 30) {
				dlG = append(dlG, group{rule: prule{maskAll, "*", t2(aDepartment, int32(d), aLocation, int32(l))}, size: s,
					suffixes: []string{"SITE_ACCESS"}, prefix: dep.code + "_" + upperSnake(loc.name), category: dep.category,
					app: "badge-system", what: dep.name + " in " + loc.name})
			}
		}
		for t, name := range o.dict[aTitle] {
			for l, loc := range locations {
				if s := c.deptTitleLoc[(d*c.nt+t)*c.nl+l]; s >= max(minGroup, 15) {
					dtlG = append(dtlG, group{rule: prule{maskAll, "*", []term{{aDepartment, int32(d)}, {aTitle, int32(t)}, {aLocation, int32(l)}}}, size: s,
						suffixes: []string{"LOCAL_ADMIN"}, prefix: dep.code + "_" + upperSnake(name) + "_" + upperSnake(loc.name), category: dep.category,
						app: businessApps[dep.category], what: name + "s of " + dep.name + " in " + loc.name})
				}
			}
		}
	}
	return dtG, dlG, dtlG
}

// teamGroups: teams (some roles only for the team's employees) and cost centres, in a
// random order so that a small budget spreads over the company.
func teamGroups(o *org, c *counts, r *rand.Rand) []group {
	var gs []group
	perms := suffixesOf(teamPerms)
	for t, name := range o.dict[aTeam] {
		s := c.single[aTeam][t]
		if s < minGroup {
			continue
		}
		tt := int32(t)
		d := o.teamDept[t]
		dep := &departments[d]
		app := businessApps[dep.category]
		if dep.code == "ENG" {
			app = "github"
		}
		siblings := o.deptTeams[d]
		empOnly := c.teamEmp[t*c.ne] >= minGroup
		gs = append(gs, group{rule: prule{maskAll, "*", t1(aTeam, tt)}, size: s,
			suffixes: perms[:3], prefix: upperSnake(name), category: dep.category, app: app, what: "team " + name,
			sibling: func(r *rand.Rand) (prule, bool) {
				x := siblings[r.IntN(len(siblings))]
				return prule{maskAll, "*", t1(aTeam, x)}, x != tt && c.single[aTeam][x] >= minGroup
			},
			variant: func(k int, r *rand.Rand) prule {
				if empOnly && (k == 1 || r.Float64() < 0.2) {
					return prule{maskHuman, "human", t2(aTeam, tt, aEmployment, 0)}
				}
				return prule{maskAll, "*", t1(aTeam, tt)}
			}})
	}
	for cc, name := range o.dict[aCostCenter] {
		s := c.single[aCostCenter][cc]
		if s < minGroup {
			continue
		}
		dep := &departments[o.ccDept[cc]]
		gs = append(gs, group{rule: prule{maskAll, "*", t1(aCostCenter, int32(cc))}, size: s,
			suffixes: []string{"BUDGET_VIEW", "TIMESHEETS"}, prefix: upperSnake(name), category: "finance", app: "sap-erp", what: "cost centre " + name + " (" + dep.name + ")"})
	}
	r.Shuffle(len(gs), func(i, j int) { gs[i], gs[j] = gs[j], gs[i] })
	return gs
}

// nhiGroups: application x environment (scoped to non-humans, one kind, a kind list, or
// with kind as a third term), applications, kind x environment and owner teams.
func nhiGroups(o *org, c *counts, r *rand.Rand) []group {
	var gs []group
	perms := suffixesOf(appPerms)
	nenv := c.nenv
	for a := 0; a < o.apps; a++ {
		aa := int32(a)
		app := o.dict[aApplication][a]
		for e := range nenv {
			s := c.appEnv[a*nenv+e]
			if s < minGroup {
				continue
			}
			ee := int32(e)
			kindCell := func(k int) int { return c.kindAppEnv[(k*o.apps+a)*nenv+e] }
			base := prule{maskNHI, "nhi", t2(aApplication, aa, aEnvironment, ee)}
			category := "business-app"
			gs = append(gs, group{rule: base, size: s,
				suffixes: perms[:4], prefix: "APP_" + upperSnake(app) + "_" + upperSnake(environments[e].name), category: category,
				app: app, what: app + " in " + environments[e].name,
				sibling: func(r *rand.Rand) (prule, bool) {
					x := int32(r.IntN(nenv))
					return prule{maskNHI, "nhi", t2(aApplication, aa, aEnvironment, x)}, x != ee && c.appEnv[a*nenv+int(x)] >= minGroup
				},
				variant: func(k int, r *rand.Rand) prule {
					x := r.Float64()
					kind := 1 + r.IntN(len(nhiKinds))
					switch {
					case x < 0.15 && kindCell(kind) >= minGroup:
						return prule{1 << uint(kind), nhiKinds[kind-1].name, base.terms}
					case x < 0.20 && kindCell(1)+kindCell(3) >= minGroup && kindCell(1) > 0 && kindCell(3) > 0:
						return prule{0b1010, "service_account,workload", base.terms}
					case x < 0.25 && kindCell(kind) >= minGroup:
						return prule{maskAll, "*", []term{{aKind, int32(kind)}, {aApplication, aa}, {aEnvironment, ee}}}
					}
					return base
				}})
		}
		if s := c.single[aApplication][a]; s >= minGroup {
			gs = append(gs, group{rule: prule{maskNHI, "nhi", t1(aApplication, aa)}, size: s,
				suffixes: []string{"CONFIG_READ", "LOGS_WRITE"}, prefix: "APP_" + upperSnake(app), category: "business-app", app: app, what: "application " + app,
				sibling: func(r *rand.Rand) (prule, bool) {
					x := int32(r.IntN(o.apps))
					return prule{maskNHI, "nhi", t1(aApplication, x)}, x != aa && c.single[aApplication][x] >= minGroup
				}})
		}
	}
	for k := 1; k <= len(nhiKinds); k++ {
		for e := range nenv {
			if s := c.kindEnv[k*nenv+e]; s >= minGroup {
				gs = append(gs, group{rule: prule{maskAll, "*", t2(aKind, int32(k), aEnvironment, int32(e))}, size: s,
					suffixes: []string{"BASELINE", "SECRETS_BROKER"}, prefix: "NHI_" + upperSnake(nhiKinds[k-1].name) + "_" + upperSnake(environments[e].name),
					category: "infrastructure", app: "vault", what: nhiKinds[k-1].name + "s in " + environments[e].name})
			}
		}
	}
	for t, name := range o.dict[aOwnerTeam] {
		if s := c.single[aOwnerTeam][t]; s >= minGroup {
			gs = append(gs, group{rule: prule{maskNHI, "nhi", t1(aOwnerTeam, int32(t))}, size: s,
				suffixes: []string{"NHI_OBSERVABILITY"}, prefix: upperSnake(name), category: "engineering", app: "monitoring",
				what: "non-human identities owned by " + name})
		}
	}
	r.Shuffle(len(gs), func(i, j int) { gs[i], gs[j] = gs[j], gs[i] })
	return gs
}

// projects creates roles held by a handful of people from two to four departments, never
// more than 30% of any attribute-value cell (of at least 3 identities), so that no
// criterion honestly explains them.
func (b *roleBuilder) projects(c *counts, n int) {
	o, r := b.o, b.r
	members := make([][]int32, len(departments))
	for h := 0; h < o.humans; h++ {
		d := o.codes[aDepartment][h]
		members[d] = append(members[d], int32(h))
	}
	var eligible []int
	var ew []float64
	for d := range departments {
		if len(members[d]) >= 20 {
			eligible = append(eligible, d)
			ew = append(ew, departments[d].weight)
		}
	}
	if len(eligible) < 2 {
		return
	}
	deptS := newSampler(ew)
	cellAttrs := []int{aDepartment, aTeam, aTitle, aLocation, aEmployment, aCostCenter, aManager}
	for p := range n {
		want := 5 + r.IntN(26)
		nd := 2 + r.IntN(3)
		var ds []int
		for try := 0; len(ds) < nd && try < 20; try++ {
			d := eligible[deptS.draw(r)]
			if !slices.Contains(ds, d) {
				ds = append(ds, d)
			}
		}
		held := map[term]int{}
		var holders []int32
		for try := 0; len(holders) < want && try < want*20; try++ {
			d := ds[r.IntN(len(ds))]
			h := members[d][r.IntN(len(members[d]))]
			if slices.Contains(holders, h) {
				continue
			}
			ok := true
			for _, a := range cellAttrs {
				x := o.codes[a][h]
				if x < 0 {
					continue
				}
				pop := c.single[a][x]
				if pop >= 3 && float64(held[term{a, x}]+1) > 0.3*float64(pop) {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			for _, a := range cellAttrs {
				if x := o.codes[a][h]; x >= 0 {
					held[term{a, x}]++
				}
			}
			holders = append(holders, h)
		}
		slices.Sort(holders)
		word := projectWords[p%len(projectWords)]
		b.roles = append(b.roles, role{
			id:          b.uniqueID("PRJ_" + word + "_" + pad3(p/len(projectWords)+1)),
			category:    "project",
			validations: r.IntN(2),
			description: "project " + strings.ToLower(word) + " workspace",
			typ:         typeProject,
			holders:     holders,
		})
	}
}

// tiny creates roles held by one or two identities (exceptions, break-glass accounts).
func (b *roleBuilder) tiny(n int) {
	o, r := b.o, b.r
	for k := range n {
		holders := []int32{int32(r.IntN(o.n))}
		if r.IntN(2) == 0 {
			if h := int32(r.IntN(o.n)); h != holders[0] {
				holders = append(holders, h)
			}
		}
		slices.Sort(holders)
		b.roles = append(b.roles, role{
			id:          b.uniqueID("ADHOC_EXCEPTION_" + pad3(k+1)),
			category:    "exception",
			validations: 1 + r.IntN(3),
			description: "one-off access granted by exception",
			typ:         typeTiny,
			holders:     holders,
		})
	}
}

// suffixesOf lists the role-name suffixes of a permission catalogue.
func suffixesOf(perms []perm) []string {
	out := make([]string, len(perms))
	for k, p := range perms {
		out[k] = p.suffix
	}
	return out
}
