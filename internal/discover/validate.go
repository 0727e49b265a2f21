package discover

import (
	"context"
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/model"
)

// Term is one attribute=value condition of a criterion (model.Term, as in rules.json).
type Term = model.Term

// Description is the criterion that best describes a role's members: the identities
// matching every term. Precision is the share of matching identities that are members,
// recall the share of members that match.
type Description struct {
	Criterion         []Term
	Precision, Recall float64
	// Precise is the criterion with the highest recall among those reaching
	// MeaningThreshold precision (nil when none does): the group Refine splits off when
	// the best criterion is not meaningful.
	Precise *Description
}

// MeaningThreshold is the precision and recall a role's best criterion must both reach
// for the role to count as having a business meaning.
const MeaningThreshold = 0.9

// Meaningful reports whether d describes the members well enough (MeaningThreshold).
func (d Description) Meaningful() bool {
	return len(d.Criterion) > 0 && d.Precision >= MeaningThreshold && d.Recall >= MeaningThreshold
}

// depth1Keep is how many single terms (by recall) are extended to pairs.
const depth1Keep = 24

// Describe finds, for each set of members (identity indices of s), the criterion of 1 to
// maxDims terms (docs/semantics.md#criterion; at most 2 are searched) on the snapshot's
// usable dimensions (a term matches any value of a multi-valued dimension) that best
// describes the members: one with precision and recall both at least MeaningThreshold
// before any other, then the highest F1 score of precision and recall against the
// members; ties go to fewer terms, then to the lexically smaller criterion. Skipped
// dimensions (high cardinality, excluded) are not used. A role nothing describes gets an
// empty criterion.
func Describe(ctx context.Context, s *columnar.Snapshot, members [][]int32, maxDims int) ([]Description, error) {
	ds := newDescriber(s)
	out := make([]Description, len(members))
	for k, mem := range members {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(mem) > 0 {
			out[k] = ds.describe(mem, maxDims)
		}
	}
	return out, nil
}

// describer holds, for Describe, the identities of each attribute value of a snapshot.
type describer struct {
	s *columnar.Snapshot
	// dims are the dimensions criteria may use; support[d][code] counts the identities with
	// that value and postings[d][code] lists them.
	dims     []int
	support  [][]int
	postings [][][]int32
	// isMember marks the members of the set being described (cleared after each).
	isMember []bool
	// pairSup caches the identities matching two terms (support of a pair), which does
	// not depend on the members: most roles try the same popular values, and counting a
	// pair walks a posting list that can hold a large share of all identities. At most
	// maxPairCache entries are kept.
	pairSup map[pairKey]int
}

// pairKey is a pair of terms, the lesser support first (considerPair's x and y).
type pairKey struct {
	xd, yd int
	xc, yc int32
}

// maxPairCache bounds describer.pairSup (about 40 bytes an entry).
const maxPairCache = 1 << 20

func newDescriber(s *columnar.Snapshot) *describer {
	ds := &describer{s: s, support: make([][]int, len(s.Dims)), postings: make([][][]int32, len(s.Dims)),
		isMember: make([]bool, s.NumIdentities()), pairSup: map[pairKey]int{}}
	for d := range s.Dims {
		if !s.Dims[d].Skipped {
			ds.dims = append(ds.dims, d)
		}
	}
	var buf []int32
	for _, d := range ds.dims {
		ds.support[d] = make([]int, len(s.Dims[d].Values))
		ds.postings[d] = make([][]int32, len(s.Dims[d].Values))
		for i := range s.Dims[d].Codes {
			buf = valuesOf(&s.Dims[d], i, buf)
			for _, c := range buf {
				ds.support[d][c]++
				ds.postings[d][c] = append(ds.postings[d][c], int32(i))
			}
		}
	}
	return ds
}

// valuesOf returns in buf (reused) the value codes identity i holds on d: none, one, or,
// on a multi-valued dimension, several, any of which a term matches
// (docs/effective-privilege.md#matching).
func valuesOf(d *columnar.Dimension, i int, buf []int32) []int32 {
	buf = buf[:0]
	if c := d.Codes[i]; c >= 0 {
		buf = append(buf, c)
		if d.MultiOff != nil {
			buf = append(buf, d.MultiCodes[d.MultiOff[i]:d.MultiOff[i+1]]...)
		}
	}
	return buf
}

// valueTerm is one attribute value held by tp members of the set being described.
type valueTerm struct {
	d    int
	code int32
	tp   int
}

// describe returns the best criterion of one to maxDims terms for the members mem: every
// single term the members hold, then pairs of the depth1Keep single terms most members
// hold unless one term already describes them exactly.
func (ds *describer) describe(mem []int32, maxDims int) Description {
	s := ds.s
	for _, i := range mem {
		ds.isMember[i] = true
	}
	terms := ds.memberTerms(mem)
	c := &candidates{members: len(mem), bestF: -1}
	for _, t := range terms {
		c.consider([]Term{{Attribute: s.Dims[t.d].Name, Value: s.Dims[t.d].Values[t.code]}}, t.tp, ds.support[t.d][t.code])
	}
	if maxDims >= 2 && c.bestF < 1 {
		slices.SortFunc(terms, func(a, b valueTerm) int {
			if a.tp != b.tp {
				return b.tp - a.tp
			}
			if a.d != b.d {
				return a.d - b.d
			}
			return int(a.code - b.code)
		})
		if len(terms) > depth1Keep {
			terms = terms[:depth1Keep]
		}
		for i, a := range terms {
			for _, b := range terms[i+1:] {
				if a.d != b.d {
					ds.considerPair(c, mem, a, b)
				}
			}
		}
	}
	for _, i := range mem {
		ds.isMember[i] = false
	}
	c.best.Precise = c.precise
	return c.best
}

