package cooccur

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
)

// TestRowHash pins the row hash (hash.go): role and terms hashed with FNV-1a 64 as
// hash/fnv computes it, folded in field order with tp and support, and mixed; the golden
// values (also computed apart, in Python) change only when the definition does, and then
// the peers' must change with it.
// Rows that differ in one field, or only in where one field ends and the next begins,
// hash apart.
func TestRowHash(t *testing.T) {
	fnv64 := func(s string) uint64 {
		h := fnv.New64a()
		h.Write([]byte(s))
		return h.Sum64()
	}
	tests := []struct {
		r    Row
		want uint64
	}{
		{Row{Role: "R1", Attrs: [2]string{"dept"}, Values: [2]string{"Sales"}, N: 1, TP: 4, Support: 9}, 0x502bfcd60b5cb899},
		{Row{Role: "R1", Attrs: [2]string{"dept", "title"}, Values: [2]string{"Sales", "Analyst"}, N: 2, TP: 3, Support: 1234567890123}, 0x7c185380733782b8},
		{Row{Role: "", Attrs: [2]string{"", ""}, Values: [2]string{"é", "\x00"}, N: 2, TP: 0, Support: -1}, 0x51663358c6e27efd},
	}
	for _, tc := range tests {
		r := tc.r
		x := Fold(RowSeed, fnv64(r.Role))
		for k := 0; k < r.N; k++ {
			if got, want := Term(r.Attrs[k], r.Values[k]), fnv64(r.Attrs[k]+"\x00"+r.Values[k]); got != want {
				t.Errorf("Term(%q, %q) = %016x, FNV-1a = %016x", r.Attrs[k], r.Values[k], got, want)
			}
			x = Fold(x, fnv64(r.Attrs[k]+"\x00"+r.Values[k]))
		}
		want := Finish(Fold(Fold(x, uint64(r.TP)), uint64(r.Support)))
		if got := r.Hash(); got != want || got != tc.want {
			t.Errorf("%s: Hash = %016x, folded from FNV-1a %016x, golden %016x", r.String(), got, want, tc.want)
		}
	}
	base := Row{Role: "R1", Attrs: [2]string{"dept", "title"}, Values: [2]string{"Sales", "Analyst"}, N: 2, TP: 3, Support: 7}
	variants := []func(r *Row){
		func(r *Row) { r.Role = "R2" },
		func(r *Row) { r.Attrs[0], r.Values[0] = "deptS", "ales" },
		func(r *Row) { r.Attrs, r.Values = [2]string{"title", "dept"}, [2]string{"Analyst", "Sales"} },
		func(r *Row) { r.Values[1] = "Analysts" },
		func(r *Row) { r.TP, r.Support = 7, 3 },
		func(r *Row) { r.Support = 8 },
		func(r *Row) { r.N = 1 },
	}
	seen := map[uint64]int{base.Hash(): -1}
	for k, change := range variants {
		r := base
		change(&r)
		if j, dup := seen[r.Hash()]; dup {
			t.Errorf("variant %d (%s) hashes as variant %d", k, r.String(), j)
		}
		seen[r.Hash()] = k
	}
}

func TestDigestOrderIndependent(t *testing.T) {
	var a, b Digest
	hs := []uint64{1, 1<<63 + 5, 1<<63 + 7, 42}
	for _, h := range hs {
		a.Add(h)
	}
	for k := len(hs) - 1; k >= 0; k-- {
		b.Add(hs[k])
	}
	if a != b || a.Rows != 4 {
		t.Fatalf("digests differ: %v vs %v", a, b)
	}
	var sum uint64
	for _, h := range hs {
		sum += h // wraps modulo 2^64
	}
	if got, want := a.String(), fmt.Sprintf("rows=4 checksum=%016x", sum); got != want || sum != 55 {
		t.Errorf("String = %q, want %q", got, want)
	}
}

// enterprise is a small random data set kept as raw strings for the reference.
type enterprise struct {
	header []string   // identity_id first
	idents [][]string // rows
	asg    [][2]string
}

