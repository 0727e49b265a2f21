// Package cuda is the CUDA counting backend: the driver API bound at run time with purego
// (libcuda.so.1 is loaded with dlopen; no cgo, no CUDA at build time), kernels written in
// CUDA C (kernels.cu) and embedded as PTX, and host code that uploads the matrix once,
// batches jobs to fit device memory and overlaps copies and compute on two streams. It
// returns exactly what internal/kernels/cpu returns. Every driver call runs on one goroutine
// locked to an OS thread, which holds the device's primary context.
//
// Without a GPU the package still builds and its logic is tested: the kernel source
// compiles for the CPU with cuda_emu.h and the host code runs on it (emu_test.go). See
// README.md for what is verified where.
package cuda

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"

	"github.com/rolemine/rolemine/internal/kernels"
)

// Options configure New. The zero value uses device 0 of libcuda.so.1 with the embedded
// PTX and sizes buffers from free device memory.
type Options struct {
	// Library is the driver library to load (default LibraryName).
	Library string
	// Device is the device ordinal.
	Device int
	// PTX replaces the embedded kernels (tests, or a PTX built for another toolkit).
	PTX []byte
	// SlotBytes is the device memory of each of the two batch slots (histogram scratch
	// and entries); 0 sizes them from cuMemGetInfo.
	SlotBytes int64
	// Logger receives the device description; nil discards.
	Logger *slog.Logger
}

// Backend is the CUDA implementation of kernels.Backend. Calls are serialized: one run's
// goroutines may share it, and each call uses the whole device.
type Backend struct {
	mu     sync.Mutex
	dev    device
	eng    *engine
	info   DeviceInfo
	closed bool
}

var _ kernels.Backend = (*Backend)(nil)

// Available reports whether the CUDA backend can run here, and if not, why: the driver
// library cannot be loaded, cuInit or the device count fails (CUDA_ERROR_NO_DEVICE on a
// machine with the library but no GPU), or this build has no embedded PTX.
func Available() (ok bool, reason string) { return available(LibraryName) }

func available(lib string) (ok bool, reason string) {
	d, err := loadDriver(lib)
	if err != nil {
		return false, err.Error()
	}
	own := newOwner()
	defer own.stop()
	var n int
	if err := own.do(func() (err error) { n, err = d.probe(); return err }); err != nil {
		return false, err.Error()
	}
	if embeddedPTX() == nil {
		return false, errNoPTX.Error()
	}
	return true, fmt.Sprintf("%d CUDA device(s)", n)
}

// New opens the device: loads the driver library, initializes it, retains the primary
// context and loads the kernels. Its errors name the cause, e.g.
// "load libcuda.so.1: ..." or "cuInit: CUDA_ERROR_NO_DEVICE (100): ...".
func New(opts Options) (*Backend, error) {
	lib := opts.Library
	if lib == "" {
		lib = LibraryName
	}
	ptx := opts.PTX
	if ptx == nil {
		ptx = embeddedPTX()
	}
	dd, err := openDriverDevice(lib, opts.Device, ptx)
	if err != nil {
		return nil, err
	}
	cfg := deviceConfig
	cfg.slotBytes = opts.SlotBytes
	b, err := newBackend(dd, cfg)
	if err != nil {
		_ = dd.close()
		return nil, err
	}
	b.info = dd.info
	if opts.Logger != nil {
		opts.Logger.Info("cuda device", "name", b.info.Name, "memory_bytes", b.info.TotalMem,
			"compute", b.info.Compute, "driver_cuda", b.info.Driver)
	}
	return b, nil
}

// newBackend builds a backend over any device (the tests pass the CPU emulator).
func newBackend(dev device, cfg config) (*Backend, error) {
	eng, err := newEngine(dev, cfg)
	if err != nil {
		return nil, err
	}
	return &Backend{dev: dev, eng: eng}, nil
}

// Name returns "cuda".
func (b *Backend) Name() string { return "cuda" }

