package columnar

import (
	"fmt"
	"slices"
	"strings"
)

// mergeAttributes adds the attributes file's values to the dimensions
// (docs/effective-privilege.md): one row per (identity, attribute, value), so an identity
// may have several values of one attribute, and an identity matches a term when any of its
// values equals it. Values of an attribute that is also a column of identities are merged
// with the column's.
// Rows naming an unknown identity are a finding; rows naming identity_id, kind or
// owner_id as the attribute are data errors (those are not multi-valued attributes).
func mergeAttributes(s *Snapshot, t *table, identIdx identityIndex, excluded []string, f *UniverseFindings) error {
	ic, ac, vc := t.col("identity_id"), t.col("attribute"), t.col("value")
	probs := newProblems(t.file)
	type entry struct {
		ident int32
		value string
	}
	byAttr := map[string][]entry{}
	identOf := identityCodes(ic, identIdx)
	for row := 0; row < t.rows; row++ {
		attr := ac.value(row)
		switch attr {
		case "identity_id", KindDimension, OwnerColumn:
			probs.add(t.pos(row), "attribute", fmt.Sprintf("%q is a reserved column of identities, not an attribute; expected an attribute name such as project", attr))
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
		if v := vc.value(row); v != "" {
			byAttr[attr] = append(byAttr[attr], entry{i, v})
		}
	}
	if err := probs.err(); err != nil {
		return err
	}
	names := make([]string, 0, len(byAttr))
	for name := range byAttr {
		names = append(names, name)
	}
	slices.Sort(names)
	n := s.NumIdentities()
	for _, name := range names {
		vals := make([][]string, n)
		if d := s.DimIndex(name); d >= 0 {
			dim := &s.Dims[d]
			for i := 0; i < n; i++ {
				if c := dim.Codes[i]; c >= 0 {
					vals[i] = append(vals[i], dim.Values[c])
				}
				if dim.MultiOff != nil {
					for _, c := range dim.MultiCodes[dim.MultiOff[i]:dim.MultiOff[i+1]] {
						vals[i] = append(vals[i], dim.Values[c])
					}
				}
			}
		}
		for _, e := range byAttr[name] {
			if slices.Contains(vals[e.ident], e.value) {
				f.DuplicateAttributeValues++
				continue
			}
			vals[e.ident] = append(vals[e.ident], e.value)
		}
		putDimension(s, multiDimension(name, vals), slices.Contains(excluded, name))
	}
	rebuildSkipped(s)
	return nil
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
	d := Dimension{Name: name, Values: dict, Codes: make([]int32, len(vals)), MultiOff: make([]int32, len(vals)+1)}
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
