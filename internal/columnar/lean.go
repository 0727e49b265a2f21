package columnar

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
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
	// Roles are the ids of the roles named by the assignments (all roles, for a view of a
	// Snapshot), sorted; role index = position.
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
// Compared with Load it keeps no string per identity and no map of identity ids: when the
// identities file is ordered by identity_id (byte order), each identity id of the
// assignments' column-chunk dictionaries is found by a short search from the previous
// one; otherwise a map is built once and dropped. The roles are found through the
// assignments' role dictionary. Holdings equal HoldingsOf(Load(dir)) on their dimensions
// and assignments, but for Roles, which lists only roles named by assignments.
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
	ids, asg, err := readHoldingTables(ctx, dir, paths, leanIdentitiesSpec(opts.Dims))
	if err != nil {
		return nil, err
	}
	tRead := time.Since(start)
	h, err := holdingsOf(ctx, dir, ids, asg, opts, log)
	if err != nil {
		return nil, err
	}
	log.Info("loaded holdings", "dir", dir, "identities", h.Identities, "dimensions", len(h.Dims),
		"roles", len(h.Roles), "assignments", len(h.RoleIdx), "read", tRead, "elapsed", time.Since(start))
	return h, nil
}

// leanIdentitiesSpec reads identity_id without a dictionary map (each row's id is new,
// checked for duplicates by the join) and the attribute columns dims (nil: every one).
func leanIdentitiesSpec(dims []string) *tableSpec {
	spec := &tableSpec{name: "identities", required: []string{"identity_id"},
		known: map[string]colMode{"identity_id": modeRequired}, others: dims == nil,
		raw: []string{"identity_id"}, keepLines: true}
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
}

// readHoldingTables reads the identities and assignments files at the same time.
func readHoldingTables(ctx context.Context, dir string, paths [3]string, idSpec *tableSpec) (ids, asg *table, err error) {
	var errs [2]error
	var wg sync.WaitGroup
	wg.Go(func() { ids, errs[0] = readTable(ctx, paths[0], idSpec) })
	asg, errs[1] = readTable(ctx, paths[2], &leanAssignmentsSpec)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if err := errors.Join(errs[:]...); err != nil {
		return nil, nil, uerr.WrapInput(fmt.Errorf("load %s: %w", dir, err))
	}
	if len(ids.lists) > 0 {
		return nil, nil, fmt.Errorf("load %s: %s column %s is multi-valued: %w", dir, ids.file, ids.lists[0].name, ErrNotFlat)
	}
	for _, c := range asg.cols {
		if c.name != "identity_id" && c.name != "role_id" && c.name != LastUsedColumn {
			return nil, nil, fmt.Errorf("load %s: %s column %s: %w", dir, asg.file, c.name, ErrNotFlat)
		}
	}
	return ids, asg, nil
}

