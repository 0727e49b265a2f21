package gen

// Usage and ownership that `rolemine gen --usage` plants on a flat data set, and that
// `rolemine gen --evolve` plants again on the next snapshot of such a data set
// (docs/excess-privilege.md#generated):
//   - assignments.last_used: used access was last used within usedWithinDays of the
//     as-of date; unused access was never used or last used oldFromDays to oldToDays
//     before it. Unused access sits on non-human identities (nhiUnusedRate of their
//     pairs, humans humanUnusedRate), on movers' stale access (all of it), and on
//     dormant identities (all of their access). One system (unknownUsageSystem) reports
//     no usage at all, so its access has unknown usage.
//   - identities.owner_id: a random human for each non-human identity, except 3% that
//     name someone absent from identities, 2% no one and 1% another non-human identity;
//     --evolve keeps each identity's owner, so owners who leave orphan what they own.
//   - truth/usage.json, unused.csv, owners.csv and overprivileged.csv (package truth).

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"time"

	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/usage"
)

// How usage is planted (see the file comment).
const (
	usageAsOf          = "2026-06-30" // the newest last_used of a generated data set
	evolveStepDays     = 91           // --evolve: the next snapshot is judged a quarter later
	unknownUsageSystem = "sap-wms"    // the system whose feed reports no usage
	humanUnusedRate    = 0.04
	nhiUnusedRate      = 0.30
	neverUsedShare     = 0.5 // of unused access: never used (the rest: used long ago)
	usedWithinDays     = 80
	oldFromDays        = 120
	oldToDays          = 365
	// Dormant identities per group: dormantShare of the group, at least minDormant,
	// drawn among those holding at least the group's 90th percentile of roles.
	dormantShare = 0.01
	minDormant   = 120
	daySeconds   = 86400
)

// Day offsets of a planted last use before the as-of date.
const (
	lastNever   int16 = -1 // no date: never used, or a system without usage data
	lastUnknown int16 = -2 // a system without usage data
)

type usedAssignmentRow struct {
	IdentityID string `parquet:"identity_id,dict"`
	RoleID     string `parquet:"role_id,dict"`
	LastUsed   string `parquet:"last_used,dict"`
}

func (r *usedAssignmentRow) record(dst []string) []string {
	return append(dst[:0], r.IdentityID, r.RoleID, r.LastUsed)
}

// previousOwners are the owners of the snapshot an evolved one comes from.
type previousOwners struct {
	owner map[string]string // non-human identity id -> its owner_id
	human map[string]bool   // the previous snapshot's humans
}

// usagePlant is the usage being planted on one data set.
type usagePlant struct {
	snap  *columnar.Snapshot
	rng   *rand.Rand
	asOf  int64
	stale map[[2]string]bool // (identity id, role id) of planted stale access
	// ruleGranted[r]: role r has planted rules; noise holds the planted extra and stale
	// pairs (identity id, role id).
	ruleGranted []bool
	noise       map[[2]string]bool
	// last[k] is the planted last use of pair k of the snapshot (days before asOf, or
	// lastNever / lastUnknown).
	last    []int16
	dormant []bool
	tu      truth.Usage
	// universe: the data set is a universe (accounts or role grants), whose owners,
	// accounts and grants gen --universe planted; eff is its effective access (nil
	// without grants). unknownSystem is the system planted without usage data.
	universe      bool
	eff           *mining.Effective
	unknownSystem string
	// hidden holds the identities with planted hidden inherited access (universes).
	hidden map[string]bool
}

// UsageStats counts what Options.Usage planted.
type UsageStats struct {
	Used, Unused, Unknown   int64
	Dormant, OwnerFindings  int
	OwnersLeft              int64
	OverPrivileged, Systems int
}

