package gen

// Evolve: the next snapshot of a generated enterprise (`rolemine gen --evolve FROM`).
//
// The planted rules do not change; identities do. Humans move (department, team, title,
// cost centre, manager, sometimes location), join and leave; non-human identities are
// repurposed (another application and its owner team) or retired. Access lags the way
// real organisations lag: a mover or repurposed identity gets most of its new access
// (grantNewShare of it; the rest is due), keeps most of its old access (keepOldShare; the
// rest was revoked), a joiner starts with part of its birthright (joinerGrantShare), and
// the access of most leavers and retired identities outlives them (orphans).
//
// NEXT/truth/changes/ records what happened: events.csv (who changed, from what to what)
// and access.csv (every due grant, stale and orphan assignment, and what was granted or
// removed in this step). NEXT/truth/rules.json is FROM's; NEXT/truth/noise.csv is
// recomputed against the planted rules so that NEXT can be mined with --truth and evolved
// again.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/uerr"
)

// How access follows a change (see the file comment).
const (
	grantNewShare    = 0.70 // new planted access granted to a mover / repurposed identity
	keepOldShare     = 0.90 // old planted access a mover / repurposed identity keeps (stale)
	joinerGrantShare = 0.60 // planted access a joiner already has
	orphanShare      = 0.75 // leavers and retired identities whose access remains
	crossDeptShare   = 0.60 // movers who change department (the rest change team)
)

// Event names of truth/changes.
const (
	EventMover      = "mover"
	EventJoiner     = "joiner"
	EventLeaver     = "leaver"
	EventRepurposed = "repurposed"
	EventRetired    = "retired"
	// EventCarried marks access state that predates this step (FROM's missing access
	// and orphans).
	EventCarried = "carried"
)

// Access types of truth/changes/access.csv.
const (
	AccessDue     = "due"     // a planted rule matches, the identity lacks the role
	AccessStale   = "stale"   // kept after a change although no planted rule matches now
	AccessOrphan  = "orphan"  // the identity is gone, the assignment remains
	AccessGranted = "granted" // granted in this step because of a change
	AccessRemoved = "removed" // revoked in this step because of a change
)

// ChangesDir is the folder of truth/ holding the change records.
const ChangesDir = "changes"

// EvolveOptions say how to evolve a generated enterprise. Percentages are of FROM's
// humans (movers, joiners, leavers) or non-human identities (repurposed, retired), 0-100.
type EvolveOptions struct {
	// From is a data directory written by `rolemine gen` (or by Evolve), with truth/.
	From string
	// Out is the directory of the next snapshot (created if needed; not From).
	Out                                           string
	Movers, Joiners, Leavers, Repurposed, Retired float64
	Seed                                          uint64
	Logger                                        *slog.Logger
	// Progress, when set, is told each step as it starts, as Options.Progress is.
	Progress func(step string)
}

// step tells opts.Progress, if set, that step starts.
func (opts *EvolveOptions) step(name string) {
	if opts.Progress != nil {
		opts.Progress(name)
	}
}

// DefaultEvolveOptions returns the default rates: 3% movers, 2% joiners, 2%
// leavers, 1% repurposed and 1% retired non-human identities, seed 1.
func DefaultEvolveOptions() EvolveOptions {
	return EvolveOptions{Movers: 3, Joiners: 2, Leavers: 2, Repurposed: 1, Retired: 1, Seed: 1}
}

// EvolveStats counts what Evolve did.
type EvolveStats struct {
	Identities                                    int
	Movers, Joiners, Leavers, Repurposed, Retired int
	// Assignment outcomes of this step (see the Access* constants); Due counts every due
	// grant of NEXT, DueNew those caused by this step's changes.
	Granted, Removed, Stale, Due, DueNew int64
	// Orphans counts NEXT's orphan assignments, OrphansNew those of this step's leavers
	// and retired identities.
	Orphans, OrphansNew int64
	Assignments         int64
	// Usage counts the usage planted on NEXT (nil when FROM was generated without it).
	Usage   *UsageStats
	Elapsed time.Duration
}

// genColumns are the identity columns `rolemine gen` writes, in file order (identityHeader
// without identity_id).
var genColumns = identityHeader[1:]

// numCols is len(genColumns).
const numCols = 12

