package report

import (
	"github.com/rolemine/rolemine/internal/uerr"
	"github.com/rolemine/rolemine/internal/usage"
)

// directUsage returns the usage state of every direct pair (CSR by identity) under the
// usage parameters summary.json records, as assignments.parquet's usage column gives
// them (docs/excess-privilege.md#usage), or nil when the data has no last_used column
// or the model recorded no usage.
func (b *Bound) directUsage() ([]usage.State, error) {
	s, snap := b.Model.Summary, b.Snap
	if s == nil || s.Usage == nil || snap.Universe == nil || snap.Universe.LastUsed == nil {
		return nil, nil
	}
	p := &usage.Params{AsOf: usage.Never, UnusedDays: s.Usage.UnusedDays}
	if s.Usage.AsOf != "" {
		t, err := usage.Parse(s.Usage.AsOf)
		if err != nil {
			return nil, uerr.New("%s usage.as_of: %v", SummaryJSONFile, err)
		}
		p.AsOf = t
	}
	return DirectUsage(snap, p), nil
}
