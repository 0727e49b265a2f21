package columnar

import (
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/hugepage"
)

// mergeAttributes adds the attributes file's values to the dimensions
// (docs/effective-privilege.md): one row per (identity, attribute, value), so an identity
// may have several values of one attribute, and an identity matches a term when any of its
// values equals it. Values of an attribute that is also a column of identities are merged
// with the column's.
// Rows naming an unknown identity are a finding; rows naming identity_id, kind or
// owner_id as the attribute are data errors (those are not multi-valued attributes).
//
// Everything goes by the columns' codes: the rows are grouped by attribute code, and each
// attribute's dimension is built from value codes (mergedDimension), with no string
// looked up per row.
func mergeAttributes(s *Snapshot, t *table, identIdx *identityIndex, excluded []string, f *UniverseFindings) error {
	ic, ac, vc := t.col("identity_id"), t.col("attribute"), t.col("value")
	probs := newProblems(t.file)
	reserved := make([]bool, len(ac.vals))
	for code, name := range ac.vals {
		reserved[code] = name == "identity_id" || name == KindDimension || name == OwnerColumn
	}
	byAttr := attrRoom(ac, len(ac.vals)) // per attribute code, in row order
	identOf := identityCodes(ic, identIdx)
	for row := 0; row < t.rows; row++ {
		a := ac.codes[row]
		if a < 0 {
			continue // a required column: the file failed to load already
		}
		if reserved[a] {
			probs.add(t.pos(row), "attribute", fmt.Sprintf("%q is a reserved column of identities, not an attribute; expected an attribute name such as project", ac.vals[a]))
			continue
		}
		i := int32(-1)
		if code := ic.codes[row]; code >= 0 {
			i = identOf[code]
		}
		if i < 0 {
			id := ic.value(row)
			f.AttributeRowsOfUnknownIdentities++
			if len(f.UnknownAttributeIdentities) < maxListedIDs && !slices.Contains(f.UnknownAttributeIdentities, id) {
				f.UnknownAttributeIdentities = append(f.UnknownAttributeIdentities, id)
			}
			continue
		}
		if v := vc.codes[row]; v >= 0 {
			byAttr[a] = append(byAttr[a], attrEntry{i, v})
		}
	}
	if err := probs.err(); err != nil {
		return err
	}
	codes := make([]int32, 0, len(ac.vals))
	for a := range byAttr {
		if len(byAttr[a]) > 0 {
			codes = append(codes, int32(a))
		}
	}
	slices.SortFunc(codes, func(x, y int32) int { return strings.Compare(ac.vals[x], ac.vals[y]) })
	for _, a := range codes {
		name := ac.vals[a]
		var old *Dimension
		if d := s.DimIndex(name); d >= 0 {
			old = &s.Dims[d]
		}
		d, dups := mergedDimension(name, old, byAttr[a], vc.vals, s.NumIdentities())
		f.DuplicateAttributeValues += dups
		putDimension(s, d, slices.Contains(excluded, name))
	}
	rebuildSkipped(s)
	return nil
}

// attrRoom returns, for each of the n codes of the attribute column ac, an empty list
// with room for a row of each of its rows: the lists of mergeAttributes then never grow,
// where appending doubled them (about 40 MB of fresh memory and copies at the tier L
// universe, twice what the rows take).
func attrRoom(ac *column, n int) [][]attrEntry {
	count := make([]int, n)
	for _, a := range ac.codes {
		if a >= 0 {
			count[a]++
		}
	}
	byAttr := make([][]attrEntry, n)
	for a, c := range count {
		if c > 0 {
			byAttr[a] = make([]attrEntry, 0, c)
		}
	}
	return byAttr
}

// attrEntry is a row of the attributes file: an identity index and a value code.
type attrEntry struct{ ident, value int32 }

// mergedDimension builds the dimension name from the dimension of that name already
// loaded (old, nil for none) and the attributes rows of that name (entries, in row
// order; vals gives the value of each code), for n identities: each identity holds its
// old values and those of its rows. The dictionary holds every value some identity holds
// (an old and a new value of equal text are one). It also returns how many rows gave a
// value the identity held already. The identities are done in parallel ranges.
func mergedDimension(name string, old *Dimension, entries []attrEntry, vals []string, n int) (Dimension, int) {
	// Codes below base are old's, from base on the attributes' value codes.
	base := int32(0)
	var oldVals []string
	if old != nil {
		base, oldVals = int32(len(old.Values)), old.Values
	}
	text := func(c int32) string {
		if c < base {
			return oldVals[c]
		}
		return vals[c-base]
	}
	held := make([]bool, int(base)+len(vals))
	if old != nil {
		for i := range n {
			if c := old.Codes[i]; c >= 0 {
				held[c] = true
			}
		}
		for _, c := range old.MultiCodes {
			held[c] = true
		}
	}
	for _, e := range entries {
		held[base+e.value] = true
	}
	dict, rank := rankHeld(held, text)

	// The rows' ranks grouped by identity (row order within one).
	off := make([]int32, n+1)
	for _, e := range entries {
		off[e.ident+1]++
	}
	for i := range n {
		off[i+1] += off[i]
	}
	byIdent := make([]int32, len(entries))
	fill := slices.Clone(off[:n])
	for _, e := range entries {
		byIdent[fill[e.ident]] = rank[base+e.value]
		fill[e.ident]++
	}
	d := Dimension{Name: name, Values: dict, Codes: hugepage.Make[int32](n)}
	var dups int
	d.MultiCodes, d.MultiOff, dups = identityValues(d.Codes, func(i int, buf []int32) []int32 {
		if old != nil {
			if c := old.Codes[i]; c >= 0 {
				buf = append(buf, rank[c])
			}
			if old.MultiOff != nil {
				for _, c := range old.MultiCodes[old.MultiOff[i]:old.MultiOff[i+1]] {
					buf = append(buf, rank[c])
				}
			}
		}
		return append(buf, byIdent[off[i]:off[i+1]]...)
	})
	return d, dups
}

