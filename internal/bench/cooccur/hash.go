package cooccur

import (
	"fmt"
	"strconv"
)

// FNV-1a 64-bit parameters (the same as hash/fnv's New64a).
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

// Hash is the running state of a row hash: FNV-1a 64 over the row's canonical text
//
//	role_id \x00 attr \x00 value [\x00 attr2 \x00 value2] \x00 tp \x00 support
//
// with attributes in name (byte) order and tp and support in decimal. Build it with
// NewHash, then Str, Sep and Int in text order; the value is the final uint64. Both
// rolemine and the peers hash rows through this type, so they cannot drift apart.
type Hash uint64

// NewHash returns the hash of the empty text.
func NewHash() Hash { return Hash(fnvOffset) }

// Str continues the hash with the bytes of s.
func (h Hash) Str(s string) Hash {
	x := uint64(h)
	for i := 0; i < len(s); i++ {
		x ^= uint64(s[i])
		x *= fnvPrime
	}
	return Hash(x)
}

// Sep continues the hash with the field separator, a zero byte.
func (h Hash) Sep() Hash {
	return Hash(uint64(h) * fnvPrime) // x ^= 0 is a no-op
}

// Int continues the hash with n in decimal.
func (h Hash) Int(n int64) Hash {
	var buf [20]byte
	b := strconv.AppendInt(buf[:0], n, 10)
	x := uint64(h)
	for _, c := range b {
		x ^= uint64(c)
		x *= fnvPrime
	}
	return Hash(x)
}

// Row is one row of a co-occurrence table: a role, a criterion of one or two terms
// (attribute names ascending) and its counts.
type Row struct {
	Role string
	// Attrs and Values hold the terms; only the first N are meaningful.
	Attrs, Values [2]string
	N             int
	// TP is the number of the role's holders matching the criterion; Support the number
	// of identities matching it.
	TP, Support int64
}

// Hash returns the row's hash (see Hash for the canonical text).
func (r *Row) Hash() uint64 {
	h := NewHash().Str(r.Role)
	for k := 0; k < r.N; k++ {
		h = h.Sep().Str(r.Attrs[k]).Sep().Str(r.Values[k])
	}
	return uint64(h.Sep().Int(r.TP).Sep().Int(r.Support))
}

// String renders the row as text, e.g. "R1 dept=Sales&title=Analyst tp=4 support=9".
func (r *Row) String() string {
	s := r.Role + " "
	for k := 0; k < r.N; k++ {
		if k > 0 {
			s += "&"
		}
		s += r.Attrs[k] + "=" + r.Values[k]
	}
	return fmt.Sprintf("%s tp=%d support=%d", s, r.TP, r.Support)
}

// Digest is an order-independent summary of a table: its row count and the sum modulo
// 2^64 of its row hashes.
type Digest struct {
	Rows int64
	Sum  uint64
}

// Add counts one row with hash h.
func (d *Digest) Add(h uint64) { d.Rows++; d.Sum += h }

// Merge adds the rows of e.
func (d *Digest) Merge(e Digest) { d.Rows += e.Rows; d.Sum += e.Sum }

// String renders "rows=N checksum=HEX", the line both programs print.
func (d Digest) String() string { return fmt.Sprintf("rows=%d checksum=%016x", d.Rows, d.Sum) }
