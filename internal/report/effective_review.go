package report

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/safecsv"
	"github.com/rolemine/rolemine/internal/usage"
)

// effectiveReviewRow is one unexplained effective pair of review.csv for data with
// accounts or grants, in 32 bytes (a pairView and its extras took 64; the tier L universe
// has 2.27M rows, placed before the walk, so their bytes are pages touched for the first
// time): the fields of the pair's view an unexplained pair can differ in (its rule is
// always -1), its role's validations and flags (reviewFlag*).
type effectiveReviewRow struct {
	ident, role, system, acct int32
	// source and step are an inherited pair's (pairView's), -1 for a direct one.
	source, step int32
	// viaCode is 1 + the code of an inherited row's chain among the walk's vias, when the
	// walk wrote assignments.parquet (it made the codes); 0 otherwise.
	viaCode int32
	// validations are the role's (an int8 in the roles file; wider for tests of rows
	// outside its range).
	validations int16
	flags       uint8
	usage       usage.State
}

// Flags of an effectiveReviewRow: the pairView's booleans, and whether the identity is
// non-human.
const (
	reviewInherited = 1 << iota
	reviewRedundant
	reviewHidden
	reviewUnusedOnly
	reviewNonHuman
)

// newReviewRow returns the review row of the unexplained pair v, of a role of
// validations, of a non-human identity or not, with via code viaCode.
func newReviewRow(v *pairView, validations int, nonHuman bool, viaCode int32) effectiveReviewRow {
	r := effectiveReviewRow{ident: int32(v.ident), role: v.role, system: v.system, acct: v.acct, source: v.source,
		step: int32(v.step), viaCode: viaCode, validations: int16(validations), usage: v.usage}
	r.setFlags(v.inherited, v.redun, v.hidden, v.unusedOnly, nonHuman)
	return r
}

// setFlags sets r's flags.
func (r *effectiveReviewRow) setFlags(inherited, redundant, hidden, unusedOnly, nonHuman bool) {
	r.flags = 0
	for k, b := range [...]bool{inherited, redundant, hidden, unusedOnly, nonHuman} {
		if b {
			r.flags |= 1 << k
		}
	}
}

func (r *effectiveReviewRow) inherited() bool  { return r.flags&reviewInherited != 0 }
func (r *effectiveReviewRow) redundant() bool  { return r.flags&reviewRedundant != 0 }
func (r *effectiveReviewRow) hidden() bool     { return r.flags&reviewHidden != 0 }
func (r *effectiveReviewRow) unusedOnly() bool { return r.flags&reviewUnusedOnly != 0 }
func (r *effectiveReviewRow) nonHuman() bool   { return r.flags&reviewNonHuman != 0 }

// Reasons of review.csv's reason column, written when a mining rule mines used access
// only (docs/excess-privilege.md#used-only-review).
const (
	// reasonUnused: a rule of the role matches the identity, but the access is unused.
	reasonUnused = "unused"
	// reasonUnmatched: no rule of the role matches the identity (or the role has none).
	reasonUnmatched = "unmatched"
)

// reviewReason says why an unexplained pair is unexplained.
func reviewReason(r *effectiveReviewRow) string {
	if r.unusedOnly() {
		return reasonUnused
	}
	return reasonUnmatched
}

// privileged is the validations count from which a role counts as privileged.
const privileged = 2

