package columnar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/rolemine/rolemine/internal/uerr"
)

// Holdings is what counting co-occurrences needs of an enterprise: how many identities
// there are, their dictionary-coded attributes, and which identities hold each role. It
// has no identity ids and no role metadata. LoadHoldings reads one from a data directory
// without building anything else; HoldingsOf views a loaded Snapshot as one.
type Holdings struct {
	// Identities is the number of known identities (indices 0..Identities-1, file order).
	Identities int
	// Dims are the attributes read, sorted by name, with the invariants of Snapshot.Dims.
	Dims []Dimension
	// Roles are the ids of the roles named by the assignments, in the order the file first
	// names them (for a view of a Snapshot: all roles, sorted); role index = position.
	Roles []string
	// RoleIdx[RoleOff[r]:RoleOff[r+1]] are the identities holding role r, ascending,
	// without duplicates; assignments of unknown identities are left out.
	RoleOff []int64
	RoleIdx []int32
}

// HoldingsOf returns the holdings of a loaded snapshot; they share its slices.
func HoldingsOf(s *Snapshot) *Holdings {
	return &Holdings{Identities: s.NumIdentities(), Dims: s.Dims, Roles: s.Roles.IDs,
		RoleOff: s.RoleOff, RoleIdx: s.RoleIdx}
}

// HoldingsOptions tune LoadHoldings.
type HoldingsOptions struct {
	// Dims names the attribute columns to read; each is kept whatever its number of
	// distinct values (Load's rule for skipping a dimension is not applied), and "kind"
	// is "human" where empty or absent, as with Load. Nil reads every attribute column
	// and marks dimensions Skipped exactly as Load does (ExcludeDimensions included).
	Dims []string
	// ExcludeDimensions is LoadOptions.ExcludeDimensions, used when Dims is nil.
	ExcludeDimensions []string
	// Logger receives timings; nil discards them.
	Logger *slog.Logger
	// OnIdentities, when set, is called once with holdings that have their Identities
	// and Dims but no roles yet, as soon as the identities are read, on a goroutine of its
	// own while the assignments are still being read: work that needs only the
	// identities' attributes starts there. The final holdings share those Dims.
	// LoadHoldings returns once it has returned, with its error if it fails.
	OnIdentities func(ctx context.Context, h *Holdings) error
}

// ErrNotFlat is returned (wrapped) by LoadHoldings for a data directory it cannot read:
// one with the optional inputs of effective privilege (accounts, role grants, attribute
// sources), multi-valued attributes, or assignments granted to accounts. Load reads those.
var ErrNotFlat = errors.New("the lean load reads flat inputs only (identities and assignments); use Load")

// LoadHoldings reads the holdings of the flat data directory dir (docs/inputs.md) and
// nothing else: the identities' identity_id and attribute columns (only Dims when given)
// and the assignments' identity_id and role_id. The roles file is not read. The files are
// checked as Load checks them (missing columns, empty or duplicate identity ids, bad text,
// corrupt files), with the same messages.
//
// Compared with Load it keeps no string per identity once the assignments are joined to
// the identities (identityIndex), reads neither the roles file nor columns it is not
// asked for, and builds no view by identity. Holdings equal HoldingsOf(Load(dir)) on
// their dimensions and assignments, but for Roles, which lists only the roles the
// assignments name, in the order they first appear.
//
// It serves `rolemine bench cooccur` and any counting that needs no identity's id.
func LoadHoldings(ctx context.Context, dir string, opts HoldingsOptions) (*Holdings, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	paths, err := findInputs(dir)
	if err != nil {
		return nil, uerr.WrapInput(fmt.Errorf("load %s: %w", dir, err))
	}
	for _, spec := range optionalInputs {
		if p, err := findOptional(dir, spec.name); err != nil || p != "" {
			return nil, fmt.Errorf("load %s: %s: %w", dir, spec.name, ErrNotFlat)
		}
	}
	for _, reserved := range []string{"identity_id", OwnerColumn} {
		if slices.Contains(opts.Dims, reserved) {
			return nil, uerr.New("load %s: %s is not an attribute; expected attribute columns of identities", dir, reserved)
		}
	}
	r, err := readHoldings(ctx, dir, paths, opts, log)
	if err != nil {
		return nil, err
	}
	tRead := time.Since(start)
	h, err := r.join(ctx)
	if err != nil {
		return nil, err
	}
	log.Info("loaded holdings", "dir", dir, "identities", h.Identities, "dimensions", len(h.Dims),
		"roles", len(h.Roles), "assignments", len(h.RoleIdx), "read", tRead, "elapsed", time.Since(start))
	return h, nil
}

