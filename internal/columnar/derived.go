package columnar

import (
	"fmt"
	"slices"
)

// AddDimension inserts a derived dimension (from a criterion plugin or a hierarchy) into
// the snapshot, keeping the Snapshot invariants: Dims stay sorted by name and KindDim
// follows the kind dimension. d must describe every identity:
//   - Values sorted (byte order), without duplicates or "";
//   - len(Codes) == NumIdentities(), each code -1 or a valid index;
//   - for a multi-valued dimension, MultiOff has NumIdentities()+1 non-decreasing offsets
//     into MultiCodes, starting at 0 and ending at len(MultiCodes); an identity's extra
//     codes are valid indices, sorted, distinct and different from its Codes entry, and an
//     identity without a first value (-1) has no extra ones.
//
// A name that clashes with an existing attribute (or identity_id) is rejected. Like load,
// AddDimension marks the dimension Skipped when it has more distinct values than half of
// the identities, and records that in Findings.
func (s *Snapshot) AddDimension(d Dimension) error {
	n := s.NumIdentities()
	if d.Name == "" {
		return fmt.Errorf("add dimension: empty name")
	}
	if d.Name == "identity_id" || s.DimIndex(d.Name) >= 0 {
		return fmt.Errorf("add dimension %q: an attribute of that name already exists", d.Name)
	}
	if len(d.Codes) != n {
		return fmt.Errorf("add dimension %q: %d codes for %d identities", d.Name, len(d.Codes), n)
	}
	for k, v := range d.Values {
		if v == "" {
			return fmt.Errorf("add dimension %q: empty value at dictionary index %d", d.Name, k)
		}
		if k > 0 && d.Values[k-1] >= v {
			return fmt.Errorf("add dimension %q: dictionary not sorted and distinct at index %d (%q after %q)", d.Name, k, v, d.Values[k-1])
		}
	}
	card := int32(len(d.Values))
	for i, c := range d.Codes {
		if c < -1 || c >= card {
			return fmt.Errorf("add dimension %q: identity %d has code %d outside [-1, %d)", d.Name, i, c, card)
		}
	}
	if d.MultiOff != nil || d.MultiCodes != nil {
		if len(d.MultiOff) != n+1 || d.MultiOff[0] != 0 || int(d.MultiOff[n]) != len(d.MultiCodes) {
			return fmt.Errorf("add dimension %q: MultiOff must have %d offsets from 0 to len(MultiCodes)=%d", d.Name, n+1, len(d.MultiCodes))
		}
		for i := 0; i < n; i++ {
			lo, hi := d.MultiOff[i], d.MultiOff[i+1]
			if hi < lo {
				return fmt.Errorf("add dimension %q: MultiOff decreases at identity %d", d.Name, i)
			}
			if hi > lo && d.Codes[i] < 0 {
				return fmt.Errorf("add dimension %q: identity %d has extra values but no first value", d.Name, i)
			}
			for k := lo; k < hi; k++ {
				c := d.MultiCodes[k]
				if c < 0 || c >= card || c == d.Codes[i] || (k > lo && d.MultiCodes[k-1] >= c) {
					return fmt.Errorf("add dimension %q: identity %d: extra codes must be valid, sorted, distinct and differ from the first value (got %d)", d.Name, i, c)
				}
			}
		}
	}
	if d.Skipped = d.Skipped || 2*len(d.Values) > n; d.Skipped {
		if d.SkipReason == "" {
			d.ScopeRecount = true
			d.SkipReason = fmt.Sprintf("%d distinct values > half of %d identities", len(d.Values), n)
		}
		s.Findings.SkippedDimensions = append(s.Findings.SkippedDimensions,
			SkippedDimension{Name: d.Name, Distinct: len(d.Values), Reason: d.SkipReason})
	}
	at, _ := slices.BinarySearchFunc(s.Dims, d.Name, func(x Dimension, name string) int {
		switch {
		case x.Name < name:
			return -1
		case x.Name > name:
			return 1
		}
		return 0
	})
	s.Dims = slices.Insert(s.Dims, at, d)
	if s.KindDim >= at {
		s.KindDim++
	}
	return nil
}

// Exclude marks the named dimensions as never usable in criteria ("excluded by user"),
// recording a finding for each. Load applies exclusions to the columns it reads; this
// applies them to dimensions added later (plugin outputs). Names that are not dimensions,
// dimensions already skipped and "kind" are left alone.
func (s *Snapshot) Exclude(names []string) {
	for _, name := range names {
		d := s.DimIndex(name)
		if d < 0 || d == s.KindDim || s.Dims[d].Skipped {
			continue
		}
		dim := &s.Dims[d]
		dim.Skipped, dim.SkipReason = true, "excluded by user"
		s.Findings.SkippedDimensions = append(s.Findings.SkippedDimensions,
			SkippedDimension{Name: dim.Name, Distinct: len(dim.Values), Reason: dim.SkipReason})
	}
}
