package mining

import (
	"math/bits"
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
)

// materialize fills each candidate's holders (numbers among the role's in-scope holders,
// a list or a bitset, see cand) and false-positive bitset (over the union of the
// candidates' false positives, numbered by fpUniverse: only counts and subsets of
// these bitsets are ever used), with one scan of the posting list of each candidate's
// rarest term.
func (s *selector) materialize(cs []cand, neutral []int32) {
	words := (len(s.hs) + 63) / 64
	if !slices.IsSorted(s.hs) { // never with a snapshot's ascending holders
		slices.Sort(s.hs) // holder numbers are local to the role: any order serves
	}
	for h, i := range s.hs {
		w := i >> 6
		if s.holderBits[w] == 0 {
			s.holderRank[w] = int32(h) // the first holder in the word: hs is ascending
		}
		s.holderBits[w] |= 1 << (uint32(i) & 63)
	}
	for _, i := range neutral {
		s.loc[i] = -2 // neither a holder nor a false positive
	}
	s.fp.reset(len(s.loc), len(neutral) > 0)
	s.held = s.held[:0] // the listed holders, candidate by candidate
	fpOff := make([]int, len(cs)+1)
	heldOff := make([]int, len(cs)+1)
	for k := range cs {
		c := &cs[k]
		s.scan(c)
		if c.nhold > sparseHolders*int64(words) {
			c.hold = make([]uint64, words)
			for _, h := range s.held[heldOff[k]:] {
				c.hold[h>>6] |= 1 << (uint32(h) & 63)
			}
			s.held = s.held[:heldOff[k]]
		}
		heldOff[k+1] = len(s.held)
		fpOff[k+1] = len(s.fp.ids)
	}
	for _, i := range s.hs {
		s.holderBits[i>>6] = 0
	}
	for _, i := range neutral {
		s.loc[i] = -1
	}
	fwords := (s.fp.number() + 63) / 64
	fpAll := make([]uint64, fwords*len(cs))
	for k := range cs {
		c := &cs[k]
		if c.hold == nil {
			c.holdIdx = s.held[heldOff[k]:heldOff[k+1]:heldOff[k+1]]
		}
		c.fpb = fpAll[k*fwords : (k+1)*fwords : (k+1)*fwords]
		for _, u := range s.fp.ids[fpOff[k]:fpOff[k+1]] {
			c.fpb[u>>6] |= 1 << (uint32(u) & 63)
		}
	}
}

// fpUniverse numbers a role's false positives (the identities that are not holders but
// match some candidate) 0..n-1: a bitset over the identities (small enough to stay in
// cache, where an int32 per identity does not) marks them as candidates are scanned, and
// once all are seen each gets its rank, its bitset word taken in the order words were
// first set.
type fpUniverse struct {
	bits []uint64 // the false positives seen (all zero between roles)
	// rank[w] is the number of false positives in words before w (read only for the
	// words listed in words).
	rank  []int32
	words []int32 // the words of bits holding a false positive, in first-set order
	// ids lists the false positives of each candidate in turn: identities until number
	// turns them into their numbers.
	ids []int32
	// neutral is whether selector.loc marks the role's neutral identities (-2).
	neutral bool
}

// reset starts a role over n identities.
func (u *fpUniverse) reset(n int, neutral bool) {
	if words := (n + 63) / 64; len(u.bits) < words {
		u.bits, u.rank = make([]uint64, words), make([]int32, words)
	}
	u.words, u.ids, u.neutral = u.words[:0], u.ids[:0], neutral
}

// add lists identity i as a false positive of the current candidate.
func (u *fpUniverse) add(i int32) {
	w := i >> 6
	if u.bits[w] == 0 {
		u.words = append(u.words, w)
	}
	u.bits[w] |= 1 << (uint32(i) & 63)
	u.ids = append(u.ids, i)
}

// number replaces each listed identity by its number, clears the bitset and returns how
// many distinct false positives there are.
func (u *fpUniverse) number() int {
	var n int32
	for _, w := range u.words {
		u.rank[w] = n
		n += int32(bits.OnesCount64(u.bits[w]))
	}
	for k, i := range u.ids {
		w := i >> 6
		u.ids[k] = u.rank[w] + int32(bits.OnesCount64(u.bits[w]&(1<<(uint32(i)&63)-1)))
	}
	for _, w := range u.words {
		u.bits[w] = 0
	}
	return int(n)
}