// leanIdentitiesSpec reads identity_id as Load does (raw, checked for repeats once read)
// and the attribute columns dims (nil: every one). The lean specs skip the files'
// SHA-256, which holdings do not report.
func leanIdentitiesSpec(dims []string) *tableSpec {
	spec := &tableSpec{name: "identities", required: []string{"identity_id"},
		known: map[string]colMode{"identity_id": modeUnique}, others: dims == nil,
		raw: []string{"identity_id"}, keepLines: true, rawIfDistinct: dims == nil, noSum: true}
	for _, d := range dims {
		spec.known[d] = modeValue
		if d != KindDimension {
			spec.required = append(spec.required, d)
		}
	}
	return spec
}

// leanAssignmentsSpec reads the assignments' identity ids through their column chunks'
// dictionaries (they are joined by value anyway) and their role ids.
var leanAssignmentsSpec = tableSpec{
	name:       "assignments",
	required:   []string{"identity_id", "role_id"},
	known:      map[string]colMode{"identity_id": modeRequired, "role_id": modeRequired},
	chunkDicts: []string{"identity_id"},
	noSum:      true,
}

// leanRead is what readHoldings read: the holdings' identities and dimensions, the
// identities' join index and the decoded assignments.
type leanRead struct {
	h     *Holdings
	index *identityIndex
	asg   *table
	log   *slog.Logger
}

// readHoldings reads the identities and assignments files at the same time. As soon as
// the identities are read, their goroutine codes the dimensions and calls
// opts.OnIdentities, while the assignments are still being decoded.
func readHoldings(ctx context.Context, dir string, paths [3]string, opts HoldingsOptions, log *slog.Logger) (*leanRead, error) {
	r := &leanRead{log: log}
	var readErrs [2]error
	var notFlat, buildErr, cbErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		ids, err := readTable(ctx, paths[0], leanIdentitiesSpec(opts.Dims))
		if readErrs[0] = err; err != nil {
			return
		}
		if len(ids.lists) > 0 {
			notFlat = fmt.Errorf("load %s: %s column %s is multi-valued: %w", dir, ids.file, ids.lists[0].name, ErrNotFlat)
			return
		}
		if r.h, r.index, buildErr = leanIdentities(ids, opts, log); buildErr == nil && opts.OnIdentities != nil {
			cbErr = opts.OnIdentities(ctx, &Holdings{Identities: r.h.Identities, Dims: r.h.Dims})
		}
	})
	r.asg, readErrs[1] = readTable(ctx, paths[2], &leanAssignmentsSpec)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(readErrs[:]...); err != nil {
		return nil, uerr.WrapInput(fmt.Errorf("load %s: %w", dir, err))
	}
	if notFlat != nil {
		return nil, notFlat
	}
	for _, c := range r.asg.cols {
		if c.name != "identity_id" && c.name != "role_id" && c.name != LastUsedColumn {
			return nil, fmt.Errorf("load %s: %s column %s: %w", dir, r.asg.file, c.name, ErrNotFlat)
		}
	}
	if buildErr != nil {
		return nil, buildErr
	}
	return r, cbErr
}

// leanIdentities builds the holdings' identities and dimensions from the decoded
// identities table, and the join index of their ids (the one the check for repeated ids
// made: assignments the walk of findInOrder misses are probed without hashing the ids
// again).
func leanIdentities(ids *table, opts HoldingsOptions, log *slog.Logger) (*Holdings, *identityIndex, error) {
	// The reserved owner_id column (read when every column is) is no dimension.
	ids.cols = slices.DeleteFunc(ids.cols, func(c *column) bool { return c.name == OwnerColumn })
	var s Snapshot
	if err := buildIdentities(&s, ids, LoadOptions{ExcludeDimensions: opts.ExcludeDimensions}, log); err != nil {
		return nil, nil, err
	}
	h := &Holdings{Identities: ids.rows, Dims: s.Dims}
	if opts.Dims != nil {
		h.Dims = h.Dims[:0]
		for _, d := range s.Dims {
			if slices.Contains(opts.Dims, d.Name) {
				d.Skipped, d.SkipReason, d.ScopeRecount = false, "", false
				h.Dims = append(h.Dims, d)
			}
		}
	}
	return h, newIdentityIndexOf(ids.col("identity_id")), nil
}