// WriteEffectiveReviewCSV writes review.csv for data with accounts or grants: one row per
// unexplained effective pair, ranked: unexplained inherited access on privileged roles (2
// or more validations) first, then by validations, non-human identities first, hidden
// inherited access first, then identity file order and role id. Besides the identity and
// role it names the pair's system and account, whether it is inherited and through which
// chain (via), and whether the direct grant is redundant.
func WriteEffectiveReviewCSV(ctx context.Context, w io.Writer, snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) error {
	walk, err := walkPairs(ctx, snap, cls, eff)
	if err != nil {
		return err
	}
	order := reviewOrder(walk.review)
	// Each chain's via cell is made once, before the rows are formatted on every core, and
	// so are the cells of the roles (with their category), kinds and systems.
	vias := newReviewVias(walk, snap, eff)
	cells := newEffectiveCells(snap, walk.systemNames)
	usedOnly := eff != nil && eff.UsedOnly
	cw := safecsv.NewWriter(w)
	header := []string{"rank", "identity_id", "kind", "non_human", "role_id", "category", "validations",
		"system", "account_id", "inherited", "via", "hidden_inherited", "redundant"}
	if usedOnly {
		header = append(header, "reason")
	}
	cw.Write(header)
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	kd := &snap.Dims[snap.KindDim]
	format := func(buf *bytes.Buffer, lo, hi int) error {
		var line []byte
		for k := lo; k < hi; k++ {
			if (k-lo)%touchRows == 0 {
				line = append(line[:0], touchEffectiveRows(snap, walk.review, order[k:min(k+touchRows, hi)], cells, vias))
			}
			r := &walk.review[order[k]]
			via := vias.of(r)
			line = strconv.AppendInt(line[:0], int64(k+1), 10)
			line = safecsv.AppendCell(append(line, ','), snap.IdentityIDs[r.ident])
			line = append(append(line, ','), cells.kind(kd.Codes[r.ident])...)
			line = strconv.AppendBool(append(line, ','), r.nonHuman())
			line = append(append(line, ','), cells.role(r.role)...)
			line = strconv.AppendInt(append(line, ','), int64(r.validations), 10)
			line = append(append(line, ','), cells.system(r.system)...)
			line = safecsv.AppendCell(append(line, ','), accountID(snap, r.acct))
			line = strconv.AppendBool(append(line, ','), r.inherited())
			line = append(append(line, ','), via...)
			line = strconv.AppendBool(append(line, ','), r.hidden())
			line = strconv.AppendBool(append(line, ','), r.redundant())
			if usedOnly {
				line = safecsv.AppendCell(append(line, ','), reviewReason(r))
			}
			buf.Write(append(line, '\n'))
		}
		return nil
	}
	return writeChunksOf(ctx, w, len(order), reviewChunk(vias.longest()), format)
}

// reviewVias are review.csv's via cells, each chain's escaped once: by the rows' via codes
// when the walk wrote assignments.parquet (it gave every inherited row the code of its
// chain, so that the cells are made from the distinct chains alone), else by the steps of
// the closure, made from a pass over the rows.
type reviewVias struct {
	byCode, byStep []string
}

func newReviewVias(walk *pairWalk, snap *columnar.Snapshot, eff *Effective) *reviewVias {
	c := &reviewVias{}
	if eff == nil || eff.Eff == nil {
		return c
	}
	if walk.vias != nil {
		c.byCode = make([]string, len(walk.vias))
		for k, s := range walk.vias {
			c.byCode[k] = string(safecsv.AppendCell(nil, s))
		}
		return c
	}
	c.byStep = make([]string, eff.Eff.Closure.NumSteps())
	for k := range walk.review {
		if r := &walk.review[k]; r.inherited() && c.byStep[r.step] == "" {
			c.byStep[r.step] = string(safecsv.AppendCell(nil, eff.Eff.Closure.ViaString(r.source, r.role, snap.Roles.IDs)))
		}
	}
	return c
}

// longest returns the length of the longest via cell.
func (c *reviewVias) longest() int {
	n := 0
	for _, v := range c.byCode {
		n = max(n, len(v))
	}
	for _, v := range c.byStep {
		n = max(n, len(v))
	}
	return n
}

// reviewChunkBytes bounds the bytes of one chunk of review.csv's rows (reviewChunk).
const reviewChunkBytes = 16 << 20

// reviewChunk returns how many rows of review.csv a chunk formats when no via cell is
// longer than longest: writeChunks's 2^14, or fewer, so that a chunk of rows with the
// longest cell (and 256 bytes for the others) stays within reviewChunkBytes. A chain
// thousands of roles deep has a via cell of tens of kilobytes, and four buffers of 2^14
// such rows held 1.5 GB (a 2,000-role chain); cells of up to 768 bytes keep 2^14.
func reviewChunk(longest int) int {
	return min(1<<14, max(64, reviewChunkBytes/(longest+256)))
}