// EmitsConcurrently reports true: Cooccur calls emit from its sorting workers
// (kernels.ConcurrentEmitter), so a caller may select inside emit.
func (b *Backend) EmitsConcurrently() bool { return true }

// Device describes the device in use.
func (b *Backend) Device() DeviceInfo { return b.info }

// Close frees device memory and releases the context. The backend is unusable after.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	return errors.Join(b.eng.close(), b.dev.close())
}

func (b *Backend) lock() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return errOwnerClosed
	}
	return nil
}

// Cooccur implements kernels.Backend with the semantics of internal/kernels/cpu: per role, every
// criterion on q.Dims of 1..q.MaxTerms terms matched by at least q.MinTP in-scope
// holders, sorted by Criterion.Compare. emit is called from worker goroutines (one per CPU),
// which sort each role's criteria while the calling goroutine drives the device.
func (b *Backend) Cooccur(ctx context.Context, m *kernels.Matrix, q kernels.Query, roles []int32, emit func(role int32, counts []kernels.Count) error) error {
	if err := b.lock(); err != nil {
		return err
	}
	defer b.mu.Unlock()
	if q.MinTP < 1 {
		q.MinTP = 1
	}
	q.MaxTerms = min(q.MaxTerms, kernels.MaxTerms)
	e := b.eng
	dm, err := e.matrix(m)
	if err != nil {
		return err
	}
	if err := e.setScope(m, q.InScope); err != nil {
		return err
	}
	hdims, hoffDev, hoff, err := e.setDims(m, q.Dims)
	if err != nil {
		return err
	}
	j := newCooccurJobs(m, dm, q, hoff, roles)
	// Roles that cannot have a criterion are answered first, without the device.
	for _, r := range roles {
		if j.empty(r) {
			if err := emit(r, nil); err != nil {
				return err
			}
		}
	}
	j.out = newEmitter(ctx, q.Dims, newCriterionKeys(q.Dims, hoff), emit)
	err = e.run(ctx, launchArgs{list: dm.roles, scope: e.scopeDev, hdims: hdims, hoff: hoffDev}, j.next, j.done)
	if eerr := j.out.close(); err == nil {
		err = eerr
	}
	return err
}

// cooccurJobs are the device jobs of one Cooccur call: a job extends one criterion (the
// empty one first) of one role by a term on each dimension of q.Dims from a position on,
// and the extensions with enough holders become jobs in turn, depth first.
type cooccurJobs struct {
	m    *kernels.Matrix
	q    kernels.Query
	hoff []int64
	nd   int
	// suffixVals[p]: most values one identity has on q.Dims[p:].
	suffixVals []int64
	// dimAt[g] is the position p of the dimension with hoff[p] <= g < hoff[p+1].
	dimAt    []uint16
	roles    []int32
	out      *emitter
	states   []cooccurRole
	stack    []task
	nextRole int
}

// cooccurRole is a role's criteria found so far and its jobs not yet done.
type cooccurRole struct {
	pending int
	found   foundList
}

func newCooccurJobs(m *kernels.Matrix, dm *devMatrix, q kernels.Query, hoff []int64, roles []int32) *cooccurJobs {
	nd := len(q.Dims)
	j := &cooccurJobs{m: m, q: q, hoff: hoff, nd: nd, suffixVals: make([]int64, nd+1), roles: roles,
		states: make([]cooccurRole, len(roles))}
	for p := nd - 1; p >= 0; p-- {
		j.suffixVals[p] = j.suffixVals[p+1] + int64(dm.maxVals[q.Dims[p]])
	}
	if nd <= 1<<16 && hoff[nd] <= maxDimAt {
		j.dimAt = make([]uint16, hoff[nd])
		for p := range nd {
			for g := hoff[p]; g < hoff[p+1]; g++ {
				j.dimAt[g] = uint16(p)
			}
		}
	}
	return j
}

