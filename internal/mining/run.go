package mining

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/metrics"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/uerr"
	"github.com/rolemine/rolemine/internal/usage"
)

// Options tune a run without changing its result.
type Options struct {
	// Backend counts co-occurrences; required.
	Backend kernels.Backend
	// Workers is the number of goroutines mining roles in parallel (<=0: GOMAXPROCS).
	Workers int
	// Progress, if set, is called now and then with roles done and roles to do in the
	// current mining rule.
	Progress func(miningRule, done, total int)
	// Roles, if set, restricts mining to the roles for which it returns true (sharding).
	Roles func(role int32) bool
	// Previous, if set, is an earlier run's model: a role keeps its previous rules while
	// they meet every bound and the best alternative gains no more correct decisions than
	// Previous.Grace percent of the role's holders in scope (stability.go). Nil leaves
	// every result unchanged.
	Previous *Previous
	// Effective is the snapshot's effective privilege (EffectiveOf); nil: Run computes it.
	// Identities holding a role only through grants are neutral for its counts.
	Effective *Effective
	// NeutralBackend counts the criteria neutral identities match in mining rules that go
	// in batches (criteria of more than two terms; streamed roles count theirs on the CPU
	// where they are selected) (nil: Backend). A device backend that keeps one matrix on
	// the device would otherwise swap it for the neutral one and back on every batch.
	NeutralBackend kernels.Backend
	// Usage is the usage state of every direct pair, aligned with snap.IdentIdx (nil: no
	// usage data). Only UsedOnly mining rules read it: their unused direct holders are
	// neutral (usedonly.go).
	Usage []usage.State
}

// batchHolders bounds the holders of the roles counted in one backend call, so that the
// per-role counts of a batch stay small in memory.
const batchHolders = 1 << 21

// Run mines snap with cfg (docs/semantics.md, section 5).
func Run(ctx context.Context, snap *columnar.Snapshot, cfg *Config, opts Options) (*Model, error) {
	e, err := newEngine(ctx, snap, cfg, opts)
	if err != nil {
		return nil, err
	}
	nr := snap.NumRoles()
	// lastScope[r] is the mining rule whose scope measures role r if uncovered (-1: none);
	// perRole[r] the rules of role r.
	lastScope := make([]int, nr)
	for r := range lastScope {
		lastScope[r] = -1
	}
	perRole := make([][]Rule, nr)
	order := SortedForRun(cfg.MiningRules)
	if err := checkDimensions(snap, cfg.Path, order); err != nil {
		return nil, err
	}
	for k := range order {
		mr := &order[k]
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e.use(mr)
		roles := e.selectRoles(mr)
		if mr.ExcludeRole {
			if err := e.withhold(mr, roles, lastScope); err != nil {
				return nil, err
			}
			continue
		}
		res, err := e.mineRule(ctx, mr, roles)
		if err != nil {
			return nil, err
		}
		e.record(mr, roles, res, lastScope, perRole)
	}
	e.holderView = *e.base
	e.finish(lastScope, perRole)
	return e.model, nil
}

