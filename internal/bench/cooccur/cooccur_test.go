package cooccur

import (
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
)

func TestHashMatchesFNV(t *testing.T) {
	tests := []Row{
		{Role: "R1", Attrs: [2]string{"dept"}, Values: [2]string{"Sales"}, N: 1, TP: 4, Support: 9},
		{Role: "R1", Attrs: [2]string{"dept", "title"}, Values: [2]string{"Sales", "Analyst"}, N: 2, TP: 3, Support: 1234567890123},
		{Role: "", Attrs: [2]string{"", ""}, Values: [2]string{"é", "\x00"}, N: 2, TP: 0, Support: -1},
	}
	for _, r := range tests {
		text := r.Role
		for k := 0; k < r.N; k++ {
			text += "\x00" + r.Attrs[k] + "\x00" + r.Values[k]
		}
		text += fmt.Sprintf("\x00%d\x00%d", r.TP, r.Support)
		h := fnv.New64a()
		h.Write([]byte(text))
		if got, want := r.Hash(), h.Sum64(); got != want {
			t.Errorf("%s: Hash = %016x, FNV-1a of %q = %016x", r.String(), got, text, want)
		}
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

// TestComputeMatchesReference is the property test of issue 5: on random small
// enterprises, the kernel's complete depth-1 and depth-2 tables (rows and digest) equal
// a brute-force reference over the raw files, whatever the worker count, from Load's
// snapshot (1 worker) and from the lean load of the same dimensions (3 workers).
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
			for _, workers := range []int{1, 3} {
				h := full
				if workers == 3 {
					h = lean // the table is the same from either load
				}
				var got []Row
				res, err := Compute(ctx, h, Options{Depth: depth, Workers: workers, Each: func(r Row) { got = append(got, r) }})
				if err != nil {
					t.Fatalf("seed %d depth %d: %v", seed, depth, err)
				}
				if g, w := rowStrings(got), rowStrings(ref); !slices.Equal(g, w) {
					t.Fatalf("seed %d depth %d workers %d: rows differ\ngot:  %s\nwant: %s", seed, depth, workers,
						strings.Join(g, "; "), strings.Join(w, "; "))
				}
				if res.Digest != want {
					t.Fatalf("seed %d depth %d workers %d: digest %v, reference %v", seed, depth, workers, res.Digest, want)
				}
			}
		}
	}
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