func randomEnterprise(rng *rand.Rand) *enterprise {
	e := &enterprise{header: []string{"identity_id", "kind", "dept", "title", "Zeta", "uid"}}
	n := 5 + rng.IntN(40)
	cards := []int{3, 1 + rng.IntN(4), 1 + rng.IntN(3), 1 + rng.IntN(2)}
	kinds := []string{"", "human", "service_account", "api_key"}
	// Half the enterprises split their identities: some have values on dept and title
	// only, the others on Zeta only (as humans and service accounts do), so that the
	// depth-2 count takes one kernel call per group (pairScopes).
	split := rng.IntN(2) == 0
	for i := 0; i < n; i++ {
		row := []string{fmt.Sprintf("id%03d", i), kinds[rng.IntN(len(kinds))]}
		zetaOnly := rng.IntN(3) == 0
		for d := 1; d < len(cards); d++ {
			v := ""
			if rng.IntN(6) > 0 { // some values missing
				v = fmt.Sprintf("%c%d", 'a'+d, rng.IntN(cards[d]))
			}
			if split && zetaOnly != (d == 3) {
				v = ""
			}
			row = append(row, v)
		}
		row = append(row, fmt.Sprintf("u%d", i)) // unique: skipped by the loader
		e.idents = append(e.idents, row)
	}
	roles := 1 + rng.IntN(6)
	for r := 0; r < roles; r++ {
		p := rng.Float64()
		for i := 0; i < n; i++ {
			if rng.Float64() < p {
				e.asg = append(e.asg, [2]string{fmt.Sprintf("id%03d", i), fmt.Sprintf("R%d", r)})
			}
		}
		if rng.IntN(3) == 0 { // an orphan and a duplicate
			e.asg = append(e.asg, [2]string{"ghost", fmt.Sprintf("R%d", r)})
			if len(e.asg) > 1 {
				e.asg = append(e.asg, e.asg[rng.IntN(len(e.asg))])
			}
		}
	}
	return e
}

func (e *enterprise) write(t *testing.T, dir string) {
	t.Helper()
	write := func(name string, rows [][]string) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		w := csv.NewWriter(f)
		if err := w.WriteAll(rows); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write("identities.csv", append([][]string{e.header}, e.idents...))
	asg := [][]string{{"identity_id", "role_id"}}
	for _, a := range e.asg {
		asg = append(asg, []string{a[0], a[1]})
	}
	write("assignments.csv", asg)
}

// reference computes the table of the given depth by brute force over the raw strings:
// holders are the distinct known identities assigned the role; dims are the attributes
// criteria use; an empty value is no value, and an empty kind is "human".
func (e *enterprise) reference(depth int, dims []string) []Row {
	col := map[string]int{}
	for k, h := range e.header {
		col[h] = k
	}
	value := func(row []string, d string) string {
		v := row[col[d]]
		if d == "kind" && v == "" {
			v = "human"
		}
		return v
	}
	byID := map[string][]string{}
	for _, row := range e.idents {
		byID[row[0]] = row
	}
	holders := map[string]map[string]bool{}
	for _, a := range e.asg {
		if byID[a[0]] == nil {
			continue
		}
		if holders[a[1]] == nil {
			holders[a[1]] = map[string]bool{}
		}
		holders[a[1]][a[0]] = true
	}
	sorted := slices.Clone(dims)
	slices.Sort(sorted)
	type crit struct{ a1, v1, a2, v2 string }
	critsOf := func(row []string) []crit {
		var out []crit
		for i, a := range sorted {
			va := value(row, a)
			if va == "" {
				continue
			}
			if depth == 1 {
				out = append(out, crit{a1: a, v1: va})
				continue
			}
			for _, b := range sorted[i+1:] {
				if vb := value(row, b); vb != "" {
					out = append(out, crit{a, va, b, vb})
				}
			}
		}
		return out
	}
	support := map[crit]int64{}
	for _, row := range e.idents {
		for _, c := range critsOf(row) {
			support[c]++
		}
	}
	var rows []Row
	for role, hs := range holders {
		tp := map[crit]int64{}
		for id := range hs {
			for _, c := range critsOf(byID[id]) {
				tp[c]++
			}
		}
		for c, n := range tp {
			if depth == 2 && n < Depth2MinTP {
				continue
			}
			r := Row{Role: role, Attrs: [2]string{c.a1, c.a2}, Values: [2]string{c.v1, c.v2}, N: depth, TP: n, Support: support[c]}
			rows = append(rows, r)
		}
	}
	return rows
}

func rowStrings(rows []Row) []string {
	var out []string
	for k := range rows {
		out = append(out, rows[k].String())
	}
	slices.Sort(out)
	return out
}

