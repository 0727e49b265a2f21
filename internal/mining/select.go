package mining

import (
	"math"
	"math/bits"
	"slices"

	"github.com/rolemine/rolemine/internal/kernels"
	"github.com/rolemine/rolemine/internal/metrics"
)

// exactLimit is the most useful candidates (after dominance pruning) for which the
// selection enumerates every subset. docs/semantics.md#select-exact promises exactness up to 12
// useful candidates before pruning; pruning only removes candidates that cannot be in the
// optimum, so exactness is kept, and a little more headroom is cheap (2^14 subsets).
const exactLimit = 14

// pruneLimit bounds the quadratic dominance check.
const pruneLimit = 400

// cand is a useful candidate with its match sets, local to one role. Its holders are
// numbers among the role's in-scope holders, kept either as a bitset over all of them
// (hold) or, when hold is nil, as an ascending list (holdIdx): a company-wide role has
// thousands of candidates matching a few dozen holders each, whose bitsets would be
// nearly all zero words. fpb is a bitset over the union of all candidates' false
// positives (the role's "false-positive universe").
type cand struct {
	c       kernels.Criterion
	tp, sup int64
	hold    []uint64
	holdIdx []int32
	fpb     []uint64
	// nhold is the number of holders (materialize counts them).
	nhold int64
}

func (c *cand) fp() int64 { return c.sup - c.tp }

// bounds are a mining rule's bounds applied to one role: its scope size n (|U|) and its
// in-scope holders (|H|).
type bounds struct {
	n       int64
	holders int64
	metrics.Bounds
}

// valid reports whether a rule set with tp/fp meets the role-level bounds, and returns its
// precision percentage.
func (b *bounds) valid(tp, fp int64) (bool, float64) {
	return b.RoleMeets(metrics.Of(b.n, b.holders, tp, fp))
}

// choice is the outcome of selection: chosen candidate indices (ascending, i.e. in rule
// order), totals, and the best precision seen when nothing was valid.
type choice struct {
	idx      []int
	tp, fp   int64
	exact    bool
	bestPrec float64
}

func orCount(dst, a, b []uint64) int64 {
	var n int
	for k := range dst {
		dst[k] = a[k] | b[k]
		n += bits.OnesCount64(dst[k])
	}
	return int64(n)
}

func count(a []uint64) int64 {
	var n int
	for _, w := range a {
		n += bits.OnesCount64(w)
	}
	return int64(n)
}

func andNotCount(a, b []uint64) int64 {
	var n int
	for k := range a {
		n += bits.OnesCount64(a[k] &^ b[k])
	}
	return int64(n)
}

func subset(a, b []uint64) bool {
	for k := range a {
		if a[k]&^b[k] != 0 {
			return false
		}
	}
	return true
}

// prune removes candidates that cannot belong to the optimal set: A is dominated by B when
// B explains every holder A explains, has no false positive A lacks, and B has fewer terms
// or as many and sorts first. Swapping A for B in any set never makes it worse by the
// selection order, so the optimum never contains A. cs is sorted by criterion; the result
// keeps that order.
func prune(cs []cand) []cand {
	if len(cs) <= 1 || len(cs) > pruneLimit {
		return cs
	}
	keep := cs[:0:0]
	for a := range cs {
		dominated := false
		for b := range cs {
			if a == b || cs[b].tp < cs[a].tp || cs[b].fp() > cs[a].fp() {
				continue
			}
			if cs[b].c.N > cs[a].c.N || (cs[b].c.N == cs[a].c.N && b > a) {
				continue
			}
			if holdSubset(&cs[a], &cs[b]) && subset(cs[b].fpb, cs[a].fpb) {
				dominated = true
				break
			}
		}
		if !dominated {
			keep = append(keep, cs[a])
		}
	}
	return keep
}

// better reports whether a set (tp, fp, rules, terms, idx) beats the best so far by the
// order of docs/semantics.md#select-order.
func better(tp, fp int64, rules, terms int, idx []int, b *choice, bTerms int) bool {
	if b.idx == nil {
		return true
	}
	switch {
	case tp != b.tp:
		return tp > b.tp
	case fp != b.fp:
		return fp < b.fp
	case rules != len(b.idx):
		return rules < len(b.idx)
	case terms != bTerms:
		return terms < bTerms
	}
	return slices.Compare(idx, b.idx) < 0
}