// maxDimAt bounds the dimension lookup table (2 bytes per value); past it, a value's
// dimension is found by binary search.
const maxDimAt = 1 << 26

// dimOf returns the position p of the dimension holding global value position g, searching
// from position from on.
func (j *cooccurJobs) dimOf(g int64, from int) int {
	if j.dimAt != nil {
		return int(j.dimAt[g])
	}
	return from + sort.Search(j.nd-from, func(i int) bool { return j.hoff[from+i+1] > g })
}

// empty reports whether role r can have no criterion: too few holders, no terms allowed or
// no values on q.Dims.
func (j *cooccurJobs) empty(r int32) bool {
	holders := j.m.RoleOff[r+1] - j.m.RoleOff[r]
	return holders < int64(j.q.MinTP) || j.q.MaxTerms < 1 || j.hoff[j.nd] == 0
}

// job is the task extending prefix, held by tp holders of role r (the k-th), by one term on
// the dimensions from position from on.
func (j *cooccurJobs) job(k int, r int32, prefix kernels.Criterion, from int, tp int32) task {
	m, nd := j.m, j.nd
	t := task{tag: k, prefix: prefix, tp: tp, width: j.hoff[nd] - j.hoff[from]}
	t.desc = jobDesc{ListOff: m.RoleOff[r], ListLen: int32(m.RoleOff[r+1] - m.RoleOff[r]),
		NTerm: int32(prefix.N), HdFrom: int32(from), HdTo: int32(nd)}
	for i, tm := range prefix.Terms() {
		t.desc.TDim[i], t.desc.TVal[i] = tm.Dim, tm.Val
	}
	t.bound = min(t.width, int64(tp)*j.suffixVals[from])
	return t
}

// next returns the next job: the deepest pending extension, else the first job of the
// next role that can have a criterion.
func (j *cooccurJobs) next() (task, bool) {
	if n := len(j.stack); n > 0 {
		t := j.stack[n-1]
		j.stack = j.stack[:n-1]
		return t, true
	}
	for j.nextRole < len(j.roles) {
		k := j.nextRole
		j.nextRole++
		r := j.roles[k]
		if j.empty(r) {
			continue // emitted before the run
		}
		j.states[k].pending = 1
		return j.job(k, r, kernels.Criterion{}, 0, int32(j.m.RoleOff[r+1]-j.m.RoleOff[r])), true
	}
	return task{}, false
}

// done records the extensions of job t with at least q.MinTP holders, queues their own
// extensions, and emits the role's criteria, sorted, once its last job is done.
func (j *cooccurJobs) done(t *task, ents []entry) error {
	q, hoff, nd := &j.q, j.hoff, j.nd
	st := &j.states[t.tag]
	from := int(t.desc.HdFrom)
	prefix := int32(-1) // t.prefix's index in st.found, once recorded
	for _, en := range ents {
		if en.count < q.MinTP {
			continue
		}
		g := hoff[from] + int64(en.idx)
		p := j.dimOf(g, from)
		val := int32(g - hoff[p])
		if prefix < 0 {
			prefix = st.found.addPrefix(t.prefix)
		}
		st.found.add(found{prefix: prefix, p: int32(p), val: val, tp: en.count})
		if int(t.prefix.N)+1 < q.MaxTerms && p+1 < nd && hoff[nd] > hoff[p+1] {
			c := t.prefix
			c.T[c.N] = kernels.Term{Dim: q.Dims[p], Val: val}
			c.N++
			j.stack = append(j.stack, j.job(t.tag, j.roles[t.tag], c, p+1, en.count))
			st.pending++
		}
	}
	st.pending--
	if st.pending == 0 {
		f := st.found
		st.found = foundList{}
		return j.out.submit(j.roles[t.tag], f)
	}
	return nil
}