// countsOnly is a backend that hands out kernels.Counts only (not the CPU backend's
// two-term pairs), as a backend other than the CPU's does.
type countsOnly struct{ kernels.Backend }

// TestComputeMatchesReference is the property test of issue 5: on random small
// enterprises, the kernel's complete depth-1 and depth-2 tables (rows and digest) equal
// a brute-force reference over the raw files, whatever the worker count, from Load's
// snapshot (1 worker) and from the lean load of the same dimensions (more workers; with 3,
// prepared from the identities while the assignments are read), with packed and with
// sparse support tables, cells of 32 bits as well as 16, and with a backend that hands out counts only.
func TestComputeMatchesReference(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 60; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		e := randomEnterprise(rng)
		dir := t.TempDir()
		e.write(t, dir)
		snap, err := columnar.Load(ctx, dir, columnar.LoadOptions{})
		if err != nil {
			t.Fatalf("seed %d: load: %v", seed, err)
		}
		full := columnar.HoldingsOf(snap)
		dims := DimNames(full)
		if slices.Contains(dims, "uid") || !slices.Contains(dims, "kind") {
			t.Fatalf("seed %d: dims %v: want kind and no uid (high cardinality)", seed, dims)
		}
		for _, depth := range []int{1, 2} {
			ref := e.reference(depth, dims)
			var want Digest
			for k := range ref {
				want.Add(ref[k].Hash())
			}
			lean, err := columnar.LoadHoldings(ctx, dir, columnar.HoldingsOptions{Dims: dims})
			if err != nil {
				t.Fatalf("seed %d: lean load: %v", seed, err)
			}
			for _, o := range []Options{{Workers: 1}, {Workers: 3}, {Workers: 2, sparse: true}, {Workers: 2, sparse: true, noPack: true}, {Workers: 2, wide: true}, {Workers: 2, sparse: true, wide: true}, {Workers: 2, EarlyPlan: true}, {Workers: 2, Backend: countsOnly{cpu.NewWorkers(2)}}} {
				workers := o.Workers
				h := full
				if workers > 1 {
					h = lean // the table is the same from either load
				}
				var got []Row
				o.Depth, o.Each = depth, func(r Row) { got = append(got, r) }
				var res *Result
				if workers == 3 { // prepared while the lean load reads the assignments
					res, err = prepareWhileLoading(ctx, dir, dims, o)
				} else {
					res, err = Compute(ctx, h, o)
				}
				if err != nil {
					t.Fatalf("seed %d depth %d: %v", seed, depth, err)
				}
				if g, w := rowStrings(got), rowStrings(ref); !slices.Equal(g, w) {
					t.Fatalf("seed %d depth %d workers %d sparse %v packed %v: rows differ\ngot:  %s\nwant: %s", seed, depth, workers, o.sparse, !o.noPack,
						strings.Join(g, "; "), strings.Join(w, "; "))
				}
				if res.Digest != want {
					t.Fatalf("seed %d depth %d workers %d: digest %v, reference %v", seed, depth, workers, res.Digest, want)
				}
			}
		}
	}
}

// prepareWhileLoading computes the table of o over the lean load of dims in dir, prepared
// from the identities while the assignments are read, as bench cooccur does.
func prepareWhileLoading(ctx context.Context, dir string, dims []string, o Options) (*Result, error) {
	var p *Prepared
	h, err := columnar.LoadHoldings(ctx, dir, columnar.HoldingsOptions{Dims: dims,
		OnIdentities: func(ctx context.Context, early *columnar.Holdings) (err error) {
			p, err = Prepare(ctx, early, o)
			return err
		}})
	if err != nil {
		return nil, err
	}
	return p.Compute(ctx, h)
}

