package cuda

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"unsafe"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
)

// TestLayout checks that jobDesc.put writes rm_job as the C++ compiler lays it out.
func TestLayout(t *testing.T) {
	ed := startEmulator(t)
	got, err := ed.layout()
	if err != nil {
		t.Fatal(err)
	}
	var j jobDesc
	want := [10]uint64{jobSize, uint64(unsafe.Offsetof(j.ListOff)), uint64(unsafe.Offsetof(j.ListLen)),
		uint64(unsafe.Offsetof(j.NTerm)), uint64(unsafe.Offsetof(j.TDim)), uint64(unsafe.Offsetof(j.TVal)),
		uint64(unsafe.Offsetof(j.HdFrom)), uint64(unsafe.Offsetof(j.HdTo)), uint64(unsafe.Offsetof(j.ScratchOff)), entrySize}
	if got != want || unsafe.Sizeof(j) != jobSize {
		t.Fatalf("rm_job/rm_entry layout %v, Go side %v (sizeof jobDesc %d)", got, want, unsafe.Sizeof(j))
	}
	// put must agree with the offsets.
	j = jobDesc{ListOff: 1, ListLen: 2, NTerm: 3, TDim: [3]int32{4, 5, 6}, TVal: [3]int32{7, 8, 9}, HdFrom: 10, HdTo: 11, ScratchOff: 12}
	b := make([]byte, jobSize)
	j.put(b)
	if *(*jobDesc)(unsafe.Pointer(&b[0])) != j {
		t.Fatalf("put wrote %v", b)
	}
}

// shape picks what kind of random matrix a case gets.
type shape int

const (
	shapeSmall shape = iota // like internal/kernels/cpu's brute-force test
	shapeEdge               // empty roles, one holder, every holder, one-value dimensions
	shapeWide               // one dimension with 100k values
	numShapes
)

// randomMatrix builds a random matrix of the given shape; some dimensions are
// multi-valued when multi.
func randomMatrix(rng *rand.Rand, sh shape, multi bool) *kernels.Matrix {
	n := 1 + rng.IntN(60)
	if sh == shapeWide {
		n = 50 + rng.IntN(400)
	}
	dims := 1 + rng.IntN(5)
	m := &kernels.Matrix{N: n, Codes: make([][]int32, dims), Cards: make([]int32, dims),
		MultiOff: make([][]int32, dims), MultiCodes: make([][]int32, dims)}
	for d := 0; d < dims; d++ {
		card := 1 + rng.IntN(5)
		switch {
		case sh == shapeEdge && rng.IntN(2) == 0:
			card = 1
		case sh == shapeWide && d == 0:
			card = 100_000
		}
		m.Cards[d] = int32(card)
		m.Codes[d] = make([]int32, n)
		for i := range m.Codes[d] {
			if card > 100 {
				// Few distinct values out of many, some shared.
				m.Codes[d][i] = int32(rng.IntN(card/1000)*1000 + rng.IntN(3))
				if rng.IntN(5) == 0 {
					m.Codes[d][i] = -1
				}
				continue
			}
			m.Codes[d][i] = int32(rng.IntN(card+1)) - 1
		}
		if multi && card <= 100 && rng.IntN(2) == 0 {
			off := make([]int32, n+1)
			var codes []int32
			for i := 0; i < n; i++ {
				for c := int32(0); c < int32(card); c++ {
					if c != m.Codes[d][i] && rng.IntN(4) == 0 {
						codes = append(codes, c)
					}
				}
				off[i+1] = int32(len(codes))
			}
			m.MultiOff[d], m.MultiCodes[d] = off, codes
		}
	}
	roles := 1 + rng.IntN(10)
	m.RoleOff = make([]int64, roles+1)
	for r := 0; r < roles; r++ {
		p := rng.Float64()
		if sh == shapeEdge {
			p = []float64{0, 0, 1, 1, -1, rng.Float64()}[rng.IntN(6)]
		}
		if p < 0 { // exactly one holder
			m.RoleIdx = append(m.RoleIdx, int32(rng.IntN(n)))
		}
		for i := 0; i < n; i++ {
			if rng.Float64() < p {
				m.RoleIdx = append(m.RoleIdx, int32(i))
			}
		}
		m.RoleOff[r+1] = int64(len(m.RoleIdx))
	}
	return m
}

func randomQuery(rng *rand.Rand, m *kernels.Matrix) kernels.Query {
	q := kernels.Query{MaxTerms: 1 + rng.IntN(kernels.MaxTerms), MinTP: int32(rng.IntN(4))}
	for d := range m.Cards {
		if rng.IntN(5) > 0 {
			q.Dims = append(q.Dims, int32(d))
		}
	}
	if rng.IntN(2) == 0 {
		q.InScope = make([]uint64, (m.N+63)/64)
		for i := 0; i < m.N; i++ {
			if rng.IntN(3) > 0 {
				q.InScope[i/64] |= 1 << (i % 64)
			}
		}
	}
	return q
}

// allCriteria enumerates every criterion on dims with 1..maxTerms terms, or returns nil
// when there would be more than limit.
func allCriteria(m *kernels.Matrix, dims []int32, maxTerms, limit int) []kernels.Criterion {
	var out []kernels.Criterion
	var rec func(c kernels.Criterion, from int) bool
	rec = func(c kernels.Criterion, from int) bool {
		for di := from; di < len(dims); di++ {
			for v := int32(0); v < m.Cards[dims[di]]; v++ {
				e := c
				e.T[e.N] = kernels.Term{Dim: dims[di], Val: v}
				e.N++
				if out = append(out, e); len(out) > limit {
					return false
				}
				if int(e.N) < maxTerms && !rec(e, di+1) {
					return false
				}
			}
		}
		return true
	}
	if !rec(kernels.Criterion{}, 0) {
		return nil
	}
	return out
}

