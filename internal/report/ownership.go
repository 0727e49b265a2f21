package report

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/safecsv"
)

// The types of summary.json, declared in package model.
type (
	ownershipSummary = model.OwnershipSummary
)

// Ownership findings of a non-human identity (docs/excess-privilege.md#ownership).
const (
	// ownerNone: owner_id is empty.
	ownerNone = "no_owner"
	// ownerUnknown: owner_id names no identity of identities (absent, or departed).
	ownerUnknown = "owner_unknown"
	// ownerNotHuman: owner_id names a non-human identity (itself included).
	ownerNotHuman = "owner_not_human"
)

// OwnershipCSVFile lists the non-human identities with an ownership finding.
const OwnershipCSVFile = "ownership.csv"

// owners answers ownership questions about a snapshot with an owner_id column.
type owners struct {
	snap  *columnar.Snapshot
	index map[string]int
	// findings holds each identity's finding code (findingNames), made in one pass so
	// that ownership.csv, summary.json and report.html look no owner up again.
	findings []uint8
}

// findingNames are the findings by code: 0 for a human, or a non-human identity owned by
// a human.
var findingNames = [...]string{"", ownerNone, ownerUnknown, ownerNotHuman}

// newOwners returns nil when the snapshot has no owner_id column.
func newOwners(snap *columnar.Snapshot) *owners {
	if snap.Universe == nil || snap.Universe.Owners == nil {
		return nil
	}
	// Index only the identities named as an owner: a map of every identity would cost
	// far more than one lookup per identity in this small one. A bit per hash of an
	// owner's id (idBits) spares the lookups of most identities, which own nothing.
	want := map[string]int{}
	var named idBits
	for _, owner := range snap.Universe.Owners {
		if owner != "" {
			want[owner] = -1
			named.set(owner)
		}
	}
	o := &owners{snap: snap, index: make(map[string]int, len(want))}
	for i, id := range snap.IdentityIDs {
		if !named.has(id) {
			continue
		}
		if _, ok := want[id]; ok {
			o.index[id] = i
		}
	}
	o.findings = o.findingCodes()
	return o
}

// idBits is a set of bits, one for each hash of a set of ids (idBit): an id whose bit is
// clear is not in the set. At 2^20 bits (128 KB) it stays in a core's cache, where the
// map of the ids would not.
type idBits [1 << 14]uint64

// idBit hashes the id's length and its last 8 bytes (where generated and real ids differ:
// numbers, suffixes) to one of idBits' 2^20 bits.
func idBit(id string) uint32 {
	h := uint32(len(id)) * 0x9e3779b1
	for k := max(0, len(id)-8); k < len(id); k++ {
		h = (h ^ uint32(id[k])) * 16777619
	}
	return h >> 12
}

func (b *idBits) set(id string) { x := idBit(id); b[x>>6] |= 1 << (x & 63) }

func (b *idBits) has(id string) bool { x := idBit(id); return b[x>>6]&(1<<(x&63)) != 0 }

// findingCodes returns every identity's finding code (findingNames): the kind dimension's
// human code is found once, and an owner is looked up only for a non-human identity.
func (o *owners) findingCodes() []uint8 {
	snap := o.snap
	kd := &snap.Dims[snap.KindDim]
	human := make([]bool, len(kd.Values))
	for c, v := range kd.Values {
		human[c] = v == columnar.HumanKind
	}
	out := make([]uint8, len(snap.IdentityIDs))
	for i, owner := range snap.Universe.Owners {
		if human[kd.Codes[i]] {
			continue
		}
		j, known := o.index[owner]
		switch {
		case owner == "":
			out[i] = 1 // ownerNone
		case !known:
			out[i] = 2 // ownerUnknown
		case !human[kd.Codes[j]]:
			out[i] = 3 // ownerNotHuman
		}
	}
	return out
}

// finding returns identity i's ownership finding: "" for a human, or a non-human
// identity owned by a human.
func (o *owners) finding(i int) string { return findingNames[o.findings[i]] }

// ownersOf returns newOwners(snap), made once per run: kept in eff (nil: made afresh).
func ownersOf(snap *columnar.Snapshot, eff *Effective) *owners {
	if eff == nil {
		return newOwners(snap)
	}
	eff.ownersMu.Lock()
	defer eff.ownersMu.Unlock()
	if eff.owners == nil || eff.owners.snap != snap {
		eff.owners = newOwners(snap)
	}
	return eff.owners
}

