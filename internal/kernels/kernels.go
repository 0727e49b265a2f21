// Package kernels defines the counting primitives behind rule mining: per role, how many
// in-scope holders match each criterion (co-occurrence), and how many in-scope identities
// match each criterion overall (support). Backends (internal/kernels/cpu, internal/kernels/cuda) implement
// Backend and must return identical results.
package kernels

import "context"

// Term is one `attribute = value` test: a dimension index and a value code. Comparing
// terms by (Dim, Val) compares (attribute, value) strings, because the snapshot sorts
// dimensions and dictionaries.
type Term struct {
	Dim int32
	Val int32
}

// Less orders terms by dimension, then value.
func (t Term) Less(u Term) bool {
	if t.Dim != u.Dim {
		return t.Dim < u.Dim
	}
	return t.Val < u.Val
}

// MaxTerms is the largest number of terms a criterion may have.
const MaxTerms = 4

// Criterion is a conjunction of 1..MaxTerms terms on distinct dimensions, sorted by Dim.
// Only the first N terms are meaningful.
type Criterion struct {
	T [MaxTerms]Term
	N uint8
}

// Terms returns the meaningful terms.
func (c *Criterion) Terms() []Term { return c.T[:c.N] }

// Compare orders criteria lexically by their term lists (a prefix sorts first).
func (c Criterion) Compare(d Criterion) int {
	for k := 0; k < int(c.N) && k < int(d.N); k++ {
		if c.T[k] != d.T[k] {
			if c.T[k].Less(d.T[k]) {
				return -1
			}
			return 1
		}
	}
	switch {
	case c.N < d.N:
		return -1
	case c.N > d.N:
		return 1
	}
	return 0
}

// Matrix is the read-only data a backend counts over. A backend may copy it once per run
// (e.g. to GPU memory) and reuse it across queries.
type Matrix struct {
	N int // identities
	// Codes[d][i] is identity i's value code on dimension d, or -1 for no value.
	Codes [][]int32
	// Cards[d] is the dictionary size of dimension d (codes are 0..Cards[d]-1).
	Cards []int32
	// MultiOff/MultiCodes give extra values of multi-valued dimensions (CSR per identity);
	// nil entries for single-valued dimensions.
	MultiOff   [][]int32
	MultiCodes [][]int32
	// RoleOff/RoleIdx: CSR by role, identity indices ascending.
	RoleOff []int64
	RoleIdx []int32
}

// Query fixes what is counted: which identities are in scope, which dimensions criteria
// may use, how many terms, and the smallest tp worth reporting.
type Query struct {
	// InScope is a bitset over identities (bit i of word i/64); nil means every identity.
	InScope []uint64
	// Dims are the dimensions criteria may use, ascending.
	Dims []int32
	// MaxTerms is 1..MaxTerms.
	MaxTerms int
	// MinTP: only criteria matched by at least MinTP in-scope holders are reported (and
	// extended); at least 1.
	MinTP int32
}

// Count is one criterion with the number of in-scope holders of the role it matches.
type Count struct {
	C  Criterion
	TP int32
}

// Backend counts co-occurrences. Implementations are safe for concurrent use by one run.
type Backend interface {
	// Name is the backend's name as reported in summary.json ("cpu", "cuda").
	Name() string
	// Cooccur calls emit once per role of roles (possibly from several goroutines, never
	// twice for one role) with every criterion on q.Dims of 1..q.MaxTerms terms matched by
	// at least q.MinTP in-scope holders of the role, sorted by Criterion.Compare. The
	// slice passed to emit is only valid during the call.
	Cooccur(ctx context.Context, m *Matrix, q Query, roles []int32, emit func(role int32, counts []Count) error) error
	// Supports returns, for each criterion, the number of in-scope identities it matches.
	Supports(ctx context.Context, m *Matrix, q Query, crits []Criterion) ([]int32, error)
}

// ConcurrentEmitter is implemented by backends whose Cooccur calls emit from several
// goroutines at once (one per worker), each waiting for its call to return before counting
// its next role. A caller may then do its per-role work inside emit, in parallel, on counts
// still in the worker's cache, instead of copying them to goroutines of its own.
type ConcurrentEmitter interface {
	EmitsConcurrently() bool
}

// GroupCompare orders criteria by term count, then all terms but the last, then the last
// term's dimension. Criteria comparing equal differ only in the last term's value, so one
// histogram of that dimension over the identities matching the shared prefix counts all
// their supports: backends group Supports work this way.
func GroupCompare(a, b *Criterion) int {
	if a.N != b.N {
		return int(a.N) - int(b.N)
	}
	n := int(a.N)
	for k := 0; k < n-1; k++ {
		if a.T[k] != b.T[k] {
			if a.T[k].Less(b.T[k]) {
				return -1
			}
			return 1
		}
	}
	return int(a.T[n-1].Dim) - int(b.T[n-1].Dim)
}