// join completes the holdings with the role view of the assignments.
func (r *leanRead) join(ctx context.Context) (*Holdings, error) {
	h, asg, log := r.h, r.asg, r.log
	identOf := findInOrder(r.index, asg.col("identity_id").vals)
	// The roles keep the codes of the role_id column (distinct values, first-seen order):
	// no sort, since counting does not depend on the roles' order.
	rc := asg.col("role_id")
	roles := rc.vals
	h.Roles = roles
	ai, ar := asg.col("identity_id").codes, rc.codes
	if v, ok := roleViewInOrder(ai, ar, identOf, nil, len(roles)); ok {
		h.RoleOff, h.RoleIdx = v.roleOff, v.roleIdx
		log.Debug("joined assignments", "orphan_rows", v.orphans, "duplicate_rows", v.dups, "in_order", true)
		return h, ctx.Err()
	}
	rank := make([]int32, len(roles))
	for r := range rank {
		rank[r] = int32(r)
	}
	identOff, byIdent, _, orphans := bucketByIdentity(ai, ar, identOf, rank, h.Identities, false)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	known := identOff[h.Identities]
	w := dedupeByIdentity(identOff, byIdent)
	roleIdx := ai[:w:w] // ai is dead once bucketed: its buffer becomes the role view
	h.RoleOff = bucketByRole(byIdent[:w:w], identOff, roleIdx, len(roles))
	h.RoleIdx = roleIdx
	log.Debug("joined assignments", "orphan_rows", len(orphans), "duplicate_rows", known-w)
	return h, nil
}

// findInOrder returns the identity index of each of vals (-1 for a value naming no
// identity), as index.find does. Assignments grouped by identity in the identities'
// order name the identities in that order, so vals is first walked along the ids: a
// value equal to the next id, to the one before (an identity named again by the next row
// group's dictionary) or to one of the few after it (identities without assignments) is
// found by one comparison. Only the values the walk misses go through the hash join,
// which is then not built at all when there are none. The walk stops guiding once it
// misses most values (ids in another order).
func findInOrder(index *identityIndex, vals []string) []int32 {
	const skips = 3 // identities without assignments stepped over at a time
	ids := index.ids
	out := make([]int32, len(vals))
	var missed []int32
	j := 0 // the next id expected
	for k, v := range vals {
		if k >= 1024 && 2*len(missed) > k { // not in the ids' order: the hash join for the rest
			for m := k; m < len(vals); m++ {
				missed = append(missed, int32(m))
			}
			break
		}
		switch {
		case j < len(ids) && ids[j] == v:
			out[k] = int32(j)
			j++
			continue
		case j > 0 && ids[j-1] == v:
			out[k] = int32(j - 1)
			continue
		}
		found := false
		for s := j + 1; s <= j+skips && s < len(ids); s++ {
			if ids[s] == v {
				out[k], j, found = int32(s), s+1, true
				break
			}
		}
		if !found {
			missed = append(missed, int32(k))
		}
	}
	if len(missed) == 0 {
		return out
	}
	probe := make([]string, len(missed))
	for m, k := range missed {
		probe[m] = vals[k]
	}
	for m, i := range index.find(probe) {
		out[missed[m]] = i
	}
	return out
}

// roleView is the role view of the assignments (Holdings.RoleOff and RoleIdx) with the
// rows left out: of unknown identities, and repeats.
type roleView struct {
	roleOff       []int64
	roleIdx       []int32
	orphans, dups int64
}

// roleBlock is what counting one block of assignment rows found: per role, its rows of
// known identities and the first and last identity of its rows (roleCount), then, once
// counted, the slot of its next row (next).
type roleBlock struct {
	roles     []roleCount
	next      []int64
	orphans   int64
	dups      int64
	unordered bool
}

// roleCount is one role's rows in a block and their first and last identity, kept side
// by side so that counting a row touches one cache line.
type roleCount struct {
	cnt         int64
	first, last int32
}