// postings are the in-scope identities holding each value of some dimensions, as one CSR
// on the device: dimension dims[p]'s value v lists identities off[p][v] .. off[p][v+1]
// (absolute positions in the device array), ascending.
type postings struct {
	dims []int32
	pos  map[int32]int // dims[pos[d]] == d
	off  [][]int64
	dev  devPtr
}

// buildPostings indexes dims over the in-scope identities of m (two passes: count, place).
func buildPostings(m *kernels.Matrix, scope []uint64, dims []int32) (*postings, []int32) {
	p := &postings{dims: dims, pos: make(map[int32]int, len(dims)), off: make([][]int64, len(dims))}
	var idx []int32
	in := func(i int) bool { return scope == nil || scope[i>>6]&(1<<(uint(i)&63)) != 0 }
	for k, d := range dims {
		p.pos[d] = k
		card := int(m.Cards[d])
		off := make([]int64, card+1)
		each := func(fn func(i int, c int32)) {
			codes := m.Codes[d]
			multi := isMulti(m, int(d))
			for i := 0; i < m.N; i++ {
				if !in(i) {
					continue
				}
				if c := codes[i]; c >= 0 {
					fn(i, c)
				}
				if multi {
					mo := m.MultiOff[d]
					for _, c := range m.MultiCodes[d][mo[i]:mo[i+1]] {
						fn(i, c)
					}
				}
			}
		}
		each(func(_ int, c int32) { off[c+1]++ })
		off[0] = int64(len(idx))
		for v := 0; v < card; v++ {
			off[v+1] += off[v]
		}
		pos := slices.Clone(off[:card])
		idx = slices.Grow(idx, int(off[card])-len(idx))[:off[card]]
		each(func(i int, c int32) { idx[pos[c]] = int32(i); pos[c]++ })
		p.off[k] = off
	}
	return p, idx
}

// setPostings puts postings of dims (over the current scope) on the device unless they
// are there.
func (e *engine) setPostings(m *kernels.Matrix, scope []uint64, dims []int32) (*postings, error) {
	if e.post != nil && slices.Equal(e.post.dims, dims) {
		return e.post, nil
	}
	if e.post != nil {
		if err := e.dev.free(e.post.dev); err != nil {
			return nil, err
		}
		e.post = nil
	}
	p, idx := buildPostings(m, scope, dims)
	var err error
	if p.dev, err = e.allocInt32s(idx); err != nil {
		return nil, err
	}
	e.post = p
	return p, nil
}

// Supports implements kernels.Backend: for each criterion, the number of in-scope
// identities it matches. One-term supports are posting lengths; criteria sharing all
// terms but the last and the last term's dimension share one job over the posting list of
// their first term.
func (b *Backend) Supports(ctx context.Context, m *kernels.Matrix, q kernels.Query, crits []kernels.Criterion) ([]int32, error) {
	out := make([]int32, len(crits))
	if len(crits) == 0 {
		return out, nil
	}
	if err := b.lock(); err != nil {
		return nil, err
	}
	defer b.mu.Unlock()
	e := b.eng
	dm, err := e.matrix(m)
	if err != nil {
		return nil, err
	}
	if err := e.setScope(m, q.InScope); err != nil {
		return nil, err
	}
	dims, err := e.postingDims(m, q, crits)
	if err != nil {
		return nil, err
	}
	post, err := e.setPostings(m, q.InScope, dims)
	if err != nil {
		return nil, err
	}
	hdims, hoffDev, hoff, err := e.setDims(m, dims)
	if err != nil {
		return nil, err
	}
	order := make([]int32, 0, len(crits))
	for i := range crits {
		if crits[i].N == 1 {
			t := crits[i].T[0]
			off := post.off[post.pos[t.Dim]]
			out[i] = int32(off[t.Val+1] - off[t.Val])
		} else {
			order = append(order, int32(i))
		}
	}
	slices.SortFunc(order, func(a, b int32) int { return kernels.GroupCompare(&crits[a], &crits[b]) })
	var starts []int
	for k := range order {
		if k == 0 || kernels.GroupCompare(&crits[order[k-1]], &crits[order[k]]) != 0 {
			starts = append(starts, k)
		}
	}
	starts = append(starts, len(order))
	next, done := supportJobs(m, dm, post, crits, order, starts, out)
	_ = hoff
	if err := e.run(ctx, launchArgs{list: post.dev, hdims: hdims, hoff: hoffDev}, next, done); err != nil {
		return nil, err
	}
	return out, nil
}