// newEngine checks the options and prepares a run: the model with an empty outcome per
// role, and the base view of the holders (the effective privilege computed if not given).
func newEngine(ctx context.Context, snap *columnar.Snapshot, cfg *Config, opts Options) (*engine, error) {
	if opts.Backend == nil {
		return nil, errors.New("mining: no counting backend")
	}
	if cfg == nil || len(cfg.MiningRules) == 0 {
		return nil, uerr.New("mining: the configuration has no mining rule")
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Effective == nil {
		eff, err := EffectiveOf(ctx, snap)
		if err != nil {
			return nil, err
		}
		opts.Effective = eff
	}
	nr := snap.NumRoles()
	m := &Model{
		Config:      cfg,
		Outcomes:    make([]Outcome, nr),
		ScopeSizes:  make([]int64, len(cfg.MiningRules)),
		SkippedDims: make([][]string, len(cfg.MiningRules)),
		Backend:     opts.Backend.Name(),
	}
	for r := range m.Outcomes {
		m.Outcomes[r] = Outcome{Role: int32(r), MiningRule: -1, ExcludedBy: -1}
	}
	e := &engine{snap: snap, opts: opts, model: m}
	e.base = &holderView{mat: MatrixOf(snap), eff: opts.Effective}
	if e.base.eff != nil {
		e.base.nmat = e.base.eff.neutralMatrix(e.base.mat)
	}
	return e, nil
}

// withhold records the roles an ExcludeRole mining rule withholds. They are measured as
// the empty rule set over this entry's scope, without the identities holding the role
// only through grants; the entry weighs no candidate, so an earlier attempt's candidates
// and exactness are cleared with its counts.
func (e *engine) withhold(mr *MiningRule, roles []int32, lastScope []int) error {
	sc, err := e.scope(mr)
	if err != nil {
		return err
	}
	for _, r := range roles {
		o := &e.model.Outcomes[r]
		hn := e.inScope(sc, r)
		n := sc.n - sc.neutral(r)
		o.N, o.TP, o.FP, o.FN, o.TN = n, 0, 0, hn, n-hn
		o.Candidates, o.Exact = 0, false
		lastScope[r] = mr.Index
		o.ExcludedBy = mr.Index
		o.Reason = "excluded by " + mr.Name()
		o.Attempts = append(o.Attempts, Attempt{MiningRule: mr.Index, Reason: o.Reason})
	}
	return nil
}

// record stores a mining rule's verdicts on its roles (res[k] is roles[k]'s).
func (e *engine) record(mr *MiningRule, roles []int32, res []roleResult, lastScope []int, perRole [][]Rule) {
	for k, r := range roles {
		o := &e.model.Outcomes[r]
		rr := &res[k]
		lastScope[r] = mr.Index
		o.Attempts = append(o.Attempts, Attempt{MiningRule: mr.Index, Covered: len(rr.rules) > 0, Reason: rr.reason})
		o.Reason = rr.reason
		o.N, o.TP, o.FP, o.FN, o.TN = rr.n, rr.tp, rr.fp, rr.fn, rr.tn
		o.Candidates, o.Exact = rr.candidates, rr.exact
		if len(rr.rules) > 0 {
			o.MiningRule = mr.Index
			o.Rules = len(rr.rules)
			perRole[r] = rr.rules
		}
	}
}

// finish completes every outcome after the last mining rule (the roles of this shard
// only): the reason of roles no mining rule selected, the metrics of roles never mined
// (the empty rule set over every identity, neutral ones aside), precision and
// false-positive share; and gathers the rules in role order.
func (e *engine) finish(lastScope []int, perRole [][]Rule) {
	m, snap := e.model, e.snap
	all := int64(snap.NumIdentities())
	neutral := e.eff.neutralInScope(nil)
	for r := range m.Outcomes {
		o := &m.Outcomes[r]
		if e.opts.Roles != nil && !e.opts.Roles(int32(r)) {
			continue
		}
		if len(o.Attempts) == 0 {
			o.Reason = "not selected by any mining rule"
		}
		if lastScope[r] < 0 {
			o.N = all
			if neutral != nil {
				o.N -= neutral[r]
			}
			o.FN = int64(len(snap.Holders(r)))
			o.TN = o.N - o.FN
		}
		c := metrics.Counts{N: o.N, TP: o.TP, FP: o.FP, FN: o.FN, TN: o.TN}
		o.Precision, o.FalsePositivePct = c.Precision(), c.FalsePositivePct()
		m.Rules = append(m.Rules, perRole[r]...)
	}
}

// engine holds what one run shares across mining rules.
type engine struct {
	snap  *columnar.Snapshot
	opts  Options
	model *Model
	// holderView is the current mining rule's: its holders (mat's role CSR) and neutral
	// identities (eff, nil when there are none; nmat counts over them).
	holderView
	// base counts every direct holder, with the identities holding a role only through
	// grants neutral; usedOnly (made on first use) is base for UsedOnly mining rules.
	base, usedOnly *holderView
}

// use makes mr's view the current one.
func (e *engine) use(mr *MiningRule) {
	if !mr.UsedOnly || e.opts.Usage == nil {
		e.holderView = *e.base
		return
	}
	if e.usedOnly == nil {
		v := usedOnlyView(e.snap, *e.base, e.opts.Usage)
		e.usedOnly = &v
	}
	e.holderView = *e.usedOnly
}

// selectRoles returns the roles a mining rule considers: matching its Category and
// validation filters, and neither covered nor withheld by an earlier mining rule.
func (e *engine) selectRoles(mr *MiningRule) []int32 {
	var out []int32
	rs := &e.snap.Roles
	for r := range rs.IDs {
		o := &e.model.Outcomes[r]
		if o.MiningRule >= 0 || o.ExcludedBy >= 0 {
			continue
		}
		if e.opts.Roles != nil && !e.opts.Roles(int32(r)) {
			continue
		}
		if mr.Category != nil && rs.Category[r] != *mr.Category {
			continue
		}
		v := int(rs.Validations[r])
		if v < 0 || v > 3 || !mr.IncludeValidations[v] {
			continue
		}
		out = append(out, int32(r))
	}
	return out
}

// inScope counts the holders of role r in the scope.
func (e *engine) inScope(sc *ruleScope, r int32) int64 {
	var n int64
	for _, i := range e.holders(r) {
		if sc.bits[i>>6]&(1<<(uint32(i)&63)) != 0 {
			n++
		}
	}
	return n
}

// roleResult is one role's verdict under one mining rule.
type roleResult struct {
	rules             []Rule
	reason            string
	n, tp, fp, fn, tn int64
	candidates        int
	exact             bool
}

// ruleScope is what a mining rule's roles share: the scope, its size, the dimensions
// criteria may use and an index of the scope by value.
type ruleScope struct {
	mr    *MiningRule
	bits  []uint64
	n     int64
	dims  []int32
	ix    *index
	minTP int32
	// neutralIn[r] is the number of role r's neutral identities in the scope (nil: none).
	neutralIn []int64
}

// neutral returns the number of role r's neutral identities in the scope.
func (sc *ruleScope) neutral(r int32) int64 {
	if sc.neutralIn == nil {
		return 0
	}
	return sc.neutralIn[r]
}

func (e *engine) scope(mr *MiningRule) (*ruleScope, error) {
	snap := e.snap
	nid := snap.NumIdentities()
	sc := &ruleScope{mr: mr, bits: make([]uint64, (nid+63)/64)}
	kd := &snap.Dims[snap.KindDim]
	inKind := make([]bool, len(kd.Values))
	for c, v := range kd.Values {
		inKind[c] = mr.InScope(v)
	}
	for i := 0; i < nid; i++ {
		if inKind[kd.Codes[i]] {
			sc.bits[i>>6] |= 1 << (uint(i) & 63)
			sc.n++
		}
	}
	e.model.ScopeSizes[mr.Index] = sc.n
	if sc.n == int64(nid) {
		sc.neutralIn = e.eff.neutralInScope(nil)
	} else {
		sc.neutralIn = e.eff.neutralInScope(sc.bits)
	}
	allowed, err := allowedDims(snap, mr)
	if err != nil {
		return nil, err
	}
	var skipped []string
	seen := []bool{}
	for d := range snap.Dims {
		dim := &snap.Dims[d]
		if !allowed[d] {
			continue
		}
		// A dimension skipped for its distinct values over all identities is counted again
		// within a narrower scope (ScopeRecount); excluded ones stay skipped.
		if dim.Skipped && (!dim.ScopeRecount || sc.n == int64(nid)) {
			skipped = append(skipped, dim.Name)
			continue
		}
		// A dimension with more distinct in-scope values than half the scope can never
		// make a rule worth having (e-mail, employee id): skip it for this mining rule.
		if d != snap.KindDim && 2*sc.distinct(dim, &seen) > sc.n {
			skipped = append(skipped, dim.Name)
			continue
		}
		sc.dims = append(sc.dims, int32(d))
	}
	e.model.SkippedDims[mr.Index] = skipped
	// No identity count reaches MaxInt32, so the clamp changes no outcome; it keeps a
	// MinIdentitiesCount beyond it from wrapping around (4294967300 became 4).
	sc.minTP = int32(min(minTPOf(mr), math.MaxInt32))
	return sc, nil
}

// minTPOf is the smallest tp a useful candidate of mr can have: support >= Min and fp <=
// F% of support; at least 1.
func minTPOf(mr *MiningRule) int64 {
	minTP := int64(mr.MinIdentities) - int64(math.Floor(mr.FalsePositiveMax*float64(mr.MinIdentities)/100+1e-9))
	return max(1, minTP)
}

// checkDimensions refuses, before any mining rule runs, a Dimensions entry of any of
// rules that names no attribute of the identities (docs/semantics.md#dims-allowed): a
// typo in a late mining rule would otherwise stop the run only after the earlier ones
// were mined. path, the configuration file, prefixes the message when known.
func checkDimensions(snap *columnar.Snapshot, path string, rules []MiningRule) error {
	for k := range rules {
		if _, err := allowedDims(snap, &rules[k]); err != nil {
			if path != "" {
				return uerr.Wrap(fmt.Errorf("%s: %w", path, err))
			}
			return err
		}
	}
	return nil
}

// allowedDims marks the dimensions mr's Dimensions lists (all when it lists none); a name
// that is not an attribute of the identities is a user error.
func allowedDims(snap *columnar.Snapshot, mr *MiningRule) ([]bool, error) {
	allowed := make([]bool, len(snap.Dims))
	if mr.Dimensions == nil {
		for d := range allowed {
			allowed[d] = true
		}
		return allowed, nil
	}
	for _, name := range mr.Dimensions {
		d := snap.DimIndex(name)
		if d < 0 {
			return nil, uerr.New("%s: Dimensions lists %q, which is not an attribute of the identities (have: %s)%s",
				mr.Name(), name, strings.Join(dimNames(snap), ", "), dimHint(snap, name))
		}
		allowed[d] = true
	}
	return allowed, nil
}

// distinct counts the values of dim held by identities in the scope; seen is scratch,
// grown to the dimension's dictionary.
func (sc *ruleScope) distinct(dim *columnar.Dimension, seen *[]bool) int64 {
	*seen = slices.Grow((*seen)[:0], len(dim.Values))[:len(dim.Values)]
	marks := *seen
	clear(marks)
	distinct := int64(0)
	mark := func(c int32) {
		if !marks[c] {
			marks[c] = true
			distinct++
		}
	}
	for i := range len(dim.Codes) {
		if sc.bits[i>>6]&(1<<(uint(i)&63)) == 0 {
			continue
		}
		if c := dim.Codes[i]; c >= 0 {
			mark(c)
		}
		if dim.MultiOff != nil {
			for _, c := range dim.MultiCodes[dim.MultiOff[i]:dim.MultiOff[i+1]] {
				mark(c)
			}
		}
	}
	return distinct
}

// dimHint suggests the attribute of snap that name differs from only in letter case
// ("Dept" for dept), as an unknown <MiningRule> attribute gets; "" when none does.
func dimHint(snap *columnar.Snapshot, name string) string {
	for _, d := range snap.Dims {
		if strings.EqualFold(d.Name, name) {
			return fmt.Sprintf("; names are case-sensitive: did you mean %s?", d.Name)
		}
	}
	return ""
}

func dimNames(snap *columnar.Snapshot) []string {
	var out []string
	for _, d := range snap.Dims {
		out = append(out, d.Name)
	}
	return out
}

// mineRule runs one (non-excluding) mining rule over roles. Supports of criteria of one
// or two terms come from a table counted once for the mining rule; with no longer
// criteria, each role is selected as soon as the backend has counted it (streaming, with
// or without effective privilege), otherwise roles go in batches (batched).
func (e *engine) mineRule(ctx context.Context, mr *MiningRule, roles []int32) ([]roleResult, error) {
	res := make([]roleResult, len(roles))
	sc, err := e.scope(mr)
	if err != nil {
		return nil, err
	}
	if len(roles) == 0 {
		return res, nil
	}
	sc.ix = buildIndex(e.snap, sc.bits, sc.dims)
	q := kernels.Query{InScope: sc.bits, Dims: sc.dims, MaxTerms: min(mr.MaxDimensions, kernels.MaxTerms), MinTP: sc.minTP}
	table, err := newSupportTable(e.snap, sc.ix, sc.dims, e.opts.Workers)
	if err != nil {
		return nil, fmt.Errorf("supports (%s): %w", mr.Name(), err)
	}
	sup := &supports{table: table, cache: newSupportCache()}
	workers := make([]*selector, e.opts.Workers)
	for w := range workers {
		workers[w] = newSelector(e.snap, sc)
		workers[w].view = e.holderView
		workers[w].eff = e.eff
		workers[w].grants = e.base.eff
		workers[w].prev = e.opts.Previous // stability hook (stability.go); nil: no effect
		workers[w].tally.usePacked(sup.table.packed)
	}
	rm := &ruleMining{e: e, mr: mr, roles: roles, res: res, q: q, sup: sup, workers: workers}
	if len(q.Dims) > 0 && q.MaxTerms <= 2 {
		err = rm.streaming(ctx)
	} else {
		err = rm.batched(ctx)
	}
	if err != nil {
		return nil, err
	}
	if e.opts.Progress != nil {
		e.opts.Progress(mr.Index, len(roles), len(roles))
	}
	return res, nil
}

// countsBudget bounds the counts (40 bytes each) that streaming lets wait for selection
// or be selected at once. At tier XL the largest roles emit millions of counts each, and
// they come first.
const countsBudget = 1 << 23

// budget is a counting semaphore: acquire waits until n more units fit (a request larger
// than the whole budget waits until nothing is held, then takes the whole budget).
type budget struct {
	mu        sync.Mutex
	cond      *sync.Cond
	used, max int64
}

func newBudget(max int64) *budget {
	b := &budget{max: max}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// acquire takes min(n, max) units, waiting while they do not fit, and returns how many
// it took.
func (b *budget) acquire(n int64) int64 {
	n = min(n, b.max)
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.used > 0 && b.used+n > b.max {
		b.cond.Wait()
	}
	b.used += n
	return n
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
	b.cond.Broadcast()
}

// ruleMining is one mining rule's work over its roles: res[k] is the result of roles[k].
type ruleMining struct {
	e       *engine
	mr      *MiningRule
	roles   []int32
	res     []roleResult
	q       kernels.Query
	sup     *supports
	workers []*selector
	done    atomic.Int64
}

// finish records role k's result from selector s (the stability hook may keep the
// previous rules of a role without neutral holders) and reports progress.
func (rm *ruleMining) finish(s *selector, k int, r int32, counts []kernels.Count, neutral neutralOf) {
	rm.res[k] = s.mine(r, counts, neutral, rm.sup)
	if s.prev != nil && neutral.all.empty() {
		rm.res[k] = s.stabilize(r, rm.res[k])
	}
	if d := rm.done.Add(1); rm.e.opts.Progress != nil && d%256 == 0 {
		rm.e.opts.Progress(rm.mr.Index, int(d), len(rm.roles))
	}
}

// largestFirst returns roles ordered by their number of holders in the CSR offsets off
// (summed over every CSR given), largest first (ties in the given order): counted in this
// order, no worker is left with a big role while the others wait at the end of a backend
// call.
func largestFirst(roles []int32, offs ...[]int64) []int32 {
	order := slices.Clone(roles)
	size := func(r int32) int64 {
		n := int64(0)
		for _, off := range offs {
			n += off[r+1] - off[r]
		}
		return n
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(size(b), size(a)) })
	return order
}

// streaming selects each role's rules as soon as the backend has counted it: no role waits
// for a batch and no batch of counts is held. A backend that emits from its workers at
// once has each role selected inside emit (inline); another hands the counts to the
// selectors through a short queue.
func (rm *ruleMining) streaming(ctx context.Context) error {
	snap := rm.e.snap
	at := make([]int32, snap.NumRoles()) // role -> position in rm.roles
	for k, r := range rm.roles {
		at[r] = int32(k)
	}
	// Largest roles first, so that no worker is left with a big role at the end; a role's
	// neutral identities are counted with it (neutralOf).
	order := largestFirst(rm.roles, snap.RoleOff)
	if eff := rm.e.eff; eff != nil {
		order = largestFirst(rm.roles, snap.RoleOff, eff.NeutralOff)
	}
	// With effective privilege, each role's neutral identities are counted where it is
	// selected, over the criteria of its direct counts alone (selector.neutralOf).
	if ce, ok := rm.e.opts.Backend.(kernels.ConcurrentEmitter); ok && ce.EmitsConcurrently() {
		return rm.inline(ctx, order, at)
	}
	type job struct {
		r      int32
		counts []kernels.Count
		held   int64
	}
	// One queued role per selector, and at most countsBudget counts waiting or being
	// selected: the largest roles come first, and each holds its counts until selected.
	jobs := make(chan job, len(rm.workers))
	held := newBudget(countsBudget)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var bug error // the first selection's panic (a bug), which cancels the rest
	var bugOnce sync.Once
	for _, s := range rm.workers {
		// goroutine: each role's selection runs through parallel.Call
		wg.Go(func() {
			for j := range jobs {
				if ctx.Err() == nil {
					err := parallel.Call(func() error {
						rm.finish(s, int(at[j.r]), j.r, j.counts, s.neutralOf(j.r, j.counts))
						return nil
					})
					if err != nil {
						bugOnce.Do(func() { bug = err })
						cancel()
					}
				}
				held.release(j.held)
			}
		})
	}
	err := rm.e.opts.Backend.Cooccur(ctx, rm.e.mat, rm.q, order, func(r int32, cs []kernels.Count) error {
		n := held.acquire(int64(len(cs)))
		select {
		case jobs <- job{r, slices.Clone(cs), n}:
			return nil
		case <-ctx.Done():
			held.release(n)
			return ctx.Err()
		}
	})
	close(jobs)
	wg.Wait()
	if bug != nil {
		return fmt.Errorf("select rules (%s): %w", rm.mr.Name(), bug)
	}
	if err != nil {
		return fmt.Errorf("count co-occurrences (%s): %w", rm.mr.Name(), err)
	}
	return ctx.Err()
}

// inline selects each role inside the backend's emit, with a selector taken from a pool
// for the call: the counts are read where the backend left them, never copied.
func (rm *ruleMining) inline(ctx context.Context, order, at []int32) error {
	pool := make(chan *selector, len(rm.workers))
	for _, s := range rm.workers {
		pool <- s
	}
	err := rm.e.opts.Backend.Cooccur(ctx, rm.e.mat, rm.q, order, func(r int32, cs []kernels.Count) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		s := <-pool
		defer func() { pool <- s }()
		rm.finish(s, int(at[r]), r, cs, s.neutralOf(r, cs))
		return nil
	})
	if err != nil {
		return fmt.Errorf("count co-occurrences (%s): %w", rm.mr.Name(), err)
	}
	return nil
}

