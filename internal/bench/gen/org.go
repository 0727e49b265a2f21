package gen

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Attribute indices of the generator's identity vectors. Email is not coded (it is unique
// and derived from the identity); manager codes are identity indices.
const (
	aKind = iota
	aDepartment
	aTeam
	aTitle
	aLocation
	aEmployment
	aCostCenter
	aManager
	aApplication
	aEnvironment
	aOwnerTeam
	numAttrs
)

var attrNames = [numAttrs]string{
	"kind", "department", "team", "title", "location", "employment_type", "cost_center",
	"manager", "application", "environment", "owner_team",
}

// Kind codes: 0 is human, then nhiKinds in order.
const kindHuman = 0

// vec is one identity's attribute codes (-1: no value).
type vec [numAttrs]int32

// org is the generated population: final attributes of every identity, plus the original
// attributes of movers (before they changed department, team or title).
type org struct {
	n, humans int
	ids       []string
	codes     [numAttrs][]int32
	dict      [numAttrs][]string

	teamDept  []int32
	teamCC    []int32
	teamHome  []int32
	teamLead  []int32 // identity index of the team lead
	deptTeams [][]int32
	deptHead  []int32
	ccDept    []int32
	ccTeams   [][]int32
	// deptTitles[d] are title codes with cumulative weights for sampling.
	deptTitles []sampler
	deptTitleC [][]int32
	isLead     []bool

	apps     int
	appOwner []int32

	// movers are human indices (ascending) whose original attributes differ; moverOld[k]
	// holds the original vector of movers[k].
	movers   []int32
	moverOld []vec
}

// sampler draws an index with probability proportional to its weight.
type sampler struct{ cum []float64 }

func newSampler(w []float64) sampler {
	cum := make([]float64, len(w))
	s := 0.0
	for i, x := range w {
		s += x
		cum[i] = s
	}
	return sampler{cum}
}

func (s sampler) draw(r *rand.Rand) int {
	x := r.Float64() * s.cum[len(s.cum)-1]
	i := sort.SearchFloat64s(s.cum, x)
	if i >= len(s.cum) {
		i = len(s.cum) - 1
	}
	return i
}

func weightsOf(ws []weighted) []float64 {
	out := make([]float64, len(ws))
	for i, w := range ws {
		out[i] = w.weight
	}
	return out
}

// apportion splits total into parts proportional to weights (largest remainder, ties to
// the lower index), so sizes are exact and deterministic.
func apportion(total int, weights []float64) []int {
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	out := make([]int, len(weights))
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, len(weights))
	used := 0
	for i, w := range weights {
		x := float64(total) * w / sum
		out[i] = int(math.Floor(x))
		used += out[i]
		rems[i] = rem{i, x - math.Floor(x)}
	}
	slices.SortStableFunc(rems, func(a, b rem) int {
		switch {
		case a.r > b.r:
			return -1
		case a.r < b.r:
			return 1
		}
		return a.i - b.i
	})
	for k := 0; used < total; k++ {
		out[rems[k%len(rems)].i]++
		used++
	}
	return out
}