// plantUsage rewrites the flat data set in dir with last_used and owner_id, judged at
// asOf (Unix seconds); prev carries the owners of the previous snapshot (nil for none).
func plantUsage(ctx context.Context, dir, format string, seed uint64, asOf int64, prev *previousOwners) (*UsageStats, error) {
	snap, err := columnar.Load(ctx, dir, columnar.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("gen --usage: reload %s: %w", dir, err)
	}
	truthDir := filepath.Join(dir, "truth")
	tr, err := truth.Load(truthDir)
	if err != nil {
		return nil, err
	}
	p := &usagePlant{snap: snap, rng: rand.New(rand.NewPCG(seed, 0x7573616765)), asOf: asOf, stale: map[[2]string]bool{}}
	p.noise, p.ruleGranted = map[[2]string]bool{}, make([]bool, snap.NumRoles())
	for _, n := range tr.Noise {
		if n.Type == truth.NoiseStale {
			p.stale[[2]string{n.IdentityID, n.RoleID}] = true
		}
		if n.Type != truth.NoiseMissing {
			p.noise[[2]string{n.IdentityID, n.RoleID}] = true
		}
	}
	for _, r := range tr.Roles {
		if k, ok := slices.BinarySearch(snap.Roles.IDs, r.RoleID); ok && r.Type == truth.TypeRule {
			p.ruleGranted[k] = true
		}
	}
	p.tu = truth.Usage{AsOf: usage.Format(usage.Unix(asOf)), UnusedDays: usage.DefaultUnusedDays,
		ByKind: map[string]*usage.Counts{}, BySystem: map[string]*usage.Counts{}, OverPrivileged: map[string]int{}}
	p.unknownSystem = unknownUsageSystem
	if u := snap.Universe; u != nil && (u.Accounts != nil || u.Grants != nil) {
		p.universe, p.unknownSystem = true, universeUnknownUsageSystem
		if p.eff, err = mining.EffectiveOf(ctx, snap); err != nil {
			return nil, err
		}
		if p.hidden, err = readHiddenIdentities(truthDir); err != nil {
			return nil, err
		}
	}
	p.chooseDormant()
	p.plantDates()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	write := p.writeAssignments
	if p.universe {
		write = p.rewriteUniverseAssignments
	}
	if err := write(dir, format); err != nil {
		return nil, err
	}
	owners, err := p.writeOwners(dir, format, prev)
	if err != nil {
		return nil, err
	}
	if err := p.writeTruth(truthDir, owners); err != nil {
		return nil, err
	}
	st := &UsageStats{Used: p.tu.Used, Unused: p.tu.Unused, Unknown: p.tu.Unknown, OwnerFindings: len(owners),
		OwnersLeft: p.tu.OwnersLeft, Systems: len(p.tu.BySystem)}
	for _, d := range p.dormant {
		if d {
			st.Dormant++
		}
	}
	for _, n := range p.tu.OverPrivileged {
		st.OverPrivileged += n
	}
	return st, nil
}

// chooseDormant draws the dormant identities of each group (humans, non-human).
func (p *usagePlant) chooseDormant() {
	snap := p.snap
	p.dormant = make([]bool, snap.NumIdentities())
	for _, human := range []bool{true, false} {
		var members []int
		var held []int
		for i := range snap.IdentityIDs {
			if (snap.Kind(i) == columnar.HumanKind) == human {
				members = append(members, i)
				if n := len(snap.RolesOf(i)); n > 0 {
					held = append(held, n)
				}
			}
		}
		if len(held) == 0 {
			continue
		}
		slices.Sort(held)
		p90 := held[len(held)*9/10]
		var cands []int
		for _, i := range members {
			if len(snap.RolesOf(i)) >= p90 {
				cands = append(cands, i)
			}
		}
		n := min(len(cands), max(minDormant, int(math.Round(dormantShare*float64(len(members))))))
		for _, k := range p.rng.Perm(len(cands))[:n] {
			p.dormant[cands[k]] = true
		}
	}
}

// systemName is the system of role r: its application.
func (p *usagePlant) systemName(r int32) string {
	if a := p.snap.Roles.Application[r]; a != "" {
		return a
	}
	return "(no system)"
}

// pairSystem is the system of direct pair k (docs/excess-privilege.md#usage): the system
// of the account granting it, else its role's application.
func (p *usagePlant) pairSystem(k int64) string {
	if u := p.snap.Universe; u != nil && u.PairAccount != nil && u.PairAccount[k] >= 0 {
		return u.Accounts.Systems[u.Accounts.System[u.PairAccount[k]]]
	}
	return p.systemName(p.snap.IdentIdx[k])
}

// plantDates draws every pair's last use, then gives one date to each system with
// usage data that drew none (a system with no date at all has unknown usage), and
// counts the truth.
func (p *usagePlant) plantDates() {
	snap := p.snap
	p.last = make([]int16, len(snap.IdentIdx))
	unused := func() int16 {
		if p.rng.Float64() < neverUsedShare {
			return lastNever
		}
		return int16(oldFromDays + p.rng.IntN(oldToDays-oldFromDays+1))
	}
	pinned := false // one used pair is last used on the as-of date itself
	dated := map[string]bool{}
	for i, id := range snap.IdentityIDs {
		rate := humanUnusedRate
		if snap.Kind(i) != columnar.HumanKind {
			rate = nhiUnusedRate
		}
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			r := snap.IdentIdx[k]
			sys := p.pairSystem(k)
			switch {
			case sys == p.unknownSystem:
				p.last[k] = lastUnknown
			case p.dormant[i] || p.stale[[2]string{id, snap.Roles.IDs[r]}] || p.rng.Float64() < rate:
				p.last[k] = unused()
			case !pinned:
				pinned = true
			default:
				p.last[k] = int16(p.rng.IntN(usedWithinDays + 1))
			}
			if p.last[k] >= 0 {
				dated[sys] = true
			}
		}
	}
	for k := range snap.IdentIdx {
		if sys := p.pairSystem(int64(k)); p.last[k] == lastNever && !dated[sys] {
			p.last[k], dated[sys] = oldFromDays, true
		}
	}
	p.countTruth()
}