// ownershipSummaryOf counts the ownership findings; nil without an owner_id column.
func ownershipSummaryOf(snap *columnar.Snapshot, eff *Effective) *ownershipSummary {
	o := ownersOf(snap, eff)
	if o == nil {
		return nil
	}
	s := &ownershipSummary{}
	for i := range snap.IdentityIDs {
		if snap.Kind(i) == columnar.HumanKind {
			continue
		}
		s.NonHuman++
		switch o.finding(i) {
		case ownerNone:
			s.NoOwner++
		case ownerUnknown:
			s.OwnerUnknown++
		case ownerNotHuman:
			s.OwnerNotHuman++
		default:
			s.OwnedByHuman++
		}
	}
	return s
}

// HasOwners reports whether the snapshot has an owner_id column (and so ownership.csv
// is written).
func HasOwners(snap *columnar.Snapshot) bool {
	return snap.Universe != nil && snap.Universe.Owners != nil
}

// ownershipRow is a non-human identity with an ownership finding and its effective
// access: roles, unexplained ones, and privileged ones (2 or more validations).
type ownershipRow struct {
	ident                               int
	finding                             string
	roles, unexplained, privilegedRoles int
}

// ownershipRows returns the non-human identities with an ownership finding, in
// identities-file order (none without an owner_id column).
func ownershipRows(ctx context.Context, snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) ([]ownershipRow, error) {
	o := ownersOf(snap, eff)
	if o == nil {
		return nil, nil
	}
	var rows []ownershipRow
	for i := range snap.IdentityIDs {
		if i%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		f := o.finding(i)
		if f == "" {
			continue
		}
		r := ownershipRow{ident: i, finding: f}
		eachRole(snap, cls, eff, i, func(role, rule int32) {
			r.roles++
			if rule < 0 {
				r.unexplained++
			}
			if snap.Roles.Validations[role] >= privileged {
				r.privilegedRoles++
			}
		})
		rows = append(rows, r)
	}
	return rows, nil
}

// ownershipRowsOf are ownershipRows' results and the snapshot and classification they
// were made for.
type ownershipRowsOf struct {
	snap *columnar.Snapshot
	cls  *mining.Classification
	rows []ownershipRow
}

// sharedOwnershipRows returns ownershipRows, made once per run when eff is set (the
// caller must not change them): ownership.csv makes them before the pair walk ends, and
// report.html reads them after it. A second caller waits for the first; one with another
// snapshot or RuleOf (a test mining twice) makes them afresh.
func sharedOwnershipRows(ctx context.Context, snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) ([]ownershipRow, error) {
	if eff == nil {
		return ownershipRows(ctx, snap, cls, eff)
	}
	eff.ownRowsMu.Lock()
	defer eff.ownRowsMu.Unlock()
	if c := eff.ownRows; c != nil && c.snap == snap && sameClassification(c.cls, cls, true) {
		return c.rows, nil
	}
	rows, err := ownershipRows(ctx, snap, cls, eff)
	if err != nil {
		return nil, err
	}
	eff.ownRows = &ownershipRowsOf{snap: snap, cls: cls, rows: rows}
	return rows, nil
}

// WriteOwnershipCSV writes ownership.csv: one row per non-human identity with an
// ownership finding, in identities-file order, with its owner_id, the finding, and its
// effective access (ownershipRows).
func WriteOwnershipCSV(ctx context.Context, w io.Writer, snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) error {
	rows, err := sharedOwnershipRows(ctx, snap, cls, eff)
	if err != nil {
		return err
	}
	cw := safecsv.NewWriter(w)
	cw.Write([]string{"identity_id", "kind", "owner_id", "finding", "effective_roles", "unexplained", "privileged_roles"})
	for _, r := range rows {
		cw.Write([]string{snap.IdentityIDs[r.ident], snap.Kind(r.ident), snap.Universe.Owners[r.ident], r.finding,
			strconv.Itoa(r.roles), strconv.Itoa(r.unexplained), strconv.Itoa(r.privilegedRoles)})
	}
	cw.Flush()
	return cw.Error()
}

// OwnedIdentity is a non-human identity an explained identity owns, with its effective
// roles.
type OwnedIdentity struct {
	IdentityID  string   `json:"identity_id"`
	Kind        string   `json:"kind"`
	Roles       []string `json:"roles"`
	Unexplained int      `json:"unexplained"`
	// Through is the owned non-human identity that owns this one, when ex owns it only
	// through the non-human identities it owns.
	Through string `json:"through,omitempty"`
}