// holdingsOf builds the holdings from the decoded tables.
func holdingsOf(ctx context.Context, dir string, ids, asg *table, opts HoldingsOptions, log *slog.Logger) (*Holdings, error) {
	// The reserved owner_id column (read when every column is) is no dimension.
	ids.cols = slices.DeleteFunc(ids.cols, func(c *column) bool { return c.name == OwnerColumn })
	var s Snapshot
	if err := buildIdentities(&s, ids, LoadOptions{ExcludeDimensions: opts.ExcludeDimensions}, log); err != nil {
		return nil, err
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
	identOf, err := joinIdentities(ids, asg.col("identity_id").vals)
	if err != nil {
		return nil, uerr.WrapInput(fmt.Errorf("load %s: %w", dir, err))
	}
	rc := asg.col("role_id")
	roles, rank := sortDict(rc.vals)
	h.Roles = roles
	ai, ar := asg.col("identity_id").codes, rc.codes
	identOff, byIdent, orphans := bucketByIdentity(ai, ar, identOf, rank, h.Identities)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	known := identOff[h.Identities]
	roleIdx := ai[:known] // ai is dead once bucketed: its buffer becomes the role view
	h.RoleOff = bucketByRole(byIdent, identOff, roleIdx, len(roles))
	h.RoleIdx = dropDuplicates(h.RoleOff, roleIdx)
	log.Debug("joined assignments", "orphan_rows", len(orphans), "duplicate_rows", int(known)-len(h.RoleIdx))
	return h, nil
}

// joinIdentities returns, for each identity id keys holds, the index of the identity of
// table ids with that id, or -1. It fails on a duplicate identity id. Keys that come in
// the identities file's order (an export written identity by identity) are each matched
// with one comparison; the others are looked up in an index of the ids' hashes.
func joinIdentities(ids *table, keys []string) ([]int32, error) {
	vals := ids.col("identity_id").vals
	ix, err := newIDIndex(ids, vals)
	if err != nil {
		return nil, err
	}
	out := make([]int32, len(keys))
	next := 0 // the identity after the last one matched
	for k, key := range keys {
		switch {
		case next < len(vals) && vals[next] == key:
			out[k] = int32(next)
			next++
		case next > 0 && vals[next-1] == key: // a chunk's dictionary repeats the last identity
			out[k] = int32(next - 1)
		default:
			i := ix.find(key)
			out[k] = i
			if i >= 0 {
				next = int(i) + 1
			}
		}
	}
	return out, nil
}

// idIndex finds identity ids without a map: their 64-bit hashes, sorted with the
// identities' indices. An ordered file needs no hashes (sorted set).
type idIndex struct {
	seed   maphash.Seed
	vals   []string
	sorted bool
	refs   []hashRef
}

type hashRef struct {
	h uint64
	i int32
}

// newIDIndex indexes vals, the identity ids of table ids, and fails on a duplicate (the
// one of the smallest row, naming where its id was first seen).
func newIDIndex(ids *table, vals []string) (*idIndex, error) {
	ix := &idIndex{seed: maphash.MakeSeed(), vals: vals, sorted: sortedUnique(vals)}
	if ix.sorted {
		return ix, nil
	}
	ix.refs = make([]hashRef, len(vals))
	for i, v := range vals {
		ix.refs[i] = hashRef{maphash.String(ix.seed, v), int32(i)}
	}
	slices.SortFunc(ix.refs, func(a, b hashRef) int {
		if c := cmp.Compare(a.h, b.h); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	dup, first := -1, -1
	for k := 1; k < len(ix.refs); k++ {
		if ix.refs[k].h != ix.refs[k-1].h {
			continue
		}
		// Equal hashes: a duplicate or a collision. Compare with every earlier id of the run.
		for j := k - 1; j >= 0 && ix.refs[j].h == ix.refs[k].h; j-- {
			if a, b := ix.refs[j].i, ix.refs[k].i; vals[a] == vals[b] && (dup < 0 || int(b) < dup || int(b) == dup && int(a) < first) {
				dup, first = int(b), int(a)
			}
		}
	}
	if dup >= 0 {
		return nil, fmt.Errorf("%s row %d, column identity_id: duplicate %q (first at row %d); identity_id must be unique",
			ids.file, ids.pos(dup), vals[dup], ids.pos(first))
	}
	return ix, nil
}

// find returns the index of the identity with id key, or -1.
func (ix *idIndex) find(key string) int32 {
	if ix.sorted {
		if i, ok := slices.BinarySearch(ix.vals, key); ok {
			return int32(i)
		}
		return -1
	}
	h := maphash.String(ix.seed, key)
	k, _ := slices.BinarySearchFunc(ix.refs, h, func(r hashRef, h uint64) int { return cmp.Compare(r.h, h) })
	for ; k < len(ix.refs) && ix.refs[k].h == h; k++ {
		if i := ix.refs[k].i; ix.vals[i] == key {
			return i
		}
	}
	return -1
}

// sortedUnique reports whether vals is strictly ascending (byte order).
func sortedUnique(vals []string) bool {
	for i := 1; i < len(vals); i++ {
		if vals[i-1] >= vals[i] {
			return false
		}
	}
	return true
}