// selectExact enumerates every non-empty subset of cs (depth first, each subset once as an
// increasing index list) and keeps the best valid one.
func selectExact(cs []cand, bd *bounds) choice {
	best := choice{exact: true, bestPrec: -1}
	bestTerms := 0
	hw, fw := holdWords(cs), len(cs[0].fpb)
	holdAt := make([][]uint64, len(cs)+1)
	fpAt := make([][]uint64, len(cs)+1)
	for k := range holdAt {
		holdAt[k] = make([]uint64, hw)
		fpAt[k] = make([]uint64, fw)
	}
	idx := make([]int, 0, len(cs))
	var rec func(from, depth, terms int, tpAt int64)
	rec = func(from, depth, terms int, tpAt int64) {
		for j := from; j < len(cs); j++ {
			tp := cs[j].orCountInto(holdAt[depth+1], holdAt[depth], tpAt)
			fp := orCount(fpAt[depth+1], fpAt[depth], cs[j].fpb)
			idx = append(idx, j)
			t := terms + int(cs[j].c.N)
			ok, prec := bd.valid(tp, fp)
			if metrics.Pct(fp, tp+fp) <= bd.FalsePositiveMax && prec > best.bestPrec {
				best.bestPrec = prec
			}
			if ok && better(tp, fp, len(idx), t, idx, &best, bestTerms) {
				best.idx = append(best.idx[:0], idx...)
				best.tp, best.fp, bestTerms = tp, fp, t
			}
			rec(j+1, depth+1, t, tp)
			idx = idx[:len(idx)-1]
		}
	}
	rec(0, 0, 0, 0)
	if best.idx != nil {
		best.idx = slices.Clone(best.idx)
	}
	return best
}

// selectGreedy approximates the same order for roles with too many candidates:
//  1. coverage: repeatedly add the candidate explaining the most holders not yet explained
//     (ties: fewest new false positives, fewest terms, criterion order) while the role's
//     false-positive share stays within bound, until no candidate adds a holder;
//  2. redundancy: drop any rule whose removal keeps every explained holder (it can only
//     lower false positives and the rule count);
//  3. swaps: replace a rule by an unused candidate that explains every holder only that rule
//     explains while adding fewer false positives (or as many with fewer terms), until no
//     swap helps (at most a few passes).
//
// When that set misses the precision bound, the three steps run again with the set's
// false positives held to what the precision bound leaves even a set explaining every
// holder (precisionSlack): the first broad candidate, whose false positives alone break
// the bound, no longer shuts out narrower ones that together would meet it. A role the
// first pass covers is never looked at again, so its rules do not change.
func selectGreedy(cs []cand, bd *bounds) choice {
	ch := greedySet(cs, bd, math.MaxInt64)
	if ch.idx != nil {
		return ch
	}
	alt := greedySet(cs, bd, bd.precisionSlack())
	if alt.idx != nil {
		return alt
	}
	ch.bestPrec = max(ch.bestPrec, alt.bestPrec)
	return ch
}