// directlyOwned returns, for each identity that owns non-human identities (itself
// aside), the ones it owns, in identities-file order.
func (o *owners) directlyOwned() map[int][]int {
	direct := map[int][]int{}
	for j, owner := range o.snap.Universe.Owners {
		if owner == "" || o.snap.Kind(j) == columnar.HumanKind {
			continue
		}
		if i, ok := o.index[owner]; ok && i != j {
			direct[i] = append(direct[i], j)
		}
	}
	return direct
}

// ownedFrom returns the non-human identities identity i owns directly or through the
// non-human identities it owns, at any depth (docs/excess-privilege.md#ownership), each
// once and i itself aside (ownership may loop): those it owns directly in
// identities-file order, then the ones they own, and so on.
func ownedFrom(direct map[int][]int, i int) []int {
	deeper := false
	for _, j := range direct[i] {
		if _, owns := direct[j]; owns {
			deeper = true
			break
		}
	}
	if !deeper {
		return direct[i] // most owners: nothing they own owns anything
	}
	seen := map[int]bool{i: true}
	var out []int
	for next := []int{i}; len(next) > 0; {
		var level []int
		for _, k := range next {
			for _, j := range direct[k] {
				if !seen[j] {
					seen[j] = true
					level = append(level, j)
				}
			}
		}
		out = append(out, level...)
		next = level
	}
	return out
}

// explainOwnership adds ex's owner and finding (a non-human identity), and the non-human
// identities it owns with their effective roles; ThroughOwned lists the roles reachable
// through them that ex does not hold itself.
func (b *Bound) explainOwnership(ex *Explanation) {
	o := newOwners(b.Snap)
	if o == nil {
		return
	}
	i := slices.Index(b.Snap.IdentityIDs, ex.IdentityID)
	if i >= 0 && b.Snap.Kind(i) != columnar.HumanKind {
		ex.Owner, ex.OwnerFinding = b.Snap.Universe.Owners[i], o.finding(i)
		if ex.OwnerFinding == "" {
			ex.OwnerFinding = "owned"
		}
	}
	held := map[string]bool{}
	for _, h := range ex.Roles {
		held[h.RoleID] = true
	}
	through := map[string]bool{}
	at, known := o.index[ex.IdentityID]
	if !known {
		return
	}
	for _, j := range ownedFrom(o.directlyOwned(), at) {
		sub, err := b.explain(b.Snap.IdentityIDs[j])
		if err != nil {
			continue
		}
		oi := OwnedIdentity{IdentityID: sub.IdentityID, Kind: sub.Kind, Roles: []string{}, Unexplained: sub.Unexplained}
		if owner := b.Snap.Universe.Owners[j]; owner != ex.IdentityID {
			oi.Through = owner
		}
		for _, h := range sub.Roles {
			oi.Roles = append(oi.Roles, h.RoleID)
			if !held[h.RoleID] {
				through[h.RoleID] = true
			}
		}
		ex.Owns = append(ex.Owns, oi)
	}
	for r := range through {
		ex.ThroughOwned = append(ex.ThroughOwned, r)
	}
	slices.Sort(ex.ThroughOwned)
}

// writeOwnership writes the ownership lines of explain's text.
func (ex *Explanation) writeOwnership(b *strings.Builder) {
	if ex.OwnerFinding != "" {
		owner := ex.Owner
		if owner == "" {
			owner = "(none)"
		}
		fmt.Fprintf(b, "\nowner: %s (%s)\n", owner, ex.OwnerFinding)
	}
	if len(ex.Owns) == 0 {
		return
	}
	fmt.Fprintf(b, "\nowns %d non-human identities:\n", len(ex.Owns))
	for _, oi := range ex.Owns {
		through := ""
		if oi.Through != "" {
			through = ", through " + oi.Through
		}
		fmt.Fprintf(b, "  %s (kind %s%s): %d roles, %d unexplained: %s\n", oi.IdentityID, oi.Kind, through,
			len(oi.Roles), oi.Unexplained, strings.Join(oi.Roles, " "))
	}
	fmt.Fprintf(b, "privilege through owned non-human identities, not held (directly or through grants): %d roles: %s\n",
		len(ex.ThroughOwned), strings.Join(ex.ThroughOwned, " "))
}

// OwnershipCounts is summary.json's nhi_ownership.
type OwnershipCounts = ownershipSummary

// NHIOwnership counts the non-human identities by ownership finding; nil without an
// owner_id column.
func NHIOwnership(snap *columnar.Snapshot) *OwnershipCounts { return ownershipSummaryOf(snap, nil) }

