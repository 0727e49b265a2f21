package cuda

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/rolemine/rolemine/internal/kernels"
)

// The host side of the counting. Everything the GPU counts is a job (rm_job in
// kernels.cu): a dense histogram of some dimensions' values over a list of identities,
// restricted to the scope and to the identities holding a prefix of terms.
//
//   - Cooccur: a role's root job histograms every query dimension over the role's holders;
//     each criterion it finds with tp >= MinTP that can still grow becomes a child job
//     (prefix = that criterion, dimensions after its last one), until MaxTerms.
//   - Supports: criteria sharing (all terms but the last, last dimension) form one job over
//     the posting list of their first term; one-term supports are posting lengths.
//
// Jobs run in batches on two streams (slots), so that the host reads one batch's results
// and builds the next while the other batch runs. A batch fits its slot's histogram
// scratch (sum of job widths) and entry buffer (sum of job bounds), both sized from
// cuMemGetInfo. The kernels record each histogram cell a job touches once (an entry) and
// zero the cells again, so the scratch needs no clearing between batches.

// jobSize is sizeof(rm_job); entrySize is sizeof(rm_entry). The emulator test checks both
// and the field offsets against the compiled kernel source.
const (
	jobSize   = 56
	entrySize = 12
)

// jobDesc mirrors rm_job in kernels.cu.
type jobDesc struct {
	ListOff    int64
	ListLen    int32
	NTerm      int32
	TDim       [3]int32
	TVal       [3]int32
	HdFrom     int32
	HdTo       int32
	ScratchOff int64
}

// put encodes j as rm_job (little-endian, the layout of the C struct on amd64 and arm64).
func (j *jobDesc) put(b []byte) {
	le := binary.LittleEndian
	le.PutUint64(b[0:], uint64(j.ListOff))
	le.PutUint32(b[8:], uint32(j.ListLen))
	le.PutUint32(b[12:], uint32(j.NTerm))
	for t := 0; t < 3; t++ {
		le.PutUint32(b[16+4*t:], uint32(j.TDim[t]))
		le.PutUint32(b[28+4*t:], uint32(j.TVal[t]))
	}
	le.PutUint32(b[40:], uint32(j.HdFrom))
	le.PutUint32(b[44:], uint32(j.HdTo))
	le.PutUint64(b[48:], uint64(j.ScratchOff))
}

// task is one job with what the host needs to size and interpret it.
type task struct {
	desc   jobDesc
	width  int64 // histogram cells: hoff[HdTo] - hoff[HdFrom]
	bound  int64 // most entries it can record
	tag    int   // caller's: role position or group index
	prefix kernels.Criterion
	tp     int32 // cooccur: the prefix's tp (upper bound on matching identities)
}

// entry is a touched histogram cell of a job: its local index and count.
type entry struct{ idx, count int32 }

// launchArgs are the per-launch buffers rm_hist reads besides the jobs.
type launchArgs struct {
	list, scope, hdims, hoff devPtr
}

// slot is one stream with its device buffers, page-locked staging and the batch it runs.
type slot struct {
	s                  stream
	jobs               devPtr
	jobsHost           []byte
	hist               devPtr
	histCells          int64
	ents               devPtr
	entsHost           []byte
	entCap             int64
	counter            devPtr
	counterHost        []byte
	batch              []task
	batchBound         int64
	busy               bool
	perJob, bucketFill []int32
	bucket             []entry
}

// engine owns the device buffers of one backend. It is not safe for concurrent use; the
// Backend serializes calls.
type engine struct {
	dev       device
	block     uint32 // threads per block of rm_hist and rm_finish
	jobCap    int    // jobs per batch
	slotBytes int64  // device bytes per slot (0: from cuMemGetInfo)
	stage     []byte // page-locked upload staging
	up        stream // stream of uploads

	mat   *devMatrix
	slots []*slot
	small devPtr // hdims and hoff of the current call
	nsmal int64

	scope     []uint64 // copy of the scope on the device (nil: every identity)
	scopeDev  devPtr
	scopeSet  bool
	post      *postings
	histDirty bool
}

// devMatrix is a kernels.Matrix copied to the device once: codes dimension-major, the
// multi-valued CSR, and the role CSR's identity lists.
type devMatrix struct {
	m                                  *kernels.Matrix
	n                                  int64
	codes, mstart, moff, mcodes, roles devPtr
	maxVals                            []int32 // per dimension, the most values one identity has
}

