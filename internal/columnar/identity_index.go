package columnar

// identityIndex finds identities by id: the identities' ids in index order. Ids are looked
// up in bulk (find) by stringJoin, a partitioned hash join, rather than through a map of
// every id: at a million identities a map costs a million inserts while the file is
// read and several cache misses per lookup, the join a few sequential passes.
type identityIndex []string

// find returns the identity index of each of vals, -1 for a value naming no identity.
func (x identityIndex) find(vals []string) []int32 {
	head, _ := stringJoin(x, vals)
	return head
}

// identityCodes returns the identity index of each value of a column of identity ids (-1
// for an id absent from the identities): one lookup per distinct id rather than per row,
// none for the column's identityPrefix. Nil for a nil column.
func identityCodes(c *column, identIdx identityIndex) []int32 {
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