// batchCounts returns the most counts (countBytes each) one batch holds from its count to
// its selection: a sixteenth of the run's memory limit (mine --memory-limit), and at least
// countsBudget. With criteria of three terms over many attributes, a role's holders can
// match millions of criteria, and holding them for every role of a batch made memory grow
// with the roles times the criteria (docs/config.md, "What a mining rule costs"). A role
// whose counts would pass the bound is counted a second time once the batch's supports
// are known, and selected as it is counted (recount): the same results, at the cost of a
// second count of these roles alone. Smaller batches would cost far more, since each
// batch counts the supports of its criteria again. A variable for tests.
var batchCounts = func() int64 {
	return max(countsBudget, debug.SetMemoryLimit(-1)/16/countBytes)
}

// countBytes is the size of a kernels.Count.
const countBytes = int64(unsafe.Sizeof(kernels.Count{}))

// heldHook, if set (tests), is told the counts each batch held (its direct and neutral
// counts together) and the roles it recounted; recountHook, the neutral counts held for
// each group of recounted roles (recountNeutral) and the roles of the group.
var heldHook, recountHook func(held int64, roles int)

// batched mines the roles in batches of about batchHolders holders: the backend counts a
// batch's co-occurrences (and its neutral holders' with effective privilege), supports of
// longer criteria not seen before in the batch are counted once, then the batch's roles
// are selected in parallel. Counts beyond batchCounts, direct and neutral together, are
// not held (recount).
func (rm *ruleMining) batched(ctx context.Context) error {
	e, roles := rm.e, rm.roles
	pos := make(map[int32]int, len(roles))
	for k, r := range roles {
		pos[r] = k
	}
	for start := 0; start < len(roles); {
		end, vol := start, int64(0)
		for end < len(roles) && (end == start || vol < batchHolders) {
			r := roles[end]
			vol += e.snap.RoleOff[r+1] - e.snap.RoleOff[r]
			end++
		}
		batch := roles[start:end]
		counts := make([][]kernels.Count, len(batch))
		rm.sup.cache.clear()
		var later []int32
		var crits []kernels.Criterion
		held := int64(0)
		if len(rm.q.Dims) > 0 {
			var err error
			if crits, later, held, err = rm.countBatch(ctx, batch, start, pos, counts); err != nil {
				return err
			}
		}
		keep := newNeutralBudget(len(batch), batchCounts()-held)
		neutral, err := e.neutralCounts(ctx, rm.q, batch, keep)
		if err != nil {
			return fmt.Errorf("count neutral holders (%s): %w", rm.mr.Name(), err)
		}
		later = keep.later(batch, later)
		if heldHook != nil {
			heldHook(held+keep.held, len(later))
		}
		// A role recounted for its neutral counts has its direct counts here: they add
		// its longer criteria to the batch's supports, and are not selected.
		if err := rm.longSupports(ctx, counts, crits); err != nil {
			return err
		}
		if err := rm.selectBatch(ctx, start, batch, later, counts, neutral); err != nil {
			return err
		}
		clear(counts)
		if err := rm.recount(ctx, later, start, pos, neutral, keep); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// countBatch counts the co-occurrences of batch (batch[k] is roles[start+k]) into
// counts while they fit batchCounts, and returns how many it holds. The roles whose
// counts did not fit are returned (later, their counts nil), with their criteria of three
// or more terms added to the batch's support cache (marked -1) and returned (crits), so
// that longSupports counts their supports with the others'.
func (rm *ruleMining) countBatch(ctx context.Context, batch []int32, start int, pos map[int32]int, counts [][]kernels.Count) (crits []kernels.Criterion, later []int32, held int64, err error) {
	e, cache := rm.e, rm.sup.cache
	var mu sync.Mutex
	bound := batchCounts()
	order := largestFirst(batch, e.snap.RoleOff)
	err = e.opts.Backend.Cooccur(ctx, e.mat, rm.q, order, func(r int32, cs []kernels.Count) error {
		mu.Lock()
		keep := held+int64(len(cs)) <= bound
		if keep {
			held += int64(len(cs))
			mu.Unlock()
			cp := slices.Clone(cs)
			mu.Lock()
			counts[pos[r]-start] = cp
			mu.Unlock()
			return nil
		}
		defer mu.Unlock()
		later = append(later, r)
		crits = addLong(cache, crits, cs)
		return nil
	})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("count co-occurrences (%s): %w", rm.mr.Name(), err)
	}
	slices.Sort(later)
	return crits, later, held, nil
}

// addLong adds the criteria of three or more terms of cs not in cache to it (marked -1)
// and to need, and returns need.
func addLong(cache *supportCache, need []kernels.Criterion, cs []kernels.Count) []kernels.Criterion {
	for k := range cs {
		if cs[k].C.N <= 2 {
			continue
		}
		if _, ok := cache.get(&cs[k].C); !ok {
			cache.set(&cs[k].C, -1)
			need = append(need, cs[k].C)
		}
	}
	return need
}

// recount counts the roles of later (a batch's roles whose counts were not held; the
// batch starts at roles[start]) again, and selects each as it is counted: first those
// whose neutral counts the batch holds (or that have none), then the others, whose
// neutral counts are counted again in groups that fit batchCounts (recountNeutral).
func (rm *ruleMining) recount(ctx context.Context, later []int32, start int, pos map[int32]int, neutral []neutralOf, keep *neutralBudget) error {
	var ready, rest []int32
	for _, r := range later {
		if keep.drop[pos[r]-start] {
			rest = append(rest, r)
		} else {
			ready = append(ready, r)
		}
	}
	if err := rm.recountRoles(ctx, ready, start, pos, neutral); err != nil {
		return err
	}
	clear(neutral) // every role held is selected
	return rm.recountNeutral(ctx, rest, start, pos, neutral, keep)
}

// recountNeutral recounts the roles of rest (a batch's roles whose neutral counts were
// not held) in groups whose neutral counts, known from the batch's count, fit
// batchCounts together (a role whose counts alone do not is a group of its own): each
// group's neutral counts are counted again and held while its roles are recounted.
func (rm *ruleMining) recountNeutral(ctx context.Context, rest []int32, start int, pos map[int32]int, neutral []neutralOf, keep *neutralBudget) error {
	bound := batchCounts()
	for len(rest) > 0 {
		end, n := 1, keep.n[pos[rest[0]]-start]
		for end < len(rest) && n+keep.n[pos[rest[end]]-start] <= bound {
			n += keep.n[pos[rest[end]]-start]
			end++
		}
		group := rest[:end]
		counted, err := rm.e.neutralCounts(ctx, rm.q, group, nil)
		if err != nil {
			return fmt.Errorf("count neutral holders (%s): %w", rm.mr.Name(), err)
		}
		for j, r := range group {
			neutral[pos[r]-start] = counted[j]
		}
		if recountHook != nil {
			recountHook(n, len(group))
		}
		if err := rm.recountRoles(ctx, group, start, pos, neutral); err != nil {
			return err
		}
		clear(neutral)
		rest = rest[end:]
	}
	return nil
}

// recountRoles counts the roles of later again and selects each as it is counted, with
// a selector from a pool: the backend gives the same counts, the batch's cache holds
// their supports, and neutral (by position in the batch) their neutral counts.
func (rm *ruleMining) recountRoles(ctx context.Context, later []int32, start int, pos map[int32]int, neutral []neutralOf) error {
	if len(later) == 0 {
		return nil
	}
	pool := make(chan *selector, len(rm.workers))
	for _, s := range rm.workers {
		pool <- s
	}
	order := largestFirst(later, rm.e.snap.RoleOff)
	err := rm.e.opts.Backend.Cooccur(ctx, rm.e.mat, rm.q, order, func(r int32, cs []kernels.Count) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		s := <-pool
		defer func() { pool <- s }()
		k := pos[r]
		rm.finish(s, k, r, cs, neutral[k-start])
		return nil
	})
	if err != nil {
		return fmt.Errorf("count co-occurrences (%s): %w", rm.mr.Name(), err)
	}
	return nil
}