// ownerReach is what one identity reaches through the non-human identities it owns
// (docs/excess-privilege.md#ownership): the distinct roles they hold effectively, the
// privileged ones among them (2 or more validations), those the owner does not hold
// itself (explain's roles_through_owned), and their weight, the sum of 1 + validations
// over the distinct roles (the weights of the excess ranking).
type ownerReach struct {
	ident, owned               int
	roles, privileged, notHeld int
	weight                     int64
}

// ownerReaches returns every identity that owns non-human identities (itself aside) with
// what it reaches through them, in identities-file order (ownerOrder ranks them). None
// without an owner_id column.
func ownerReaches(ctx context.Context, snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) ([]ownerReach, error) {
	return ownerReachesOn(ctx, snap, cls, eff, runtime.GOMAXPROCS(0))
}

// ownerReachesOn is ownerReaches on up to workers goroutines.
func ownerReachesOn(ctx context.Context, snap *columnar.Snapshot, cls *mining.Classification, eff *Effective, workers int) ([]ownerReach, error) {
	o := ownersOf(snap, eff)
	if o == nil {
		return nil, nil
	}
	// The non-human identities each known identity owns, directly or through the
	// non-human identities it owns (ownedFrom), as owner<<32 | owned: sorted, each
	// owner's in identity order.
	var owned []uint64
	direct := o.directlyOwned()
	for i := range direct {
		for _, j := range ownedFrom(direct, i) {
			owned = append(owned, uint64(i)<<32|uint64(j))
		}
	}
	slices.Sort(owned)
	// Parts of the owners, cut between owners, reached at the same time and joined in
	// order: four a worker, handed out in turn, since a part's cost is its identities'
	// roles, which a cut by count does not balance (with one part a worker, one worker
	// went on alone for a good part of the whole at the tier L universe, at the end of
	// report.html's path).
	workers = max(1, workers)
	nparts := 4 * workers
	cuts := []int{0}
	for p := 1; p < nparts; p++ {
		at := max(cuts[len(cuts)-1], p*len(owned)/nparts)
		for at > 0 && at < len(owned) && owned[at]>>32 == owned[at-1]>>32 {
			at++
		}
		cuts = append(cuts, at)
	}
	cuts = append(cuts, len(owned))
	parts := make([][]ownerReach, nparts)
	err := parallel.Each(ctx, nparts, workers, func(_, p int) error {
		var err error
		parts[p], err = reachOf(ctx, snap, eff, owned[cuts[p]:cuts[p+1]])
		return err
	})
	if err != nil {
		return nil, err
	}
	return slices.Concat(parts...), nil
}

// ownerOrder ranks the owners' reach: by weight (highest first), then by the number of
// identities owned, then in identities-file order; each key compared only when the ones
// before are equal (cmp.Or compares them all).
func ownerOrder(a, b *ownerReach) int {
	if a.weight != b.weight {
		return cmp.Compare(b.weight, a.weight)
	}
	if a.owned != b.owned {
		return cmp.Compare(b.owned, a.owned)
	}
	return cmp.Compare(a.ident, b.ident)
}

// effectiveRoles returns the roles identity i holds effectively, ascending (eachRole's
// roles, without their rules: the owners' reach reads no rule).
func effectiveRoles(snap *columnar.Snapshot, eff *Effective, i int) []int32 {
	if eff == nil || eff.Eff == nil {
		return snap.RolesOf(i)
	}
	p := eff.Eff.Pairs
	lo, hi := p.Of(i)
	return p.Role[lo:hi]
}

// reachOf returns the reach of each owner in owned (owner<<32 | owned identity, sorted),
// in owner order.
func reachOf(ctx context.Context, snap *columnar.Snapshot, eff *Effective, owned []uint64) ([]ownerReach, error) {
	reached, held := make([]int, snap.NumRoles()), make([]int, snap.NumRoles())
	var roles []int32
	var rows []ownerReach
	for at, n := 0, 0; at < len(owned); n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		i := int(owned[at] >> 32)
		end := at + 1
		for end < len(owned) && int(owned[end]>>32) == i {
			end++
		}
		stamp := n + 1
		roles = roles[:0]
		for _, key := range owned[at:end] {
			for _, role := range effectiveRoles(snap, eff, int(uint32(key))) {
				if reached[role] != stamp {
					reached[role] = stamp
					roles = append(roles, role)
				}
			}
		}
		for _, role := range effectiveRoles(snap, eff, i) {
			held[role] = stamp
		}
		r := ownerReach{ident: i, owned: end - at, roles: len(roles)}
		at = end
		for _, role := range roles {
			val := snap.Roles.Validations[role]
			r.weight += 1 + int64(val)
			if val >= privileged {
				r.privileged++
			}
			if held[role] != stamp {
				r.notHeld++
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}
