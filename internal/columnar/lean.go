package columnar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/rolemine/rolemine/internal/parallel"
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
func LoadHoldings(ctx context.Context, dir string, opts HoldingsOptions) (held *Holdings, err error) {
	var bugs parallel.Bugs // a bug (a panic) on any of the load's goroutines is its error
	// recover: orBug returns a panic as a bug (a *parallel.PanicError)
	defer func() { held, err = orBug(dir, &bugs, recover(), held, err) }()
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
	r, err := readHoldings(ctx, dir, paths, opts, log, &bugs)
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
		raw: []string{"identity_id"}, keepLines: true, rawIfDistinct: dims == nil, noSum: true,
		dimensions: true}
	for _, d := range dims {
		spec.known[d] = modeValue
		if d != KindDimension {
			spec.required = append(spec.required, d)
		}
	}
	return spec
}

// leanAssignmentsSpec reads the assignments' identity ids through their column chunks'
// dictionaries (they are joined by value anyway), kept as runs while their rows come
// identity by identity, and their role ids.
var leanAssignmentsSpec = tableSpec{
	name:       "assignments",
	required:   []string{"identity_id", "role_id"},
	known:      map[string]colMode{"identity_id": modeRequired, "role_id": modeRequired},
	chunkDicts: []string{"identity_id"},
	runCodes:   []string{"identity_id"},
	noSum:      true,
}

// leanRead is what readHoldings read: the holdings' identities and dimensions, the
// identities' join index and the decoded assignments, and what the early join did of
// joining them.
type leanRead struct {
	h     *Holdings
	index *identityIndex
	asg   *table
	log   *slog.Logger
	early *earlyJoin
}