// longSupports counts the supports of the batch's criteria of three or more terms into
// the cache, which lives for one batch: across all roles of a large enterprise it would
// hold tens of millions of criteria. -1 marks a criterion until the backend answers; need
// holds those countBatch already marked.
func (rm *ruleMining) longSupports(ctx context.Context, counts [][]kernels.Count, need []kernels.Criterion) error {
	cache := rm.sup.cache
	for _, cs := range counts {
		need = addLong(cache, need, cs)
	}
	if len(need) == 0 {
		return nil
	}
	sup, err := rm.e.opts.Backend.Supports(ctx, rm.e.mat, rm.q, need)
	if err != nil {
		return fmt.Errorf("count supports (%s): %w", rm.mr.Name(), err)
	}
	for k := range need {
		cache.set(&need[k], sup[k])
	}
	return nil
}

// selectBatch selects the rules of the batch's roles (batch[k] is roles[start+k]) on
// every worker, largest roles first so that no worker is left with a big role at the end;
// the roles of later (sorted) are left to recount.
// Its error is the context's or a worker's panic.
func (rm *ruleMining) selectBatch(ctx context.Context, start int, batch, later []int32, counts [][]kernels.Count, neutral []neutralOf) error {
	sched := make([]int, 0, len(batch))
	for k, r := range batch {
		if _, recounted := slices.BinarySearch(later, r); !recounted {
			sched = append(sched, k)
		}
	}
	slices.SortStableFunc(sched, func(a, b int) int {
		return len(counts[b]) - len(counts[a])
	})
	// Each worker selects with its own selector; a cancelled run stops taking roles.
	err := parallel.Each(ctx, len(sched), len(rm.workers), func(w, n int) error {
		k := sched[n]
		rm.finish(rm.workers[w], start+k, batch[k], counts[k], neutral[k])
		return nil
	})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("select rules (%s): %w", rm.mr.Name(), err)
	}
	return err
}