// config sizes an engine.
type config struct {
	block      uint32 // threads per block
	jobCap     int    // jobs per batch
	slotBytes  int64  // device bytes per slot (0: from cuMemGetInfo)
	stageBytes int64  // page-locked upload staging
}

// deviceConfig is the configuration on a real device.
var deviceConfig = config{block: 256, jobCap: 1 << 16, stageBytes: 8 << 20}

func newEngine(dev device, cfg config) (*engine, error) {
	e := &engine{dev: dev, block: cfg.block, jobCap: cfg.jobCap, slotBytes: cfg.slotBytes}
	var err error
	if e.stage, err = dev.hostAlloc(cfg.stageBytes); err != nil {
		return nil, err
	}
	if e.up, err = dev.newStream(); err != nil {
		return nil, err
	}
	return e, nil
}

// close frees every device and page-locked buffer (the device itself stays open).
func (e *engine) close() error {
	var errs []error
	errs = append(errs, e.dropMatrix())
	for _, s := range e.slots {
		errs = append(errs, e.dev.free(s.jobs), e.dev.free(s.hist), e.dev.free(s.ents), e.dev.free(s.counter),
			e.dev.hostFree(s.jobsHost), e.dev.hostFree(s.entsHost), e.dev.hostFree(s.counterHost), e.dev.destroyStream(s.s))
	}
	e.slots = nil
	errs = append(errs, e.dev.free(e.small), e.dev.hostFree(e.stage), e.dev.destroyStream(e.up))
	e.small, e.stage = 0, nil
	return errors.Join(errs...)
}

// uploadBytes copies n bytes produced by fill (which writes b, at most len(b) bytes at a
// time, starting at byte offset off of the source) to dst through the staging buffer.
func (e *engine) uploadBytes(dst devPtr, n int64, fill func(b []byte, off int64)) error {
	for off := int64(0); off < n; {
		k := min(n-off, int64(len(e.stage)))
		fill(e.stage[:k], off)
		if err := e.dev.htod(dst+devPtr(off), e.stage[:k], e.up); err != nil {
			return err
		}
		if err := e.dev.sync(e.up); err != nil {
			return err
		}
		off += k
	}
	return nil
}

func (e *engine) uploadInt32s(dst devPtr, src []int32) error {
	return e.uploadBytes(dst, int64(len(src))*4, func(b []byte, off int64) {
		s := src[off/4:]
		for i := 0; i < len(b)/4; i++ {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(s[i]))
		}
	})
}

func (e *engine) uploadInt64s(dst devPtr, src []int64) error {
	return e.uploadBytes(dst, int64(len(src))*8, func(b []byte, off int64) {
		s := src[off/8:]
		for i := 0; i < len(b)/8; i++ {
			binary.LittleEndian.PutUint64(b[8*i:], uint64(s[i]))
		}
	})
}

// allocInt32s allocates and fills a device array.
func (e *engine) allocInt32s(src []int32) (devPtr, error) {
	p, err := e.dev.alloc(int64(len(src)) * 4)
	if err != nil {
		return 0, err
	}
	return p, e.uploadInt32s(p, src)
}

func (e *engine) allocInt64s(src []int64) (devPtr, error) {
	p, err := e.dev.alloc(int64(len(src)) * 8)
	if err != nil {
		return 0, err
	}
	return p, e.uploadInt64s(p, src)
}

func (e *engine) dropMatrix() error {
	var errs []error
	if dm := e.mat; dm != nil {
		for _, p := range []devPtr{dm.codes, dm.mstart, dm.moff, dm.mcodes, dm.roles} {
			errs = append(errs, e.dev.free(p))
		}
		e.mat = nil
	}
	errs = append(errs, e.dropScope())
	return errors.Join(errs...)
}

func (e *engine) dropScope() error {
	var errs []error
	errs = append(errs, e.dev.free(e.scopeDev))
	e.scopeDev, e.scope, e.scopeSet = 0, nil, false
	if e.post != nil {
		errs = append(errs, e.dev.free(e.post.dev))
		e.post = nil
	}
	return errors.Join(errs...)
}