// upperSnake turns "eng-platform-2" or "Software Engineer" into "ENG_PLATFORM_2" /
// "SOFTWARE_ENGINEER".
func upperSnake(s string) string {
	var b strings.Builder
	prevSep := false
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteRune(c - 'a' + 'A')
			prevSep = false
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteRune(c)
			prevSep = false
		default:
			if !prevSep && b.Len() > 0 {
				b.WriteByte('_')
			}
			prevSep = true
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// buildOrg generates humans (departments, teams, titles, locations, managers) and
// non-human identities (applications, environments), then picks movers.
func buildOrg(n int, seed uint64) *org {
	o := &org{n: n}
	o.humans = int(math.Round(float64(n) * 0.8))
	nhi := n - o.humans
	for a := range o.codes {
		o.codes[a] = make([]int32, n)
		for i := range o.codes[a] {
			o.codes[a][i] = -1
		}
	}
	o.ids = make([]string, n)
	o.isLead = make([]bool, n)

	// Dictionaries of the small attributes.
	o.dict[aKind] = []string{"human"}
	for _, k := range nhiKinds {
		o.dict[aKind] = append(o.dict[aKind], k.name)
	}
	for _, d := range departments {
		o.dict[aDepartment] = append(o.dict[aDepartment], d.name)
	}
	for _, l := range locations {
		o.dict[aLocation] = append(o.dict[aLocation], l.name)
	}
	for _, e := range employmentTypes {
		o.dict[aEmployment] = append(o.dict[aEmployment], e.name)
	}
	for _, e := range environments {
		o.dict[aEnvironment] = append(o.dict[aEnvironment], e.name)
	}
	titleCode := map[string]int32{}
	addTitle := func(t string) int32 {
		if c, ok := titleCode[t]; ok {
			return c
		}
		c := int32(len(o.dict[aTitle]))
		titleCode[t] = c
		o.dict[aTitle] = append(o.dict[aTitle], t)
		return c
	}
	addTitle(titleManager)
	addTitle(titleDirector)
	addTitle(titleIntern)
	for _, d := range departments {
		codes := make([]int32, len(d.titles))
		for k, t := range d.titles {
			codes[k] = addTitle(t.name)
		}
		o.deptTitleC = append(o.deptTitleC, codes)
		o.deptTitles = append(o.deptTitles, newSampler(weightsOf(d.titles)))
	}

	o.buildHumans(rand.New(rand.NewPCG(seed, 0x68756d616e)), titleCode)
	o.buildNHIs(rand.New(rand.NewPCG(seed, 0x6e6869)), nhi)
	o.pickMovers(rand.New(rand.NewPCG(seed, 0x6d6f766572)))
	return o
}

// buildHumans builds the departments' teams and cost centres, and places every human in
// a team with a title, a manager, an employment type and a location.
func (o *org) buildHumans(r *rand.Rand, titleCode map[string]int32) {
	locS := newSampler(weightsOf(locations))
	slots := o.buildTeams(r, locS)
	ceo := o.pickLeads(slots)
	o.placeHumans(r, slots, ceo, locS, titleCode)
}

// buildTeams apportions the humans to departments and splits each department into teams
// (log-normal sizes, 6 to 80), four consecutive teams to a cost centre; it returns one
// slot per human naming its team, shuffled.
func (o *org) buildTeams(r *rand.Rand, locS sampler) []int32 {
	nd := len(departments)
	dw := make([]float64, nd)
	for d := range departments {
		dw[d] = departments[d].weight
	}
	sizes := apportion(o.humans, dw)
	o.deptTeams = make([][]int32, nd)
	o.deptHead = make([]int32, nd)
	var slots []int32
	for d, size := range sizes {
		dep := &departments[d]
		o.deptHead[d] = -1
		left := size
		k := 0
		for left > 0 {
			s := int(math.Round(math.Exp(math.Log(22) + 0.5*r.NormFloat64())))
			s = min(max(s, 6), 80)
			if s > left || left-s < 6 {
				s = left
			}
			word := dep.teams[k%len(dep.teams)]
			name := dep.slug + "-" + word
			if k >= len(dep.teams) {
				name += "-" + strconv.Itoa(k/len(dep.teams)+1)
			}
			t := int32(len(o.dict[aTeam]))
			o.dict[aTeam] = append(o.dict[aTeam], name)
			o.teamDept = append(o.teamDept, int32(d))
			o.teamHome = append(o.teamHome, int32(locS.draw(r)))
			o.teamLead = append(o.teamLead, -1)
			// Cost centres group four consecutive teams of a department.
			if k%4 == 0 {
				o.dict[aCostCenter] = append(o.dict[aCostCenter], "CC-"+dep.code+"-"+pad3(k/4+1))
				o.ccDept = append(o.ccDept, int32(d))
				o.ccTeams = append(o.ccTeams, nil)
			}
			cc := int32(len(o.dict[aCostCenter]) - 1)
			o.teamCC = append(o.teamCC, cc)
			o.ccTeams[cc] = append(o.ccTeams[cc], t)
			o.deptTeams[d] = append(o.deptTeams[d], t)
			for range s {
				slots = append(slots, t)
			}
			left -= s
			k++
		}
	}
	r.Shuffle(len(slots), func(i, j int) { slots[i], slots[j] = slots[j], slots[i] })
	return slots
}

// pickLeads makes the first member of each team its lead and a department's head the lead
// of its first team; it returns the CEO (the executive department's head, -1 if none).
func (o *org) pickLeads(slots []int32) int32 {
	for h := 0; h < o.humans; h++ {
		t := slots[h]
		if o.teamLead[t] < 0 {
			o.teamLead[t] = int32(h)
			o.isLead[h] = true
		}
	}
	for d := range departments {
		if len(o.deptTeams[d]) > 0 {
			o.deptHead[d] = o.teamLead[o.deptTeams[d][0]]
		}
	}
	ceo := int32(-1)
	for d := range departments {
		if departments[d].code == "EXE" {
			ceo = o.deptHead[d]
		}
	}
	return ceo
}

// placeHumans writes each human's attributes: heads are directors reporting to the CEO,
// leads managers reporting to their head, the others draw an employment type (interns
// get the intern title), a title of their department and report to their lead; three in
// four work at their team's home location.
func (o *org) placeHumans(r *rand.Rand, slots []int32, ceo int32, locS sampler, titleCode map[string]int32) {
	empS := newSampler(weightsOf(employmentTypes))
	intern := int32(2)
	for h := 0; h < o.humans; h++ {
		t := slots[h]
		d := o.teamDept[t]
		o.ids[h] = "u" + pad7(h+1)
		o.codes[aKind][h] = kindHuman
		o.codes[aDepartment][h] = d
		o.codes[aTeam][h] = t
		o.codes[aCostCenter][h] = o.teamCC[t]
		switch {
		case o.deptHead[d] == int32(h):
			o.codes[aTitle][h] = titleCode[titleDirector]
			o.codes[aEmployment][h] = 0
			o.codes[aManager][h] = ceo
			if ceo == int32(h) {
				o.codes[aManager][h] = -1
			}
		case o.teamLead[t] == int32(h):
			o.codes[aTitle][h] = titleCode[titleManager]
			o.codes[aEmployment][h] = 0
			o.codes[aManager][h] = o.deptHead[d]
		default:
			e := int32(empS.draw(r))
			o.codes[aEmployment][h] = e
			if e == intern {
				o.codes[aTitle][h] = titleCode[titleIntern]
			} else {
				o.codes[aTitle][h] = o.deptTitleC[d][o.deptTitles[d].draw(r)]
			}
			o.codes[aManager][h] = o.teamLead[t]
		}
		if r.Float64() < 0.75 {
			o.codes[aLocation][h] = o.teamHome[t]
		} else {
			o.codes[aLocation][h] = int32(locS.draw(r))
		}
	}
}

func (o *org) buildNHIs(r *rand.Rand, nhi int) {
	o.apps = min(max(nhi/30, 50), 300)
	aw := make([]float64, o.apps)
	for k := range o.apps {
		name := appWords[k%len(appWords)]
		if k >= len(appWords) {
			name += "-" + strconv.Itoa(k/len(appWords)+1)
		}
		o.dict[aApplication] = append(o.dict[aApplication], name)
		aw[k] = 1 / math.Pow(float64(k+1), 0.9)
	}
	// Applications are owned by engineering-like teams.
	var owners []int32
	for d, dep := range departments {
		switch dep.code {
		case "ENG", "ITS", "DAT", "SEC":
			owners = append(owners, o.deptTeams[d]...)
		}
	}
	if len(owners) == 0 {
		for t := range o.teamDept {
			owners = append(owners, int32(t))
		}
	}
	o.appOwner = make([]int32, o.apps)
	for k := range o.appOwner {
		o.appOwner[k] = -1
		if len(owners) > 0 {
			o.appOwner[k] = owners[r.IntN(len(owners))]
		}
	}
	// owner_team values are team names (the team dictionary is shared by value).
	o.dict[aOwnerTeam] = o.dict[aTeam]

	kw := make([]float64, len(nhiKinds))
	for k, x := range nhiKinds {
		kw[k] = x.weight
	}
	kindS, appS, envS := newSampler(kw), newSampler(aw), newSampler(weightsOf(environments))
	seq := make([]int32, len(nhiKinds)*o.apps*len(environments))
	for i := o.humans; i < o.n; i++ {
		k, a, e := kindS.draw(r), appS.draw(r), envS.draw(r)
		o.codes[aKind][i] = int32(k + 1)
		o.codes[aApplication][i] = int32(a)
		o.codes[aEnvironment][i] = int32(e)
		o.codes[aOwnerTeam][i] = o.appOwner[a]
		s := &seq[(k*o.apps+a)*len(environments)+e]
		*s++
		o.ids[i] = nhiKinds[k].prefix + "-" + o.dict[aApplication][a] + "-" + environments[e].name + "-" + strconv.Itoa(int(*s))
	}
}

// pickMovers selects about 4% of humans (never leads) and invents the attributes they
// had before moving: another department (60%) or another team of the same department,
// with the title, cost centre and manager that go with it.
func (o *org) pickMovers(r *rand.Rand) {
	dw := make([]float64, len(departments))
	for d := range departments {
		if len(o.deptTeams[d]) > 0 {
			dw[d] = departments[d].weight
		}
	}
	if len(o.teamDept) < 2 {
		return
	}
	deptS := newSampler(dw)
	for h := 0; h < o.humans; h++ {
		if o.isLead[h] || r.Float64() >= 0.04 {
			continue
		}
		var v vec
		for a := range v {
			v[a] = o.codes[a][h]
		}
		d := v[aDepartment]
		nd := d
		if r.Float64() < 0.6 || len(o.deptTeams[d]) < 2 {
			for try := 0; try < 20 && nd == d; try++ {
				nd = int32(deptS.draw(r))
			}
		}
		teams := o.deptTeams[nd]
		t := teams[r.IntN(len(teams))]
		for t == v[aTeam] && len(teams) > 1 {
			t = teams[r.IntN(len(teams))]
		}
		if t == v[aTeam] {
			continue
		}
		v[aDepartment] = nd
		v[aTeam] = t
		v[aCostCenter] = o.teamCC[t]
		v[aManager] = o.teamLead[t]
		if o.dict[aTitle][v[aTitle]] != titleIntern && (nd != d || r.Float64() < 0.5) {
			v[aTitle] = o.deptTitleC[nd][o.deptTitles[nd].draw(r)]
		}
		if r.Float64() < 0.2 {
			v[aLocation] = o.teamHome[t]
		}
		o.movers = append(o.movers, int32(h))
		o.moverOld = append(o.moverOld, v)
	}
}

// final returns identity i's final attribute vector.
func (o *org) final(i int) vec {
	var v vec
	for a := range v {
		v[a] = o.codes[a][i]
	}
	return v
}

// value returns the string of code c of attribute a ("" for none).
func (o *org) value(a int, c int32) string {
	if c < 0 {
		return ""
	}
	if a == aManager {
		return o.ids[c]
	}
	return o.dict[a][c]
}

// email returns a unique e-mail address for human h.
func (o *org) email(h int) string {
	f := firstNames[(h*7)%len(firstNames)]
	l := lastNames[(h*13/len(firstNames))%len(lastNames)]
	return f + "." + l + "." + strconv.Itoa(h+1) + "@corp.example.com"
}

func pad3(v int) string { return padN(v, 3) }
func pad7(v int) string { return padN(v, 7) }

func padN(v, n int) string {
	s := strconv.Itoa(v)
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}