// of returns row r's via cell ("" for a direct row).
func (c *reviewVias) of(r *effectiveReviewRow) string {
	switch {
	case !r.inherited():
		return ""
	case r.viaCode > 0:
		return c.byCode[r.viaCode-1]
	}
	return c.byStep[r.step]
}

// effectiveCells are the cells of a universe's review.csv that many rows share, each
// escaped once (cellTable): a role's piece is its id and category, two cells; system
// index -1 (none) is the empty piece 0.
type effectiveCells struct {
	roles, kinds, systems cellTable
}

func newEffectiveCells(snap *columnar.Snapshot, systemNames []string) *effectiveCells {
	c := &effectiveCells{}
	for r, id := range snap.Roles.IDs {
		c.roles.buf = safecsv.AppendCell(append(safecsv.AppendCell(c.roles.buf, id), ','), snap.Roles.Category[r])
		c.roles.add()
	}
	for _, v := range snap.Dims[snap.KindDim].Values {
		c.kinds.buf = safecsv.AppendCell(c.kinds.buf, v)
		c.kinds.add()
	}
	c.systems.add()
	for _, name := range systemNames {
		c.systems.buf = safecsv.AppendCell(c.systems.buf, name)
		c.systems.add()
	}
	return c
}

func (c *effectiveCells) role(r int32) []byte   { return c.roles.at(int(r)) }
func (c *effectiveCells) kind(k int32) []byte   { return c.kinds.at(int(k)) }
func (c *effectiveCells) system(s int32) []byte { return c.systems.at(int(s) + 1) }

// reviewOrder returns the indices of rows in review.csv's rank order: unexplained
// inherited access on privileged roles first, then by validations (most first),
// non-human identities first, hidden inherited access first, then walk order. The
// fields before walk order take 11 bits a row (reviewGroup), so the order is a stable
// counting sort by group (reviewOrderIn), not a sort of the rows or of one key a row.
func reviewOrder(rows []effectiveReviewRow) []int32 {
	const minPart = 1 << 16 // smaller parts are not worth a goroutine
	if order, ok := reviewOrderIn(rows, max(1, min(runtime.GOMAXPROCS(0), len(rows)/minPart))); ok {
		return order
	}
	first := func(r *effectiveReviewRow) bool { return r.inherited() && r.validations >= privileged }
	order := make([]int32, len(rows))
	for k := range order {
		order[k] = int32(k)
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		x, y := &rows[a], &rows[b]
		return cmp.Or(-boolCmp(first(x), first(y)), cmp.Compare(y.validations, x.validations),
			-boolCmp(x.nonHuman(), y.nonHuman()), -boolCmp(x.hidden(), y.hidden()))
	})
	return order
}

// reviewGroups is the number of review groups (reviewGroup).
const reviewGroups = 1 << 11

// reviewGroup returns r's group, whose ascending order is review.csv's rank order before
// walk order: from the top bit down, not (inherited on a privileged role), 127 -
// validations (8 bits: validations are a role file's int8), not non-human, not hidden.
// r's validations must be within int8's range.
func reviewGroup(r *effectiveReviewRow) uint16 {
	bit := func(b bool) uint16 {
		if b {
			return 0 // true sorts first
		}
		return 1
	}
	first := r.inherited() && r.validations >= privileged
	return bit(first)<<10 | uint16(math.MaxInt8-r.validations)<<2 | bit(r.nonHuman())<<1 | bit(r.hidden())
}