// selector is one worker's scratch for selecting a role's rules. Invariant: loc is -1 for
// every identity between roles.
type selector struct {
	snap *columnar.Snapshot
	sc   *ruleScope
	// loc is -1 for every identity between uses: stability numbers holders in it,
	// materialize marks neutral identities.
	loc []int32
	// holderBits marks the role's in-scope holders during materialize; holderRank[w] is
	// the number of the first holder in word w (read only for words with holders).
	holderBits []uint64
	holderRank []int32
	hs         []int32
	// fp numbers the role's false positives during materialize (materialize.go).
	fp fpUniverse
	// held is materialize's arena of the candidates' holder lists.
	held  []int32
	cs    []cand
	use   usefulOf  // the current role's useful criteria (useful)
	sups  []int32   // the current role's supports (supportsOf)
	marks termMarks // their single terms (useful, collect)
	prev  *Previous // stability hook (stability.go); nil without --previous
	eff   *Effective
	// view is the mining rule's holders and neutral identities (eff is view.eff); grants
	// is the run's effective privilege (the identities holding a role only through
	// grants), which a UsedOnly view adds unused holders to.
	view   holderView
	grants *Effective
	// tally counts a streamed role's neutral identities; nAll and nGrants hold the counts.
	tally         neutralTally
	nAll, nGrants []int32
}