// postingDims returns the dimensions whose postings Supports needs: q.Dims and every
// dimension the criteria use, or the engine's current set when it holds them all (so that
// the postings stay valid for the calls of one mining rule). It refuses a criterion
// outside the matrix.
func (e *engine) postingDims(m *kernels.Matrix, q kernels.Query, crits []kernels.Criterion) ([]int32, error) {
	used := make([]bool, len(m.Cards))
	for _, d := range q.Dims {
		used[d] = true
	}
	for i := range crits {
		c := &crits[i]
		if c.N < 1 || int(c.N) > kernels.MaxTerms {
			return nil, fmt.Errorf("cuda: criterion %d has %d terms, expected 1..%d", i, c.N, kernels.MaxTerms)
		}
		for _, t := range c.Terms() {
			if t.Dim < 0 || int(t.Dim) >= len(m.Cards) || t.Val < 0 || t.Val >= m.Cards[t.Dim] {
				return nil, fmt.Errorf("cuda: criterion %d: term (%d, %d) outside the matrix", i, t.Dim, t.Val)
			}
			used[t.Dim] = true
		}
	}
	var dims []int32
	for d, u := range used {
		if u {
			dims = append(dims, int32(d))
		}
	}
	if e.post != nil && !slices.Equal(e.post.dims, dims) {
		// Keep a superset from an earlier call of the same scope.
		for _, d := range dims {
			if _, ok := e.post.pos[d]; !ok {
				return dims, nil
			}
		}
		return e.post.dims, nil
	}
	return dims, nil
}

// supportJobs returns the job source and the result sink of Supports' device run: one
// job per group of criteria (order[starts[g]:starts[g+1]]), over the posting list of the
// group's first term, histogramming its last term's dimension; done reads each
// criterion's support into out.
func supportJobs(m *kernels.Matrix, dm *devMatrix, post *postings, crits []kernels.Criterion, order []int32, starts []int, out []int32) (next func() (task, bool), done func(*task, []entry) error) {
	g := 0
	next = func() (task, bool) {
		if g+1 >= len(starts) {
			return task{}, false
		}
		c := &crits[order[starts[g]]]
		t0 := c.T[0]
		off := post.off[post.pos[t0.Dim]]
		last := c.T[c.N-1].Dim
		p := post.pos[last]
		t := task{tag: g, width: int64(m.Cards[last])}
		t.desc = jobDesc{ListOff: off[t0.Val], ListLen: int32(off[t0.Val+1] - off[t0.Val]),
			NTerm: int32(c.N) - 2, HdFrom: int32(p), HdTo: int32(p + 1)}
		for k, tm := range c.T[1 : c.N-1] {
			t.desc.TDim[k], t.desc.TVal[k] = tm.Dim, tm.Val
		}
		t.bound = min(t.width, int64(t.desc.ListLen)*int64(dm.maxVals[last]))
		g++
		return t, true
	}
	var cnt []int32
	done = func(t *task, ents []entry) error {
		if int(t.width) > len(cnt) {
			cnt = make([]int32, t.width)
		}
		for _, en := range ents {
			cnt[en.idx] = en.count
		}
		for _, ci := range order[starts[t.tag]:starts[t.tag+1]] {
			c := &crits[ci]
			out[ci] = cnt[c.T[c.N-1].Val]
		}
		for _, en := range ents {
			cnt[en.idx] = 0
		}
		return nil
	}
	return next, done
}
