package columnar

import "sync"

// identityIndex finds identities by id (the identities' ids in index order). Ids are
// looked up in bulk (find) by the partitioned hash join of stringJoin rather than through
// a map of every id: at a million identities a map costs a million inserts while the file
// is read and several cache misses per lookup, the join a few sequential passes. The ids
// are hashed and partitioned once, on the first lookup, for all the lookups of a load.
type identityIndex struct {
	ids   []string
	once  sync.Once
	index *joinIndex
}

func newIdentityIndex(ids []string) *identityIndex { return &identityIndex{ids: ids} }

// newIdentityIndexOf returns the index of the identities' identity_id column c, taking
// over the join index its check for repeated ids made (column.checkUnique), when it has
// one, rather than hashing and partitioning the ids again.
func newIdentityIndexOf(c *column) *identityIndex {
	x := newIdentityIndex(c.vals)
	if c.index != nil && len(c.index.build) == len(c.vals) {
		x.once.Do(func() { x.index = c.index })
		c.index = nil
	}
	return x
}

// find returns the identity index of each of vals, -1 for a value naming no identity. It
// may be called from several goroutines at once.
func (x *identityIndex) find(vals []string) []int32 {
	x.prepare()
	return x.index.heads(vals)
}

// prepare hashes and partitions the ids, once: Load calls it as soon as the identities
// are read, while the other files are still being decoded.
func (x *identityIndex) prepare() {
	x.once.Do(func() { x.index = newStringIndex(x.ids) })
}

// identityCodes returns the identity index of each value of a column of identity ids (-1
// for an id absent from the identities): one lookup per distinct id rather than per row,
// none for the column's identityPrefix. Nil for a nil column.
func identityCodes(c *column, identIdx *identityIndex) []int32 {
	if c == nil {
		return nil
	}
	out := make([]int32, len(c.vals))
	for code := range c.identityPrefix {
		out[code] = int32(code)
	}
	copy(out[c.identityPrefix:], identIdx.find(c.vals[c.identityPrefix:]))
	return out
}