// evo is the state of one evolution.
type evo struct {
	snap *columnar.Snapshot
	// col[k] is the snapshot dimension of genColumns[k].
	col  [numCols]int
	kind int // index into col of kind, etc.
	r    *rand.Rand

	rules   []boundRule
	byTerm  [][][]int32 // column (genColumns index) -> code -> rules keyed on that term
	ruleRol []bool      // roles with planted rules

	// org structure inferred from FROM
	teamDept, teamCC, teamLead, teamHome []int32 // by team code
	deptTeams                            [][]int32
	deptTitles                           []sampler
	deptTitleC                           [][]int32
	deptW                                []float64
	deptS                                sampler
	appOwner                             []int32
	appS                                 sampler
	appCodes                             []int32
}

// colIx returns the index of name among genColumns.
func colIx(name string) int { return slices.Index(genColumns, name) }

var (
	cKind        = colIx("kind")
	cDepartment  = colIx("department")
	cTeam        = colIx("team")
	cTitle       = colIx("title")
	cLocation    = colIx("location")
	cCostCenter  = colIx("cost_center")
	cEmail       = colIx("email")
	cManager     = colIx("manager")
	cApplication = colIx("application")
	cOwnerTeam   = colIx("owner_team")
)

// ivec is one identity's codes on genColumns (-1: no value).
type ivec [numCols]int32

// boundRule is a planted rule resolved against FROM's dictionaries.
type boundRule struct {
	role  int32
	kinds []bool  // by kind code
	cols  []int   // genColumns indices
	codes []int32 // -1: value absent from FROM, matches nobody
}

// Evolve writes the next snapshot of the enterprise in opts.From to opts.Out.
func Evolve(ctx context.Context, opts EvolveOptions) (*EvolveStats, error) {
	start := time.Now()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := checkEvolveOptions(opts); err != nil {
		return nil, err
	}
	fromTruth := filepath.Join(opts.From, "truth")
	tr, err := truth.Load(fromTruth)
	if err != nil {
		return nil, uerr.New("gen --evolve: FROM must be a directory written by rolemine gen, with truth/: %w", err)
	}
	if _, err := os.Stat(filepath.Join(fromTruth, model.UniverseTruthFile)); err == nil {
		return nil, uerr.New("gen --evolve: FROM %s is a universe (gen --universe); --evolve writes the next snapshot of flat data only (with or without --usage)", opts.From)
	}
	opts.step("loading " + opts.From)
	snap, err := columnar.Load(ctx, opts.From, columnar.LoadOptions{Logger: log})
	if err != nil {
		return nil, err
	}
	format := "parquet"
	for _, in := range snap.Inputs {
		if strings.HasSuffix(in.Path, ".csv") {
			format = "csv"
		}
	}
	e := &evo{snap: snap, r: rand.New(rand.NewPCG(opts.Seed, 0x65766f6c7665))}
	for k, name := range genColumns {
		d := snap.DimIndex(name)
		if d < 0 {
			return nil, uerr.New("gen --evolve: %s: identities have no column %q; FROM must be written by rolemine gen", opts.From, name)
		}
		e.col[k] = d
	}
	if err := e.bindRules(tr); err != nil {
		return nil, err
	}
	e.inferOrg()
	log.Info("evolve: FROM loaded", "identities", snap.NumIdentities(), "elapsed", time.Since(start))

	st := &EvolveStats{}
	plan := e.plan(opts, st)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := clearOutput(opts.Out); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(opts.Out, "truth", ChangesDir), 0o755); err != nil {
		return nil, fmt.Errorf("gen --evolve: create %s: %w", opts.Out, err)
	}
	opts.step("writing the next snapshot")
	if err := e.write(ctx, opts, format, tr, plan, st); err != nil {
		return nil, err
	}
	if st.Usage, err = evolveUsage(ctx, opts, snap, format); err != nil {
		return nil, err
	}
	if err := writeDataFingerprint(opts.Out); err != nil {
		return nil, err
	}
	st.Elapsed = time.Since(start)
	log.Info("evolve: done", "identities", st.Identities, "assignments", st.Assignments, "elapsed", st.Elapsed)
	return st, nil
}