// memberTerms counts, for every dimension, the members holding each of its values (every
// value of a multi-valued dimension).
func (ds *describer) memberTerms(mem []int32) []valueTerm {
	var terms []valueTerm
	var buf []int32
	for _, d := range ds.dims {
		h := map[int32]int{}
		for _, i := range mem {
			buf = valuesOf(&ds.s.Dims[d], int(i), buf)
			for _, c := range buf {
				h[c]++
			}
		}
		for c, tp := range h {
			terms = append(terms, valueTerm{d, c, tp})
		}
	}
	return terms
}

// considerPair counts the identities matching both terms and the members mem among
// them, and offers the pair, its terms in attribute order, to c. The count walks the
// smaller value's postings, or, when the members are fewer and the pair's support is
// cached, the members: the same counts either way.
func (ds *describer) considerPair(c *candidates, mem []int32, a, b valueTerm) {
	s := ds.s
	x, y := a, b
	if ds.support[x.d][x.code] > ds.support[y.d][y.code] {
		x, y = y, x
	}
	key := pairKey{xd: x.d, xc: x.code, yd: y.d, yc: y.code}
	tp, sup := 0, 0
	dx, dy := &s.Dims[x.d], &s.Dims[y.d]
	if cached, ok := ds.pairSup[key]; ok && len(mem) < ds.support[x.d][x.code] {
		sup = cached
		for _, id := range mem {
			if dx.Has(int(id), x.code) && dy.Has(int(id), y.code) {
				tp++
			}
		}
	} else {
		for _, id := range ds.postings[x.d][x.code] {
			if dy.Has(int(id), y.code) {
				sup++
				if ds.isMember[id] {
					tp++
				}
			}
		}
		if len(ds.pairSup) < maxPairCache {
			ds.pairSup[key] = sup
		}
	}
	x, y = a, b
	if s.Dims[x.d].Name > s.Dims[y.d].Name {
		x, y = y, x
	}
	c.consider([]Term{{Attribute: s.Dims[x.d].Name, Value: s.Dims[x.d].Values[x.code]}, {Attribute: s.Dims[y.d].Name, Value: s.Dims[y.d].Values[y.code]}}, tp, sup)
}

// candidates keeps the best criterion offered so far for one set of members: one with
// precision and recall both at least MeaningThreshold before any other, then by F1 (ties:
// fewer terms, then the lesser terms), and the precise one (precision at least
// MeaningThreshold) of highest recall (ties the same way).
type candidates struct {
	members     int
	best        Description
	bestF       float64
	bestMeaning bool
	bestTerms   int
	bestKey     []Term
	precise     *Description
}

// consider offers criterion crit, matched by sup identities of which tp are members.
func (c *candidates) consider(crit []Term, tp, sup int) {
	if tp == 0 || sup == 0 {
		return
	}
	p := float64(tp) / float64(sup)
	r := float64(tp) / float64(c.members)
	if p >= MeaningThreshold && (c.precise == nil || r > c.precise.Recall+1e-12 ||
		(r > c.precise.Recall-1e-12 && (len(crit) < len(c.precise.Criterion) ||
			(len(crit) == len(c.precise.Criterion) && lessTerms(crit, c.precise.Criterion))))) {
		c.precise = &Description{Criterion: crit, Precision: p, Recall: r}
	}
	f := 2 * p * r / (p + r)
	meaning := p >= MeaningThreshold && r >= MeaningThreshold
	if c.better(crit, f, meaning) {
		c.bestF, c.bestMeaning, c.bestTerms, c.bestKey = f, meaning, len(crit), crit
		c.best = Description{Criterion: crit, Precision: p, Recall: r}
	}
}

// better reports whether crit, of F1 f, meaningful or not, beats the best so far: a
// meaningful criterion beats any other (so a role is flagged only when no criterion
// offered reaches MeaningThreshold in both), then the higher F1, fewer terms, the lesser
// terms.
func (c *candidates) better(crit []Term, f float64, meaning bool) bool {
	switch {
	case c.bestF < 0:
		return true
	case meaning != c.bestMeaning:
		return meaning
	case f > c.bestF+1e-12:
		return true
	case f <= c.bestF-1e-12:
		return false
	case len(crit) != c.bestTerms:
		return len(crit) < c.bestTerms
	}
	return lessTerms(crit, c.bestKey)
}

func lessTerms(a, b []Term) bool {
	for i := range min(len(a), len(b)) {
		if a[i].Attribute != b[i].Attribute {
			return a[i].Attribute < b[i].Attribute
		}
		if a[i].Value != b[i].Value {
			return a[i].Value < b[i].Value
		}
	}
	return len(a) < len(b)
}