// reviewOrderIn is reviewOrder's counting sort, in parts of consecutive rows at the same
// time: each part counts its rows by group, then places their indices after those of
// the groups before and of the same group in earlier parts, so that ties stay in walk
// order. It reports false, with no order, when a row's validations are outside int8's
// range or the rows are too many for int32 indices. A worker's panic (a bug) is raised
// again on the caller's goroutine (parallel.Must).
func reviewOrderIn(rows []effectiveReviewRow, parts int) ([]int32, bool) {
	if len(rows) > math.MaxInt32 {
		return nil, false
	}
	group := make([]uint16, len(rows))
	next := make([][reviewGroups]int, parts)
	bound := func(p int) int { return p * len(rows) / parts }
	var bad atomic.Bool
	parallel.Must(parallel.Each(context.Background(), parts, parts, func(_, p int) error {
		count := &next[p]
		for k := bound(p); k < bound(p+1); k++ {
			r := &rows[k]
			if r.validations < math.MinInt8 || r.validations > math.MaxInt8 {
				bad.Store(true)
				return nil
			}
			group[k] = reviewGroup(r)
			count[group[k]]++
		}
		return nil
	}))
	if bad.Load() {
		return nil, false
	}
	at := 0
	for g := range reviewGroups {
		for p := range next {
			n := next[p][g]
			next[p][g] = at
			at += n
		}
	}
	order := make([]int32, len(rows))
	parallel.Must(parallel.Each(context.Background(), parts, parts, func(_, p int) error {
		place := &next[p]
		for k := bound(p); k < bound(p+1); k++ {
			order[place[group[k]]] = int32(k)
			place[group[k]]++
		}
		return nil
	}))
	return order, true
}

// writeChunks writes n formatted rows to w in order: format writes rows [lo, hi) to a
// buffer. Chunks of rows are formatted on every core, each into a buffer of its own,
// while the caller writes the buffers already formatted, in order: formatting and
// writing overlap.
func writeChunks(ctx context.Context, w io.Writer, n int, format func(buf *bytes.Buffer, lo, hi int) error) error {
	return writeChunksOf(ctx, w, n, 1<<14, format)
}

// writeChunksOf is writeChunks with chunks of chunk rows.
func writeChunksOf(ctx context.Context, w io.Writer, n, chunk int, format func(buf *bytes.Buffer, lo, hi int) error) error {
	chunks := (n + chunk - 1) / chunk
	workers := min(runtime.GOMAXPROCS(0), chunks)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// free holds the buffers not being formatted or written: two a worker, so that every
	// worker has one to fill while the caller writes. A worker takes a buffer before it
	// claims the next chunk, so the chunks in flight are always the next ones to write.
	free := make(chan *bytes.Buffer, 2*workers)
	for range 2 * workers {
		free <- new(bytes.Buffer)
	}
	type formatted struct {
		buf *bytes.Buffer
		err error
	}
	results := make([]chan formatted, chunks)
	for c := range results {
		results[c] = make(chan formatted, 1)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // runs before wg.Wait: stops the workers on error
	for range workers {
		// goroutine: each chunk is formatted through parallel.Call
		wg.Go(func() {
			for {
				var buf *bytes.Buffer
				select {
				case buf = <-free:
				case <-ctx.Done():
					return
				}
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				buf.Reset()
				// A panic in format (a bug) is the chunk's error (parallel.Call).
				err := parallel.Call(func() error { return format(buf, c*chunk, min((c+1)*chunk, n)) })
				results[c] <- formatted{buf, err}
				if err != nil {
					return
				}
			}
		})
	}
	for c := range chunks {
		var r formatted
		select {
		case r = <-results[c]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.err != nil {
			return r.err
		}
		if _, err := w.Write(r.buf.Bytes()); err != nil {
			return err
		}
		free <- r.buf
	}
	return nil
}

// touchEffectiveRows reads, for the rows of review at order (the next rows to format,
// in rank order, scattered in memory), the row itself and the first byte of its identity
// id, kind code, role cell, account id and via cell, and returns their sum: independent
// reads the processor overlaps, where the formatting would wait for each miss in turn.
func touchEffectiveRows(snap *columnar.Snapshot, review []effectiveReviewRow, order []int32, cells *effectiveCells, vias *reviewVias) byte {
	var sum byte
	kinds := snap.Dims[snap.KindDim].Codes
	for _, o := range order {
		r := &review[o]
		if id := snap.IdentityIDs[r.ident]; id != "" {
			sum += id[0]
		}
		sum += byte(kinds[r.ident])
		if c := cells.role(r.role); len(c) > 0 {
			sum += c[0]
		}
		if r.acct >= 0 {
			if a := snap.Universe.Accounts.ID[r.acct]; a != "" {
				sum += a[0]
			}
		}
		if via := vias.of(r); via != "" {
			sum += via[0]
		}
	}
	return sum
}