// TestPairScopes: an enterprise whose identities have values either on dept and title or
// on Zeta is counted in two kernel calls, each with kind; one where some identity links
// the two groups, or where title is valued everywhere (kind and title would be counted
// apart in each call), in one call over every dimension.
func TestPairScopes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []string{"split", "link", "two universal"} {
		link := tc != "split"
		e := &enterprise{header: []string{"identity_id", "kind", "dept", "title", "Zeta"}, idents: [][]string{
			{"a", "", "d1", "t1", ""}, {"b", "svc", "", "", "z1"}, {"c", "", "d2", "", ""}, {"d", "", "", "", ""}}}
		switch tc {
		case "link":
			e.idents = append(e.idents, []string{"e", "", "", "t1", "z1"})
		case "two universal":
			e.idents = [][]string{{"a", "", "d1", "t1", ""}, {"b", "svc", "", "t2", "z1"}, {"c", "", "d2", "t1", ""}, {"d", "", "", "t2", ""}, {"e", "", "", "t1", "z2"}}
		}
		dir := t.TempDir()
		e.write(t, dir)
		h, err := columnar.LoadHoldings(ctx, dir, columnar.HoldingsOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c := &computer{h: h, m: matrixOf(h), dims: Dims(h)}
		var got []string
		for _, sc := range c.pairScopes() {
			var names []string
			for _, d := range sc.dims {
				names = append(names, h.Dims[d].Name)
			}
			var ids []int
			for i := range h.Identities {
				if sc.in == nil || sc.in[i>>6]&(1<<(i&63)) != 0 {
					ids = append(ids, i)
				}
			}
			got = append(got, fmt.Sprintf("%v %v", names, ids))
		}
		want := []string{"[Zeta kind] [1 3]", "[dept kind title] [0 2]"} // d, with kind alone, goes to the first
		if link {
			want = []string{"[Zeta dept kind title] [0 1 2 3 4]"}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: scopes %q, want %q", tc, got, want)
		}
	}
}

func TestComputeRejectsDepth(t *testing.T) {
	if _, err := Compute(context.Background(), &columnar.Holdings{}, Options{Depth: 3}); err == nil {
		t.Fatal("depth 3 accepted")
	}
}

// randomMultiHoldings returns random holdings where dimension "proj" is multi-valued:
// an identity has a code there, extra codes, both or neither (all distinct).
func randomMultiHoldings(rng *rand.Rand) *columnar.Holdings {
	n := 5 + rng.IntN(50)
	h := &columnar.Holdings{Identities: n}
	for _, name := range []string{"dept", "kind", "proj", "site"} {
		d := columnar.Dimension{Name: name, Codes: make([]int32, n)}
		card := 1 + rng.IntN(5)
		for v := range card {
			d.Values = append(d.Values, fmt.Sprintf("%s%d", name, v))
		}
		if name == "proj" {
			d.MultiOff = make([]int32, n+1)
		}
		for i := range n {
			d.Codes[i] = int32(rng.IntN(card+1)) - 1
			if d.MultiOff != nil {
				for _, v := range rng.Perm(card)[:rng.IntN(card+1)] {
					if int32(v) != d.Codes[i] {
						d.MultiCodes = append(d.MultiCodes, int32(v))
					}
				}
				d.MultiOff[i+1] = int32(len(d.MultiCodes))
			}
		}
		h.Dims = append(h.Dims, d)
	}
	h.RoleOff = []int64{0}
	for r := range 1 + rng.IntN(4) {
		h.Roles = append(h.Roles, fmt.Sprintf("R%d", r))
		p := rng.Float64()
		for i := range n {
			if rng.Float64() < p {
				h.RoleIdx = append(h.RoleIdx, int32(i))
			}
		}
		h.RoleOff = append(h.RoleOff, int64(len(h.RoleIdx)))
	}
	return h
}

// splitByProject makes every identity of h kind-valued and valued on one other dimension
// alone: proj (its multi-valued values only), dept or site, so that the depth-2 count
// splits into three kernel calls (pairScopes), one of them found from multi-valued values.
func splitByProject(h *columnar.Holdings) {
	for d := range h.Dims {
		dim := &h.Dims[d]
		for i := range h.Identities {
			own := []string{"proj", "dept", "site"}[i%3]
			switch {
			case dim.Name == "kind":
				dim.Codes[i] = 0
			case dim.Name == "proj":
				dim.Codes[i] = -1
				if own != "proj" {
					dim.MultiCodes = slices.Delete(dim.MultiCodes, int(dim.MultiOff[i]), int(dim.MultiOff[i+1]))
					shift := dim.MultiOff[i+1] - dim.MultiOff[i]
					for j := i + 1; j <= h.Identities; j++ {
						dim.MultiOff[j] -= shift
					}
				}
			case dim.Name == own:
				dim.Codes[i] = 0
			default:
				dim.Codes[i] = -1
			}
		}
	}
}