// roleViewInOrder builds the role view in one counting sort of the rows by role, in
// parallel over blocks of rows, when each role's rows name its identities in ascending
// order (a file written identity by identity, or role by role with its holders sorted):
// each role's identities then come out ascending, and a repeat is next to its first
// occurrence. Otherwise it returns false, having built nothing, and the caller goes
// through the identity view (bucketByIdentity), which sorts. rank maps ar's codes to
// roles; nil means they are the roles.
func roleViewInOrder(ai, ar, identOf, rank []int32, nr int) (*roleView, bool) {
	bounds := splitEven(len(ai), runtime.GOMAXPROCS(0))
	blocks := make([]roleBlock, len(bounds)-1)
	forEach(len(blocks), func(b int) {
		blocks[b] = countRoleBlock(ai[bounds[b]:bounds[b+1]], ar[bounds[b]:bounds[b+1]], identOf, rank, nr)
	})
	v := &roleView{roleOff: make([]int64, nr+1)}
	for b := range blocks {
		if blocks[b].unordered {
			return nil, false
		}
		v.orphans += blocks[b].orphans
		v.dups += blocks[b].dups
		blocks[b].next = make([]int64, nr)
	}
	for r := range nr {
		pos, last := v.roleOff[r], int32(-1)
		for b := range blocks {
			blk := &blocks[b]
			rc := &blk.roles[r]
			if rc.cnt > 0 {
				switch {
				case rc.first < last:
					return nil, false
				case rc.first == last: // a repeat across the blocks' boundary
					v.dups++
				}
				last = rc.last
			}
			blk.next[r] = pos
			pos += rc.cnt
		}
		v.roleOff[r+1] = pos
	}
	v.roleIdx = make([]int32, v.roleOff[nr])
	forEach(len(blocks), func(b int) {
		scatterRoleBlock(ai[bounds[b]:bounds[b+1]], ar[bounds[b]:bounds[b+1]], identOf, rank, blocks[b].next, v.roleIdx)
	})
	if v.dups > 0 {
		v.dropRepeats()
	}
	return v, true
}

// scatterRoleBlock writes the identity of each of a block's rows of known identities to
// its role's next slot in roleIdx.
func scatterRoleBlock(ai, ar, identOf, rank []int32, next []int64, roleIdx []int32) {
	ar = ar[:len(ai)]
	if rank == nil {
		for k, c := range ai {
			if i := identOf[c]; i >= 0 {
				r := ar[k]
				roleIdx[next[r]] = i
				next[r]++
			}
		}
		return
	}
	for k, c := range ai {
		if i := identOf[c]; i >= 0 {
			r := rank[ar[k]]
			roleIdx[next[r]] = i
			next[r]++
		}
	}
}

// countRoleBlock counts one block of rows by role, checking that each role's identities
// do not descend.
func countRoleBlock(ai, ar, identOf, rank []int32, nr int) roleBlock {
	blk := roleBlock{roles: make([]roleCount, nr)}
	roles := blk.roles
	for r := range roles {
		roles[r].last = -1
	}
	ar = ar[:len(ai)]
	for k, c := range ai {
		i := identOf[c]
		if i < 0 {
			blk.orphans++
			continue
		}
		r := ar[k]
		if rank != nil {
			r = rank[r]
		}
		rc := &roles[r]
		switch last := rc.last; {
		case i < last:
			blk.unordered = true
			return blk
		case i == last:
			blk.dups++
		case last < 0:
			rc.first = i
		}
		rc.last = i
		rc.cnt++
	}
	return blk
}

// dropRepeats removes, in place, each identity listed again right after itself in its
// role's list.
func (v *roleView) dropRepeats() {
	w := int64(0)
	for r := 0; r+1 < len(v.roleOff); r++ {
		lo, hi := v.roleOff[r], v.roleOff[r+1]
		v.roleOff[r] = w
		for k := lo; k < hi; k++ {
			if k == lo || v.roleIdx[k] != v.roleIdx[k-1] {
				v.roleIdx[w] = v.roleIdx[k]
				w++
			}
		}
	}
	v.roleOff[len(v.roleOff)-1] = w
	v.roleIdx = v.roleIdx[:w:w]
}