// precisionSlack returns the most false positives a rule set can have and still meet the
// precision bound, were it to explain every holder: precision only falls as false
// positives or missed holders are added, so no valid set has more.
func (b *bounds) precisionSlack() int64 {
	lo, hi := int64(0), b.n-b.holders // precision is 100% at 0
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if metrics.Of(b.n, b.holders, b.holders, mid).Precision() >= b.PrecisionMin {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// greedySet is the three steps of selectGreedy with the set's false positives held to at
// most fpCap.
func greedySet(cs []cand, bd *bounds, fpCap int64) choice {
	hw, fw := holdWords(cs), len(cs[0].fpb)
	covH := make([]uint64, hw)
	covF := make([]uint64, fw)
	used := make([]bool, len(cs))
	chosen, tp, fp := greedyCover(cs, bd, fpCap, covH, covF, used)
	if len(chosen) == 0 {
		return choice{bestPrec: -1}
	}
	others := func(skip int, h, f []uint64) {
		clear(h)
		clear(f)
		for _, j := range chosen {
			if j == skip {
				continue
			}
			cs[j].orInto(h)
			for k := range f {
				f[k] |= cs[j].fpb[k]
			}
		}
	}
	oh := make([]uint64, hw)
	of := make([]uint64, fw)
	// Redundancy: newest first.
	for k := len(chosen) - 1; k >= 0 && len(chosen) > 1; k-- {
		j := chosen[k]
		others(j, oh, of)
		if cs[j].gain(oh) == 0 {
			chosen = slices.Delete(chosen, k, k+1)
			used[j] = false
		}
	}
	// Swaps.
	tmp := make([]uint64, fw)
	var excl []int32
	for pass := 0; pass < 3; pass++ {
		improved := false
		for k, j := range chosen {
			others(j, oh, of)
			curFP := orCount(tmp, of, cs[j].fpb)
			// A replacement holds every holder only j explains (excl).
			excl = cs[j].appendMissing(excl[:0], oh)
			for a := range cs {
				if used[a] || cs[a].nhold < int64(len(excl)) || !cs[a].hasAll(excl) {
					continue
				}
				newFP := orCount(tmp, of, cs[a].fpb)
				if newFP < curFP || (newFP == curFP && cs[a].c.N < cs[j].c.N) {
					used[j], used[a] = false, true
					chosen[k], j, curFP = a, a, newFP
					excl = cs[j].appendMissing(excl[:0], oh)
					improved = true
				}
			}
		}
		if !improved {
			break
		}
	}
	slices.Sort(chosen)
	clear(covH)
	clear(covF)
	for _, j := range chosen {
		cs[j].orInto(covH)
		for k := range covF {
			covF[k] |= cs[j].fpb[k]
		}
	}
	tp, fp = count(covH), count(covF)
	ok, prec := bd.valid(tp, fp)
	if !ok {
		return choice{bestPrec: prec}
	}
	return choice{idx: chosen, tp: tp, fp: fp, bestPrec: prec}
}

// greedyCover is the coverage step of selectGreedy: it repeatedly adds the candidate
// explaining the most holders not yet explained (ties: fewest new false positives, fewest
// terms, lowest index) while the role's false-positive share stays within bound and its
// false positives at most fpCap, marking chosen candidates in used and their matches in
// covH and covF.
//
// It is lazy: a candidate's gain only falls as covH grows, so the gain last computed
// (at first, its holder count nhold) bounds it from above, and a round recomputes candidates in order of that bound until
// the bound falls below the best fresh gain found (an equal bound is recomputed, since it
// may win a tie). The choice is the one a scan of every candidate makes.
func greedyCover(cs []cand, bd *bounds, fpCap int64, covH, covF []uint64, used []bool) (chosen []int, tp, fp int64) {
	// Before anything is covered a candidate's gain is its holder count: the first round
	// recomputes only the candidates that can tie with the largest.
	h := make(gainHeap, len(cs))
	for j := range cs {
		h[j] = gainEntry{ub: cs[j].nhold, j: j}
	}
	h.init()
	var back []gainEntry
	for {
		best := -1
		var bGain, bNewFP int64
		back = back[:0]
		for len(h) > 0 && (best < 0 || h[0].ub >= bGain) {
			j := h.pop().j
			gain := cs[j].gain(covH)
			if gain == 0 {
				continue // never gains again
			}
			back = append(back, gainEntry{ub: gain, j: j})
			newFP := andNotCount(cs[j].fpb, covF)
			if fp+newFP > fpCap || metrics.Pct(fp+newFP, tp+gain+fp+newFP) > bd.FalsePositiveMax {
				continue
			}
			if best < 0 || gain > bGain || (gain == bGain && (newFP < bNewFP ||
				(newFP == bNewFP && (cs[j].c.N < cs[best].c.N || (cs[j].c.N == cs[best].c.N && j < best))))) {
				best, bGain, bNewFP = j, gain, newFP
			}
		}
		if best < 0 {
			return chosen, tp, fp
		}
		for _, e := range back {
			if e.j != best {
				h.push(e)
			}
		}
		used[best] = true
		chosen = append(chosen, best)
		cs[best].orInto(covH)
		for k := range covF {
			covF[k] |= cs[best].fpb[k]
		}
		tp += bGain
		fp += bNewFP
	}
}

// gainEntry is a candidate j with an upper bound ub on its gain.
type gainEntry struct {
	ub int64
	j  int
}

// gainHeap is a binary heap of entries by bound, largest first, then by index (typed, so
// that no entry is boxed into an interface on the way in or out).
type gainHeap []gainEntry

func (h gainHeap) less(a, b int) bool {
	return h[a].ub > h[b].ub || (h[a].ub == h[b].ub && h[a].j < h[b].j)
}

func (h gainHeap) init() {
	for k := len(h)/2 - 1; k >= 0; k-- {
		h.down(k)
	}
}

func (h *gainHeap) push(e gainEntry) {
	*h = append(*h, e)
	s := *h
	for k := len(s) - 1; k > 0; {
		p := (k - 1) / 2
		if !s.less(k, p) {
			break
		}
		s[k], s[p] = s[p], s[k]
		k = p
	}
}

func (h *gainHeap) pop() gainEntry {
	s := *h
	e := s[0]
	n := len(s) - 1
	s[0] = s[n]
	*h = s[:n]
	h.down(0)
	return e
}

func (h gainHeap) down(k int) {
	for {
		c := 2*k + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && h.less(c+1, c) {
			c++
		}
		if !h.less(c, k) {
			return
		}
		h[k], h[c] = h[c], h[k]
		k = c
	}
}