// matrix returns m on the device, uploading it when it is not the matrix of the last call
// (data goes up once per run: a run passes the same *Matrix to every call).
func (e *engine) matrix(m *kernels.Matrix) (*devMatrix, error) {
	if e.mat != nil && e.mat.m == m {
		return e.mat, nil
	}
	if err := e.dropMatrix(); err != nil {
		return nil, err
	}
	nd := len(m.Cards)
	if len(m.Codes) != nd {
		return nil, fmt.Errorf("cuda: matrix has %d code columns for %d dimensions", len(m.Codes), nd)
	}
	dm := &devMatrix{m: m, n: int64(m.N), maxVals: make([]int32, nd)}
	var err error
	codes := int64(nd) * dm.n
	if dm.codes, err = e.dev.alloc(codes * 4); err != nil {
		return nil, err
	}
	e.mat = dm // freed by dropMatrix from here on
	for d := 0; d < nd; d++ {
		if len(m.Codes[d]) != m.N {
			return nil, fmt.Errorf("cuda: dimension %d has %d codes for %d identities", d, len(m.Codes[d]), m.N)
		}
		if err := e.uploadInt32s(dm.codes+devPtr(int64(d)*dm.n*4), m.Codes[d]); err != nil {
			return nil, err
		}
	}
	// Multi-valued dimensions: one offsets array (N+1 per such dimension, absolute into
	// the concatenated codes) and mstart[d] locating dimension d's offsets, -1 if none.
	mstart := make([]int64, max(nd, 1))
	var moff []int64
	var mcodes []int32
	for d := 0; d < nd; d++ {
		dm.maxVals[d] = 1
		if !isMulti(m, d) {
			mstart[d] = -1
			continue
		}
		off := m.MultiOff[d]
		if len(off) != m.N+1 {
			return nil, fmt.Errorf("cuda: dimension %d has %d multi-value offsets for %d identities", d, len(off), m.N)
		}
		mstart[d] = int64(len(moff))
		base := int64(len(mcodes))
		var most int32
		for i := 0; i <= m.N; i++ {
			moff = append(moff, base+int64(off[i]))
			if i < m.N {
				most = max(most, off[i+1]-off[i])
			}
		}
		dm.maxVals[d] += most
		mcodes = append(mcodes, m.MultiCodes[d][:off[m.N]]...)
	}
	if dm.mstart, err = e.allocInt64s(mstart); err != nil {
		return nil, err
	}
	if dm.moff, err = e.allocInt64s(moff); err != nil {
		return nil, err
	}
	if dm.mcodes, err = e.allocInt32s(mcodes); err != nil {
		return nil, err
	}
	if dm.roles, err = e.allocInt32s(m.RoleIdx); err != nil {
		return nil, err
	}
	return dm, nil
}

func isMulti(m *kernels.Matrix, d int) bool {
	return m.MultiOff != nil && d < len(m.MultiOff) && m.MultiOff[d] != nil
}

// setScope puts q's scope bitset on the device unless it is already there.
func (e *engine) setScope(m *kernels.Matrix, bits []uint64) error {
	if e.scopeSet && (bits == nil) == (e.scope == nil) && slices.Equal(bits, e.scope) {
		return nil
	}
	if err := e.dropScope(); err != nil {
		return err
	}
	if bits != nil {
		if len(bits) < (m.N+63)/64 {
			return fmt.Errorf("cuda: scope bitset has %d words for %d identities", len(bits), m.N)
		}
		words := make([]int64, len(bits))
		for i, w := range bits {
			words[i] = int64(w)
		}
		p, err := e.allocInt64s(words)
		if err != nil {
			return err
		}
		e.scopeDev, e.scope = p, slices.Clone(bits)
	}
	e.scopeSet = true
	return nil
}

// setDims uploads the histogram dimensions of the current call and their value offsets
// (hoff[p] = sum of Cards[dims[:p]]), returning the launch arguments and hoff.
func (e *engine) setDims(m *kernels.Matrix, dims []int32) (hdims, hoffDev devPtr, hoff []int64, err error) {
	hoff = make([]int64, len(dims)+1)
	arr := make([]int32, 0, 2*len(dims)+1)
	arr = append(arr, dims...)
	for p, d := range dims {
		hoff[p+1] = hoff[p] + int64(m.Cards[d])
	}
	if hoff[len(dims)] > 1<<31-1 {
		return 0, 0, nil, fmt.Errorf("cuda: %d values over the query's dimensions, at most %d", hoff[len(dims)], 1<<31-1)
	}
	for _, h := range hoff {
		arr = append(arr, int32(h))
	}
	if int64(len(arr)) > e.nsmal {
		if err := e.dev.free(e.small); err != nil {
			return 0, 0, nil, err
		}
		e.small, e.nsmal = 0, 0
		if e.small, err = e.dev.alloc(int64(len(arr)) * 4); err != nil {
			return 0, 0, nil, err
		}
		e.nsmal = int64(len(arr))
	}
	if err := e.uploadInt32s(e.small, arr); err != nil {
		return 0, 0, nil, err
	}
	return e.small, e.small + devPtr(4*len(dims)), hoff, nil
}