// checkEvolveOptions refuses options Evolve cannot honour: a missing FROM or --out, a
// rate outside 0-100%, rates that add up past everyone, or --out equal to FROM.
func checkEvolveOptions(opts EvolveOptions) error {
	if opts.From == "" || opts.Out == "" {
		return uerr.New("gen --evolve: both FROM and --out are required")
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"movers", opts.Movers}, {"joiners", opts.Joiners}, {"leavers", opts.Leavers}, {"nhi-repurposed", opts.Repurposed}, {"nhi-retired", opts.Retired}} {
		if math.IsNaN(p.v) || p.v < 0 || p.v > 100 {
			return uerr.New("gen --evolve: --%s %v: expected a percentage from 0 to 100", p.name, p.v)
		}
	}
	if opts.Movers+opts.Leavers > 100 || opts.Repurposed+opts.Retired > 100 {
		return uerr.New("gen --evolve: movers + leavers and nhi-repurposed + nhi-retired must each be at most 100%%")
	}
	if a, b := absPath(opts.From), absPath(opts.Out); a == b {
		return uerr.New("gen --evolve: --out %s is FROM itself; write the next snapshot to another directory", opts.Out)
	}
	return nil
}

func absPath(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	return a
}

// bindRules resolves the planted rules against FROM and indexes each under its rarest
// term.
func (e *evo) bindRules(tr *truth.Truth) error {
	snap := e.snap
	e.ruleRol = make([]bool, snap.NumRoles())
	e.byTerm = make([][][]int32, len(genColumns))
	kd := &snap.Dims[snap.KindDim]
	for _, role := range tr.Roles {
		r, ok := slices.BinarySearch(snap.Roles.IDs, role.RoleID)
		if !ok {
			return uerr.New("gen --evolve: truth role %q is not a role of FROM", role.RoleID)
		}
		if len(role.Rules) > 0 {
			e.ruleRol[r] = true
		}
		for _, p := range role.Rules {
			br := boundRule{role: int32(r), kinds: make([]bool, len(kd.Values))}
			for c, v := range kd.Values {
				br.kinds[c] = mining.KindInScope(p.EntityType, v)
			}
			for _, t := range p.Criteria {
				k := colIx(t.Attribute)
				if k < 0 {
					return uerr.New("gen --evolve: truth role %q uses attribute %q, which rolemine gen does not write", role.RoleID, t.Attribute)
				}
				br.cols = append(br.cols, k)
				br.codes = append(br.codes, e.code(k, t.Value))
			}
			e.rules = append(e.rules, br)
		}
	}
	// Key each rule on its rarest term (by FROM's counts).
	count := make([][]int32, len(genColumns))
	for k, d := range e.col {
		count[k] = make([]int32, len(snap.Dims[d].Values))
		for _, c := range snap.Dims[d].Codes {
			if c >= 0 {
				count[k][c]++
			}
		}
		e.byTerm[k] = make([][]int32, len(snap.Dims[d].Values))
	}
	for j := range e.rules {
		br := &e.rules[j]
		best := -1
		for t := range br.cols {
			if br.codes[t] < 0 {
				best = -2 // never matches: leave unindexed
				break
			}
			if best < 0 || count[br.cols[t]][br.codes[t]] < count[br.cols[best]][br.codes[best]] {
				best = t
			}
		}
		if best >= 0 {
			k, c := br.cols[best], br.codes[best]
			e.byTerm[k][c] = append(e.byTerm[k][c], int32(j))
		}
	}
	return nil
}

// planted appends to buf[:0] the roles (ascending, distinct) whose planted rules match v.
func (e *evo) planted(v *ivec, buf []int32) []int32 {
	buf = buf[:0]
	kind := v[cKind]
	for k := range genColumns {
		c := v[k]
		if c < 0 {
			continue
		}
		for _, ri := range e.byTerm[k][c] {
			br := &e.rules[ri]
			if !br.kinds[kind] {
				continue
			}
			ok := true
			for t, col := range br.cols {
				if v[col] != br.codes[t] {
					ok = false
					break
				}
			}
			if ok {
				buf = append(buf, br.role)
			}
		}
	}
	slices.Sort(buf)
	return slices.Compact(buf)
}

// vecOf returns identity i's codes on genColumns.
func (e *evo) vecOf(i int) ivec {
	var v ivec
	for k, d := range e.col {
		v[k] = e.snap.Dims[d].Codes[i]
	}
	return v
}

// value returns the string of code c in column k.
func (e *evo) value(k int, c int32) string {
	if c < 0 {
		return ""
	}
	return e.snap.Dims[e.col[k]].Values[c]
}

// code returns the code of value s in column k, or -1.
func (e *evo) code(k int, s string) int32 {
	if c, ok := slices.BinarySearch(e.snap.Dims[e.col[k]].Values, s); ok {
		return int32(c)
	}
	return -1
}