// rankHeld sorts the values of the codes held marks (text gives a code's value) and
// returns them without repeats, and each held code's index among them.
func rankHeld(held []bool, text func(int32) string) (dict []string, rank []int32) {
	type entry struct {
		val  string
		code int32
	}
	var order []entry
	for c, h := range held {
		if h {
			order = append(order, entry{text(int32(c)), int32(c)})
		}
	}
	slices.SortFunc(order, func(a, b entry) int { return strings.Compare(a.val, b.val) })
	rank = make([]int32, len(held))
	for k, e := range order {
		if k == 0 || e.val != order[k-1].val {
			dict = append(dict, e.val)
		}
		rank[e.code] = int32(len(dict) - 1)
	}
	return dict, rank
}

// identityValues gives each identity i the values list(i, buf) appends to buf (codes,
// possibly repeated, in any order): its smallest in codes[i] (-1 for none) and the
// others, ascending and without repeats, in the returned CSR (multiCodes nil when no
// identity has a second value). It also returns how many values were repeats. Ranges of
// identities are done in parallel.
func identityValues(codes []int32, list func(i int, buf []int32) []int32) (multiCodes, multiOff []int32, repeats int) {
	n := len(codes)
	multiOff = make([]int32, n+1)
	bounds := splitEven(n, 4*runtime.GOMAXPROCS(0))
	parts := max(len(bounds)-1, 0)
	multi := make([][]int32, parts)
	reps := make([]int, parts)
	forEach(parts, func(b int) {
		var buf []int32
		for i := bounds[b]; i < bounds[b+1]; i++ {
			buf = list(i, buf[:0])
			if len(buf) == 0 {
				codes[i] = -1
				continue
			}
			slices.Sort(buf)
			vs := slices.Compact(buf)
			reps[b] += len(buf) - len(vs)
			codes[i] = vs[0]
			multi[b] = append(multi[b], vs[1:]...)
			multiOff[i+1] = int32(len(vs) - 1)
		}
	})
	for i := range n {
		multiOff[i+1] += multiOff[i]
	}
	for b := range parts {
		repeats += reps[b]
		multiCodes = append(multiCodes, multi[b]...)
	}
	return multiCodes, multiOff, repeats
}

// rebuildSkipped rebuilds the load findings' skipped dimensions, in dimension order as
// load lists them, after dimensions were added or replaced.
func rebuildSkipped(s *Snapshot) {
	s.Findings.SkippedDimensions = s.Findings.SkippedDimensions[:0]
	for d := range s.Dims {
		if dim := &s.Dims[d]; dim.Skipped {
			s.Findings.SkippedDimensions = append(s.Findings.SkippedDimensions,
				SkippedDimension{Name: dim.Name, Distinct: len(dim.Values), Reason: dim.SkipReason})
		}
	}
}

// multiDimension codes per-identity value lists: a sorted dictionary, each identity's
// smallest value in Codes and the others, ascending, in the Multi CSR.
func multiDimension(name string, vals [][]string) Dimension {
	var dict []string
	for _, vs := range vals {
		dict = append(dict, vs...)
	}
	slices.Sort(dict)
	dict = slices.Compact(dict)
	d := Dimension{Name: name, Values: dict, Codes: hugepage.Make[int32](len(vals)), MultiOff: make([]int32, len(vals)+1)}
	var codes []int32
	for i, vs := range vals {
		codes = codes[:0]
		for _, v := range vs {
			k, _ := slices.BinarySearch(dict, v)
			codes = append(codes, int32(k))
		}
		slices.Sort(codes)
		codes = slices.Compact(codes)
		d.Codes[i] = -1
		if len(codes) > 0 {
			d.Codes[i] = codes[0]
			d.MultiCodes = append(d.MultiCodes, codes[1:]...)
		}
		d.MultiOff[i+1] = int32(len(d.MultiCodes))
	}
	return d
}

// putDimension replaces the dimension of d's name, or inserts it in name order, marking it
// skipped as load does.
func putDimension(s *Snapshot, d Dimension, excluded bool) {
	n := s.NumIdentities()
	switch {
	case excluded:
		d.Skipped, d.SkipReason = true, "excluded by user"
	case 2*len(d.Values) > n:
		d.Skipped, d.ScopeRecount = true, true
		d.SkipReason = fmt.Sprintf("%d distinct values > half of %d identities", len(d.Values), n)
	}
	if k := s.DimIndex(d.Name); k >= 0 {
		s.Dims[k] = d
		return
	}
	at, _ := slices.BinarySearchFunc(s.Dims, d.Name, func(x Dimension, name string) int { return strings.Compare(x.Name, name) })
	s.Dims = slices.Insert(s.Dims, at, d)
	if s.KindDim >= at {
		s.KindDim++
	}
}