func newSelector(snap *columnar.Snapshot, sc *ruleScope) *selector {
	loc := make([]int32, snap.NumIdentities())
	for i := range loc {
		loc[i] = -1
	}
	cards := make([]int, len(snap.Dims))
	for d := range cards {
		cards[d] = len(snap.Dims[d].Values)
	}
	words := (len(loc) + 63) / 64
	return &selector{snap: snap, sc: sc, loc: loc, marks: newTermMarks(cards),
		holderBits: make([]uint64, words), holderRank: make([]int32, words),
		tally: newNeutralTally(snap, sc.dims)}
}

// neutralOf counts how many of role r's neutral identities in the scope match each
// criterion of its direct counts (and, under a UsedOnly view of a snapshot with grants,
// of those holding r only through grants apart), for a role selected as it is counted.
func (s *selector) neutralOf(r int32, counts []kernels.Count) neutralOf {
	if s.eff == nil || len(s.eff.Neutral(r)) == 0 && (s.grants == nil || len(s.grants.Neutral(r)) == 0) {
		return neutralOf{}
	}
	s.nAll = slices.Grow(s.nAll[:0], len(counts))[:len(counts)]
	all := roleNeutral{at: s.nAll, aligned: true}
	all.some = s.tally.count(s.eff.Neutral(r), s.sc.bits, counts, all.at)
	if s.eff == s.grants {
		return neutralOf{all: all, grants: all}
	}
	if s.grants == nil {
		return neutralOf{all: all}
	}
	s.nGrants = slices.Grow(s.nGrants[:0], len(counts))[:len(counts)]
	grants := roleNeutral{at: s.nGrants, aligned: true}
	grants.some = s.tally.count(s.grants.Neutral(r), s.sc.bits, counts, grants.at)
	return neutralOf{all: all, grants: grants}
}