// scan walks the posting list of c's rarest term: it appends c's holders to s.held
// (ascending, each once; c.nhold counts them) and its false positives to s.fp. A holder's
// number is its rank in s.holderBits (a bitset of the identities, small enough to stay in
// cache where an int32 per identity does not); s.loc is read only for roles with neutral
// identities, for identities that are not holders, when c has false positives. Whether an
// identity of the list has c's other terms is read from its codes (matchesOthers), or,
// for a criterion of two terms whose other posting list is at most mergeRatio times as
// long, found by walking that list alongside (others).
//
// The walk stops once it has found as many holders as c's count (c.tp) and as many false
// positives as its support leaves (c.fp): the rest of the list matches nobody else. Each
// identity is counted once here (a posting list names a repeated one in a row), and the
// counts can only be higher than what the walk finds, never lower, so a stop is never
// early.
func (s *selector) scan(c *cand) {
	wantH, wantF := c.tp, c.fp()
	var nh, nf int64
	o := s.othersOf(&c.c)
	start, sorted, lastFP := len(s.held), true, int32(-1)
	for _, i := range o.posting {
		w, bit := i>>6, uint64(1)<<(uint32(i)&63)
		if hb := s.holderBits[w]; hb&bit != 0 {
			if !o.match(i) {
				continue
			}
			h := s.holderRank[w] + int32(bits.OnesCount64(hb&(bit-1)))
			if n := len(s.held); n > start && s.held[n-1] >= h {
				sorted = false
			} else {
				nh++
			}
			s.held = append(s.held, h)
		} else {
			if wantF == 0 || !o.match(i) || (s.fp.neutral && s.loc[i] == -2) {
				continue // no false positive wanted, not a match, or a neutral identity
			}
			if i != lastFP {
				nf++
				lastFP = i
			}
			s.fp.add(i)
		}
		if nh == wantH && nf == wantF {
			break
		}
	}
	if !sorted { // a value listed twice for one identity, or holders out of order
		own := s.held[start:]
		slices.Sort(own)
		s.held = s.held[:start+len(slices.Compact(own))]
	}
	c.nhold = int64(len(s.held) - start)
}

// mergeRatio is how many times longer than the rarest term's posting list the other
// term's may be for scan to walk it alongside, rather than read each identity's codes:
// the walk reads the list in order, where the codes are read at scattered identities (a
// multi-valued dimension's through its offsets too).
const mergeRatio = 32

// others tells, for the identities of a candidate's rarest posting list taken in order,
// whether they have the candidate's other terms.
type others struct {
	snap    *columnar.Snapshot
	c       *kernels.Criterion
	rare    kernels.Term
	posting []int32 // the rarest term's posting list
	// next is the other term's posting list, where it is walked (merge), and at the
	// position of the last identity asked about in it; single says c has no other term.
	next          []int32
	at            int
	merge, single bool
}

// othersOf returns what scan reads c's other terms through.
func (s *selector) othersOf(c *kernels.Criterion) others {
	ix := s.sc.ix
	rare := ix.rarest(c)
	o := others{snap: s.snap, c: c, rare: rare, posting: ix.posting(rare), single: c.N == 1}
	if c.N == 2 {
		other := c.T[0]
		if other == rare {
			other = c.T[1]
		}
		if p := ix.posting(other); len(p) <= mergeRatio*len(o.posting) {
			o.next, o.merge = p, true
		}
	}
	return o
}

// match reports whether identity i (no lower than the last one asked about) has c's
// other terms.
func (o *others) match(i int32) bool {
	switch {
	case o.single:
		return true
	case o.merge:
		p, k := o.next, o.at
		for k < len(p) && p[k] < i {
			k++
		}
		o.at = k
		return k < len(p) && p[k] == i
	}
	return matchesOthers(o.snap, o.c, o.rare, i)
}

// matchesOthers reports whether identity i has every term of c but skip (which it is
// known to have).
func matchesOthers(snap *columnar.Snapshot, c *kernels.Criterion, skip kernels.Term, i int32) bool {
	for _, t := range c.Terms() {
		if t == skip {
			continue
		}
		d := &snap.Dims[t.Dim]
		if d.Codes[i] != t.Val && (d.MultiOff == nil || !d.Has(int(i), t.Val)) {
			return false
		}
	}
	return true
}