// multiReference is the table of the given depth over h, by brute force over each
// identity's value names.
func multiReference(h *columnar.Holdings, depth int) []Row {
	type term struct{ a, v string }
	termsOf := func(i int) [][]term { // per dimension, the identity's terms
		var out [][]term
		for d := range h.Dims {
			dim := &h.Dims[d]
			var ts []term
			if c := dim.Codes[i]; c >= 0 {
				ts = append(ts, term{dim.Name, dim.Values[c]})
			}
			if dim.MultiOff != nil {
				for _, c := range dim.MultiCodes[dim.MultiOff[i]:dim.MultiOff[i+1]] {
					ts = append(ts, term{dim.Name, dim.Values[c]})
				}
			}
			out = append(out, ts)
		}
		return out
	}
	critsOf := func(i int) [][2]term {
		var out [][2]term
		ts := termsOf(i)
		for d := range ts {
			for _, x := range ts[d] {
				if depth == 1 {
					out = append(out, [2]term{x})
					continue
				}
				for _, more := range ts[d+1:] {
					for _, y := range more {
						out = append(out, [2]term{x, y})
					}
				}
			}
		}
		return out
	}
	support := map[[2]term]int64{}
	for i := range h.Identities {
		for _, c := range critsOf(i) {
			support[c]++
		}
	}
	var rows []Row
	for r, role := range h.Roles {
		tp := map[[2]term]int64{}
		for _, i := range h.RoleIdx[h.RoleOff[r]:h.RoleOff[r+1]] {
			for _, c := range critsOf(int(i)) {
				tp[c]++
			}
		}
		for c, n := range tp {
			if depth == 1 || n >= Depth2MinTP {
				rows = append(rows, Row{Role: role, Attrs: [2]string{c[0].a, c[1].a}, Values: [2]string{c[0].v, c[1].v},
					N: depth, TP: n, Support: support[c]})
			}
		}
	}
	return rows
}

// TestComputeMultiValued: with a multi-valued dimension (a universe's projects), the
// tables equal the brute-force reference, with dense, packed and sparse support tables (cells
// of 16 and of 32 bits), also
// when the identities valued on projects alone are counted in a kernel call of their own.
func TestComputeMultiValued(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 40; seed++ {
		h := randomMultiHoldings(rand.New(rand.NewPCG(seed, 7)))
		if seed%2 == 0 {
			splitByProject(h)
		}
		for _, depth := range []int{1, 2} {
			ref := multiReference(h, depth)
			for way := range 6 { // dense, packed, sparse; cells of 16 bits, then of 32
				sparse := way%3 > 0
				var got []Row
				res, err := Compute(ctx, h, Options{Depth: depth, Workers: 2, sparse: sparse, noPack: way%3 == 2, wide: way >= 3,
					Each: func(r Row) { got = append(got, r) }})
				if err != nil {
					t.Fatal(err)
				}
				if g, w := rowStrings(got), rowStrings(ref); !slices.Equal(g, w) {
					t.Fatalf("seed %d depth %d sparse %v: rows differ\ngot:  %s\nwant: %s", seed, depth, sparse,
						strings.Join(g, "; "), strings.Join(w, "; "))
				}
				var want Digest
				for k := range ref {
					want.Add(ref[k].Hash())
				}
				if res.Digest != want {
					t.Fatalf("seed %d depth %d sparse %v: digest %v, reference %v", seed, depth, sparse, res.Digest, want)
				}
			}
		}
	}
}