// collect runs Cooccur and returns each role's counts, failing on a role emitted twice or
// not at all.
func collect(t *testing.T, b kernels.Backend, m *kernels.Matrix, q kernels.Query, roles []int32) map[int32][]kernels.Count {
	t.Helper()
	got := map[int32][]kernels.Count{}
	var mu sync.Mutex
	err := b.Cooccur(context.Background(), m, q, roles, func(r int32, cs []kernels.Count) error {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := got[r]; dup {
			return fmt.Errorf("role %d emitted twice", r)
		}
		got[r] = slices.Clone(cs)
		return nil
	})
	if err != nil {
		t.Fatalf("%s Cooccur: %v", b.Name(), err)
	}
	for _, r := range roles {
		if _, ok := got[r]; !ok {
			t.Fatalf("%s Cooccur: role %d never emitted", b.Name(), r)
		}
	}
	return got
}

// TestEmulatedAgainstCPU runs the CUDA backend's host code on the kernel source compiled
// for the CPU and compares Cooccur and Supports with internal/kernels/cpu on random matrices:
// multi-valued dimensions, scopes, empty roles, one holder, every holder, one-value
// dimensions, a 100k-value dimension, and slots so small that batches split.
func TestEmulatedAgainstCPU(t *testing.T) {
	ed := startEmulator(t)
	differential(t, 1200, func(cfg config) (*Backend, error) { return newBackend(ed, cfg) },
		func(b *Backend) error {
			if err := b.eng.close(); err != nil {
				return err
			}
			if n, err := ed.live(); err != nil || n != 0 {
				return fmt.Errorf("after close: %d device allocations left (%v)", n, err)
			}
			return nil
		})
}

// differential compares backends made by open (released by release) with internal/kernels/cpu on
// random cases; see TestEmulatedAgainstCPU.
func differential(t *testing.T, cases int, open func(config) (*Backend, error), release func(*Backend) error) {
	ref := cpu.NewWorkers(2)
	ctx := context.Background()
	const perBackend = 40
	var b *Backend
	bTiny, bSlot := false, int64(0)
	closeBackend := func() {
		if b == nil {
			return
		}
		if err := release(b); err != nil {
			t.Fatal(err)
		}
		b = nil
	}
	defer closeBackend()
	rng := rand.New(rand.NewPCG(1, 2))
	splits := 0
	for c := 0; c < cases; c++ {
		sh := shape(c % int(numShapes))
		if sh == shapeWide && c%30 != 2 {
			sh = shapeSmall // the 100k-value dimension in one case of 30
		}
		m := randomMatrix(rng, sh, c%3 == 0)
		var wmax int64
		for _, card := range m.Cards {
			wmax += int64(card)
		}
		tiny := c%4 == 1
		need := (wmax + 1) * 2 * entrySize
		if c%perBackend == 0 || tiny || b == nil || bTiny || bSlot < need {
			// A new backend: every other case with slots that hold only a few jobs.
			closeBackend()
			block := []uint32{1, 3, 32, 256}[rng.IntN(4)]
			jobCap, slotBytes := 4096, max(need*8, 64<<10)
			if tiny {
				jobCap = 1 + rng.IntN(3)
				slotBytes = need * int64(1+rng.IntN(3))
			}
			var err error
			bTiny, bSlot = tiny, slotBytes
			cfg := config{block: block, jobCap: jobCap, slotBytes: slotBytes, stageBytes: int64(8 * (1 + rng.IntN(64)))}
			if b, err = open(cfg); err != nil {
				t.Fatal(err)
			}
		}
		roles := rng.Perm(len(m.RoleOff) - 1)
		roles = roles[:1+rng.IntN(len(roles))]
		rs := make([]int32, len(roles))
		for k, r := range roles {
			rs[k] = int32(r)
		}
		for qn := 0; qn < 2; qn++ { // two queries on one upload
			q := randomQuery(rng, m)
			name := fmt.Sprintf("case %d query %d (shape %d, %d ids, dims %v, max %d, min %d, scope %v)",
				c, qn, sh, m.N, q.Dims, q.MaxTerms, q.MinTP, q.InScope != nil)
			want := collect(t, ref, m, q, rs)
			got := collect(t, b, m, q, rs)
			var found []kernels.Criterion
			for _, r := range rs {
				if !slices.Equal(got[r], want[r]) {
					t.Fatalf("%s role %d: Cooccur\n got %v\nwant %v", name, r, got[r], want[r])
				}
				for _, cn := range want[r] {
					found = append(found, cn.C)
				}
			}
			crits := allCriteria(m, q.Dims, q.MaxTerms, 3000)
			if crits == nil {
				crits = found
				for k := 0; k < 200 && len(q.Dims) > 0; k++ {
					d := q.Dims[rng.IntN(len(q.Dims))]
					crits = append(crits, kernels.Criterion{T: [4]kernels.Term{{Dim: d, Val: int32(rng.IntN(int(m.Cards[d])))}}, N: 1})
				}
			}
			ws, err := ref.Supports(ctx, m, q, crits)
			if err != nil {
				t.Fatal(err)
			}
			gs, err := b.Supports(ctx, m, q, crits)
			if err != nil {
				t.Fatalf("%s: Supports: %v", name, err)
			}
			if !slices.Equal(gs, ws) {
				for k := range ws {
					if gs[k] != ws[k] {
						t.Fatalf("%s: support of %v = %d, want %d", name, crits[k], gs[k], ws[k])
					}
				}
			}
		}
		if tiny {
			splits++
		}
	}
	t.Logf("%d cases, %d with slots small enough to split batches", cases, splits)
}