// stateOf is the planted usage state of direct pair k.
func (p *usagePlant) stateOf(k int64) usage.State {
	switch d := p.last[k]; {
	case d == lastUnknown:
		return usage.Unknown
	case d == lastNever || int(d) > usage.DefaultUnusedDays:
		return usage.Unused
	}
	return usage.Used
}

// countTruth counts the planted states of every effective pair into the truth: each
// direct pair's own, each inherited pair its source's (universeInherited).
func (p *usagePlant) countTruth() {
	snap := p.snap
	p.tu.UnknownSystems = []string{}
	add := func(m map[string]*usage.Counts, key string, s usage.State) {
		if m[key] == nil {
			m[key] = &usage.Counts{}
		}
		m[key].Add(s)
	}
	count := func(kind, sys string, s usage.State) {
		p.tu.Add(s)
		add(p.tu.ByKind, kind, s)
		add(p.tu.BySystem, sys, s)
	}
	for i, id := range snap.IdentityIDs {
		kind := snap.Kind(i)
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			r := snap.IdentIdx[k]
			s := p.stateOf(k)
			if s == usage.Unused && p.ruleGranted[r] && !p.noise[[2]string{id, snap.Roles.IDs[r]}] {
				p.tu.UnusedRuleGranted++
			}
			count(kind, p.pairSystem(k), s)
		}
		p.universeInherited(i, func(sys string, s usage.State) { count(kind, sys, s) })
	}
	// A system without usage data: none of its direct pairs has a date (its inherited
	// pairs may still have their sources' states).
	unknown := map[string]bool{}
	for k := range snap.IdentIdx {
		if sys := p.pairSystem(int64(k)); p.last[k] == lastUnknown && !unknown[sys] {
			unknown[sys] = true
			p.tu.UnknownSystems = append(p.tu.UnknownSystems, sys)
		}
	}
	slices.Sort(p.tu.UnknownSystems)
}

// dates returns the last_used text of each day offset (index d+2 for offset d).
func (p *usagePlant) dates() []string {
	out := make([]string, oldToDays+3)
	for d := range oldToDays + 1 {
		out[d+2] = time.Unix(p.asOf-int64(d)*daySeconds, 0).UTC().Format(time.DateOnly)
	}
	return out
}

// writeAssignments rewrites assignments with last_used (orphan rows without a date).
func (p *usagePlant) writeAssignments(dir, format string) error {
	snap := p.snap
	dates := p.dates()
	rows := make([]usedAssignmentRow, 0, len(snap.IdentIdx)+len(snap.Orphans))
	for i, id := range snap.IdentityIDs {
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			rows = append(rows, usedAssignmentRow{id, snap.Roles.IDs[snap.IdentIdx[k]], dates[p.last[k]+2]})
		}
	}
	for _, o := range snap.Orphans {
		rows = append(rows, usedAssignmentRow{IdentityID: o.IdentityID, RoleID: snap.Roles.IDs[o.Role]})
	}
	return writeTable[usedAssignmentRow](dir, "assignments", format, []string{"identity_id", "role_id", columnar.LastUsedColumn}, rows)
}

// evolveUsage plants usage on the next snapshot in opts.Out when FROM (snap) was
// generated with usage: judged evolveStepDays after FROM's as-of date, with FROM's
// owners kept, so that owners who left orphan what they own.
func evolveUsage(ctx context.Context, opts EvolveOptions, snap *columnar.Snapshot, format string) (*UsageStats, error) {
	tu, err := truth.LoadUsage(filepath.Join(opts.From, "truth"))
	if err != nil || tu == nil {
		return nil, err
	}
	opts.step("planting usage")
	asOf, err := usage.Parse(tu.AsOf)
	if err != nil {
		return nil, fmt.Errorf("gen --evolve: %s as_of: %w", filepath.Join(opts.From, "truth", truth.UsageFile), err)
	}
	prev := &previousOwners{owner: map[string]string{}, human: map[string]bool{}}
	for i, id := range snap.IdentityIDs {
		if snap.Kind(i) == columnar.HumanKind {
			prev.human[id] = true
		} else if snap.Universe != nil && snap.Universe.Owners != nil {
			prev.owner[id] = snap.Universe.Owners[i]
		}
	}
	return plantUsage(ctx, opts.Out, format, opts.Seed, asOf.Sec+evolveStepDays*daySeconds, prev)
}