// TestPackRows: a packed table reads every pair's support from a cell of its own (rows
// of random values, some disjoint, some crowded); rows of many values that cannot pack
// within the budget leave the table sparse.
func TestPackRows(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		rng := rand.New(rand.NewPCG(seed, 5))
		nd, ne := 1+rng.IntN(40), 1+rng.IntN(300)
		tb := &pairTable{stride: int32(ne), off: make([]int32, nd+1)}
		want := map[[2]int32]int32{}
		for va := range nd {
			for vb := range ne {
				if rng.IntN(100) < 3+int(seed%40) {
					sup := int32(1 + rng.IntN(1<<20))
					tb.ent = append(tb.ent, uint64(vb)<<32|uint64(sup))
					want[[2]int32{int32(va), int32(vb)}] = sup
				}
			}
			tb.off[va+1] = int32(len(tb.ent))
		}
		pairs := len(tb.ent)
		tb.packRows()
		if tb.base == nil {
			t.Fatalf("seed %d: %d pairs of %dx%d not packed", seed, pairs, nd, ne)
		}
		if len(tb.cells) > 2*pairs+1<<16 {
			t.Fatalf("seed %d: %d cells for %d pairs", seed, len(tb.cells), pairs)
		}
		for p, sup := range want {
			if got := tb.cells[tb.base[p[0]]+p[1]]; got != sup {
				t.Fatalf("seed %d: pair %v reads %d, want %d", seed, p, got, sup)
			}
		}
	}
	// Rows that cannot pack tightly stay sparse: two values 200,000 apart (the cells would
	// pass twice the pairs plus 64Ki), and rows half full of 4,096 random values (a row fits
	// nowhere before the taken cells' end: the search's work passes its budget).
	wide := &pairTable{stride: 200000, off: make([]int32, 11)}
	for va := range 10 {
		wide.ent = append(wide.ent, 0<<32|1, 199999<<32|1)
		wide.off[va+1] = int32(len(wide.ent))
	}
	rng := rand.New(rand.NewPCG(1, 5))
	half := &pairTable{stride: 4096, off: make([]int32, 301)}
	for va := range 300 {
		for vb := range 4096 {
			if rng.IntN(2) == 0 {
				half.ent = append(half.ent, uint64(vb)<<32|1)
			}
		}
		half.off[va+1] = int32(len(half.ent))
	}
	for _, tb := range []*pairTable{wide, half} {
		if tb.packRows(); tb.base != nil || tb.ent == nil {
			t.Fatalf("rows of %d values packed into %d cells", tb.stride, len(tb.cells))
		}
	}
}

// TestNarrowCells: cells are kept in 16 bits when every support is below 2^16, in 32
// otherwise, and read back the same either way.
func TestNarrowCells(t *testing.T) {
	c := &computer{}
	pairs := []cpu.Pair{{A: kernels.Term{Val: 0}, B: kernels.Term{Val: 1}}, {A: kernels.Term{Val: 1}, B: kernels.Term{Val: 0}}}
	for _, top := range []int32{1<<16 - 1, 1 << 16} {
		tb := &pairTable{stride: 2, cells: []int32{7, top, 65535, 3}}
		c.narrowCells(tb)
		if narrow := tb.narrow != nil && tb.cells == nil; narrow != (top < 1<<16) {
			t.Fatalf("largest support %d: narrow %v", top, narrow)
		}
		if got := tb.of(pairs, nil); !slices.Equal(got, []int32{top, 65535}) {
			t.Fatalf("largest support %d: read %v", top, got)
		}
	}
}

// TestSeek: a sparse table's pair is found from any earlier position, near (the linear
// steps) or far (the binary search).
func TestSeek(t *testing.T) {
	var ent []uint64
	for v := range 100 {
		ent = append(ent, uint64(2*v)<<32|uint64(1000+v))
	}
	for j := range ent {
		for v := j; v < len(ent); v++ {
			if got := seek(ent, j, int32(2*v)); got != v {
				t.Fatalf("seek(from %d, value %d) = %d, want %d", j, 2*v, got, v)
			}
		}
	}
}

// TestLargestFirst: the roles by decreasing number of holders, ties by index, as a
// stable sort by size gives them, for sizes with many ties and sizes past 16 bits.
func TestLargestFirst(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		rng := rand.New(rand.NewPCG(seed, 3))
		nr := rng.IntN(2000)
		h := &columnar.Holdings{Roles: make([]string, nr), RoleOff: make([]int64, nr+1)}
		for r := range nr {
			size := int64(rng.IntN(5))
			if seed%2 == 0 {
				size = int64(rng.IntN(1 << 20))
			}
			h.RoleOff[r+1] = h.RoleOff[r] + size
		}
		want := make([]int32, nr)
		for r := range want {
			want[r] = int32(r)
		}
		size := func(r int32) int64 { return h.RoleOff[r+1] - h.RoleOff[r] }
		slices.SortStableFunc(want, func(a, b int32) int { return cmp.Compare(size(b), size(a)) })
		if got := largestFirst(h); !slices.Equal(got, want) {
			t.Fatalf("seed %d: %v, want %v", seed, got, want)
		}
	}
}