func pct(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// noHoldersReason is the reason of a role without holders in the mining rule's scope.
// Under UsedOnly, a role whose direct holders in scope all leave it unused
// (docs/excess-privilege.md#used-only-counting) says so, and how many they are, rather
// than that nobody holds it.
func (s *selector) noHoldersReason(r int32) string {
	if !s.sc.mr.UsedOnly {
		return "no holders in scope"
	}
	idle := 0
	for _, i := range s.snap.Holders(int(r)) {
		if s.sc.bits[i>>6]&(1<<(uint32(i)&63)) != 0 {
			idle++
		}
	}
	if idle == 0 {
		return "no holders in scope"
	}
	return fmt.Sprintf("no used holders in scope (%d direct holders, all unused: UsedOnly)", idle)
}

// mine selects role r's rules from its counts. neutral holds, sorted like counts, the
// number of r's neutral identities that each criterion matches: they are out of r's scope
// for counting, so they leave n and every support.
func (s *selector) mine(r int32, counts []kernels.Count, neutral neutralOf, supports *supports) roleResult {
	snap, sc, mr := s.snap, s.sc, s.sc.mr
	s.hs = s.hs[:0]
	for _, i := range s.view.holders(r) {
		if sc.bits[i>>6]&(1<<(uint32(i)&63)) != 0 {
			s.hs = append(s.hs, i)
		}
	}
	hn := int64(len(s.hs))
	n := sc.n - sc.neutral(r)
	res := roleResult{n: n, fn: hn, tn: n - hn}
	if hn == 0 {
		res.reason = s.noHoldersReason(r)
		return res
	}
	nc, reason := s.useful(counts, neutral, supports)
	res.candidates = nc
	if nc == 0 {
		res.reason = reason
		return res
	}
	defer clear(s.cs) // no candidate keeps a previous role's match sets reachable
	bd := &bounds{n: n, holders: hn, Bounds: mr.Bounds()}
	greedyPruned := nc > materializeLimit
	cs, ch := s.choose(r, counts, nc, bd, greedyPruned)
	if ch.idx == nil && greedyPruned && nc <= pruneLimit {
		// The greedy's pruning drops specializations that explain fewer holders than
		// their generalization, which can be the only valid sets (a narrower rule with
		// no false positive where the broader one breaks the role's bounds). Before the
		// role is said to have no valid set, every useful candidate is looked at.
		cs, ch = s.choose(r, counts, nc, bd, false)
	}
	if ch.idx == nil && !ch.exact && nc <= pruneLimit {
		// An exhaustive search that found no valid set proves there is none; only a
		// greedy one can have missed a set a shallower search finds.
		cs, ch = s.chooseShallower(r, counts, bd, mr.MaxDimensions, cs, ch)
	}
	res.exact = ch.exact
	if ch.idx == nil {
		res.reason = fmt.Sprintf("best set reaches precision %.2f%% < %s%%", ch.bestPrec, pct(mr.PrecisionMin))
		return res
	}
	res.tp, res.fp = ch.tp, ch.fp
	res.fn = hn - ch.tp
	res.tn = n - res.tp - res.fp - res.fn
	roleID := snap.Roles.IDs[r]
	for _, j := range ch.idx {
		c := &cs[j]
		res.rules = append(res.rules, Rule{
			ID:         RuleID(snap, roleID, c.c),
			Role:       r,
			Criterion:  c.c,
			Type:       mr.RuleType,
			Policy:     mr.RulePolicy,
			EntityType: mr.EntityType,
			MiningRule: mr.Index,
			Priority:   mr.Priority,
			Support:    c.sup,
			TP:         c.tp,
			FP:         c.fp(),
		})
	}
	return res
}

// choose collects role r's useful candidates from its counts (nc of them), pruned for
// the greedy search when forGreedy, and selects among them: every subset when at most
// exactLimit are left after dominance pruning, else greedily. The choice is exact when
// the search was exhaustive over candidates pruned only of those that cannot be optimal.
func (s *selector) choose(r int32, counts []kernels.Count, nc int, bd *bounds, forGreedy bool) ([]cand, choice) {
	cs := s.collect(counts, forGreedy)
	if nc == 1 {
		ok, prec := bd.valid(cs[0].tp, cs[0].fp())
		ch := choice{exact: true, bestPrec: prec}
		if ok {
			ch.idx, ch.tp, ch.fp = []int{0}, cs[0].tp, cs[0].fp()
		}
		return cs, ch
	}
	if forGreedy {
		cs = capCandidates(cs, len(s.hs))
	}
	s.materialize(cs, s.eff.Neutral(r))
	cs = prune(cs)
	if len(cs) > exactLimit {
		return cs, selectGreedy(cs, bd)
	}
	ch := selectExact(cs, bd)
	// The search was exhaustive, but over a set pruned for the greedy: not a proof.
	ch.exact = !forGreedy
	return cs, ch
}

// chooseShallower looks again, when the search found no valid set, among the useful
// candidates of at most d terms, for d from maxDims-1 down to 1, and returns the first
// valid choice (not proven optimal). Each such search is the one a lower MaxDimensions
// makes, so a role that mining rule would cover is not left without rules by a deeper
// one whose larger candidate list the search handles greedily. Without a valid choice it
// returns cs and ch, with the best precision any search reached.
func (s *selector) chooseShallower(r int32, counts []kernels.Count, bd *bounds, maxDims int, cs []cand, ch choice) ([]cand, choice) {
	for d := maxDims - 1; d >= 1; d-- {
		ds := slices.DeleteFunc(s.collect(counts, false), func(c cand) bool { return int(c.c.N) > d })
		var dch choice
		switch {
		case len(ds) == 0:
			continue
		case len(ds) == 1:
			ok, prec := bd.valid(ds[0].tp, ds[0].fp())
			dch.bestPrec = prec
			if ok {
				dch.idx, dch.tp, dch.fp = []int{0}, ds[0].tp, ds[0].fp()
			}
		default:
			s.materialize(ds, s.eff.Neutral(r))
			if ds = prune(ds); len(ds) > exactLimit {
				dch = selectGreedy(ds, bd)
			} else {
				dch = selectExact(ds, bd)
			}
		}
		if dch.idx != nil {
			dch.exact = false
			return ds, dch
		}
		ch.bestPrec = max(ch.bestPrec, dch.bestPrec)
	}
	return cs, ch
}

// neutralOf holds, for one role, the neutral identities each criterion matches (all)
// and among them those holding the role only through grants (grants; the same counts
// unless a UsedOnly view adds unused holders to the neutral ones).
type neutralOf struct{ all, grants roleNeutral }

// neutralCounts counts, for each role of batch (a batch's roles, or a group of them
// recounted) with neutral identities, the neutral identities each criterion matches (and,
// under a UsedOnly view with grants, the grant-only ones apart). The counts of a role that
// keep does not hold are left out (nil keep: every role's are held).
func (e *engine) neutralCounts(ctx context.Context, q kernels.Query, batch []int32, keep *neutralBudget) ([]neutralOf, error) {
	out := make([]neutralOf, len(batch))
	if e.eff == nil || len(q.Dims) == 0 {
		return out, nil
	}
	all, err := e.countNeutral(ctx, e.eff, e.nmat, q, batch, keep)
	if err != nil {
		return nil, err
	}
	grants := all
	if e.eff != e.base.eff {
		grants = make([]roleNeutral, len(batch))
		if e.base.eff != nil {
			if grants, err = e.countNeutral(ctx, e.base.eff, e.base.nmat, q, batch, keep); err != nil {
				return nil, err
			}
		}
	}
	for k := range out {
		if keep == nil || !keep.drop[k] {
			out[k] = neutralOf{all: all[k], grants: grants[k]}
		}
	}
	return out, nil
}

// neutralBudget holds a batch's neutral counts within what its direct counts left of
// batchCounts, a count each (40 bytes, as a criterion of three terms takes). A role
// whose neutral counts do not fit is dropped: it is recounted with them (recount), and
// how many they are is kept to group the recounted roles.
type neutralBudget struct {
	mu   sync.Mutex
	left int64   // the counts the batch may still hold
	held int64   // the neutral counts held (a role dropped after its first kind was held included)
	n    []int64 // by batch position: the role's neutral counts, both kinds
	drop []bool  // by batch position: the role's neutral counts are not held
}

func newNeutralBudget(roles int, left int64) *neutralBudget {
	return &neutralBudget{left: max(left, 0), n: make([]int64, roles), drop: make([]bool, roles)}
}

// hold records n neutral counts of the role at batch position k and reports whether
// they are held: while they fit and none of the role's was dropped (nil b: always).
func (b *neutralBudget) hold(k int, n int64) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n[k] += n
	if !b.drop[k] && n <= b.left {
		b.left -= n
		b.held += n
		return true
	}
	b.drop[k] = true
	return false
}

