package cooccur

import (
	"fmt"
	"math/bits"
)

// A table's checksum is the sum modulo 2^64 of its row hashes (Digest). A row's hash is
// made from its fields in order: the role id, each term, tp and support. Each string
// field is hashed on its own with FNV-1a 64: the role id (Text), and a term as its
// attribute, a zero byte and its value (Term). Those hashes, then tp and support as
// 64-bit integers, are folded into a state one after the other, from RowSeed (Fold), and
// the row's hash is the state's final mix (Finish):
//
//	Finish(Fold(Fold(Fold(Fold(Fold(RowSeed, Text(role)), Term(a1, v1)), Term(a2, v2)), tp), support))
//
// (a depth-1 row has one term). A program that knows its roles and terms by number hashes
// each text once and only folds integers per row; the peers hash every row from its
// strings (Row.Hash). Both go through these functions, so they cannot drift apart.

// FNV-1a 64-bit parameters (the same as hash/fnv's New64a).
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

// RowSeed is the state a row's hash starts from.
const RowSeed uint64 = fnvOffset

// Text returns the FNV-1a 64 hash of s.
func Text(s string) uint64 { return textFrom(fnvOffset, s) }

// Term returns the FNV-1a 64 hash of attr, a zero byte and value.
func Term(attr, value string) uint64 {
	return textFrom(textFrom(fnvOffset, attr)*fnvPrime, value) // a zero byte: x ^= 0, x *= prime
}

func textFrom(x uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		x ^= uint64(s[i])
		x *= fnvPrime
	}
	return x
}

// Fold continues a row's state x with the field value v: x xor v, times an odd constant,
// rotated. For a fixed x it maps distinct values to distinct states, and the other way
// round.
func Fold(x, v uint64) uint64 { return bits.RotateLeft64((x^v)*0x9e3779b97f4a7c15, 29) }

// Finish returns the row hash of the folded state x (SplitMix64's final mix, a bijection
// whose every output bit depends on every input bit).
func Finish(x uint64) uint64 {
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
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

// Hash returns the row's hash, from its strings.
func (r *Row) Hash() uint64 {
	x := Fold(RowSeed, Text(r.Role))
	for k := 0; k < r.N; k++ {
		x = Fold(x, Term(r.Attrs[k], r.Values[k]))
	}
	return Finish(Fold(Fold(x, uint64(r.TP)), uint64(r.Support)))
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