// majority returns, for each code of column key, the most frequent code of column val
// among the identities accepted (ties to the smaller code; -1 when none).
func (e *evo) majority(key, val int, accept func(i int) bool) []int32 {
	kd, vd := &e.snap.Dims[e.col[key]], &e.snap.Dims[e.col[val]]
	counts := make([]map[int32]int, len(kd.Values))
	for i := range e.snap.NumIdentities() {
		k, v := kd.Codes[i], vd.Codes[i]
		if k < 0 || v < 0 || !accept(i) {
			continue
		}
		if counts[k] == nil {
			counts[k] = map[int32]int{}
		}
		counts[k][v]++
	}
	out := make([]int32, len(kd.Values))
	for k, m := range counts {
		out[k] = -1
		best := 0
		for v, n := range m {
			if n > best || (n == best && v < out[k]) {
				out[k], best = v, n
			}
		}
	}
	return out
}

// isLead reports whether human i leads a team or a department (title Manager or
// Director); leads neither move nor leave, so that the org chart stays whole.
func (e *evo) isLead(i int) bool {
	t := e.value(cTitle, e.snap.Dims[e.col[cTitle]].Codes[i])
	return t == titleManager || t == titleDirector
}

func (e *evo) isHuman(i int) bool { return e.snap.Kind(i) == columnar.HumanKind }