// later returns the roles of later (sorted) and those of batch whose neutral counts were
// dropped, sorted.
func (b *neutralBudget) later(batch, later []int32) []int32 {
	n := len(later)
	for k, r := range batch {
		if _, found := slices.BinarySearch(later[:n], r); b.drop[k] && !found {
			later = append(later, r)
		}
	}
	slices.Sort(later)
	return later
}

// countNeutral counts, for each role of a batch with neutral identities in eff, the ones
// each criterion matches (nmat is the matrix with eff's neutral CSR as its roles), and
// holds those keep holds.
func (e *engine) countNeutral(ctx context.Context, eff *Effective, nmat *kernels.Matrix, q kernels.Query, batch []int32, keep *neutralBudget) ([]roleNeutral, error) {
	pos := map[int32]int{}
	var roles []int32
	for k, r := range batch {
		// A role without direct holders gets no candidate (selector.mine stops first), so
		// its neutral identities, often many (entitlements held only through roles), need
		// no counting.
		if len(eff.Neutral(r)) > 0 && e.snap.RoleOff[r+1] > e.snap.RoleOff[r] {
			pos[r] = k
			roles = append(roles, r)
		}
	}
	out := make([]roleNeutral, len(batch))
	if len(roles) == 0 {
		return out, nil
	}
	q.MinTP = 1
	var mu sync.Mutex
	nb := e.opts.NeutralBackend
	if nb == nil {
		nb = e.opts.Backend
	}
	err := nb.Cooccur(ctx, nmat, q, largestFirst(roles, eff.NeutralOff), func(r int32, cs []kernels.Count) error {
		if !keep.hold(pos[r], int64(len(cs))) {
			return nil
		}
		cp := newRoleNeutral(cs)
		mu.Lock()
		out[pos[r]] = cp
		mu.Unlock()
		return nil
	})
	return out, err
}
