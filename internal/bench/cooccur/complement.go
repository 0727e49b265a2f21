package cooccur

import (
	"math/bits"
	"slices"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
)

// A role held by most of a kernel call's identities is counted through its complement:
// the call's identities that do not hold it. Every identity with values on two of a
// call's dimensions is one of the call's identities (pairScopes), so the support of a
// criterion on them is its count over the call's identities, and a role's tp is that
// support less the complement's count. The complement is counted by the kernel like a
// role (every pair it has at least once), and the role's rows are then the supports'
// pairs whose difference reaches Depth2MinTP. At tier L six roles hold 66% to 99% of the
// people: their complements are a sixth of their holders.

// complementShare is the share of a call's identities a role must hold, at least, to be
// counted through its complement: the complement's count then covers at most a third as
// many identities as the role's, and reading every support of the call's dimension pairs
// (a few million at tier L) costs less than the counting saved.
const complementShare = 0.75

// complements are the roles of one kernel call counted through their complements: role k
// is roles[k], its complement idx[off[k]:off[k+1]] (ascending identities).
type complements struct {
	roles []int32
	off   []int64
	idx   []int32
}

// splitComplements returns the roles of c.roles counted directly in scope sc and those
// counted through their complements. With Options.complement -1, or a multi-valued
// dimension in sc, every role is counted directly; with 1, every role with at least one
// identity of sc is counted through its complement (tests).
func (c *computer) splitComplements(sc scope) ([]int32, *complements) {
	if c.o.complement < 0 || slices.ContainsFunc(sc.dims, func(d int32) bool { return isMulti(c.m, d) }) {
		return c.roles, nil
	}
	size := c.m.N
	if sc.in != nil {
		size = 0
		for _, w := range sc.in {
			size += bits.OnesCount64(w)
		}
	}
	least := int64(complementShare*float64(size)) + 1
	if c.o.complement > 0 {
		least = 1
	}
	direct := make([]int32, 0, len(c.roles))
	comp := &complements{off: []int64{0}}
	for _, r := range c.roles {
		holders := c.m.RoleIdx[c.m.RoleOff[r]:c.m.RoleOff[r+1]]
		if int64(len(holders)) < least || countIn(sc.in, holders) < least {
			direct = append(direct, r)
			continue
		}
		comp.roles = append(comp.roles, r)
		comp.idx = appendComplement(comp.idx, sc.in, holders, c.m.N)
		comp.off = append(comp.off, int64(len(comp.idx)))
	}
	return direct, comp
}

// countIn returns how many of holders are in the bitset in (nil: all).
func countIn(in []uint64, holders []int32) int64 {
	if in == nil {
		return int64(len(holders))
	}
	var n int64
	for _, i := range holders {
		n += int64(in[uint32(i)>>6] >> (uint32(i) & 63) & 1)
	}
	return n
}

// appendComplement appends to idx, ascending, the identities below n in the bitset in
// (nil: all) that are not among holders (ascending).
func appendComplement(idx []int32, in []uint64, holders []int32, n int) []int32 {
	h := 0
	for i := range int32(n) {
		if in != nil && in[uint32(i)>>6]&(1<<(uint32(i)&63)) == 0 {
			continue
		}
		for h < len(holders) && holders[h] < i {
			h++
		}
		if h < len(holders) && holders[h] == i {
			continue
		}
		idx = append(idx, i)
	}
	return idx
}

// countComplements hashes the rows of the roles of comp in scope sc: their complements
// are counted in one kernel call (every pair counted at least once), and each role's rows
// are taken from the supports as each complement's pairs are handed out.
func (c *computer) countComplements(sc scope, comp *complements) (Digest, error) {
	if comp == nil || len(comp.roles) == 0 {
		return Digest{}, nil
	}
	m := *c.m
	m.RoleOff, m.RoleIdx = comp.off, comp.idx
	ks := make([]int32, len(comp.roles))
	for k := range ks {
		ks[k] = int32(k)
	}
	q := kernels.Query{Dims: sc.dims, MaxTerms: 2, MinTP: 1}
	count := func(emit func(int32, []cpu.Pair) error) error { return c.countPairs(&m, q, ks, emit) }
	return digestRoles(count, func(k int32, pairs []cpu.Pair) Digest {
		return c.hashComplement(comp.roles[k], pairs, sc.dims)
	})
}

// hashComplement returns the digest of role r's rows on the dimensions dims, from the
// pairs of its complement (in CooccurPairs' order) and the supports.
func (c *computer) hashComplement(r int32, pairs []cpu.Pair, dims []int32) Digest {
	hr := Fold(RowSeed, Text(c.h.Roles[r]))
	var dg Digest
	for i, d := range dims {
		for _, e := range dims[i+1:] {
			n := 0
			for n < len(pairs) && pairs[n].A.Dim == d && pairs[n].B.Dim == e {
				n++
			}
			dg.Merge(c.hashLess(hr, r, d, e, pairs[:n]))
			pairs = pairs[n:]
		}
	}
	return dg
}

// hashLess returns the digest of role r's rows on dimensions d < e: every pair of values
// whose support less its count in the complement (pairs, by first then second value)
// reaches Depth2MinTP.
func (c *computer) hashLess(hr uint64, r, d, e int32, pairs []cpu.Pair) Digest {
	keys, sups := c.sup2.table(d, e).atLeast(c.m.Cards[d])
	hd, he := c.t.hash[c.t.off[d]:c.t.off[d+1]], c.t.hash[c.t.off[e]:c.t.off[e+1]]
	var dg Digest
	k := 0 // the next pair of the complement
	ha, lastA := uint64(0), uint64(1)<<63
	for x, key := range keys {
		for k < len(pairs) && pairKey(pairs[k]) < key {
			k++
		}
		sup := sups[x]
		tp := sup
		if k < len(pairs) && pairKey(pairs[k]) == key {
			tp -= pairs[k].TP
		}
		if tp < Depth2MinTP {
			continue
		}
		if va := key >> 32; va != lastA {
			ha, lastA = Fold(hr, hd[va]), va
		}
		dg.Add(Finish(Fold(Fold(Fold(ha, he[uint32(key)]), uint64(tp)), uint64(sup))))
		if c.o.Each != nil {
			p := cpu.Pair{A: kernels.Term{Dim: d, Val: int32(key >> 32)}, B: kernels.Term{Dim: e, Val: int32(uint32(key))}, TP: tp}
			c.eachRow(r, []cpu.Pair{p}, []int32{sup})
		}
	}
	return dg
}

// pairKey is p's values as a key of pairTable.atLeast.
func pairKey(p cpu.Pair) uint64 { return uint64(p.A.Val)<<32 | uint64(p.B.Val) }

// atLeast returns the pairs of values of t whose support reaches Depth2MinTP, as
// va<<32 | vb ascending, and their supports; cards is the first dimension's values. They
// are listed once, by the first caller.
func (t *pairTable) atLeast(cards int32) ([]uint64, []int32) {
	t.once.Do(func() {
		for va := range cards {
			if t.dense != nil {
				for vb, sup := range t.dense[va*t.stride : (va+1)*t.stride] {
					if sup >= Depth2MinTP {
						t.keys, t.sups = append(t.keys, uint64(va)<<32|uint64(vb)), append(t.sups, sup)
					}
				}
				continue
			}
			for _, x := range t.ent[t.off[va]:t.off[va+1]] {
				if sup := int32(x); sup >= Depth2MinTP {
					t.keys, t.sups = append(t.keys, uint64(va)<<32|x>>32), append(t.sups, sup)
				}
			}
		}
	})
	return t.keys, t.sups
}