// ensureSlots allocates the two slots on first use, sizing them from free device memory.
func (e *engine) ensureSlots() error {
	if e.slots != nil {
		return nil
	}
	per := e.slotBytes
	if per <= 0 {
		free, _, err := e.dev.memGetInfo()
		if err != nil {
			return err
		}
		// Leave 40% of the free memory to scopes, postings and the driver.
		per = min(free*6/10/2, 4<<30)
	}
	for k := 0; k < 2; k++ {
		s := &slot{histCells: per / 2 / 4, entCap: per / 2 / entrySize}
		e.slots = append(e.slots, s)
		var err error
		if s.s, err = e.dev.newStream(); err != nil {
			return err
		}
		if s.jobs, err = e.dev.alloc(int64(e.jobCap) * jobSize); err != nil {
			return err
		}
		if s.jobsHost, err = e.dev.hostAlloc(int64(e.jobCap) * jobSize); err != nil {
			return err
		}
		if s.hist, err = e.dev.alloc(s.histCells * 4); err != nil {
			return err
		}
		if err := e.dev.memset32(s.hist, 0, s.histCells, s.s); err != nil {
			return err
		}
		if s.ents, err = e.dev.alloc(s.entCap * entrySize); err != nil {
			return err
		}
		if s.entsHost, err = e.dev.hostAlloc(s.entCap * entrySize); err != nil {
			return err
		}
		if s.counter, err = e.dev.alloc(8); err != nil {
			return err
		}
		if s.counterHost, err = e.dev.hostAlloc(8); err != nil {
			return err
		}
		if err := e.dev.sync(s.s); err != nil {
			return err
		}
	}
	return nil
}

// run executes the tasks next yields, in batches on the two slots, and calls done with
// each task's entries (in no particular order) once its batch has finished. done may
// make next yield more tasks. run returns when next is empty and no batch is in flight.
func (e *engine) run(ctx context.Context, a launchArgs, next func() (task, bool), done func(t *task, ents []entry) error) error {
	if err := e.ensureSlots(); err != nil {
		return err
	}
	var held *task // taken from next but did not fit the batch being built
	err := func() error {
		for cur := 0; ; cur ^= 1 {
			if err := ctx.Err(); err != nil {
				return err
			}
			s := e.slots[cur]
			if s.busy {
				if err := e.finish(s, done); err != nil {
					return err
				}
			}
			s.batch, s.batchBound = s.batch[:0], 0
			var width int64
			for len(s.batch) < e.jobCap {
				var t task
				if held != nil {
					t, held = *held, nil
				} else {
					var ok bool
					if t, ok = next(); !ok {
						break
					}
				}
				if t.width > s.histCells || t.bound > s.entCap {
					return fmt.Errorf("cuda: a job needs %d histogram cells and %d entries, a slot holds %d and %d",
						t.width, t.bound, s.histCells, s.entCap)
				}
				if width+t.width > s.histCells || s.batchBound+t.bound > s.entCap {
					held = &t
					break
				}
				t.desc.ScratchOff = width
				width += t.width
				s.batchBound += t.bound
				s.batch = append(s.batch, t)
			}
			if len(s.batch) > 0 {
				if err := e.start(s, a); err != nil {
					return err
				}
			} else if !e.slots[cur^1].busy && held == nil {
				return nil
			}
		}
	}()
	if err != nil {
		// Let batches in flight end before their buffers can be reused.
		for _, s := range e.slots {
			if s.busy {
				_ = e.dev.sync(s.s)
				s.busy = false
				e.histDirty = true
			}
		}
		if e.histDirty {
			e.resetHist()
		}
	}
	return err
}