// inferOrg recovers the org chart FROM was generated with: each team's department, cost
// centre, lead and home site, each department's title mix, each application's owner team.
func (e *evo) inferOrg() {
	human := func(i int) bool { return e.isHuman(i) }
	member := func(i int) bool { return e.isHuman(i) && !e.isLead(i) }
	e.teamDept = e.majority(cTeam, cDepartment, human)
	e.teamCC = e.majority(cTeam, cCostCenter, human)
	e.teamLead = e.majority(cTeam, cManager, member)
	e.teamHome = e.majority(cTeam, cLocation, human)
	nd := len(e.snap.Dims[e.col[cDepartment]].Values)
	e.deptTeams = make([][]int32, nd)
	e.deptW = make([]float64, nd)
	for t, d := range e.teamDept {
		if d >= 0 && e.teamLead[t] >= 0 {
			e.deptTeams[d] = append(e.deptTeams[d], int32(t))
		}
	}
	titleCount := make([]map[int32]float64, nd)
	intern := e.code(cTitle, titleIntern)
	for i := range e.snap.NumIdentities() {
		if !member(i) {
			continue
		}
		v := e.vecOf(i)
		if v[cDepartment] < 0 {
			continue
		}
		e.deptW[v[cDepartment]]++
		if v[cTitle] < 0 || v[cTitle] == intern {
			continue
		}
		if titleCount[v[cDepartment]] == nil {
			titleCount[v[cDepartment]] = map[int32]float64{}
		}
		titleCount[v[cDepartment]][v[cTitle]]++
	}
	e.deptTitles = make([]sampler, nd)
	e.deptTitleC = make([][]int32, nd)
	for d, m := range titleCount {
		if len(e.deptTeams[d]) == 0 {
			e.deptW[d] = 0
		}
		codes := make([]int32, 0, len(m))
		for c := range m {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		w := make([]float64, len(codes))
		for k, c := range codes {
			w[k] = m[c]
		}
		if len(codes) > 0 {
			e.deptTitleC[d] = codes
			e.deptTitles[d] = newSampler(w)
		}
	}
	e.deptS = newSampler(e.deptW)
	nhi := func(i int) bool { return !e.isHuman(i) }
	e.appOwner = e.majority(cApplication, cOwnerTeam, nhi)
	ad := &e.snap.Dims[e.col[cApplication]]
	aw := make([]float64, len(ad.Values))
	for i := range e.snap.NumIdentities() {
		if c := ad.Codes[i]; c >= 0 && nhi(i) {
			aw[c]++
		}
	}
	for c, w := range aw {
		if w > 0 {
			e.appCodes = append(e.appCodes, int32(c))
		}
	}
	if len(e.appCodes) > 0 {
		ws := make([]float64, len(e.appCodes))
		for k, c := range e.appCodes {
			ws[k] = aw[c]
		}
		e.appS = newSampler(ws)
	}
}

// evPlan is what happens to each identity.
type evPlan struct {
	event []string // by FROM identity: "" (unchanged), mover, leaver, repurposed, retired
	next  []ivec   // new vector of movers and repurposed identities (by FROM identity)
	// joiners are appended to NEXT: template vectors, ids and e-mails.
	joinVec   []ivec
	joinID    []string
	joinEmail []string
}

// pick returns k distinct elements of pool, in a random order (partial Fisher-Yates on a
// copy).
func pick(r *rand.Rand, pool []int32, k int) []int32 {
	p := slices.Clone(pool)
	k = min(k, len(p))
	for j := 0; j < k; j++ {
		x := j + r.IntN(len(p)-j)
		p[j], p[x] = p[x], p[j]
	}
	return p[:k]
}

func share(pct float64, n int) int { return int(math.Round(pct * float64(n) / 100)) }

// plan draws the events of this step.
func (e *evo) plan(opts EvolveOptions, st *EvolveStats) *evPlan {
	n := e.snap.NumIdentities()
	p := &evPlan{event: make([]string, n), next: make([]ivec, n)}
	var humans, eligible, nhis []int32
	for i := range n {
		switch {
		case !e.isHuman(i):
			nhis = append(nhis, int32(i))
		default:
			humans = append(humans, int32(i))
			if !e.isLead(i) {
				eligible = append(eligible, int32(i))
			}
		}
	}
	r := e.r
	chosen := pick(r, eligible, share(opts.Movers, len(humans))+share(opts.Leavers, len(humans)))
	nm := min(share(opts.Movers, len(humans)), len(chosen))
	for k, i := range chosen {
		if k < nm {
			if v, ok := e.move(int(i)); ok {
				p.event[i], p.next[i] = EventMover, v
				st.Movers++
			}
			continue
		}
		p.event[i] = EventLeaver
		st.Leavers++
	}
	chosen = pick(r, nhis, share(opts.Repurposed, len(nhis))+share(opts.Retired, len(nhis)))
	nr := min(share(opts.Repurposed, len(nhis)), len(chosen))
	for k, i := range chosen {
		if k < nr {
			if v, ok := e.repurpose(int(i)); ok {
				p.event[i], p.next[i] = EventRepurposed, v
				st.Repurposed++
			}
			continue
		}
		p.event[i] = EventRetired
		st.Retired++
	}
	// Joiners copy the position of a random non-lead employee who stays.
	next := nextHumanNumber(e.snap)
	var stay []int32
	for _, i := range eligible {
		if p.event[i] == "" {
			stay = append(stay, i)
		}
	}
	if len(stay) > 0 {
		for k := range share(opts.Joiners, len(humans)) {
			tpl := stay[r.IntN(len(stay))]
			v := e.vecOf(int(tpl))
			num := next + k
			v[cEmail] = -1
			p.joinVec = append(p.joinVec, v)
			p.joinID = append(p.joinID, "u"+pad7(num))
			p.joinEmail = append(p.joinEmail, (*org)(nil).email(num-1))
			st.Joiners++
		}
	}
	return p
}

// nextHumanNumber returns one more than the largest N of identity ids "uNNNNNNN" (known or
// orphan), so that joiners never reuse the id of someone who left.
func nextHumanNumber(s *columnar.Snapshot) int {
	best := 0
	see := func(id string) {
		if len(id) > 1 && id[0] == 'u' {
			if v, err := strconv.Atoi(id[1:]); err == nil && v > best {
				best = v
			}
		}
	}
	for _, id := range s.IdentityIDs {
		see(id)
	}
	for _, o := range s.Orphans {
		see(o.IdentityID)
	}
	return best + 1
}

// move returns a mover's new position: another department (crossDeptShare) or another
// team of the same department, with that team's cost centre and lead, often a new title,
// and sometimes the team's home site.
func (e *evo) move(i int) (ivec, bool) {
	r := e.r
	v := e.vecOf(i)
	d := v[cDepartment]
	if d < 0 || v[cTeam] < 0 {
		return v, false
	}
	nd := d
	if r.Float64() < crossDeptShare || len(e.deptTeams[d]) < 2 {
		for try := 0; try < 20 && nd == d; try++ {
			nd = int32(e.deptS.draw(r))
		}
	}
	teams := e.deptTeams[nd]
	if len(teams) == 0 {
		return v, false
	}
	t := teams[r.IntN(len(teams))]
	for try := 0; try < 20 && t == v[cTeam] && len(teams) > 1; try++ {
		t = teams[r.IntN(len(teams))]
	}
	if t == v[cTeam] {
		return v, false
	}
	v[cDepartment], v[cTeam] = nd, t
	v[cCostCenter] = e.teamCC[t]
	v[cManager] = e.teamLead[t]
	if e.value(cTitle, v[cTitle]) != titleIntern && (nd != d || r.Float64() < 0.5) && len(e.deptTitleC[nd]) > 0 {
		v[cTitle] = e.deptTitleC[nd][e.deptTitles[nd].draw(r)]
	}
	if r.Float64() < 0.2 && e.teamHome[t] >= 0 {
		v[cLocation] = e.teamHome[t]
	}
	return v, true
}

// repurpose gives a non-human identity another application and that application's owner
// team; kind and environment stay.
func (e *evo) repurpose(i int) (ivec, bool) {
	v := e.vecOf(i)
	if len(e.appCodes) < 2 {
		return v, false
	}
	a := v[cApplication]
	for try := 0; try < 20 && a == v[cApplication]; try++ {
		a = e.appCodes[e.appS.draw(e.r)]
	}
	if a == v[cApplication] {
		return v, false
	}
	v[cApplication] = a
	v[cOwnerTeam] = e.appOwner[a]
	return v, true
}

// Rows of truth/changes.
type eventRow struct {
	IdentityID, Event, Kind, Attribute, Old, New string
}

var eventHeader = []string{"identity_id", "event", "kind", "attribute", "old", "new"}

func (r *eventRow) record(dst []string) []string {
	return append(dst[:0], r.IdentityID, r.Event, r.Kind, r.Attribute, r.Old, r.New)
}

type accessRow struct {
	IdentityID, RoleID, Type, Event string
}

var accessHeader = []string{"identity_id", "role_id", "type", "event"}

func (r *accessRow) record(dst []string) []string {
	return append(dst[:0], r.IdentityID, r.RoleID, r.Type, r.Event)
}

// write streams NEXT's identities, assignments, truth and changes.
func (e *evo) write(ctx context.Context, opts EvolveOptions, format string, tr *truth.Truth, p *evPlan, st *EvolveStats) (err error) {
	snap := e.snap
	w, err := e.openEvoWriter(opts.Out, format, tr, opts.Seed, st)
	if err != nil {
		return err
	}
	closed := false
	defer func() {
		if err != nil && !closed {
			w.abort()
		}
	}()
	for i := range snap.NumIdentities() {
		if i&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		id := snap.IdentityIDs[i]
		old := snap.RolesOf(i)
		v := e.vecOf(i)
		switch ev := p.event[i]; ev {
		case "":
			w.emit(id, "", &v, old, "", nil)
		case EventLeaver, EventRetired:
			w.leave(id, ev, &v, old)
		case EventMover, EventRepurposed:
			w.move(id, ev, &v, &p.next[i], old)
		}
		if err := w.flush(false); err != nil {
			return err
		}
	}
	for k := range p.joinVec {
		w.join(p.joinID[k], p.joinEmail[k], &p.joinVec[k])
		if err := w.flush(false); err != nil {
			return err
		}
	}
	w.orphans()
	if err := w.flush(true); err != nil {
		return err
	}
	if err := w.close(); err != nil {
		return err
	}
	closed = true
	// Roles and planted rules do not change: copy them.
	for _, name := range []string{"roles." + format, filepath.Join(model.TruthDir, model.TruthRulesFile)} {
		if err := copyFile(filepath.Join(opts.From, name), filepath.Join(opts.Out, name)); err != nil {
			return err
		}
	}
	return nil
}

// rowBuffer holds rows of a table not yet written.
type rowBuffer[T any, P interface {
	*T
	recorder
}] struct {
	t     *table[T, P]
	rows  []T
	limit int
}

// flush writes the rows once there are limit of them, or any there are when force.
func (b *rowBuffer[T, P]) flush(force bool) error {
	if len(b.rows) >= b.limit || force {
		if err := b.t.write(b.rows); err != nil {
			return err
		}
		b.rows = b.rows[:0]
	}
	return nil
}

// evoWriter writes the files of NEXT as write walks FROM's identities and the joiners:
// identities and assignments, truth/noise.csv, and truth/changes' events and access.
type evoWriter struct {
	e      *evo
	st     *EvolveStats
	roleID []string
	// oldNoise is FROM's noise, to keep the type (extra or stale) of unplanted rule-role
	// access; rg draws which access changes.
	oldNoise map[[2]string]string
	rg       *rand.Rand
	ids      rowBuffer[identityRow, *identityRow]
	asg      rowBuffer[assignmentRow, *assignmentRow]
	noise    rowBuffer[noiseRow, *noiseRow]
	evs      rowBuffer[eventRow, *eventRow]
	acc      rowBuffer[accessRow, *accessRow]
	// Scratch: planted access before (p0) and after (p1) a change, roles held.
	p0, p1, held []int32
	orph         []columnar.Orphan
}

// openEvoWriter creates NEXT's files under out (temporary names until close).
func (e *evo) openEvoWriter(out, format string, tr *truth.Truth, seed uint64, st *EvolveStats) (*evoWriter, error) {
	truthDir := filepath.Join(out, "truth")
	chDir := filepath.Join(truthDir, ChangesDir)
	w := &evoWriter{e: e, st: st, roleID: e.snap.Roles.IDs,
		oldNoise: make(map[[2]string]string, len(tr.Noise)),
		rg:       rand.New(rand.NewPCG(seed, 0x6163636573))} // access draws
	for _, nz := range tr.Noise {
		if nz.Type != truth.NoiseMissing {
			w.oldNoise[[2]string{nz.IdentityID, nz.RoleID}] = nz.Type
		}
	}
	var err error
	if w.ids.t, err = newTable[identityRow](out, "identities", format, identityHeader); err != nil {
		return nil, err
	}
	if w.asg.t, err = newTable[assignmentRow](out, "assignments", format, assignmentHeader); err == nil {
		if w.noise.t, err = newTable[noiseRow](truthDir, "noise", "csv", model.NoiseHeader); err == nil {
			if w.evs.t, err = newTable[eventRow](chDir, "events", "csv", eventHeader); err == nil {
				w.acc.t, err = newTable[accessRow](chDir, "access", "csv", accessHeader)
			}
		}
	}
	if err != nil {
		w.abort()
		return nil, err
	}
	w.ids.limit, w.asg.limit, w.noise.limit, w.evs.limit, w.acc.limit = 4096, 8192, 4096, 4096, 4096
	return w, nil
}

// evoTable is a table of any row type.
type evoTable interface {
	close() error
	abort()
}

// tables are the writer's open tables, in the order they were created.
func (w *evoWriter) tables() []evoTable {
	var ts []evoTable
	if w.ids.t != nil {
		ts = append(ts, w.ids.t)
	}
	if w.asg.t != nil {
		ts = append(ts, w.asg.t)
	}
	if w.noise.t != nil {
		ts = append(ts, w.noise.t)
	}
	if w.evs.t != nil {
		ts = append(ts, w.evs.t)
	}
	if w.acc.t != nil {
		ts = append(ts, w.acc.t)
	}
	return ts
}

func (w *evoWriter) flush(force bool) error {
	for _, f := range []func(bool) error{w.ids.flush, w.asg.flush, w.noise.flush, w.evs.flush, w.acc.flush} {
		if err := f(force); err != nil {
			return err
		}
	}
	return nil
}

// close renames every file into place.
func (w *evoWriter) close() error {
	for _, t := range w.tables() {
		if err := t.close(); err != nil {
			return err
		}
	}
	return nil
}

// abort discards every temporary file.
func (w *evoWriter) abort() {
	for _, t := range w.tables() {
		t.abort()
	}
}

// emit writes one NEXT identity: its row, assignments (held, ascending roles), noise and
// due access. event and p0 (the planted access before a change) name why access is due.
func (w *evoWriter) emit(id, email string, v *ivec, held []int32, event string, p0 []int32) {
	e, st, roleID := w.e, w.st, w.roleID
	row := identityRow{IdentityID: id}
	vals := []*string{&row.Kind, &row.Department, &row.Team, &row.Title, &row.Location, &row.EmploymentType,
		&row.CostCenter, &row.Email, &row.Manager, &row.Application, &row.Environment, &row.OwnerTeam}
	for k := range genColumns {
		*vals[k] = e.value(k, v[k])
	}
	if email != "" {
		row.Email = email
	}
	w.ids.rows = append(w.ids.rows, row)
	st.Identities++
	w.p1 = e.planted(v, w.p1)
	for _, r := range held {
		w.asg.rows = append(w.asg.rows, assignmentRow{id, roleID[r]})
		st.Assignments++
		if !e.ruleRol[r] {
			continue
		}
		if _, ok := slices.BinarySearch(w.p1, r); ok {
			continue
		}
		typ := w.oldNoise[[2]string{id, roleID[r]}]
		if typ == "" {
			typ = truth.NoiseStale
		}
		w.noise.rows = append(w.noise.rows, noiseRow{id, roleID[r], typ})
	}
	for _, r := range w.p1 {
		if _, ok := slices.BinarySearch(held, r); ok {
			continue
		}
		w.noise.rows = append(w.noise.rows, noiseRow{id, roleID[r], truth.NoiseMissing})
		ev := EventCarried
		if event != "" {
			if _, was := slices.BinarySearch(p0, r); !was || event == EventJoiner {
				ev = event
				st.DueNew++
			}
		}
		w.acc.rows = append(w.acc.rows, accessRow{id, roleID[r], AccessDue, ev})
		st.Due++
	}
}

// leave records a leaver or retired identity (attributes v, roles old): the event, and
// with probability orphanShare its roles left behind as orphans.
func (w *evoWriter) leave(id, ev string, v *ivec, old []int32) {
	e := w.e
	w.evs.rows = append(w.evs.rows, eventRow{id, ev, e.value(cKind, v[cKind]), "", "", ""})
	if w.rg.Float64() < orphanShare {
		for _, r := range old {
			w.orph = append(w.orph, columnar.Orphan{IdentityID: id, Role: r})
			w.acc.rows = append(w.acc.rows, accessRow{id, w.roleID[r], AccessOrphan, ev})
			w.st.OrphansNew++
		}
	}
}

// move records a mover or repurposed identity going from attributes v to nv: an event per
// changed attribute; access planted before and no longer is removed or kept as stale
// (keepOldShare), newly planted access granted with probability grantNewShare.
func (w *evoWriter) move(id, ev string, v, nv *ivec, old []int32) {
	e, st, roleID := w.e, w.st, w.roleID
	for k := range genColumns {
		if nv[k] != v[k] {
			w.evs.rows = append(w.evs.rows, eventRow{id, ev, e.value(cKind, v[cKind]), genColumns[k], e.value(k, v[k]), e.value(k, nv[k])})
		}
	}
	w.p0 = e.planted(v, w.p0)
	w.p1 = e.planted(nv, w.p1)
	w.held = w.held[:0]
	for _, r := range old {
		_, now := slices.BinarySearch(w.p1, r)
		_, was := slices.BinarySearch(w.p0, r)
		switch {
		case now || !was:
			w.held = append(w.held, r)
		case w.rg.Float64() < keepOldShare:
			w.held = append(w.held, r)
			w.acc.rows = append(w.acc.rows, accessRow{id, roleID[r], AccessStale, ev})
			st.Stale++
		default:
			w.acc.rows = append(w.acc.rows, accessRow{id, roleID[r], AccessRemoved, ev})
			st.Removed++
		}
	}
	for _, r := range w.p1 {
		if _, had := slices.BinarySearch(old, r); had {
			continue
		}
		if w.rg.Float64() < grantNewShare {
			w.held = append(w.held, r)
			w.acc.rows = append(w.acc.rows, accessRow{id, roleID[r], AccessGranted, ev})
			st.Granted++
		}
	}
	slices.Sort(w.held)
	// emit recomputes p1 on nv; p0 stays the planted access before the change.
	w.emit(id, "", nv, w.held, ev, w.p0)
}

// join records a joiner with attributes v: each planted role granted with probability
// joinerGrantShare.
func (w *evoWriter) join(id, email string, v *ivec) {
	e := w.e
	w.evs.rows = append(w.evs.rows, eventRow{id, EventJoiner, e.value(cKind, v[cKind]), "", "", ""})
	w.p1 = e.planted(v, w.p1)
	w.held = w.held[:0]
	for _, r := range w.p1 {
		if w.rg.Float64() < joinerGrantShare {
			w.held = append(w.held, r)
			w.acc.rows = append(w.acc.rows, accessRow{id, w.roleID[r], AccessGranted, EventJoiner})
			w.st.Granted++
		}
	}
	w.emit(id, email, v, w.held, EventJoiner, nil)
}

// orphans writes the orphan assignments, FROM's carried over and this step's, sorted by
// identity and role.
func (w *evoWriter) orphans() {
	for _, o := range w.e.snap.Orphans {
		w.orph = append(w.orph, o)
		w.acc.rows = append(w.acc.rows, accessRow{o.IdentityID, w.roleID[o.Role], AccessOrphan, EventCarried})
	}
	slices.SortFunc(w.orph, func(a, b columnar.Orphan) int {
		if c := strings.Compare(a.IdentityID, b.IdentityID); c != 0 {
			return c
		}
		return int(a.Role - b.Role)
	})
	for _, o := range w.orph {
		w.asg.rows = append(w.asg.rows, assignmentRow{o.IdentityID, w.roleID[o.Role]})
		w.st.Assignments++
	}
	w.st.Orphans = int64(len(w.orph))
}

// copyFile copies src to dst through a temporary file; a missing src is not an error
// (roles are optional).
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("gen --evolve: %w", err)
	}
	defer in.Close()
	return atomicFile(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