// readHoldings reads the identities and assignments files at the same time. As soon as
// the identities are read, their goroutine codes the dimensions and calls
// opts.OnIdentities, while the assignments are still being decoded; the early join
// starts joining the assignments as they are decoded. Both goroutines start through
// bugs: a panic there fails the load (LoadHoldings' orBug).
func readHoldings(ctx context.Context, dir string, paths [3]string, opts HoldingsOptions, log *slog.Logger, bugs *parallel.Bugs) (_ *leanRead, err error) {
	fault, _ := ctx.Value(decodeFaultKey{}).(func(file, column string))
	r := &leanRead{log: log, early: startEarlyJoin(runtime.GOMAXPROCS(0), bugs, func() {
		if fault != nil {
			fault(filepath.Base(paths[2]), EarlyJoinFaultColumn)
		}
	})}
	defer func() {
		if err != nil {
			r.early.stop()
		}
	}()
	var readErrs [2]error
	var notFlat, buildErr, cbErr error
	var wg sync.WaitGroup
	bugs.Go(&wg, func() {
		ids, err := readTable(ctx, paths[0], leanIdentitiesSpec(opts.Dims))
		if readErrs[0] = err; err != nil {
			return
		}
		if len(ids.lists) > 0 {
			notFlat = fmt.Errorf("load %s: %s column %s is multi-valued: %w", dir, ids.file, ids.lists[0].name, ErrNotFlat)
			return
		}
		if r.h, r.index, buildErr = leanIdentities(ids, opts, log); buildErr == nil {
			r.early.identities(r.index)
			if opts.OnIdentities != nil {
				cbErr = opts.OnIdentities(ctx, &Holdings{Identities: r.h.Identities, Dims: r.h.Dims})
			}
		}
	})
	spec := leanAssignmentsSpec
	spec.decoded = r.early.decoded
	r.asg, readErrs[1] = readTable(ctx, paths[2], &spec)
	wg.Wait()
	if err := bugs.Err(); err != nil {
		return nil, err // the identities' results are missing
	}
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
	warnUnknownExcluded(&s, opts.ExcludeDimensions, ids.file, log)
	warnNearMisses(log, ids)
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

// join completes the holdings with the role view of the assignments, from what the early
// join did.
func (r *leanRead) join(ctx context.Context) (*Holdings, error) {
	h, asg, log := r.h, r.asg, r.log
	ids := asg.col("identity_id")
	identOf, counter := r.early.take(r.index, ids.vals, ids.rowsCoded())
	// The roles keep the codes of the role_id column (distinct values, first-seen order):
	// no sort, since counting does not depend on the roles' order.
	rc := asg.col("role_id")
	roles := rc.vals
	h.Roles = roles
	ai, ar := ids.runIdents(), rc.codes
	counter.countRest(ai, ar, identOf, nil, len(roles))
	r.early.stop() // its last block counted
	if err := r.early.bugs.Err(); err != nil {
		return nil, err // a block it claimed may be missing
	}
	if v, ok := counter.view(ai, ar, identOf, nil, len(roles)); ok {
		h.RoleOff, h.RoleIdx = v.roleOff, v.roleIdx
		log.Debug("joined assignments", "orphan_rows", v.orphans, "duplicate_rows", v.dups, "in_order", true)
		return h, ctx.Err()
	}
	rank := make([]int32, len(roles))
	for r := range rank {
		rank[r] = int32(r)
	}
	perRow := ai.perRow()
	identOff, byIdent, _, orphans := bucketByIdentity(perRow, ar, identOf, rank, h.Identities, false)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	known := identOff[h.Identities]
	w := dedupeByIdentity(identOff, byIdent)
	roleIdx := perRow[:w:w] // dead once bucketed: its buffer becomes the role view
	h.RoleOff = bucketByRole(byIdent[:w:w], identOff, roleIdx, len(roles))
	h.RoleIdx = roleIdx
	log.Debug("joined assignments", "orphan_rows", len(orphans), "duplicate_rows", known-w)
	return h, nil
}

// earlyJoin does what it can of the join while the assignments are being decoded, on a
// goroutine of its own: once the identities are built and the assignments' identity_id
// column decoded, it finds their identities (findInOrder), then counts by role each block
// of rows whose role codes are decoded (roleCounter), and with nothing to count makes the
// role view's array and touches its pages. The load's last row groups of role_id, whose
// dictionaries go through one map in row-group order, are otherwise decoded on one
// processor while the other idles.
type earlyJoin struct {
	mu   sync.Mutex
	cond sync.Cond // broadcast on every change of in or over
	in   joinInputs
	// over: the join has taken what was done (take) or the load failed: nothing more
	// starts. finding: findInOrder is running.
	over, finding bool
	done          sync.WaitGroup
	bugs          *parallel.Bugs // the goroutine's panic, once done
	// identOf and counter are what the goroutine made, counted the blocks it has counted
	// (set under mu).
	identOf []int32
	counter *roleCounter
	counted int
}

// joinInputs are what the early join is told of, as it is decoded.
type joinInputs struct {
	index  *identityIndex // the identities' join index, once built
	idVals []string       // the assignments' identity_id values and codes, once decoded
	ai     rowCodes
	ar     []int32 // role_id's codes decoded so far, and its values then
	nr     int
	rows   int  // the file's rows
	bad    bool // the assignments hold a problem: the load fails, nothing is counted
}

// startEarlyJoin starts the early join's goroutine, for workers workers, through bugs (a
// panic there is the load's error); it calls fault first (a test's stand-in for a bug).
func startEarlyJoin(workers int, bugs *parallel.Bugs, fault func()) *earlyJoin {
	j := &earlyJoin{bugs: bugs}
	j.cond.L = &j.mu
	bugs.Go(&j.done, func() {
		fault()
		j.run(workers)
	})
	return j
}

// identities tells the early join of the identities' index.
func (j *earlyJoin) identities(index *identityIndex) {
	j.mu.Lock()
	j.in.index = index
	j.mu.Unlock()
	j.cond.Broadcast()
}

// decoded is the assignments' tableSpec.decoded: it takes the identity_id column once
// whole, and role_id's codes and values so far.
func (j *earlyJoin) decoded(c *column, rows int64) {
	bad := c.errs.any()
	j.mu.Lock()
	switch c.name {
	case "identity_id":
		if int64(c.rowsCoded()) == rows {
			j.in.ai, j.in.idVals = c.runIdents(), c.vals
		}
	case "role_id":
		j.in.ar, j.in.nr = c.codes, len(c.vals)
	}
	j.in.rows, j.in.bad = int(rows), j.in.bad || bad
	j.mu.Unlock()
	j.cond.Broadcast()
}

// run is the early join's goroutine.
func (j *earlyJoin) run(workers int) {
	in, ok := j.await(func(in *joinInputs) bool { return in.index != nil && in.idVals != nil })
	if !ok {
		return
	}
	identOf := findInOrder(in.index, in.idVals)
	rc := newRoleCounter(in.rows, workers)
	j.mu.Lock()
	j.identOf, j.counter, j.finding = identOf, rc, false
	j.mu.Unlock()
	touching := true
	for {
		in, ok := j.await(func(in *joinInputs) bool { return touching || rc.ready(len(in.ar)) })
		if !ok {
			return
		}
		if b, lo, hi, ok := rc.claim(len(in.ar)); ok {
			rc.blocks[b] = countRoleBlock(in.ai, lo, hi, in.ar, identOf, nil, in.nr)
			j.mu.Lock()
			j.counted++
			j.mu.Unlock()
			j.cond.Broadcast()
			continue
		}
		touching = rc.touch()
	}
}

// await waits until ready holds of the inputs, and returns them; false once over or bad.
// The first time it returns them, findInOrder is about to run (finding).
func (j *earlyJoin) await(ready func(*joinInputs) bool) (joinInputs, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for !j.over && !j.in.bad && !ready(&j.in) {
		j.cond.Wait()
	}
	ok := !j.over && !j.in.bad
	j.finding = ok && j.identOf == nil
	return j.in, ok
}

// take ends the early join's work and returns the identities of the assignments'
// identity codes vals (from index) and the role counter of their rows, made by it or
// here. Its last block may still be counting: stop waits for it.
func (j *earlyJoin) take(index *identityIndex, vals []string, rows int) ([]int32, *roleCounter) {
	j.mu.Lock()
	j.over = true
	finding := j.finding
	j.mu.Unlock()
	j.cond.Broadcast()
	if finding {
		j.done.Wait()
	}
	j.mu.Lock()
	identOf, rc := j.identOf, j.counter
	j.mu.Unlock()
	if identOf == nil {
		identOf = findInOrder(index, vals)
	}
	if rc == nil {
		rc = newRoleCounter(rows, runtime.GOMAXPROCS(0))
	}
	return identOf, rc
}

// stop ends the early join and waits for its goroutine.
func (j *earlyJoin) stop() {
	j.mu.Lock()
	j.over = true
	j.mu.Unlock()
	j.cond.Broadcast()
	j.done.Wait()
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
func roleViewInOrder(ai rowCodes, ar, identOf, rank []int32, nr int) (*roleView, bool) {
	rc := newRoleCounter(ai.rows(), runtime.GOMAXPROCS(0))
	rc.countRest(ai, ar, identOf, rank, nr)
	return rc.view(ai, ar, identOf, rank, nr)
}

// roleCounter builds roleViewInOrder's view from blocks of rows, each counted by role
// (countRoleBlock) by whoever claims it, in row order: the early join claims blocks of
// step rows as their role codes are decoded, then the join splits the rows left among its
// workers (countRest). A block counted early knows only the roles decoded by then: its
// counts stop at the roles it saw.
type roleCounter struct {
	rows, step, parts int

	mu     sync.Mutex
	bounds []int       // block b is rows bounds[b]:bounds[b+1]; the last bound: rows claimed
	blocks []roleBlock // room for every block, each written by its claimer alone

	// room is the view's array made ahead by the early join (a value for every row), its
	// pages touched up to touched; nil: made by view. Only the early join writes them,
	// and view reads them once it has stopped.
	room    []int32
	touched int
}

const (
	// earlyBlocks is how many blocks per processor the early join splits the rows into:
	// those it counts while role_id is being decoded, the rest split at the end.
	earlyBlocks = 4
	// minRoleBlock is the fewest rows of an early block.
	minRoleBlock = 1 << 16
	// touchChunk is how many values of the view's array the early join touches at a time
	// between looks for rows to count; pageValues is a page's values.
	touchChunk = 1 << 18
	pageValues = 4096 / 4
)

// newRoleCounter returns the counter of rows rows for workers workers.
func newRoleCounter(rows, workers int) *roleCounter {
	step := max(minRoleBlock, (rows+earlyBlocks*workers-1)/(earlyBlocks*workers))
	most := (rows+step-1)/step + workers
	return &roleCounter{rows: rows, step: step, parts: workers,
		bounds: make([]int, 1, most+1), blocks: make([]roleBlock, most)}
}

// claim claims the next block of step rows (or the last rows) when its rows are among
// the first avail; ok is false otherwise.
func (rc *roleCounter) claim(avail int) (b, lo, hi int, ok bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	lo = rc.bounds[len(rc.bounds)-1]
	hi = min(lo+rc.step, rc.rows)
	if lo >= hi || hi > avail {
		return 0, 0, 0, false
	}
	rc.bounds = append(rc.bounds, hi)
	return len(rc.bounds) - 2, lo, hi, true
}

// ready reports whether a block can be claimed with avail rows decoded.
func (rc *roleCounter) ready(avail int) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	lo := rc.bounds[len(rc.bounds)-1]
	return lo < rc.rows && min(lo+rc.step, rc.rows) <= avail
}

// countRest counts the rows no block holds yet, split into a block per worker, on the
// workers; the blocks claimed before are counted by their claimers.
func (rc *roleCounter) countRest(ai rowCodes, ar, identOf, rank []int32, nr int) {
	rc.mu.Lock()
	first, lo := len(rc.bounds)-1, rc.bounds[len(rc.bounds)-1]
	if lo < rc.rows {
		for _, end := range splitEven(rc.rows-lo, rc.parts)[1:] {
			rc.bounds = append(rc.bounds, lo+end)
		}
	}
	bounds := rc.bounds
	rc.mu.Unlock()
	forEach(len(bounds)-1-first, func(k int) {
		b := first + k
		lo, hi := bounds[b], bounds[b+1]
		rc.blocks[b] = countRoleBlock(ai, lo, hi, ar, identOf, rank, nr)
	})
}

// touch makes the view's array ahead if it is not made yet, else touches the pages of
// its next chunk; false once every page is touched.
func (rc *roleCounter) touch() bool {
	if rc.room == nil {
		rc.room = make([]int32, rc.rows)
		return true
	}
	end := min(rc.touched+touchChunk, len(rc.room))
	for i := rc.touched; i < end; i += pageValues {
		rc.room[i] = 0
	}
	rc.touched = end
	return end < len(rc.room)
}

// view builds the role view once every block is counted, or returns false where a
// block's rows are out of order.
func (rc *roleCounter) view(ai rowCodes, ar, identOf, rank []int32, nr int) (*roleView, bool) {
	bounds := rc.bounds
	blocks := rc.blocks[:len(bounds)-1]
	v := &roleView{roleOff: make([]int64, nr+1)}
	for b := range blocks {
		if blocks[b].unordered {
			return nil, false
		}
		v.orphans += blocks[b].orphans
		v.dups += blocks[b].dups
		blocks[b].next = make([]int64, len(blocks[b].roles))
	}
	for r := range nr {
		pos, last := v.roleOff[r], int32(-1)
		for b := range blocks {
			blk := &blocks[b]
			if r >= len(blk.roles) {
				continue
			}
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
	v.roleIdx = rc.roomFor(v.roleOff[nr])
	forEach(len(blocks), func(b int) {
		scatterRoleBlock(ai, bounds[b], bounds[b+1], ar, identOf, rank, blocks[b].next, v.roleIdx)
	})
	if v.dups > 0 {
		v.dropRepeats()
	}
	return v, true
}

// roomFor returns the view's array of n values: the one made ahead, unless it would
// leave more than an eighth of itself unused (rows of unknown identities).
func (rc *roleCounter) roomFor(n int64) []int32 {
	if rc.room != nil && 8*n >= 7*int64(len(rc.room)) {
		return rc.room[:n:n]
	}
	return make([]int32, n)
}

// scatterRoleBlock writes the identity of each of the rows lo:hi of known identities to
// its role's next slot in roleIdx.
func scatterRoleBlock(ai rowCodes, lo, hi int, ar, identOf, rank []int32, next []int64, roleIdx []int32) {
	if ai.runEnd == nil {
		scatterRows(ai.codes[lo:hi], ar[lo:hi], identOf, rank, next, roleIdx)
		return
	}
	for k := ai.runAt(lo); k < len(ai.runEnd) && lo < hi; k++ {
		end := min(int(ai.runEnd[k]), hi)
		if i := identOf[ai.runCode[k]]; i >= 0 {
			scatterRun(i, ar[lo:end], rank, next, roleIdx)
		}
		lo = end
	}
}

// scatterRun writes identity i to the next slot of each role of rs (through rank unless
// nil) in roleIdx.
func scatterRun(i int32, rs, rank []int32, next []int64, roleIdx []int32) {
	for _, r := range rs {
		if rank != nil {
			r = rank[r]
		}
		roleIdx[next[r]] = i
		next[r]++
	}
}

// scatterRows is scatterRoleBlock for a code per row.
func scatterRows(ai, ar, identOf, rank []int32, next []int64, roleIdx []int32) {
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

// countRoleBlock counts the rows lo:hi by role, checking that each role's identities do
// not descend.
func countRoleBlock(ai rowCodes, lo, hi int, ar, identOf, rank []int32, nr int) roleBlock {
	blk := roleBlock{roles: make([]roleCount, nr)}
	for r := range blk.roles {
		blk.roles[r].last = -1
	}
	if ai.runEnd == nil {
		blk.countRows(ai.codes[lo:hi], ar[lo:hi], identOf, rank)
		return blk
	}
	for k := ai.runAt(lo); k < len(ai.runEnd) && lo < hi; k++ {
		end := min(int(ai.runEnd[k]), hi)
		if i := identOf[ai.runCode[k]]; i < 0 {
			blk.orphans += int64(end - lo)
		} else if !blk.countRun(i, ar[lo:end], rank) {
			return blk
		}
		lo = end
	}
	return blk
}

// countRun counts the rows of identity i whose roles are rs (through rank unless nil);
// false once a role's identities descend (blk.unordered).
func (blk *roleBlock) countRun(i int32, rs, rank []int32) bool {
	roles := blk.roles
	for _, r := range rs {
		if rank != nil {
			r = rank[r]
		}
		rc := &roles[r]
		switch last := rc.last; {
		case i < last:
			blk.unordered = true
			return false
		case i == last:
			blk.dups++
		case last < 0:
			rc.first = i
		}
		rc.last = i
		rc.cnt++
	}
	return true
}

// countRows is countRoleBlock's count for a code per row.
func (blk *roleBlock) countRows(ai, ar, identOf, rank []int32) {
	roles := blk.roles
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
			return
		case i == last:
			blk.dups++
		case last < 0:
			rc.first = i
		}
		rc.last = i
		rc.cnt++
	}
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