// start enqueues s.batch on s's stream: jobs up, counter cleared, both kernels, counter
// down. Nothing waits.
func (e *engine) start(s *slot, a launchArgs) error {
	for k := range s.batch {
		s.batch[k].desc.put(s.jobsHost[k*jobSize:])
	}
	dm := e.mat
	n := len(s.batch)
	if err := e.dev.htod(s.jobs, s.jobsHost[:n*jobSize], s.s); err != nil {
		return err
	}
	if err := e.dev.memset32(s.counter, 0, 1, s.s); err != nil {
		return err
	}
	s.busy = true
	cp := uint64(s.batchBound)
	if err := e.dev.launch(kHist, uint32(n), e.block, s.s,
		uint64(s.jobs), uint64(n), uint64(a.list), uint64(a.scope), uint64(dm.codes), uint64(dm.n),
		uint64(dm.mstart), uint64(dm.moff), uint64(dm.mcodes), uint64(a.hdims), uint64(a.hoff),
		uint64(s.hist), uint64(s.ents), uint64(s.counter), cp); err != nil {
		return err
	}
	grid := uint32(min((s.batchBound+int64(e.block)-1)/int64(e.block), 1<<16))
	if err := e.dev.launch(kFinish, max(grid, 1), e.block, s.s,
		uint64(s.jobs), uint64(s.ents), uint64(s.counter), cp, uint64(s.hist)); err != nil {
		return err
	}
	return e.dev.dtoh(s.counterHost[:4], s.counter, s.s)
}

// finish waits for s's batch, fetches its entries and hands them to done job by job.
func (e *engine) finish(s *slot, done func(t *task, ents []entry) error) error {
	if err := e.dev.sync(s.s); err != nil {
		return err
	}
	s.busy = false
	total := int64(binary.LittleEndian.Uint32(s.counterHost))
	if total > s.batchBound {
		e.histDirty = true
		return fmt.Errorf("cuda: kernel recorded %d entries, the batch's bound is %d (internal error)", total, s.batchBound)
	}
	if err := e.dev.dtoh(s.entsHost[:total*entrySize], s.ents, s.s); err != nil {
		return err
	}
	if err := e.dev.sync(s.s); err != nil {
		return err
	}
	// Bucket the entries by job (counting sort), then call done in job order.
	n := len(s.batch)
	s.perJob = slices.Grow(s.perJob[:0], n+1)[:n+1]
	clear(s.perJob)
	le := binary.LittleEndian
	for k := int64(0); k < total; k++ {
		j := int32(le.Uint32(s.entsHost[k*entrySize:]))
		if j < 0 || int(j) >= n {
			return fmt.Errorf("cuda: entry %d names job %d of %d (internal error)", k, j, n)
		}
		s.perJob[j+1]++
	}
	for j := 0; j < n; j++ {
		s.perJob[j+1] += s.perJob[j]
	}
	s.bucketFill = append(s.bucketFill[:0], s.perJob[:n]...)
	s.bucket = slices.Grow(s.bucket[:0], int(total))[:total]
	for k := int64(0); k < total; k++ {
		b := s.entsHost[k*entrySize:]
		j := le.Uint32(b)
		s.bucket[s.bucketFill[j]] = entry{idx: int32(le.Uint32(b[4:])), count: int32(le.Uint32(b[8:]))}
		s.bucketFill[j]++
	}
	for j := 0; j < n; j++ {
		t := &s.batch[j]
		ents := s.bucket[s.perJob[j]:s.perJob[j+1]]
		for _, en := range ents {
			if en.idx < 0 || int64(en.idx) >= t.width || en.count <= 0 {
				return fmt.Errorf("cuda: job %d: entry (cell %d, count %d) outside its %d cells (internal error)", j, en.idx, en.count, t.width)
			}
		}
		if err := done(t, ents); err != nil {
			return err
		}
	}
	return nil
}

// resetHist zeroes every slot's histogram after a failed batch left cells counted.
func (e *engine) resetHist() {
	for _, s := range e.slots {
		if e.dev.memset32(s.hist, 0, s.histCells, s.s) != nil || e.dev.sync(s.s) != nil {
			return
		}
	}
	e.histDirty = false
}

// sumMaxVals is the most values one identity has over dims.
func (dm *devMatrix) sumMaxVals(dims []int32) int64 {
	var s int64
	for _, d := range dims {
		s += int64(dm.maxVals[d])
	}
	return s
}
